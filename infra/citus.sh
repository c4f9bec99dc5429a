#!/usr/bin/env bash
# A Citus cluster on loopback for harim's distributed tests and benchmarks: one coordinator and
# two workers, each its own Debian PostgreSQL cluster on ports of its own (so the server on 5432
# is never touched), `shared_preload_libraries = citus`, trust auth on 127.0.0.1 only.
#
#   infra/citus.sh [DBNAME]   makes sure the cluster runs and DBNAME (default `harim`) exists on
#                             every node with the extension, nodes added; prints its URL last.
#   infra/citus.sh --spare    also starts a third worker that is NOT added (the resharding run
#                             adds it and rebalances); prints its port last.
#   infra/citus.sh --drop DBNAME   drops DBNAME on every node (a test's fresh database).
#
# Citus itself: used if PostgreSQL already has it; otherwise built once from the source tarball in
# ../shared/vendor/citus/ (or $CITUS_SOURCE) with the compatibility patch beside it, against
# Debian's postgresql-server-dev-15 (about 3 minutes on 2 cores). Citus is AGPL: a separate server
# extension, reached over the PostgreSQL protocol, never linked into harim or copied here.
set -euo pipefail
self=$(realpath "$0")
cd "$(dirname "$self")/.."

PG=15
# Below Linux's ephemeral range (32768-60999): a port in it can be taken by any outgoing
# connection on this machine (Garage's nodes dialling each other took 55442 once).
BASE=${HARIM_CITUS_PORT:-15440}
NODES=(harim-citus0 harim-citus1 harim-citus2)
SPARE=harim-citus3
CITUS_VERSION=13.2.2
vendor=$(realpath -m "${CITUS_SOURCE:-../shared/vendor/citus/citus-$CITUS_VERSION.tar.gz}")
patch_file=$(dirname "$vendor")/pg15-have-createdb-privilege.patch

say() { echo "infra/citus.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# One at a time: tests ask for databases in parallel, and two `CREATE EXTENSION citus` or
# `citus_add_node` at once on the same nodes fail ("tuple concurrently updated"). The script runs
# again under flock(1), which holds the lock itself (-o: the script and the servers it starts do
# not inherit it, or a node's postmaster would hold it for as long as it runs).
if [ "${HARIM_CITUS_LOCKED:-}" != 1 ]; then
  exec env HARIM_CITUS_LOCKED=1 flock -o "${TMPDIR:-/tmp}/harim-citus.lock" "$self" "$@"
fi
port_of() { echo $((BASE + ${1#harim-citus})); }
q() { psql -X -q -h 127.0.0.1 -p "$1" -U postgres -d "$2" -v ON_ERROR_STOP=1 -Atc "$3"; }

# --- 1. the extension ----------------------------------------------------------------------------
libdir=/usr/lib/postgresql/$PG/lib
if [ ! -f "$libdir/citus.so" ]; then
  [ -f "$vendor" ] || die "Citus is not installed and $vendor is missing (set CITUS_SOURCE)"
  say "building Citus $CITUS_VERSION from $vendor once (about 3 minutes on 2 cores)"
  export DEBIAN_FRONTEND=noninteractive
  if ! dpkg -s postgresql-server-dev-$PG libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev \
    libselinux1-dev libxslt1-dev libpam0g-dev >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql-server-dev-$PG libcurl4-openssl-dev \
      liblz4-dev libzstd-dev libkrb5-dev libselinux1-dev libxslt1-dev libpam0g-dev make gcc >/dev/null
  fi
  build=$(mktemp -d)
  trap 'rm -rf "$build"' EXIT
  tar xzf "$vendor" -C "$build"
  (
    cd "$build/citus-$CITUS_VERSION"
    if [ -f "$patch_file" ]; then patch -s -p1 <"$patch_file"; fi
    PG_CONFIG=/usr/lib/postgresql/$PG/bin/pg_config ./configure -q >/dev/null
    make -s -j"$(nproc)" >/dev/null
    make -s install >/dev/null
  ) >&2 || die "building Citus failed"
  [ -f "$libdir/citus.so" ] || die "the build finished but $libdir/citus.so is missing"
fi

# --- 2. the nodes --------------------------------------------------------------------------------
start_node() { # name
  local name=$1 port conf
  port=$(port_of "$name")
  conf=/etc/postgresql/$PG/$name
  # A node left by an earlier version of this script on another port: test data, made again.
  if [ -d "$conf" ] && ! grep -Eq "^port = $port\b" "$conf/postgresql.conf"; then
    say "dropping cluster $name (not on port $port)"
    pg_dropcluster --stop $PG "$name"
  fi
  if [ ! -d "$conf" ]; then
    say "creating cluster $name on port $port"
    pg_createcluster -q $PG "$name" -p "$port" >/dev/null
    cat >>"$conf/postgresql.conf" <<EOF
# harim-citus: written by infra/citus.sh (a loopback test node, never a production setting)
listen_addresses = '127.0.0.1'
shared_preload_libraries = 'citus'
# Shard moves copy with logical replication, so writes go on while a shard moves.
wal_level = logical
max_connections = 300
EOF
    sed -i '1i # harim-citus\nhost all all 127.0.0.1/32 trust\nlocal all all trust' "$conf/pg_hba.conf"
  fi
  if ! pg_isready -q -h 127.0.0.1 -p "$port"; then
    pg_ctlcluster --skip-systemctl-redirect $PG "$name" start ||
      die "cannot start $name; see /var/log/postgresql/postgresql-$PG-$name.log"
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 0.5; done
  fi
  pg_isready -q -h 127.0.0.1 -p "$port" || die "$name does not answer on 127.0.0.1:$port"
}

ensure_db() { # port db
  local port=$1 db=$2
  if [ "$(q "$port" postgres "SELECT count(*) FROM pg_database WHERE datname = '$db'")" = 0 ]; then
    q "$port" postgres "CREATE DATABASE \"$db\""
  fi
  q "$port" "$db" "CREATE EXTENSION IF NOT EXISTS citus"
}

coordinator=$(port_of "${NODES[0]}")
case "${1:-}" in
  --drop)
    db=${2:?usage: infra/citus.sh --drop DBNAME}
    for n in "${NODES[@]}" "$SPARE"; do
      p=$(port_of "$n")
      pg_isready -q -h 127.0.0.1 -p "$p" && q "$p" postgres "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
    done
    exit 0
    ;;
  --spare)
    start_node "$SPARE"
    port_of "$SPARE"
    exit 0
    ;;
esac

db=${1:-harim}
[[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || die "database names here are [a-z_][a-z0-9_]*: $db"
for n in "${NODES[@]}"; do start_node "$n"; done
for n in "${NODES[@]}"; do ensure_db "$(port_of "$n")" "$db"; done
# Citus keeps its node list per database: add the workers to this one if they are missing.
q "$coordinator" "$db" "SELECT citus_set_coordinator_host('127.0.0.1', $coordinator)" >/dev/null
for n in "${NODES[@]:1}"; do
  p=$(port_of "$n")
  if [ "$(q "$coordinator" "$db" "SELECT count(*) FROM pg_dist_node WHERE nodeport = $p")" = 0 ]; then
    q "$coordinator" "$db" "SELECT citus_add_node('127.0.0.1', $p)" >/dev/null
  fi
done
echo "postgres://postgres@127.0.0.1:$coordinator/$db"
