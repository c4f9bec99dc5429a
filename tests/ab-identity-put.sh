#!/usr/bin/env bash
# A/B of `PUT /v1/shops/{id}/identity` between two harim binaries in one run, on PostgreSQL:
# each binary serves a fresh database with 64 shops; wrk runs 32 connections (throughput) and 4
# (latency), 10 s each, alternating A, B, A, B so drift shows. Prints a Markdown table.
#
#   A=/tmp/harim-before B=/tmp/target-bench/release/harim tests/ab-identity-put.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${A:?path of binary A}" "${B:?path of binary B}"
admin_url=${HARIM_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
secs=${BENCH_SECS:-10}
J='content-type: application/json'
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

run() {
  local label=$1 bin=$2 round=$3
  local db=harim_ab_${label,,}_$round
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" 2>/dev/null
  local url=${admin_url%/*}/$db dir=$work/$label$round
  mkdir -p "$dir/objects"
  python3 -c 'import base64,json,os,sys; fd=os.open(sys.argv[1],os.O_WRONLY|os.O_CREAT|os.O_EXCL,0o600); os.write(fd,json.dumps({"format":1,"active":1,"keys":[{"version":1,"key":base64.b64encode(os.urandom(32)).decode(),"state":"active"}]}).encode())' "$dir/keyring.json"
  export HARIM_DATABASE_URL=$url HARIM_KEYRING=$dir/keyring.json HARIM_OBJECT_STORE_URL=file://$dir/objects HARIM_DATA_DIR=$dir RUST_LOG=warn
  "$bin" migrate >/dev/null
  "$bin" serve --listen 127.0.0.1:0 > "$dir/out" 2>"$dir/err" &
  pid=$!
  for _ in $(seq 1 100); do grep -q listening "$dir/out" 2>/dev/null && break; sleep 0.1; done
  local base
  base=$(sed -n 's/^harim listening on //p' "$dir/out")
  curl -fsS "$base/v1/accounts" -H "$J" -d '{"email":"ab@example.ir","password":"correct horse battery staple"}' >/dev/null
  local token
  token=$(curl -fsS "$base/v1/sessions" -H "$J" -d '{"email":"ab@example.ir","password":"correct horse battery staple"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
  local shops=()
  for i in $(seq 0 63); do
    shops+=("\"$(curl -fsS "$base/v1/shops" -H "authorization: Bearer $token" -H "$J" \
      -d "{\"name\":\"AB $i\",\"slug\":\"ab-$i\",\"default_locale\":\"fa\"}" | sed -E 's/.*"id":"([^"]+)".*/\1/')\"")
  done
  local list body
  list=$(IFS=,; echo "${shops[*]}")
  body=$(python3 -c 'import json; print(json.dumps(json.dumps(json.load(open("docs/examples/identity.json")))))')
  cat > "$dir/put.lua" <<LUA
local shops = {$list}
local body = $body
local i = 0
request = function()
  i = i + 1
  return wrk.format("PUT", "/v1/shops/" .. shops[(i % #shops) + 1] .. "/identity",
    {["authorization"] = "Bearer $token", ["content-type"] = "application/json"}, body)
end
LUA
  local c32 c4
  c32=$(wrk -t2 -c32 -d"${secs}s" --latency -s "$dir/put.lua" "$base")
  c4=$(wrk -t2 -c4 -d"${secs}s" --latency -s "$dir/put.lua" "$base")
  echo "| $label (round $round) | $(echo "$c32" | awk '/Requests\/sec/ {printf "%.0f", $2}') | $(echo "$c32" | awk '$1=="99%" {print $2}') | $(echo "$c4" | awk '/Requests\/sec/ {printf "%.0f", $2}') | $(echo "$c4" | awk '$1=="50%" {print $2}') | $(echo "$c4" | awk '$1=="99%" {print $2}') |"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null
}

echo "| binary | req/s at 32 | p99 at 32 | req/s at 4 | p50 at 4 | p99 at 4 |"
echo "|---|---|---|---|---|---|"
for round in 1 2; do
  run A "$A" "$round"
  run B "$B" "$round"
done
