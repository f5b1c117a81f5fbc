#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on a loopback port for the tests, and stops it on exit.
# Usage: source .ci/postgres.sh   (exports CANHGAC_TEST_DATABASE_URL)
# initdb refuses to run as root, so the cluster belongs to the `postgres` user.

pg_start_throwaway() {
  local port="${CANHGAC_PG_PORT:-55432}"
  local bindir
  bindir="$(pg_config --bindir)"
  if [ ! -x "$bindir/initdb" ]; then
    echo "postgres.sh: no initdb in $bindir (install the postgresql package)" >&2
    return 1
  fi
  PG_TMP="$(mktemp -d /tmp/canhgac-pg.XXXXXX)"
  chown postgres "$PG_TMP"
  local as_postgres=(su postgres -s /bin/sh -c)
  if [ "$(id -un)" = postgres ]; then as_postgres=(sh -c); fi
  "${as_postgres[@]}" "'$bindir/initdb' -D '$PG_TMP/data' -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 >'$PG_TMP/initdb.log' 2>&1" \
    || { cat "$PG_TMP/initdb.log" >&2; return 1; }
  "${as_postgres[@]}" "'$bindir/pg_ctl' -D '$PG_TMP/data' -w -t 60 -l '$PG_TMP/server.log' \
      -o \"-p $port -k '$PG_TMP' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start >/dev/null" \
    || { cat "$PG_TMP/server.log" >&2; return 1; }
  export CANHGAC_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  PG_BINDIR="$bindir"
  echo "postgres.sh: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $PG_TMP)"
}

pg_stop_throwaway() {
  [ -n "${PG_TMP:-}" ] || return 0
  su postgres -s /bin/sh -c "'$PG_BINDIR/pg_ctl' -D '$PG_TMP/data' -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$PG_TMP"
}
