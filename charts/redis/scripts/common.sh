# Shared by the Redis pod's scripts. Everything that differs between a pod and the real-server test suite
# (tests/redis-ha) comes from the environment the StatefulSet sets.
: "${REDIS_CLI:=valkey-cli}" "${LOCAL_ADDR:=127.0.0.1}" "${DATA_DIR:=/data}" "${CONF_DIR:=/conf}"
self="${POD_NAME}.${PEER_DOMAIN}"
ordinal="${POD_NAME##*-}"

member() { echo "redis-$1.${PEER_DOMAIN}"; }

# The other members' names, one per line.
peers() {
  _i=0
  while [ "$_i" -lt "$MEMBERS" ]; do
    [ "$_i" = "$ordinal" ] || member "$_i"
    _i=$((_i + 1))
  done
}

# -e: an error reply (LOADING, READONLY, ...) is a failure, not an answer.
rcli() {
  _host="$1"; _port="$2"; shift 2
  timeout 2 "$REDIS_CLI" -h "$_host" -p "$_port" --raw -e "$@" 2>/dev/null | tr -d '\r'
}

info_field() { rcli "$1" 6379 info "$2" | sed -n "s/^$3://p"; }

# The master a Sentinel names for the set, or nothing when it does not answer or does not know the set.
sentinel_names() { rcli "$1" 26379 sentinel get-master-addr-by-name "$MASTER_SET" | head -n 1; }

# "<config epoch> <master>" as the Sentinel at $1 sees the set, or nothing.
sentinel_view() {
  rcli "$1" 26379 sentinel master "$MASTER_SET" | awk 'NR % 2 == 1 { k = $0; next } k == "ip" { ip = $0 } k == "config-epoch" { e = $0 } END { if (ip != "") print e, ip }'
}

# The master named by the answering Sentinel with the newest configuration (the highest epoch), this
# pod's own Sentinel first on a tie. A Sentinel that was down during a failover restarts with the old
# master on its volume until its peers tell it otherwise; the epoch says which answer is current.
sentinels_master() {
  _best=""; _best_epoch=-1
  for _at in "$LOCAL_ADDR" $(peers); do
    _view="$(sentinel_view "$_at")"
    if [ -n "$_view" ] && [ "${_view%% *}" -gt "$_best_epoch" ]; then _best_epoch="${_view%% *}"; _best="${_view#* }"; fi
  done
  echo "$_best"
}

# Asks the Sentinels to promote a replica, the peers' first: this pod's own Sentinel may have just started
# (and not know the replicas yet) or be about to stop with the pod, mid-failover. Prints the Sentinel that
# leads the failover.
sentinels_failover() {
  for _at in $(peers) "$LOCAL_ADDR"; do
    if [ "$(rcli "$_at" 26379 sentinel failover "$MASTER_SET")" = "OK" ]; then echo "$_at"; return 0; fi
  done
  return 1
}

# True while the Sentinel at $1 is failing the set over (it reconfigures the replicas one by one).
failover_in_progress() { rcli "$1" 26379 sentinel master "$MASTER_SET" | grep -q failover_in_progress; }
