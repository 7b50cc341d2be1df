#!/usr/bin/env bash
# The Rust integration suite again, every server storing in PostgreSQL (the machine's own at
# 127.0.0.1:5432, or LEADWIRE_TEST_POSTGRES): each test gets a scratch database of its own.
# Tests that restart a server process keep theirs for the test's length; they, and whatever
# a killed earlier run left, are dropped before and after the run.
set -euo pipefail
cd "$(dirname "$0")/.."
server=${LEADWIRE_TEST_POSTGRES:-postgres://postgres:leadwire@127.0.0.1:5432/postgres}
drop_scratch() {
  command -v psql >/dev/null || return 0
  for db in $(psql "$server" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'leadwire\_test\_%'"); do
    psql "$server" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
  done
}
drop_scratch
trap drop_scratch EXIT
LEADWIRE_TEST_BACKEND=postgres cargo test --features ssr --test integration "$@"
