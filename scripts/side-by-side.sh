#!/usr/bin/env bash
# One scenario of the team's shared benchmark kit (../shared/bench, see its README) against
# Leadwire's release build and the peers, back to back, each on a fresh server (and, for
# Leadwire, a fresh SQLite file): the figures of the README's side-by-side table.
#
#   scripts/side-by-side.sh SCENARIO [TARGET ...]
#
# SCENARIO: P1 FAN P2 P3 P4 (the kit's load generator), P5 (memory per idle socket: 5,000
# sockets held 20 s, peak RSS growth ÷ 5,000), P6 (the tracking pixel with `wrk`, nginx's
# `empty_gif` as the yardstick). TARGET: leadwire nchan socketio (default: all three; nginx is
# the peer for P6). Needs the kit's peers installed (nginx with nchan, `npm ci` in
# peers/socketio) and, for P6, `wrk`; builds the kit's load generator once, outside the
# repository. KIT overrides where the kit is; LEADWIRE_BIN which server binary runs; P1_SENDS
# how many sends P1 makes (the kit's 200 by default; more for steadier percentiles).
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:?"usage: $0 P1|FAN|P2|P3|P4|P5|P6 [leadwire nchan socketio]"}
shift
kit=${KIT:-$(pwd)/../shared/bench}
bin=${LEADWIRE_BIN:-./target/release/leadwire}
loadgen_target=${LOADGEN_TARGET:-$(pwd)/../lg-target}
loadgen=$loadgen_target/release/loadgen
ulimit -n 65536 2>/dev/null || true
[ -d "$kit" ] || { echo "no benchmark kit at $kit (set KIT)" >&2; exit 2; }
[ -x "$bin" ] || { echo "no release server at $bin: run scripts/build-release.sh" >&2; exit 2; }
[ -x "$loadgen" ] || CARGO_TARGET_DIR=$loadgen_target cargo build --release --manifest-path "$kit/loadgen/Cargo.toml"

case $scenario in
  P1) args=(--subs 1 --sends ${P1_SENDS:-200}) ;;
  FAN) args=(--subs 1000 --sends 200 --read-buf 4096) ;;
  P2) args=(--subs 1000 --rate 100 --sends 1000 --read-buf 4096) ;;
  P3) args=(--subs 10 --senders 16 --sends 4000) ;;
  P4) args=(--subs 0 --senders 16 --sends 4000) ;;
  P5) args=(--subs 5000 --sends 1 --hold 20 --read-buf 4096) ;;
  P6) ;;
  *) echo "unknown scenario $scenario" >&2; exit 2 ;;
esac
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(leadwire nchan socketio)

work=$(mktemp -d)
server=()
stop() {
  [ ${#server[@]} -gt 0 ] && kill "${server[@]}" 2>/dev/null && wait "${server[@]}" 2>/dev/null
  server=()
  true
}
trap 'stop; rm -rf "$work"' EXIT

# Starts TARGET on a fresh server; sets url and server (the pids whose memory P5 counts).
start() {
  case $1 in
    leadwire)
      rm -f "$work"/lw.db*
      # The kit subscribes up to 5,000 sockets as one user and signs up a workspace per run.
      LEADWIRE_SITE_ADDR=127.0.0.1:3300 LEADWIRE_DATABASE_URL="sqlite://$work/lw.db" \
        LEADWIRE_SEED_DEMO=false LEADWIRE_WS_FRAMES_PER_SECOND=100000 \
        LEADWIRE_SIGNUPS_PER_IP_PER_HOUR=100000 LEADWIRE_PUBLIC_REQUESTS_PER_IP_PER_MINUTE=100000 \
        LEADWIRE_TRACKING_HITS_PER_TOKEN_PER_MINUTE=1000000 \
        LEADWIRE_TRACKING_HITS_PER_IP_PER_MINUTE=1000000 RUST_LOG=warn \
        "$bin" >"$work/leadwire.log" 2>&1 &
      server=($!)
      url=http://127.0.0.1:3300 ;;
    nchan)
      "$kit/peers/nchan/run.sh" 3901 >"$work/nchan.log" 2>&1 &
      server=($!)
      url=http://127.0.0.1:3901 ;;
    socketio)
      (cd "$kit/peers/socketio" && exec node server.js 3902) >"$work/socketio.log" 2>&1 &
      server=($!)
      url=http://127.0.0.1:3902 ;;
    *) echo "unknown target $1" >&2; exit 2 ;;
  esac
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "$url/" && return 0
    sleep 0.1
  done
  echo "$1 did not start" >&2
  exit 1
}

