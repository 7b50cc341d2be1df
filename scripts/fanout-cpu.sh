#!/usr/bin/env bash
# Server CPU per delivered frame during a closed-loop fan-out to 1,000 sockets: the kit's load
# generator sends 3,000 events to 1,000 subscribers, and the server's user and system time are
# read from /proc over 3 s in the middle of it. The figure behind the README's *The fan-out
# writes the sockets*.
#
#   scripts/fanout-cpu.sh [leadwire|nchan]     (LEADWIRE_BIN picks the server binary)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-leadwire}
kit=${KIT:-$(pwd)/../shared/bench}
bin=${LEADWIRE_BIN:-./target/release/leadwire}
loadgen=${LOADGEN_TARGET:-$(pwd)/../lg-target}/release/loadgen
[ -x "$loadgen" ] || { echo "build the kit's load generator first (scripts/side-by-side.sh does)" >&2; exit 2; }
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
case $target in
  leadwire)
    LEADWIRE_SITE_ADDR=127.0.0.1:3300 LEADWIRE_DATABASE_URL="sqlite://$work/lw.db" \
      LEADWIRE_SEED_DEMO=false LEADWIRE_WS_FRAMES_PER_SECOND=100000 \
      LEADWIRE_SIGNUPS_PER_IP_PER_HOUR=100000 LEADWIRE_PUBLIC_REQUESTS_PER_IP_PER_MINUTE=100000 \
      RUST_LOG=warn "$bin" >"$work/server.log" 2>&1 &
    server=$!
    url=http://127.0.0.1:3300 ;;
  nchan)
    "$kit/peers/nchan/run.sh" 3901 >"$work/server.log" 2>&1 &
    server=$!
    url=http://127.0.0.1:3901 ;;
  *) echo "usage: $0 [leadwire|nchan]" >&2; exit 2 ;;
esac
for _ in $(seq 1 100); do curl -s -o /dev/null "$url/" && break; sleep 0.1; done
# nginx: its one worker does the writes; Leadwire: the one process.
pid=$server
[ "$target" = nchan ] && pid=$(pgrep -P "$server" | head -1)
"$loadgen" --target "$target" --url "$url" --subs 1000 --sends 3000 --read-buf 4096 >"$work/loadgen.out" &
loadgen_pid=$!
ticks() { awk '{print $14, $15}' "/proc/$pid/stat"; }
# Past connecting the 1,000 sockets (about a second), well before the sends end (3,000 sends
# take 11 s for nchan, longer for Leadwire).
sleep 2.5
read -r u0 s0 < <(ticks)
sleep 3
read -r u1 s1 < <(ticks)
wait $loadgen_pid
cat "$work/loadgen.out"
rate=$(grep -o '([0-9]* sends/s)' "$work/loadgen.out" | tr -dc 0-9)
hz=$(getconf CLK_TCK)
python3 - "$u0" "$s0" "$u1" "$s1" "$rate" "$hz" <<'PY'
import sys
u0, s0, u1, s1, rate, hz = map(float, sys.argv[1:])
frames = rate * 3 * 1000
print(f"server CPU per delivered frame: user {(u1 - u0) / hz / frames * 1e6:.2f} us, "
      f"system {(s1 - s0) / hz / frames * 1e6:.2f} us ({rate:.0f} fan-outs/s to 1,000 sockets)")
PY
