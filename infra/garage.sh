#!/usr/bin/env bash
# Makes sure a single-node Garage (S3-compatible object store) answers on 127.0.0.1:3900 with a
# bucket `harim-test` and a fixed test key that can read and write it. Installs Garage once
# (`cargo install`, about 16 minutes on 2 cores) if it is missing, starts the server in the
# background if nothing answers, and brings the cluster up idempotently: running this again while
# the server is up changes nothing. Prints `export NAME=value` lines for `eval "$(infra/garage.sh)"`
# (the variables object_store's AmazonS3Builder::from_env reads, plus HARIM_TEST_S3_URL).
#
# `infra/garage.sh --nodes 3` starts instead a cluster of three storage nodes (replication factor
# 3, one zone each) and a gateway node (state in .../harim/garage3/nodeN, S3 on 127.0.0.1:3920-3923,
# RPC 3930-3933, admin 3940-3943), same bucket and key, and prints the same exports pointing at
# the gateway's S3 API (3923). `infra/garage.sh --nodes 3 --stop N` / `--start N` stop and
# restart node N (the benchmark stops a storage node mid-run: with three copies and quorum 2, no
# upload is lost and no read fails).
#
# Loopback-only test infrastructure: the credentials below are fixed and public on purpose.
# Garage is AGPL; it is only ever run as a separate process, never linked into harim.
set -euo pipefail

NODES=1
ACTION=""
ACTION_NODE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) NODES=${2:?--nodes N}; shift 2 ;;
    --stop | --start) ACTION=${1#--}; ACTION_NODE=${2:?$1 N}; shift 2 ;;
    *) echo "infra/garage.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$NODES" in 1 | 3) ;; *) echo "infra/garage.sh: --nodes is 1 or 3" >&2; exit 2 ;; esac

GARAGE_VERSION=2.5.0
BUCKET=harim-test
KEY_NAME=harim-test
# Fixed test credentials: "GK" + 24 hex ("harim-test-k"), 64 hex secret.
KEY_ID=GK686172696d2d746573742d6b
KEY_SECRET=6861726d2d746573742d7365637265742d6e6f742d666f722d70726f64756374
S3_PORT=3900
RPC_PORT=3901
ADMIN_PORT=3903
REGION=garage

dir=${HARIM_GARAGE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/harim/garage}
cfg=$dir/garage.toml
log=$dir/garage.log

