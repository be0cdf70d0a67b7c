# Probes. live: the server answers (a server loading its data is alive). ready: it answers without an
# error (not LOADING) and, as a replica, has a live link to a master; a candidate is not ready.
# sentinel: Sentinel answers without an error.
set -u
. "$(dirname "$0")/common.sh"
case "$1" in
  live)
    timeout 2 "$REDIS_CLI" -h "$LOCAL_ADDR" -p 6379 ping 2>&1 | grep -q -e PONG -e LOADING ;;
  ready)
    [ "$(rcli "$LOCAL_ADDR" 6379 ping)" = "PONG" ] || exit 1
    [ "$(info_field "$LOCAL_ADDR" replication role)" = "master" ] && exit 0
    [ "$(info_field "$LOCAL_ADDR" replication master_link_status)" = "up" ] ;;
  sentinel)
    [ "$(rcli "$LOCAL_ADDR" 26379 ping)" = "PONG" ] ;;
  *) echo "probe.sh: live, ready or sentinel" >&2; exit 2 ;;
esac
