#!/usr/bin/env bash
# Three `harim serve` replicas on one PostgreSQL database and one object store, behind HAProxy
# (Debian's `haproxy`, installed once if missing). Runs in the foreground until it gets SIGTERM
# or SIGINT, then stops everything it started. Prints, for scripts and tests:
#
#   replica <n> pid <pid> url http://127.0.0.1:<port>
#   ready http://127.0.0.1:<lb port>
#
# Needs: HARIM_BIN (default target/debug/harim), HARIM_DATABASE_URL (a PostgreSQL database this
# run may migrate and use), optionally HARIM_OBJECT_STORE_URL (default: a shared local directory;
# with s3://, the AWS_* variables of infra/garage.sh), HARIM_REPLICAS (default 3) and
# HARIM_REPLICA_DIR (a directory for the shared keyring, logs and config; default a new one).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "infra/replicas.sh: $*" >&2; }

bin=${HARIM_BIN:-$PWD/target/debug/harim}
[ -x "$bin" ] || { say "$bin is not built"; exit 1; }
: "${HARIM_DATABASE_URL:?set HARIM_DATABASE_URL to a PostgreSQL database}"
n=${HARIM_REPLICAS:-3}
dir=${HARIM_REPLICA_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/harim-replicas.XXXXXX")}
mkdir -p "$dir"

if ! command -v haproxy >/dev/null 2>&1; then
  say "installing haproxy (Debian) once"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q haproxy >&2 \
    || { $sudo apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q haproxy >&2; }
fi

# One keyring file all replicas share (a rotation by one is re-read by the others).
keyring=$dir/keyring.json
if [ ! -e "$keyring" ]; then
  python3 - "$keyring" <<'PY'
import base64, json, os, sys
path = sys.argv[1]
doc = {"format": 1, "active": 1,
       "keys": [{"version": 1, "key": base64.b64encode(os.urandom(32)).decode(), "state": "active"}]}
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump(doc, f)
PY
fi
objects=${HARIM_OBJECT_STORE_URL:-file://$dir/objects}
mkdir -p "$dir/objects"

export HARIM_DATABASE_URL HARIM_KEYRING=$keyring HARIM_OBJECT_STORE_URL=$objects
export HARIM_TRUSTED_PROXIES='["127.0.0.1"]' RUST_LOG=${RUST_LOG:-warn}
"$bin" migrate >&2

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' TERM INT

servers=""
for i in $(seq 1 "$n"); do
  port=$(free_port)
  mkdir -p "$dir/r$i"
  HARIM_DATA_DIR=$dir/r$i "$bin" serve --listen "127.0.0.1:$port" >"$dir/r$i/out" 2>"$dir/r$i/err" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 200); do grep -q "listening" "$dir/r$i/out" 2>/dev/null && break; sleep 0.05; done
  grep -q "listening" "$dir/r$i/out" || { say "replica $i did not start"; cat "$dir/r$i/err" >&2; exit 1; }
  echo "replica $i pid $pid url http://127.0.0.1:$port"
  servers+="  server r$i 127.0.0.1:$port check inter 500ms fall 1 rise 1"$'\n'
done

lb=$(free_port)
cat > "$dir/haproxy.cfg" <<CFG
global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  option forwardfor
frontend harim
  bind 127.0.0.1:$lb
  default_backend replicas
backend replicas
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
$servers
CFG
haproxy -f "$dir/haproxy.cfg" -db >"$dir/haproxy.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$lb/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "ready http://127.0.0.1:$lb"
wait
