#!/usr/bin/env bash
# PostgreSQL + PostGIS for the PostGIS store tests and bench/suspects.py, on loopback only.
#
#   source scripts/postgres.sh     # exports SEAWARDEN_TEST_PG_DSN (left unset, with the reason printed, on failure)
#   bash scripts/postgres.sh       # same, and prints the DSN
#
# Installs Debian's postgresql-15 + postgresql-15-postgis-3 when missing, then runs a dedicated cluster (its own
# data directory and port, owned by the postgres user when we are root) so that nothing depends on what the Debian
# 15/main cluster or a previous session left behind: a cluster that is already running in that directory is
# re-checked (role, database, postgis), never trusted. Safe under a `set -euo pipefail` caller: every step runs in
# a subshell with errexit off, and only a working DSN is exported. Seconds when already installed and running.
#
# Settings (all optional): SEAWARDEN_PG_DIR (default /tmp/seawarden-pg), SEAWARDEN_PG_PORT (default 54329).

_seawarden_pg_dsn() (
    set +e +u +o pipefail
    local dir="${SEAWARDEN_PG_DIR:-/tmp/seawarden-pg}" port="${SEAWARDEN_PG_PORT:-54329}"
    local role=seawarden password=seawarden db=seawarden_test
    local say="scripts/postgres.sh:"
    local as=() owner
    owner="$(id -un)"
    if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); owner=postgres; fi

    _bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
    _has_postgis() { ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; }
    if [ -z "$(_bin_dir)" ] || ! _has_postgis; then
        if [ "$(id -u)" != 0 ]; then echo "$say PostgreSQL/PostGIS missing and not root: cannot apt-get install" >&2; return 1; fi
        echo "$say installing postgresql-15 postgresql-15-postgis-3 from Debian packages" >&2
        export DEBIAN_FRONTEND=noninteractive
        if ! apt-get install -y -qq postgresql-15 postgresql-15-postgis-3 >/tmp/seawarden-pg-apt.log 2>&1; then
            apt-get update -qq >>/tmp/seawarden-pg-apt.log 2>&1
            apt-get install -y -qq postgresql-15 postgresql-15-postgis-3 >>/tmp/seawarden-pg-apt.log 2>&1 \
                || { echo "$say apt-get install failed (see /tmp/seawarden-pg-apt.log)" >&2; return 1; }
        fi
    fi
    local bin
    bin="$(_bin_dir)"
    [ -x "$bin/postgres" ] || { echo "$say no PostgreSQL server binaries under /usr/lib/postgresql" >&2; return 1; }
    _has_postgis || { echo "$say the postgis extension is not installed" >&2; return 1; }

    mkdir -p "$dir" && chown "$owner" "$dir" && chmod 700 "$dir" || { echo "$say cannot create $dir" >&2; return 1; }
    local data="$dir/data"
    if [ ! -s "$data/PG_VERSION" ] || [ "$(cat "$data/PG_VERSION")" != "$(basename "$(dirname "$bin")")" ]; then
        rm -rf "$data"
        "${as[@]}" "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 \
            --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { echo "$say initdb failed (see $dir/initdb.log)" >&2; return 1; }
    fi
    local psql=("${as[@]}" "$bin/psql" -h "$dir" -p "$port" -U postgres -X -q -v ON_ERROR_STOP=1)
    if ! "${as[@]}" "$bin/pg_isready" -q -h "$dir" -p "$port"; then
        "${as[@]}" "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start \
            -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            >/dev/null 2>&1 || { echo "$say server did not start (see $dir/server.log)" >&2; tail -n 5 "$dir/server.log" >&2; return 1; }
    fi
    "${psql[@]}" -d postgres >/dev/null <<SQL || { echo "$say could not create role $role" >&2; return 1; }
SELECT 'CREATE ROLE $role LOGIN CREATEDB' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role')\gexec
ALTER ROLE $role LOGIN CREATEDB PASSWORD '$password';
SELECT 'CREATE DATABASE $db OWNER $role' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db')\gexec
SQL
    "${psql[@]}" -d "$db" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null \
        || { echo "$say CREATE EXTENSION postgis failed" >&2; return 1; }
    local dsn="postgresql://$role:$password@127.0.0.1:$port/$db"
    PGPASSWORD="$password" "$bin/psql" "$dsn" -X -tAq -c "SELECT postgis_lib_version()" >/dev/null \
        || { echo "$say cannot connect as $role over 127.0.0.1:$port" >&2; return 1; }
    echo "$dsn"
)

if _seawarden_pg_out="$(_seawarden_pg_dsn)" && [ -n "$_seawarden_pg_out" ]; then
    export SEAWARDEN_TEST_PG_DSN="$_seawarden_pg_out"
    echo "scripts/postgres.sh: PostgreSQL + PostGIS ready, SEAWARDEN_TEST_PG_DSN=$SEAWARDEN_TEST_PG_DSN" >&2
else
    unset SEAWARDEN_TEST_PG_DSN
    echo "scripts/postgres.sh: SEAWARDEN_TEST_PG_DSN left unset; the PostGIS tests will skip" >&2
fi
unset _seawarden_pg_out
unset -f _seawarden_pg_dsn
# Run directly (not sourced): print the DSN for the caller.
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ -n "${SEAWARDEN_TEST_PG_DSN:-}" ]; then echo "$SEAWARDEN_TEST_PG_DSN"; fi
true
