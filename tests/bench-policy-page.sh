#!/usr/bin/env bash
# Benchmark: /healthz vs the public policy page in one load run (see docs/benchmarks.md).
set -euo pipefail
BIN=${1:-target/release}
DATA=$(mktemp -d /tmp/harim-bench.XXXXXX)
PORT=18080
BASE=http://127.0.0.1:$PORT
"$BIN/harim" serve --listen 127.0.0.1:$PORT --data-dir "$DATA" > "$DATA/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf $BASE/healthz >/dev/null && break; sleep 0.2; done
curl -sf -X POST $BASE/v1/accounts -H 'content-type: application/json' \
  -d '{"email":"bench@example.com","password":"correct horse battery staple"}' >/dev/null
TOKEN=$(curl -sf -X POST $BASE/v1/sessions -H 'content-type: application/json' \
  -d '{"email":"bench@example.com","password":"correct horse battery staple"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["token"])')
SHOP=$(curl -sf -X POST $BASE/v1/shops -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"name":"گل سرخ","slug":"golsorkh","default_locale":"fa"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["id"])')
# The platform defaults, completed the way an owner would: contact, controller, the SMS
# processor, and all four languages (Persian default).
curl -sf $BASE/v1/shops/$SHOP/privacy-settings -H "authorization: Bearer $TOKEN" | python3 -c '
import sys, json
s = json.load(sys.stdin)
s["contact"] = {"email": "info@golsorkh.example", "phone": "+98 21 8888 1234", "address": None}
s["controller"]["legal_name"] = "Maryam Ahmadi"
s["processors"] = [{"role": "sms", "name": "Kavenegar", "country": "IR"}]
fa = s["locales"][0]
s["locales"] = [fa] + [{"locale": "en", "calendar": "gregorian", "digits": "latin"},
                      {"locale": "ar", "calendar": "gregorian", "digits": "arab"},
                      {"locale": "sq", "calendar": "gregorian", "digits": "latin"}]
json.dump(s, sys.stdout)' > "$DATA/settings.json"
curl -sf -X PUT $BASE/v1/shops/$SHOP/privacy-settings -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  --data-binary @"$DATA/settings.json" >/dev/null
curl -sf -X POST $BASE/v1/shops/$SHOP/policies -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{}' \
  | python3 -c 'import sys,json;d=json.load(sys.stdin);print("published version",d["version"],d["hash"][:16])'
curl -s -o /dev/null -w 'page: %{http_code} %{size_download} bytes %{content_type}\n' $BASE/shops/golsorkh/privacy
"$BIN/loadgen" --base $BASE -c ${CONNS:-32} -d ${SECS:-10} --warmup 2 ${PATHS:-/healthz /shops/golsorkh/privacy}
