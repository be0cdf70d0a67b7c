# preStop of the redis container: a master that is being stopped hands over before it goes. It pauses
# writes, waits until its replicas have every acknowledged write, and asks its Sentinel to fail over;
# paused clients are then disconnected and resend to the new master. Writes are never accepted by a
# master that is about to become a replica.
set -u
. "$(dirname "$0")/common.sh"
[ "$(info_field "$LOCAL_ADDR" replication role)" = "master" ] || exit 0
[ "$(info_field "$LOCAL_ADDR" replication connected_slaves)" -gt 0 ] 2>/dev/null || exit 0
rcli "$LOCAL_ADDR" 6379 client pause 30000 write >/dev/null
deadline=$(( $(date +%s) + 5 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  offset="$(info_field "$LOCAL_ADDR" replication master_repl_offset)"
  info_field "$LOCAL_ADDR" replication "slave[0-9]*" | grep -q "offset=${offset}," && break
  sleep 0.1
done
leader="$(sentinels_failover)" || exit 0
# Stay until the failover is complete: the replicas are reconfigured to the new master.
deadline=$(( $(date +%s) + 20 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  if [ "$(sentinel_names "$leader")" != "$self" ] && ! failover_in_progress "$leader"; then break; fi
  sleep 0.2
done
