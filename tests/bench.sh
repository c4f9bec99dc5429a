#!/usr/bin/env bash
# The benchmark command (docs/benchmarks.md): builds harim, kycbench and bench in release, then
# runs every scenario with its same-run baseline and rewrites the generated tables of
# docs/benchmarks.md.
#
#   tests/bench.sh                 # every scenario (about 15 minutes on 2 cores)
#   tests/bench.sh request-path    # one scenario (request-path pool pages logins uploads rotation growth hsm customers consent events citus)
#   tests/bench.sh --smoke         # seconds, debug build, writes nothing: CI runs this
#
# PostgreSQL: $HARIM_TEST_DATABASE_URL (an admin URL; scratch databases are made and dropped),
# default postgres://postgres@127.0.0.1:5432/postgres. Uploads need `eval "$(infra/garage.sh)"`.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release
for a in "$@"; do [ "$a" = --smoke ] && profile=debug; done
if [ "$profile" = release ]; then
  cargo build --release -p harim -p harim-e2e --bin harim --bin kycbench --bin bench
else
  cargo build -p harim -p harim-e2e --bin harim --bin kycbench --bin bench
fi
exec "${CARGO_TARGET_DIR:-target}/$profile/bench" "$@"