say() { echo "infra/garage.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# --- 1. the binary -------------------------------------------------------------------------------
export PATH="$PATH:$HOME/.cargo/bin"
answers() { "$1" --version >/dev/null 2>&1; }
garage_bin=""
for candidate in "$(command -v garage 2>/dev/null || true)" "$HOME/.cargo/bin/garage"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && answers "$candidate"; then
    garage_bin=$candidate
    break
  fi
done
if [ -z "$garage_bin" ]; then
  command -v cargo >/dev/null 2>&1 || die "garage is not installed and cargo is not on PATH"
  say "installing garage $GARAGE_VERSION once, about 16 minutes on 2 cores (cargo install garage)"
  cargo install garage --locked --version "$GARAGE_VERSION" >&2 ||
    die "cargo install garage --locked --version $GARAGE_VERSION failed"
  garage_bin=$HOME/.cargo/bin/garage
  answers "$garage_bin" || die "$garage_bin --version does not answer after the install"
fi
garage() { "$garage_bin" -c "$cfg" "$@"; }

if [ "$NODES" = 3 ]; then
  # shellcheck source=infra/garage-cluster.sh
  . "$(dirname "$0")/garage-cluster.sh"
  exit 0
fi

# --- 2. state dir and config ---------------------------------------------------------------------
mkdir -p "$dir/meta" "$dir/data"
chmod 700 "$dir"
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
secret_file() { # name bytes: a random hex value generated once and kept in the state dir
  local file=$dir/$1
  if [ ! -s "$file" ]; then
    (umask 077 && random_hex "$2" >"$file.tmp" && mv "$file.tmp" "$file")
  fi
  cat "$file"
}
rpc_secret=$(secret_file rpc_secret 32)
admin_token=$(secret_file admin_token 32)

wanted_cfg=$(cat <<EOF
# Written by infra/garage.sh: a loopback-only single-node Garage for harim's tests.
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$RPC_PORT"
rpc_public_addr = "127.0.0.1:$RPC_PORT"
rpc_secret = "$rpc_secret"

[s3_api]
s3_region = "$REGION"
api_bind_addr = "127.0.0.1:$S3_PORT"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$ADMIN_PORT"
admin_token = "$admin_token"
EOF
)
if [ ! -f "$cfg" ] || [ "$(cat "$cfg")" != "$wanted_cfg" ]; then
  (umask 077 && printf '%s\n' "$wanted_cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg")
fi

# --- 3. the server -------------------------------------------------------------------------------
port_open() { timeout 2 bash -c ": </dev/tcp/127.0.0.1/$1" 2>/dev/null; }
cluster_up() { timeout 10 "$garage_bin" -c "$cfg" status >/dev/null 2>&1; }
log_tail() { [ -f "$log" ] && tail -n 30 "$log" | sed 's/^/  | /' >&2 || true; }

if ! port_open "$S3_PORT"; then
  say "starting garage server (state in $dir, log in $log)"
  # setsid + nohup + all fds redirected: the server outlives this script and does not hold the
  # stdout of a `$(infra/garage.sh)` command substitution open.
  setsid nohup "$garage_bin" -c "$cfg" server >>"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$dir/garage.pid"
  for _ in $(seq 1 60); do
    if port_open "$S3_PORT" && cluster_up; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      say "garage server exited during start-up; last lines of $log:"
      log_tail
      exit 1
    fi
    sleep 0.5
  done
fi
if ! port_open "$S3_PORT"; then
  say "garage did not answer on 127.0.0.1:$S3_PORT within 30 s; last lines of $log:"
  log_tail
  exit 1
fi
if ! cluster_up; then
  say "something answers on 127.0.0.1:$S3_PORT but 'garage -c $cfg status' fails: another program,"
  say "or a Garage started from another state dir, holds the ports. Last lines of $log:"
  log_tail
  exit 1
fi

# --- 4. single-node layout, bucket, key ----------------------------------------------------------
node_id=$(garage node id -q 2>/dev/null) || die "'garage node id' failed"
node_id=${node_id%%@*}
[ -n "$node_id" ] || die "'garage node id' printed no id"

layout=$(garage layout show 2>&1) || die "'garage layout show' failed: $layout"
version=$(sed -n 's/.*[Cc]urrent cluster layout version: *\([0-9][0-9]*\).*/\1/p' <<<"$layout" | head -n 1)
[ -n "$version" ] || die "cannot read the layout version from 'garage layout show':"$'\n'"$layout"
# Roles in the applied layout (the section before the version line; staged changes come after it).
current_roles=$(sed -n '/CURRENT CLUSTER LAYOUT/,/[Cc]urrent cluster layout version/p' <<<"$layout")
if [ "$version" -eq 0 ] || ! grep -q "^${node_id:0:16}" <<<"$current_roles"; then
  say "assigning the single-node layout"
  garage layout assign -z dc1 -c 1G "$node_id" >&2
  garage layout apply --version $((version + 1)) >&2
fi

if ! garage bucket info "$BUCKET" >/dev/null 2>&1; then
  say "creating bucket $BUCKET"
  garage bucket create "$BUCKET" >&2
fi

if ! garage key info "$KEY_ID" >/dev/null 2>&1; then
  say "importing the test key $KEY_NAME ($KEY_ID)"
  garage key import --yes -n "$KEY_NAME" "$KEY_ID" "$KEY_SECRET" >&2
fi

if ! garage bucket info "$BUCKET" 2>/dev/null | grep -Eq "RWO +$KEY_ID"; then
  say "allowing $KEY_NAME to read, write and own $BUCKET"
  garage bucket allow --read --write --owner "$BUCKET" --key "$KEY_NAME" >&2
fi

# --- 5. the environment the tests read -----------------------------------------------------------
cat <<EOF
export HARIM_TEST_S3_URL=s3://$BUCKET
export AWS_ENDPOINT=http://127.0.0.1:$S3_PORT
export AWS_ACCESS_KEY_ID=$KEY_ID
export AWS_SECRET_ACCESS_KEY=$KEY_SECRET
export AWS_REGION=$REGION
export AWS_ALLOW_HTTP=true
EOF
