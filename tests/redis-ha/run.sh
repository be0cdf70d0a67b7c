#!/usr/bin/env bash
# Runs the real-server Redis suite in its own mount namespace, with a private /etc/hosts, so that the
# members' DNS names resolve to their loopback addresses without touching the machine's.
set -euo pipefail
cd "$(dirname "$0")/../.."
# A mount namespace needs root; on a CI runner that is not root, sudo keeps the environment.
if [ "$(id -u)" != 0 ]; then exec sudo --preserve-env env "PATH=$PATH" "$0" "$@"; fi
hosts="$(mktemp)"
cp /etc/hosts "$hosts"
exec unshare --mount --propagation private -- sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh "$hosts" \
  env KIOSK_PRIVATE_HOSTS=1 npx jest -c tests/redis-ha/jest.config.js "$@"
