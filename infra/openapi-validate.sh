#!/usr/bin/env bash
# Validates the OpenAPI document the real binary serves with openapi-spec-validator (PyPI, pinned),
# installed once into a virtual environment under the cache directory. `.ci/run` calls it after
# the tests, when target/debug/harim is built. Generated clients and contract testers read this
# document; a path parameter declared but not in the path (as before) makes them fail.
set -euo pipefail
cd "$(dirname "$0")/.."

VALIDATOR_VERSION=0.9.0
venv=${HARIM_OPENAPI_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/harim/venv-openapi-$VALIDATOR_VERSION}
say() { echo "infra/openapi-validate.sh: $*" >&2; }

if [ ! -x "$venv/bin/openapi-spec-validator" ]; then
  say "installing openapi-spec-validator $VALIDATOR_VERSION into $venv (once)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "openapi-spec-validator==$VALIDATOR_VERSION"
fi

bin=${CARGO_TARGET_DIR:-target}/debug/harim
[ -x "$bin" ] || { say "$bin is not built (run cargo test --workspace first)"; exit 1; }
tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
"$bin" serve --listen 127.0.0.1:0 --data-dir "$tmp/data" >"$tmp/out" 2>"$tmp/err" &
pid=$!
line=""
for _ in $(seq 1 200); do
  line=$(head -n1 "$tmp/out" 2>/dev/null || true)
  [ -n "$line" ] && break
  sleep 0.05
done
[ -n "$line" ] || { say "the server did not start"; cat "$tmp/err" >&2; exit 1; }
base=${line#harim listening on }
curl -fsS "$base/openapi.json" >"$tmp/openapi.json"
"$venv/bin/openapi-spec-validator" "$tmp/openapi.json"
