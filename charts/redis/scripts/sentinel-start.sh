# The sentinel container's command. Sentinel's configuration lives on the pod's volume: after a full
# restart the Sentinels still know the set's last master and epoch, so the member that holds the latest
# data resumes as master. A new member (or one whose volume was lost) learns the master from its peers'
# Sentinels; on the set's first start, from the candidates' comparison in redis-start.sh.
set -u
. "$(dirname "$0")/common.sh"

conf="$DATA_DIR/sentinel/sentinel.conf"
mkdir -p "$DATA_DIR/sentinel"
if [ ! -s "$conf" ]; then
  master=""
  until [ -n "$master" ]; do
    master="$(sentinels_master)"
    [ -n "$master" ] || [ ! -s "$CONF_DIR/bootstrap-master" ] || master="$(cat "$CONF_DIR/bootstrap-master")"
    [ -n "$master" ] || sleep 1
  done
  {
    echo "bind ${BIND_ADDRS:-* -::*}"
    echo "port 26379"
    echo "protected-mode no"
    echo "sentinel resolve-hostnames yes"
    echo "sentinel announce-hostnames yes"
    echo "sentinel announce-ip ${self}"
    echo "sentinel monitor ${MASTER_SET} ${master} 6379 ${QUORUM}"
    echo "sentinel down-after-milliseconds ${MASTER_SET} 5000"
    echo "sentinel failover-timeout ${MASTER_SET} 30000"
    echo "sentinel parallel-syncs ${MASTER_SET} 1"
  } > "$conf.tmp"
  mv "$conf.tmp" "$conf"
fi
exec "${REDIS_SENTINEL:-valkey-sentinel}" "$conf"
