#!/usr/bin/env bash
# Builds the release server, starts it on a fresh database, and runs the benchmark program
# against it. Prints the figures the README quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 65536 2>/dev/null || true
port=${BENCH_PORT:-3300}
work=$(mktemp -d)
./scripts/build-release.sh
cargo build --release --features bench --bin leadwire-bench
# The pixel scenario measures recording every hit: lift the per-token and per-address limits.
LEADWIRE_WS_FRAMES_PER_SECOND=100000 LEADWIRE_TRACKING_HITS_PER_TOKEN_PER_MINUTE=1000000 LEADWIRE_TRACKING_HITS_PER_IP_PER_MINUTE=10000000 LEADWIRE_SIGNUPS_PER_IP_PER_HOUR=100000 \
LEPTOS_SITE_ADDR="127.0.0.1:$port" LEADWIRE_DATABASE_URL="sqlite://$work/bench.db" LEADWIRE_SEED_DEMO=false \
  RUST_LOG=leadwire=warn ./target/release/leadwire >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
url="http://127.0.0.1:$port"
# BENCH_SCENARIOS picks a subset, e.g. BENCH_SCENARIOS="receipt pixel" make bench.
for scenario in ${BENCH_SCENARIOS:-delivery throughput receipt webhook inbox pixel}; do
  case "$scenario" in
    delivery) ./target/release/leadwire-bench delivery --url "$url" --clients "${BENCH_CLIENTS:-1,1000}" --sends "${BENCH_SENDS:-200}" ;;
    throughput) ./target/release/leadwire-bench throughput --url "$url" --senders "${BENCH_SENDERS:-16}" --messages "${BENCH_MESSAGES:-4000}" ;;
    receipt) ./target/release/leadwire-bench receipt --url "$url" --samples "${BENCH_SAMPLES:-200}" ;;
    # Twilio's inbound webhook: signed posts, each stored before it is answered.
    webhook) ./target/release/leadwire-bench webhook --url "$url" --concurrency "${BENCH_SENDERS:-16}" --messages "${BENCH_MESSAGES:-4000}" ;;
    # Last: the recorder may still be writing the flood's hits when it ends.
    pixel) ./target/release/leadwire-bench pixel --url "$url" --connections "${BENCH_CONNECTIONS:-64}" --seconds "${BENCH_SECONDS:-10}" ;;
    # A second server on a generated workspace of 100,000 leads and 1,000,000 messages:
    # inbox renders, search, and the dashboard's KPI and chart queries.
    inbox)
      ./target/release/leadwire-bench seed --database "sqlite://$work/inbox.db" --leads "${BENCH_LEADS:-100000}" --messages "${BENCH_INBOX_MESSAGES:-1000000}"
      LEPTOS_SITE_ADDR="127.0.0.1:$((port + 1))" LEADWIRE_DATABASE_URL="sqlite://$work/inbox.db" LEADWIRE_SEED_DEMO=false \
        RUST_LOG=leadwire=warn ./target/release/leadwire >"$work/inbox-server.log" 2>&1 &
      inbox_server=$!
      for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$((port + 1))/healthz" >/dev/null 2>&1 && break
        sleep 0.1
      done
      ./target/release/leadwire-bench inbox --url "http://127.0.0.1:$((port + 1))" --concurrency "${BENCH_CONCURRENCY:-8}" --seconds "${BENCH_SECONDS:-10}" --searches "${BENCH_SEARCHES:-300}"
      ./target/release/leadwire-bench kpis --url "http://127.0.0.1:$((port + 1))" --samples "${BENCH_KPI_SAMPLES:-50}"
      kill "$inbox_server" ;;
    *) echo "unknown scenario $scenario" >&2; exit 2 ;;
  esac
done
