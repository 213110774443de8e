#!/usr/bin/env bash
# Long-run live-capture soak: `portscope profile -i vethX --duration SECONDS` on one end of a veth
# pair between two network namespaces it creates, while scripts/bench-live-sender.c sends small
# UDP datagrams at a steady RATE from the other end. Samples portscope's RSS every 10 s and at the
# end compares the packets the sender offered with what portscope captured and what the kernel
# says it dropped.
#
# Pass criteria (exit status 0):
#   - RSS flat: the largest sample of the second half is within 15% (and 32 MiB) of the largest
#     sample of the first half (after a 30 s warm-up);
#   - no unexplained loss: offered - captured <= kernel drops + 0.1% of offered.
#
# usage: sudo scripts/soak-live.sh [SECONDS=600] [RATE=100000] [CMD=profile]
#   CMD profile: `profile -i IF --duration S` (flow table, hosts, ports kept all along)
#   CMD dump:    `dump -i IF -w /dev/null` stopped with SIGINT
# needs: root, gcc, iproute2, a built portscope (npm run build, npm run build:native).
set -euo pipefail

SECS=${1:-600}
RATE=${2:-100000}
CMD=${3:-profile}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MAIN="$ROOT/dist/src/cli/main.js"
# shellcheck source=scripts/netns-pair.sh
. "$ROOT/scripts/netns-pair.sh"
NODE=${NODE:-$(command -v node)}
ID=pss$$
NSA=$ID-a NSB=$ID-b IFA=${ID}a IFB=${ID}b
IPA=10.79.0.1 IPB=10.79.0.2
WORK=$(mktemp -d /tmp/portscope-soak.XXXXXX)
PID=

cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  netns_pair_cleanup
  [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "soak-live: run as root" >&2; exit 1; }
[ -f "$MAIN" ] || { echo "soak-live: build first (npm run build)" >&2; exit 1; }

gcc -O2 -o "$WORK/sender" "$ROOT/scripts/bench-live-sender.c"
netns_pair_up

ERR="$WORK/portscope.err"
if [ "$CMD" = profile ]; then
  # +15 s: the sender starts after portscope listens and the last kernel block arrives late
  ip netns exec "$NSA" "$NODE" "$MAIN" profile -i "$IFA" --duration $((SECS + 15)) -o "$WORK/profile.json" udp 2>"$ERR" &
else
  ip netns exec "$NSA" "$NODE" "$MAIN" dump -i "$IFA" -w /dev/null udp 2>"$ERR" &
fi
PID=$!
for _ in $(seq 200); do grep -q 'listening on' "$ERR" && break; sleep 0.05; done
sleep 0.5
kill -0 "$PID" 2>/dev/null || { echo "soak-live: portscope did not start: $(tr '\n' ' ' <"$ERR")" >&2; exit 1; }

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
echo "soak-live: $CMD, ${SECS}s at ${RATE} pkt/s on $IFA (pid $PID)"
ip netns exec "$NSB" "$WORK/sender" $IPA 9 "$SECS" "$RATE" >"$WORK/offered" &
SENDER=$!
T0=$(date +%s)
: >"$WORK/rss"
while kill -0 "$SENDER" 2>/dev/null; do
  t=$(($(date +%s) - T0))
  r=$(rss_kib "$PID")
  echo "$t $r" >>"$WORK/rss"
  printf 'soak-live: t=%4ds rss=%6d KiB\n' "$t" "$r"
  for _ in $(seq 20); do kill -0 "$SENDER" 2>/dev/null || break; sleep 0.5; done
done
wait "$SENDER" || true
OFFERED=$(cat "$WORK/offered")
sleep 2 # the last kernel block is handed over after the buffer timeout
PEAK_KIB=$(awk '/^VmHWM:/ {print $2}' "/proc/$PID/status" 2>/dev/null || echo 0)
if [ "$CMD" = profile ]; then
  wait "$PID" || true # --duration stops it
else
  kill -INT "$PID"
  wait "$PID" || true
fi
PID=
CAPTURED=$(awk '/packets? captured/ {print $1}' "$ERR")
DROPPED=$(awk '/dropped by kernel/ {print $1}' "$ERR")
RECEIVED=$(awk '/received by filter/ {print $1}' "$ERR")
echo "soak-live: offered $OFFERED captured ${CAPTURED:-?} received-by-filter ${RECEIVED:-?} kernel-dropped ${DROPPED:-?} peak-rss ${PEAK_KIB} KiB"

# RSS flatness: max of the first half (after warm-up) vs max of the second half.
read -r H1 H2 <<<"$(awk -v s="$SECS" '$1 >= (s / 4 < 30 ? s / 4 : 30) && $1 < s / 2 { if ($2 > a) a = $2 } $1 >= s / 2 { if ($2 > b) b = $2 } END { print a + 0, b + 0 }' "$WORK/rss")"
FAIL=0
if awk -v a="$H1" -v b="$H2" 'BEGIN { exit !(b > a * 1.15 && b - a > 32768) }'; then
  echo "soak-live: FAIL: RSS grew: first-half max ${H1} KiB, second-half max ${H2} KiB" >&2
  FAIL=1
else
  echo "soak-live: RSS flat: first-half max ${H1} KiB, second-half max ${H2} KiB"
fi
LOST=$((OFFERED - ${CAPTURED:-0}))
if awk -v l="$LOST" -v d="${DROPPED:-0}" -v o="$OFFERED" 'BEGIN { exit !(l > d + o * 0.001) }'; then
  echo "soak-live: FAIL: ${LOST} packets missing, kernel reports ${DROPPED:-0} dropped" >&2
  FAIL=1
else
  echo "soak-live: loss ${LOST} packets, kernel reports ${DROPPED:-0} dropped: accounted for"
fi
exit $FAIL
