#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 with trust auth for user `postgres`.
# Uses the running one if there is one; otherwise starts the installed cluster; otherwise installs
# Debian's package and starts it. Prints the URL tests should use.
set -euo pipefail

ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
can_login() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; }

if ! command -v pg_isready >/dev/null 2>&1 || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  if ! ready; then
    echo "infra/postgres.sh: installing PostgreSQL from Debian packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql postgresql-client >/dev/null
  fi
fi

if ! ready; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  conf=/etc/postgresql/$version/main
  # Loopback only, trust auth: a throwaway test server, never a production setting.
  if ! grep -q "harim-ci" "$conf/pg_hba.conf" 2>/dev/null; then
    sed -i '1i # harim-ci\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$conf/pg_hba.conf"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi

ready || { echo "infra/postgres.sh: PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
can_login || { echo "infra/postgres.sh: cannot log in as postgres on 127.0.0.1 (trust auth expected)" >&2; exit 1; }
echo "postgres://postgres@127.0.0.1:5432/postgres"
