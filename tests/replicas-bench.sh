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
. tests/bench-lib.sh
bin=${HARIM_BIN:-$PWD/target/release/harim}
admin_url=${HARIM_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
secs=${BENCH_SECS:-10}
say() { echo "replicas-bench: $*" >&2; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

start_cluster() {
  local n=$1 url
  url=$(bench_fresh_db "$admin_url" "harim_bench_r$n")
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
  mkdir -p "$work/c$n"
  bench_populate "$lb" "$work/c$n" 1
  IFS='|' read -r r a b <<<"$(bench_wrk 32 "$secs" "$lb/healthz")"; echo "| $n replica(s) behind HAProxy | /healthz (baseline) | $r | $a | $b |"
  IFS='|' read -r r a b <<<"$(bench_wrk 32 "$secs" "$lb" "$work/c$n/page.lua")"; echo "| $n replica(s) behind HAProxy | public page, 64 shops | $r | $a | $b |"
  IFS='|' read -r r a b <<<"$(bench_wrk 32 "$secs" "$lb" "$work/c$n/put.lua")"; echo "| $n replica(s) behind HAProxy | PUT identity, 64 shops | $r | $a | $b |"
  kill "$current"; wait "$current" 2>/dev/null || true
done

# Reveal p99, file keyring vs PKCS#11, one replica, 4 connections.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
for provider in file pkcs11; do
  url=$(bench_fresh_db "$admin_url" "harim_bench_reveal_$provider")
  dir=$work/reveal-$provider; mkdir -p "$dir/objects"
  port=$(free_port)
  env_args=(HARIM_DATABASE_URL="$url" HARIM_OBJECT_STORE_URL="file://$dir/objects" HARIM_DATA_DIR="$dir" RUST_LOG=warn)
  if [ "$provider" = file ]; then
    bench_keyring "$dir/keyring.json"
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
  bench_populate "http://127.0.0.1:$port" "$dir" 1
  IFS='|' read -r r a b <<<"$(bench_wrk 4 "$secs" "http://127.0.0.1:$port" "$dir/reveal.lua")"
  echo "| one replica, $provider key provider | reveal (2 fields), 4 connections | $r | $a | $b |"
  kill "$current"; wait "$current" 2>/dev/null || true
done
