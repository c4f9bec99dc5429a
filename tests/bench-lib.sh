# Shared by tests/replicas-bench.sh and tests/ab-identity-put.sh (sourced, not run): a fresh
# database, a keyring file, 64 populated shops with wrk scripts, and one wrk measurement.

BENCH_J='content-type: application/json'

# bench_fresh_db ADMIN_URL NAME: drops and creates database NAME; prints its URL.
bench_fresh_db() {
  psql "$1" -qc "DROP DATABASE IF EXISTS $2 WITH (FORCE)" -c "CREATE DATABASE $2" >/dev/null 2>&1
  echo "${1%/*}/$2"
}

# bench_keyring PATH: a new file keyring with one random root key (mode 0600).
bench_keyring() {
  python3 -c 'import base64,json,os,sys; fd=os.open(sys.argv[1],os.O_WRONLY|os.O_CREAT|os.O_EXCL,0o600); os.write(fd,json.dumps({"format":1,"active":1,"keys":[{"version":1,"key":base64.b64encode(os.urandom(32)).decode(),"state":"active"}]}).encode())' "$1"
}

# bench_populate BASE DIR PUBLISH: signs up, makes 64 shops (bench-0..63) with an identity and,
# if PUBLISH is 1, privacy settings and a published policy; writes DIR/put.lua (PUT identity),
# DIR/reveal.lua (two fields) and DIR/page.lua (the public pages) for wrk.
bench_populate() {
  local base=$1 dir=$2 publish=$3 creds='{"email":"bench@example.ir","password":"correct horse battery staple"}'
  curl -fsS "$base/v1/accounts" -H "$BENCH_J" -d "$creds" >/dev/null
  local token
  token=$(curl -fsS "$base/v1/sessions" -H "$BENCH_J" -d "$creds" | sed -E 's/.*"token":"([^"]+)".*/\1/')
  local a="authorization: Bearer $token" shops=() id
  for i in $(seq 0 63); do
    id=$(curl -fsS "$base/v1/shops" -H "$a" -H "$BENCH_J" \
      -d "{\"name\":\"Bench $i\",\"slug\":\"bench-$i\",\"default_locale\":\"fa\"}" | sed -E 's/.*"id":"([^"]+)".*/\1/')
    curl -fsS -X PUT "$base/v1/shops/$id/identity" -H "$a" -H "$BENCH_J" -d @docs/examples/identity.json >/dev/null
    if [ "$publish" = 1 ]; then
      curl -fsS -X PUT "$base/v1/shops/$id/privacy-settings" -H "$a" -H "$BENCH_J" -d @docs/examples/privacy-settings.json >/dev/null
      curl -fsS -X POST "$base/v1/shops/$id/policies" -H "$a" >/dev/null
    fi
    shops+=("\"$id\"")
  done
  local list body
  list=$(IFS=,; echo "${shops[*]}")
  body=$(python3 -c 'import json; print(json.dumps(json.dumps(json.load(open("docs/examples/identity.json")))))')
  local headers="{[\"authorization\"] = \"Bearer $token\", [\"content-type\"] = \"application/json\"}"
  cat > "$dir/put.lua" <<LUA
local shops = {$list}
local i = 0
request = function()
  i = i + 1
  return wrk.format("PUT", "/v1/shops/" .. shops[(i % #shops) + 1] .. "/identity", $headers, $body)
end
LUA
  cat > "$dir/reveal.lua" <<LUA
local shops = {$list}
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/v1/shops/" .. shops[(i % #shops) + 1] .. "/identity/reveal", $headers,
    '{"fields":["national_id","iban"],"purpose":"payout"}')
end
LUA
  cat > "$dir/page.lua" <<LUA
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/shops/bench-" .. (i % 64) .. "/privacy")
end
LUA
}

# bench_wrk CONNECTIONS SECONDS URL [SCRIPT]: prints "req/s|p50|p99" (wrk -t2 --latency).
bench_wrk() {
  local out
  out=$(wrk -t2 -c"$1" -d"$2s" --latency ${4:+-s "$4"} "$3")
  if echo "$out" | grep -q "Non-2xx"; then
    echo "bench: non-2xx answers for $3: $(echo "$out" | grep Non-2xx)" >&2
  fi
  echo "$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')|$(echo "$out" | awk '$1=="50%" {print $2}')|$(echo "$out" | awk '$1=="99%" {print $2}')"
}
