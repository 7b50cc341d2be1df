#!/usr/bin/env bash
# Two instances of the release server on one fresh PostgreSQL database (the machine's, or
# LEADWIRE_TEST_POSTGRES), for tests/two_instances.spec.ts: A on E2E_PORT_A, B on E2E_PORT_B,
# and nginx in front of both on E2E_PORT_PROXY with the README's configuration
# (nginx-two-instances.conf). Playwright waits for the proxy; B starts once A has migrated the
# database, nginx once B answers.
set -euo pipefail
server=${LEADWIRE_TEST_POSTGRES:-postgres://postgres:leadwire@127.0.0.1:5432/postgres}
db=leadwire_e2e_two
PGOPTIONS='--client-min-messages=warning' psql "$server" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
export LEADWIRE_DATABASE_URL="${server%/*}/$db"
export LEADWIRE_SECRET_KEY=$(printf '5e%.0s' $(seq 32))
# As the README asks of instances behind a proxy: the public address is the proxy's, and the
# proxy's X-Forwarded-For names the client.
export LEADWIRE_PUBLIC_URL="http://127.0.0.1:$E2E_PORT_PROXY"
export LEADWIRE_TRUSTED_PROXIES=127.0.0.1
export LEADWIRE_METRICS_TOKEN=two-instances-metrics
trap 'kill 0' EXIT
LEPTOS_SITE_ADDR="127.0.0.1:$E2E_PORT_A" ./target/release/leadwire &
# A listens once its store is open and migrated.
for _ in $(seq 1 300); do
  (echo >"/dev/tcp/127.0.0.1/$E2E_PORT_A") 2>/dev/null && break
  sleep 0.1
done
LEPTOS_SITE_ADDR="127.0.0.1:$E2E_PORT_B" ./target/release/leadwire &
for _ in $(seq 1 300); do
  (echo >"/dev/tcp/127.0.0.1/$E2E_PORT_B") 2>/dev/null && break
  sleep 0.1
done
proxy=$(mktemp -d)
sed -e "s|@DIR@|$proxy|g" -e "s|@A@|$E2E_PORT_A|g" -e "s|@B@|$E2E_PORT_B|g" \
  -e "s|@PROXY@|$E2E_PORT_PROXY|g" end2end/nginx-two-instances.conf >"$proxy/nginx.conf"
"$(command -v nginx || echo /usr/sbin/nginx)" -p "$proxy" -c "$proxy/nginx.conf" -g 'daemon off;' &
wait
