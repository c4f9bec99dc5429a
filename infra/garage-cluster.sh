# Sourced by `infra/garage.sh --nodes 3` (after it found or installed the binary: $garage_bin,
# and its constants: BUCKET, KEY_*, REGION, say, die, ACTION, ACTION_NODE). Three storage nodes on
# loopback (0-2), replication factor 3, one zone each, and a gateway node (3: no storage, the S3
# endpoint harim talks to, as Garage recommends one per application host), so any one storage
# node can stop without the endpoint going with it. Idempotent like the single-node form.

root=${HARIM_GARAGE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/harim}/garage3
mkdir -p "$root"
chmod 700 "$root"
node_dir() { echo "$root/node$1"; }
s3_port() { echo $((3920 + $1)); }
rpc_port() { echo $((3930 + $1)); }
admin_port() { echo $((3940 + $1)); }
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
shared_secret() { # name bytes: one value for the whole cluster, kept in its root
  local file=$root/$1
  if [ ! -s "$file" ]; then
    (umask 077 && random_hex "$2" >"$file.tmp" && mv "$file.tmp" "$file")
  fi
  cat "$file"
}
rpc_secret=$(shared_secret rpc_secret 32)
admin_token=$(shared_secret admin_token 32)
port_open() { timeout 2 bash -c ": </dev/tcp/127.0.0.1/$1" 2>/dev/null; }
gn() { local n=$1; shift; "$garage_bin" -c "$(node_dir "$n")/garage.toml" "$@"; }

write_cfg() { # n
  local n=$1 d
  d=$(node_dir "$n")
  mkdir -p "$d/meta" "$d/data"
  local wanted
  wanted=$(cat <<CFG
# Written by infra/garage.sh --nodes 3: node $n of a loopback-only test cluster.
metadata_dir = "$d/meta"
data_dir = "$d/data"
db_engine = "sqlite"
replication_factor = 3
consistency_mode = "consistent"
rpc_bind_addr = "127.0.0.1:$(rpc_port "$n")"
rpc_public_addr = "127.0.0.1:$(rpc_port "$n")"
rpc_secret = "$rpc_secret"

[s3_api]
s3_region = "$REGION"
api_bind_addr = "127.0.0.1:$(s3_port "$n")"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$(admin_port "$n")"
admin_token = "$admin_token"
CFG
)
  if [ ! -f "$d/garage.toml" ] || [ "$(cat "$d/garage.toml")" != "$wanted" ]; then
    (umask 077 && printf '%s\n' "$wanted" >"$d/garage.toml.tmp" && mv "$d/garage.toml.tmp" "$d/garage.toml")
  fi
}

start_one() { # n
  local n=$1 d pid
  d=$(node_dir "$n")
  write_cfg "$n"
  if port_open "$(s3_port "$n")"; then return 0; fi
  say "starting garage node $n (log in $d/garage.log)"
  setsid nohup "$garage_bin" -c "$d/garage.toml" server >>"$d/garage.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$d/garage.pid"
  for _ in $(seq 1 60); do
    port_open "$(s3_port "$n")" && return 0
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$d/garage.log" >&2; die "garage node $n exited"; }
    sleep 0.5
  done
  die "garage node $n did not answer on 127.0.0.1:$(s3_port "$n")"
}

stop_one() { # n
  local d pid
  d=$(node_dir "$1")
  pid=$(cat "$d/garage.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
}

case "$ACTION" in
  stop) stop_one "$ACTION_NODE"; exit 0 ;;
  start) start_one "$ACTION_NODE"; exit 0 ;;
esac

for n in 0 1 2 3; do start_one "$n"; done
ids=()
for n in 0 1 2 3; do
  id=$(gn "$n" node id -q 2>/dev/null) || die "'garage node id' failed on node $n"
  ids+=("${id%%@*}")
done
for n in 1 2 3; do
  gn 0 node connect "${ids[$n]}@127.0.0.1:$(rpc_port "$n")" >/dev/null 2>&1 ||
    die "node 0 cannot connect to node $n"
done

layout=$(gn 0 layout show 2>&1) || die "'garage layout show' failed: $layout"
version=$(sed -n 's/.*[Cc]urrent cluster layout version: *\([0-9][0-9]*\).*/\1/p' <<<"$layout" | head -n 1)
[ -n "$version" ] || die "cannot read the layout version:"$'\n'"$layout"
current_roles=$(sed -n '/CURRENT CLUSTER LAYOUT/,/[Cc]urrent cluster layout version/p' <<<"$layout")
missing=0
for n in 0 1 2 3; do grep -q "^${ids[$n]:0:16}" <<<"$current_roles" || missing=1; done
if [ "$version" -eq 0 ] || [ "$missing" = 1 ]; then
  say "assigning the layout (three storage nodes, one zone each, replication factor 3; one gateway)"
  for n in 0 1 2; do gn 0 layout assign -z "z$n" -c 1G "${ids[$n]}" >&2; done
  gn 0 layout assign -z z0 -g "${ids[3]}" >&2
  gn 0 layout apply --version $((version + 1)) >&2
fi
# The layout reaches every node; wait until each one can serve (it answers `bucket list`).
for _ in $(seq 1 60); do
  ok=1
  for n in 0 1 2 3; do gn "$n" bucket list >/dev/null 2>&1 || ok=0; done
  [ "$ok" = 1 ] && break
  sleep 0.5
done

gn 0 bucket info "$BUCKET" >/dev/null 2>&1 || gn 0 bucket create "$BUCKET" >&2
gn 0 key info "$KEY_ID" >/dev/null 2>&1 || gn 0 key import --yes -n "$KEY_NAME" "$KEY_ID" "$KEY_SECRET" >&2
if ! gn 0 bucket info "$BUCKET" 2>/dev/null | grep -Eq "RWO +$KEY_ID"; then
  gn 0 bucket allow --read --write --owner "$BUCKET" --key "$KEY_NAME" >&2
fi

cat <<ENV
export HARIM_TEST_S3_URL=s3://$BUCKET
export AWS_ENDPOINT=http://127.0.0.1:$(s3_port 3)
export AWS_ACCESS_KEY_ID=$KEY_ID
export AWS_SECRET_ACCESS_KEY=$KEY_SECRET
export AWS_REGION=$REGION
export AWS_ALLOW_HTTP=true
export HARIM_GARAGE_NODES=3
ENV
