#!/usr/bin/env bash
# Live-capture benchmark: blasts small UDP frames (60 bytes on the wire) over a veth pair between
# two network namespaces for SECONDS, once captured by `portscope dump -i vethX -w /dev/null` and
# once by `portscope top -i vethX` (the dashboard engine, text mode, all views each second) and
# once by `tcpdump -i vethX -w /dev/null`, at the sender's top speed and then at fixed rates.
# Reports captured/offered, kernel drops and CPU time per captured packet.
#
# usage: sudo scripts/bench-live.sh [SECONDS=10] [RATES="50000 100000 200000 400000"]
# needs: root, gcc, iproute2, tcpdump, a built portscope (npm run build, npm run build:native).
set -euo pipefail

SECONDS_RUN=${1:-10}
RATES=${2:-"50000 100000 200000 400000"}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MAIN="$ROOT/dist/src/cli/main.js"
# shellcheck source=scripts/netns-pair.sh
. "$ROOT/scripts/netns-pair.sh"
NODE=${NODE:-$(command -v node)}
ID=psb$$
NSA=$ID-a NSB=$ID-b IFA=${ID}a IFB=${ID}b
IPA=10.78.0.1 IPB=10.78.0.2
WORK=$(mktemp -d /tmp/portscope-bench.XXXXXX)
TICK=$(getconf CLK_TCK)

cleanup() {
  netns_pair_cleanup
  rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "bench-live: run as root" >&2; exit 1; }
[ -f "$MAIN" ] || { echo "bench-live: build first (npm run build)" >&2; exit 1; }

gcc -O2 -o "$WORK/sender" "$ROOT/scripts/bench-live-sender.c"
netns_pair_up

# cpu_ticks PID: user+system clock ticks of a process so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run_one TOOL RATE SECONDS -> prints "tool rate offered captured received dropped cpu_s"
run_one() {
  local tool=$1 rate=$2 secs=$3 err="$WORK/$1.err" pid
  if [ "$tool" = portscope ]; then
    ip netns exec "$NSA" "$NODE" "$MAIN" dump -i "$IFA" -w /dev/null udp 2>"$err" &
  elif [ "$tool" = ps-top ]; then
    # The dashboard's engine and renderers (text mode: stdout is not a terminal), every view
    # rendered each second, to show that the UI does not cost packets.
    ip netns exec "$NSA" "$NODE" "$MAIN" top -i "$IFA" --interval 1 --view all udp >/dev/null 2>"$err" &
  else
    ip netns exec "$NSA" tcpdump -i "$IFA" -w /dev/null udp 2>"$err" &
  fi
  pid=$!
  for _ in $(seq 100); do grep -q 'listening on' "$err" && break; sleep 0.05; done
  sleep 0.3
  if ! kill -0 $pid 2>/dev/null; then
    echo "bench-live: $tool did not start: $(tr '\n' ' ' <"$err")" >&2
    echo "$tool $rate 0 0 0 0 0"
    return
  fi
  local c0; c0=$(cpu_ticks $pid)
  local offered; offered=$(ip netns exec "$NSB" "$WORK/sender" $IPA 9 "$secs" "$rate")
  sleep 1.5 # the last kernel block is handed over after the 1 s buffer timeout
  local c1; c1=$(cpu_ticks $pid)
  kill -INT $pid
  wait $pid || true
  local captured received dropped
  captured=$(awk '/packets? captured/ {print $1}' "$err")
  received=$(awk '/received by filter/ {print $1}' "$err")
  dropped=$(awk '/dropped by kernel/ {print $1}' "$err")
  echo "$tool $rate $offered $captured $received $dropped $(awk -v t=$((c1 - c0)) -v k=$TICK 'BEGIN{printf "%.2f", t / k}')"
}

printf '%-10s %10s %12s %12s %9s %12s %10s %10s\n' tool 'rate/s' offered captured 'capt/off' 'kern-drop' 'cpu s' 'ns/pkt'
report() {
  read -r tool rate offered captured received dropped cpu <<<"$1"
  local ratio nspp
  ratio=$(awk -v a="$captured" -v b="$offered" 'BEGIN{printf "%.4f", b ? a / b : 0}')
  nspp=$(awk -v c="$cpu" -v n="$captured" 'BEGIN{printf "%.0f", n ? c * 1e9 / n : 0}')
  [ "$rate" = 0 ] && rate=max
  printf '%-10s %10s %12s %12s %9s %12s %10s %10s\n' "$tool" "$rate" "$offered" "$captured" "$ratio" "$dropped" "$cpu" "$nspp"
}

TOOLS=${TOOLS:-"portscope ps-top tcpdump"}
for tool in $TOOLS; do report "$(run_one $tool 0 "$SECONDS_RUN")"; done
for rate in $RATES; do
  for tool in $TOOLS; do report "$(run_one $tool "$rate" "$SECONDS_RUN")"; done
done
