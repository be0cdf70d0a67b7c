# The exporter container's command: redis_exporter reading the master the Sentinels name, restarted on
# the new master after a failover (the exporter takes one fixed address).
set -u
: "${REDIS_CLI:=valkey-cli}"
master_now() { timeout 2 "$REDIS_CLI" -h "$SENTINEL_HOST" -p 26379 --raw -e sentinel get-master-addr-by-name "$MASTER_SET" 2>/dev/null | head -n 1 | tr -d '\r'; }
pid=""
trap '[ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null; exit 0' TERM INT
while :; do
  master="$(master_now)"
  if [ -z "$master" ]; then sleep 1; continue; fi
  REDIS_ADDR="redis://${master}:6379" "$EXPORTER" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    now="$(master_now)"
    if [ -n "$now" ] && [ "$now" != "$master" ]; then kill -TERM "$pid" 2>/dev/null; fi
  done
  wait "$pid"
  pid=""
done
