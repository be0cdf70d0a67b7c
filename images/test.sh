#!/usr/bin/env bash
# The overlays' own modules, tested outside their images: a virtualenv with the pinned test requirements
# (kept in .cache/overlay-venv, rebuilt when requirements-test.txt changes), then pytest per overlay.
set -euo pipefail
cd "$(dirname "$0")"
venv="../.cache/overlay-venv"
stamp="$venv/.requirements-$(sha256sum requirements-test.txt | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements-test.txt
  touch "$stamp"
fi
python="$(cd "$venv" && pwd)/bin/python"
for overlay in */; do
  [ -d "$overlay/tests" ] || continue
  echo "== ${overlay%/}"
  if [ -f "$overlay/package.json" ]; then
    # A Node.js overlay: its own locked dependencies, node's test runner, moto from the virtualenv.
    (cd "$overlay" && npm ci --ignore-scripts --no-audit --no-fund --silent && MOTO_PYTHON="$python" node --test tests/)
  else
    (cd "$overlay" && "$python" -m pytest -q -p no:cacheprovider tests)
  fi
done
