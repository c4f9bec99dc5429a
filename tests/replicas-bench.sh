#!/usr/bin/env bash
# Measurements of the production shape (issue "Production shape"), all in one run on this machine:
#   1. through HAProxy with 1 and then 3 replicas (infra/replicas.sh) on one PostgreSQL:
#      /healthz (the baseline), a public policy page, and PUT identity over 64 shops; wrk, 32
#      connections, 10 s each;
#   2. reveal (two fields) on one replica without a balancer, file keyring vs PKCS#11 (SoftHSM2),
#      wrk with 4 connections, 10 s: the tenant-key cache keeps the token off the request path.
# Prints a Markdown table. No thresholds.
#
#   CARGO_TARGET_DIR=/tmp/target-bench cargo build --release -p harim
#   HARIM_BIN=/tmp/target-bench/release/harim tests/replicas-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${HARIM_BIN:-$PWD/target/release/harim}
admin_url=${HARIM_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
secs=${BENCH_SECS:-10}
J='content-type: application/json'
say() { echo "replicas-bench: $*" >&2; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

fresh_db() {
  local name=harim_bench_$1
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null
  echo "${admin_url%/*}/$name"
}

# Sign-up, 64 shops with identity, settings and a published policy; writes $work/<tag>.lua
# scripts for wrk and prints the token.
populate() {
  local base=$1 tag=$2
  curl -fsS "$base/v1/accounts" -H "$J" -d '{"email":"bench@example.ir","password":"correct horse battery staple"}' >/dev/null
  local token
  token=$(curl -fsS "$base/v1/sessions" -H "$J" -d '{"email":"bench@example.ir","password":"correct horse battery staple"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
  local shops=()
  for i in $(seq 0 63); do
    local id
    id=$(curl -fsS "$base/v1/shops" -H "authorization: Bearer $token" -H "$J" \
      -d "{\"name\":\"Bench $i\",\"slug\":\"bench-$i\",\"default_locale\":\"fa\"}" | sed -E 's/.*"id":"([^"]+)".*/\1/')
    curl -fsS -X PUT "$base/v1/shops/$id/identity" -H "authorization: Bearer $token" -H "$J" -d @docs/examples/identity.json >/dev/null
    curl -fsS -X PUT "$base/v1/shops/$id/privacy-settings" -H "authorization: Bearer $token" -H "$J" -d @docs/examples/privacy-settings.json >/dev/null
    curl -fsS -X POST "$base/v1/shops/$id/policies" -H "authorization: Bearer $token" >/dev/null
    shops+=("\"$id\"")
  done
  local list
  list=$(IFS=,; echo "${shops[*]}")
  local identity
  identity=$(python3 -c 'import json,sys; print(json.dumps(json.dumps(json.load(open("docs/examples/identity.json")))))')
  cat > "$work/$tag-put.lua" <<LUA
local shops = {$list}
local body = $identity
local i = 0
request = function()
  i = i + 1
  return wrk.format("PUT", "/v1/shops/" .. shops[(i % #shops) + 1] .. "/identity",
    {["authorization"] = "Bearer $token", ["content-type"] = "application/json"}, body)
end
LUA
  cat > "$work/$tag-reveal.lua" <<LUA
local shops = {$list}
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/v1/shops/" .. shops[(i % #shops) + 1] .. "/identity/reveal",
    {["authorization"] = "Bearer $token", ["content-type"] = "application/json"},
    '{"fields":["national_id","iban"],"purpose":"payout"}')
end
LUA
  cat > "$work/$tag-page.lua" <<LUA
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/shops/bench-" .. (i % 64) .. "/privacy")
end
LUA
}

# wrk → "req/s|p50|p99" (ms).
measure() {
  local conns=$1 url=$2 script=${3:-}
  local out
  if [ -n "$script" ]; then
    out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$script" "$url")
  else
    out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$url")
  fi
  if echo "$out" | grep -q "Non-2xx"; then
    say "non-2xx answers for $url: $(echo "$out" | grep Non-2xx)"
  fi
  local rps p50 p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  echo "$rps|$p50|$p99"
}

start_cluster() {
  local n=$1 url
  url=$(fresh_db "r$n")
  HARIM_BIN=$bin HARIM_DATABASE_URL=$url HARIM_REPLICAS=$n HARIM_REPLICA_DIR=$work/cluster$n \
    infra/replicas.sh > "$work/cluster$n.out" 2>"$work/cluster$n.err" &
  current=$!
  pids+=("$current")
  for _ in $(seq 1 300); do grep -q "^ready" "$work/cluster$n.out" 2>/dev/null && break; sleep 0.1; done
  grep "^ready" "$work/cluster$n.out" | cut -d' ' -f2
}

echo "| setup | path | req/s | p50 | p99 |"
echo "|---|---|---|---|---|"
for n in 1 3; do
  start_cluster "$n" > "$work/lb"
  lb=$(cat "$work/lb")
  [ -n "$lb" ] || { say "cluster of $n did not start"; cat "$work/cluster$n.err" >&2; exit 1; }
  populate "$lb" "c$n"
  IFS='|' read -r r a b <<<"$(measure 32 "$lb/healthz")"; echo "| $n replica(s) behind HAProxy | /healthz (baseline) | $r | $a | $b |"
  IFS='|' read -r r a b <<<"$(measure 32 "$lb" "$work/c$n-page.lua")"; echo "| $n replica(s) behind HAProxy | public page, 64 shops | $r | $a | $b |"
  IFS='|' read -r r a b <<<"$(measure 32 "$lb" "$work/c$n-put.lua")"; echo "| $n replica(s) behind HAProxy | PUT identity, 64 shops | $r | $a | $b |"
  kill "$current"; wait "$current" 2>/dev/null || true
done

# Reveal p99, file keyring vs PKCS#11, one replica, 4 connections.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
for provider in file pkcs11; do
  url=$(fresh_db "reveal_$provider")
  dir=$work/reveal-$provider; mkdir -p "$dir/objects"
  port=$(free_port)
  env_args=(HARIM_DATABASE_URL="$url" HARIM_OBJECT_STORE_URL="file://$dir/objects" HARIM_DATA_DIR="$dir" RUST_LOG=warn)
  if [ "$provider" = file ]; then
    python3 -c 'import base64,json,os,sys; fd=os.open(sys.argv[1],os.O_WRONLY|os.O_CREAT|os.O_EXCL,0o600); os.write(fd,json.dumps({"format":1,"active":1,"keys":[{"version":1,"key":base64.b64encode(os.urandom(32)).decode(),"state":"active"}]}).encode())' "$dir/keyring.json"
    env_args+=(HARIM_KEYRING="$dir/keyring.json")
  else
    eval "$(HARIM_SOFTHSM_DIR=$dir/hsm infra/softhsm.sh)"
    env_args+=(HARIM_KEYRING=pkcs11 HARIM_PKCS11_MODULE="$HARIM_TEST_PKCS11_MODULE" HARIM_PKCS11_TOKEN="$HARIM_TEST_PKCS11_TOKEN" HARIM_PKCS11_PIN="$HARIM_TEST_PKCS11_PIN" SOFTHSM2_CONF="$SOFTHSM2_CONF")
  fi
  env "${env_args[@]}" "$bin" migrate >/dev/null
  env "${env_args[@]}" "$bin" serve --listen "127.0.0.1:$port" > "$dir/out" 2>"$dir/err" &
  current=$!
  pids+=("$current")
  for _ in $(seq 1 100); do grep -q listening "$dir/out" 2>/dev/null && break; sleep 0.1; done
  populate "http://127.0.0.1:$port" "rv-$provider"
  IFS='|' read -r r a b <<<"$(measure 4 "http://127.0.0.1:$port" "$work/rv-$provider-reveal.lua")"
  echo "| one replica, $provider key provider | reveal (2 fields), 4 connections | $r | $a | $b |"
  kill "$current"; wait "$current" 2>/dev/null || true
done