# Resident memory in KiB of the server's processes (nginx: the master and its workers).
rss() {
  local total=0 pid kb
  for pid in $(pgrep -P "${server[0]}") "${server[0]}"; do
    kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    total=$((total + ${kb:-0}))
  done
  echo $total
}

# The first `"id"` of a JSON answer (awk reads it all: no broken pipe under pipefail).
first_id() {
  grep -o '"id":"[^"]*"' | awk -F'"' 'NR == 1 { print $4 }'
}

# A tracked email's pixel token, from a fresh workspace of the server at $url.
pixel_token() {
  local jar=$work/cookies origin=(-H "origin: $url") lead message html
  curl -fs -c "$jar" "${origin[@]}" -H 'content-type: application/json' \
    -d "{\"name\":\"Pix\",\"email\":\"pix-$RANDOM$RANDOM@example.com\",\"password\":\"correct horse battery\",\"workspace\":\"Pixel\"}" \
    "$url/api/auth/signup" >/dev/null
  lead=$(curl -fs -b "$jar" "${origin[@]}" -H 'content-type: application/json' \
    -d '{"name":"Lead","email":"lead@example.com"}' "$url/api/leads" | first_id)
  message=$(curl -fs -b "$jar" "${origin[@]}" -H 'content-type: application/json' \
    -d "{\"channel\":\"email\",\"subject\":\"Hi\",\"body\":\"Hello\",\"client_id\":\"$(cat /proc/sys/kernel/random/uuid)\"}" \
    "$url/api/messages/$lead" | first_id)
  # The outbox shows the email once the worker has sent it.
  for _ in $(seq 1 100); do
    html=$(curl -fs -b "$jar" "$url/outbox/$message/html" || true)
    if [[ $html =~ /t/o/([A-Za-z0-9_-]+) ]]; then
      echo "${BASH_REMATCH[1]}"
      return 0
    fi
    sleep 0.1
  done
  echo "no tracked email was sent" >&2
  exit 1
}

if [ "$scenario" = P6 ]; then
  for target in "${targets[@]}"; do
    case $target in
      leadwire) start leadwire; path=/t/o/$(pixel_token) ;;
      nchan | nginx) start nchan; path=/pixel.gif; target=nginx ;;
      *) continue ;;
    esac
    echo "== P6 $target"
    wrk -t1 -c64 -d10s --latency "$url$path" | grep -E 'Requests/sec|^ +(50|99)%'
    stop
  done
  exit 0
fi

for target in "${targets[@]}"; do
  start "$target"
  echo "== $scenario $target"
  if [ "$scenario" != P5 ]; then
    "$loadgen" --target "$target" --url "$url" "${args[@]}"
  else
    sleep 1
    before=$(rss)
    peak=$before
    "$loadgen" --target "$target" --url "$url" "${args[@]}" >"$work/loadgen.out" &
    generator=$!
    while kill -0 $generator 2>/dev/null; do
      now=$(rss)
      [ "$now" -gt "$peak" ] && peak=$now
      sleep 0.5
    done
    wait $generator
    tail -1 "$work/loadgen.out"
    awk -v before="$before" -v peak="$peak" \
      'BEGIN { printf "rss before %d KiB, peak %d KiB: %.2f KiB per socket\n", before, peak, (peak - before) / 5000 }'
  fi
  stop
done
