#!/usr/bin/env bash
# A/B of `PUT /v1/shops/{id}/identity` between two harim binaries in one run, on PostgreSQL:
# each binary serves a fresh database with 64 shops; wrk runs 32 connections (throughput) and 4
# (latency), 10 s each, alternating A, B, A, B so drift shows. Prints a Markdown table.
#
#   A=/tmp/harim-before B=/tmp/target-bench/release/harim tests/ab-identity-put.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/bench-lib.sh
: "${A:?path of binary A}" "${B:?path of binary B}"
admin_url=${HARIM_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
secs=${BENCH_SECS:-10}
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

run() {
  local label=$1 bin=$2 round=$3
  local db=harim_ab_${label,,}_$round dir=$work/$label$round
  mkdir -p "$dir/objects"
  bench_keyring "$dir/keyring.json"
  export HARIM_DATABASE_URL HARIM_KEYRING=$dir/keyring.json HARIM_OBJECT_STORE_URL=file://$dir/objects HARIM_DATA_DIR=$dir RUST_LOG=warn
  HARIM_DATABASE_URL=$(bench_fresh_db "$admin_url" "$db")
  "$bin" migrate >/dev/null
  "$bin" serve --listen 127.0.0.1:0 > "$dir/out" 2>"$dir/err" &
  pid=$!
  for _ in $(seq 1 100); do grep -q listening "$dir/out" 2>/dev/null && break; sleep 0.1; done
  local base
  base=$(sed -n 's/^harim listening on //p' "$dir/out")
  bench_populate "$base" "$dir" 0
  local r32 p50_32 p99_32 r4 p50_4 p99_4
  IFS='|' read -r r32 p50_32 p99_32 <<<"$(bench_wrk 32 "$secs" "$base" "$dir/put.lua")"
  IFS='|' read -r r4 p50_4 p99_4 <<<"$(bench_wrk 4 "$secs" "$base" "$dir/put.lua")"
  echo "| $label (round $round) | $r32 | $p99_32 | $r4 | $p50_4 | $p99_4 |"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null
}

echo "| binary | req/s at 32 | p99 at 32 | req/s at 4 | p50 at 4 | p99 at 4 |"
echo "|---|---|---|---|---|---|"
for round in 1 2; do
  run A "$A" "$round"
  run B "$B" "$round"
done
