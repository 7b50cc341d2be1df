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
instances=()
trap 'kill $server "${instances[@]}" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
url="http://127.0.0.1:$port"
# BENCH_SCENARIOS picks a subset, e.g. BENCH_SCENARIOS="receipt pixel" make bench;
# BENCH_SCENARIOS=scaleout runs the PostgreSQL scenarios (two instances).
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
      # Again while the workspace is busy: every write moves its head, and the renders after it
      # read the rows afresh rather than from the viewer's cached ones.
      ./target/release/leadwire-bench inbox --url "http://127.0.0.1:$((port + 1))" --concurrency "${BENCH_CONCURRENCY:-8}" --seconds "${BENCH_SECONDS:-10}" --searches 0 --sends-per-second "${BENCH_INBOX_SENDS:-20}"
      ./target/release/leadwire-bench kpis --url "http://127.0.0.1:$((port + 1))" --samples "${BENCH_KPI_SAMPLES:-50}"
      kill "$inbox_server" ;;
    # Two instances on one fresh PostgreSQL database (BENCH_POSTGRES, default the machine's):
    # sends/s on PostgreSQL, a send on A reaching a socket on B, and 1,000 sockets split over
    # A and B while A takes 100 sends/s. Not in the default list: it needs PostgreSQL.
    scaleout)
      pg=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
      PGOPTIONS='--client-min-messages=warning' psql "$pg" -qc "DROP DATABASE IF EXISTS leadwire_bench WITH (FORCE)" -c "CREATE DATABASE leadwire_bench" >/dev/null
      a="127.0.0.1:$((port + 2))" b="127.0.0.1:$((port + 3))"
      for addr in "$a" "$b"; do
        LEADWIRE_WS_FRAMES_PER_SECOND=100000 LEADWIRE_SIGNUPS_PER_IP_PER_HOUR=100000 LEADWIRE_SEED_DEMO=false \
          LEADWIRE_DATABASE_URL="${pg%/*}/leadwire_bench" LEADWIRE_SECRET_KEY=$(printf 'b5%.0s' $(seq 32)) \
          LEPTOS_SITE_ADDR="$addr" RUST_LOG=leadwire=warn ./target/release/leadwire >>"$work/scaleout.log" 2>&1 &
        instances+=($!)
        # One at a time: B starts once A has migrated the database.
        for _ in $(seq 1 300); do
          curl -fs "http://$addr/healthz" >/dev/null 2>&1 && break
          sleep 0.1
        done
      done
      ./target/release/leadwire-bench throughput --url "http://$a" --senders "${BENCH_SENDERS:-16}" --messages "${BENCH_MESSAGES:-4000}"
      ./target/release/leadwire-bench delivery --url "http://$a" --listen "http://$b" --clients "${BENCH_CLIENTS:-1,1000}" --sends "${BENCH_SENDS:-200}"
      ./target/release/leadwire-bench delivery --url "http://$a" --listen "http://$a,http://$b" --clients 1000 --rate "${BENCH_RATE:-100}" --seconds "${BENCH_SECONDS:-10}"
      kill "${instances[@]}" ;;
    *) echo "unknown scenario $scenario" >&2; exit 2 ;;
  esac
done
