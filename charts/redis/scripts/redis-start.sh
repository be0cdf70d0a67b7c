# The redis container's command. The role is decided at every start of the server, from the data:
#  1. The server starts as a candidate: a replica of a placeholder that nothing listens on, so it loads
#     its data and accepts no writes, and no other member syncs from it.
#  2. If a Sentinel names a master, the server follows it; if it names this member, the member resumes as
#     master only when it holds data or no peer does. A member whose volume was lost waits instead, and
#     asks the Sentinels to promote the replica that holds the data.
#  3. If no Sentinel answers (the set has no memory of its master: its first start), the candidates
#     compare their data and the member with the most keys becomes master, the lowest ordinal on a tie.
# A member that starts empty while a peer holds data has replica-priority 0 until its first sync completes:
# Sentinel never promotes it.
set -u
. "$(dirname "$0")/common.sh"

mkdir -p "$CONF_DIR" "$DATA_DIR"
conf="$CONF_DIR/redis.conf"
# noeviction: a full queue refuses new jobs; evicting would silently drop jobs already accepted.
maxmemory_mb=$(( ${MEMORY_LIMIT_MB:-1024} * 7 / 10 ))
{
  echo "bind ${BIND_ADDRS:-* -::*}"
  echo "port 6379"
  echo "protected-mode no"
  echo "dir ${DATA_DIR}"
  echo "appendonly yes"
  # Every acknowledged write is on disk before the reply, so a restarted master has all of them.
  echo "appendfsync always"
  echo "maxmemory ${maxmemory_mb}mb"
  echo "maxmemory-policy noeviction"
  echo "min-replicas-to-write ${MIN_REPLICAS_TO_WRITE}"
  echo "min-replicas-max-lag ${MIN_REPLICAS_MAX_LAG}"
  echo "replica-announce-ip ${self}"
  echo "replica-priority 0"
  echo "replicaof 127.0.0.1 1"
} > "$conf"

"${REDIS_SERVER:-valkey-server}" "$conf" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT

until [ "$(rcli "$LOCAL_ADDR" 6379 ping)" = "PONG" ]; do
  kill -0 "$pid" 2>/dev/null || exit 1
  sleep 0.2
done
own_keys="$(rcli "$LOCAL_ADDR" 6379 dbsize)"
majority=$(( MEMBERS / 2 + 1 ))

peer_holds_data() {
  for _peer in $(peers); do
    if [ "$(rcli "$_peer" 6379 dbsize)" -gt 0 ] 2>/dev/null; then return 0; fi
  done
  return 1
}

# Prints the member every candidate agrees on, or nothing while the comparison is not complete: all members
# loaded, or a majority once the wait for the others is over. A member already serving as master wins.
bootstrap_choice() {
  _best=""; _best_keys=-1; _answered=0; _i=0
  while [ "$_i" -lt "$MEMBERS" ]; do
    _m="$(member "$_i")"
    _keys="$(rcli "$_m" 6379 dbsize)"
    if [ -n "$_keys" ]; then
      if [ "$(info_field "$_m" replication role)" = "master" ]; then echo "$_m"; return; fi
      _answered=$((_answered + 1))
      if [ "$_keys" -gt "$_best_keys" ]; then _best="$_m"; _best_keys="$_keys"; fi
    fi
    _i=$((_i + 1))
  done
  if [ "$_answered" -eq "$MEMBERS" ] || { [ "$_answered" -ge "$majority" ] && [ "$(date +%s)" -ge "$bootstrap_deadline" ]; }; then
    echo "$_best"
  fi
}

follow() { rcli "$LOCAL_ADDR" 6379 replicaof "$1" 6379 >/dev/null; echo "replica of $1"; }
lead() { rcli "$LOCAL_ADDR" 6379 replicaof no one >/dev/null; rcli "$LOCAL_ADDR" 6379 config set replica-priority 100 >/dev/null; echo "master"; }

# Promotable at once when it holds data, or when nobody does (a new set).
if [ "${own_keys:-0}" -gt 0 ] || ! peer_holds_data; then rcli "$LOCAL_ADDR" 6379 config set replica-priority 100 >/dev/null; fi

started="$(date +%s)"
bootstrap_deadline=$(( started + ${BOOTSTRAP_WAIT_SECONDS:-60} ))
role=""
while [ -z "$role" ]; do
  kill -0 "$pid" 2>/dev/null || exit 1
  master="$(sentinels_master)"
  if [ -n "$master" ] && [ "$master" != "$self" ]; then
    role="$(follow "$master")"
  elif [ -n "$master" ]; then
    if [ "${own_keys:-0}" -gt 0 ] || ! peer_holds_data; then
      role="$(lead)"
    else
      sentinels_failover >/dev/null || true
    fi
  elif [ "$(date +%s)" -ge $(( started + ${SENTINEL_GRACE_SECONDS:-5} )) ]; then
    # Sentinels that remember the set start within a second of their pod; silence this long means none does.
    choice="$(bootstrap_choice)"
    if [ -n "$choice" ]; then
      echo "$choice" > "$CONF_DIR/bootstrap-master"
      if [ "$choice" = "$self" ]; then role="$(lead)"; else role="$(follow "$choice")"; fi
    fi
  fi
  [ -n "$role" ] || sleep 1
done
echo "redis-start: ${self} starts as ${role} (own keys ${own_keys})"

# A replica that began empty becomes eligible for promotion once it has completed a sync.
if [ "$(rcli "$LOCAL_ADDR" 6379 config get replica-priority | tail -n 1)" = "0" ]; then
  (
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$(info_field "$LOCAL_ADDR" replication master_link_status)" = "up" ]; then
        rcli "$LOCAL_ADDR" 6379 config set replica-priority 100 >/dev/null && break
      fi
      sleep 1
    done
  ) &
fi

while kill -0 "$pid" 2>/dev/null; do wait "$pid"; done
wait "$pid"
