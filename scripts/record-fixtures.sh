#!/usr/bin/env bash
# Records the real fixture captures in fixtures/*.pcap (overwrites them). Run as root:
#
#   sudo scripts/record-fixtures.sh            # writes fixtures/
#   FIXTURES_DIR=/tmp/fx scripts/record-fixtures.sh
#
# Two network namespaces, ps-cli (client, 10.99.0.1, fd00:99::1) and ps-srv (server, 10.99.0.2,
# fd00:99::2), joined by a veth pair (ps-c0 <-> ps-s0) with fixed MAC addresses. Real programs
# (curl, dig, nc, ping, nmap, python3 http.server, scripts/fixture-peer.py) talk across it while the
# real tcpdump records. Every step is bounded by `timeout`; the namespaces, their processes and the
# scratch directory are removed on exit, whatever happens. fixtures/README.md describes the flows.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${FIXTURES_DIR:-$HERE/../fixtures}
PY=${PYTHON:-python3}
CLI=ps-cli SRV=ps-srv
C0=ps-c0 S0=ps-s0
SNAP=262144

die() { echo "record-fixtures: $*" >&2; exit 1; }
[[ $EUID -eq 0 ]] || die "must run as root (network namespaces, raw capture)"
for t in ip tcpdump curl dig nc nmap nft ping timeout "$PY"; do
  command -v "$t" >/dev/null || die "missing tool: $t (see .ci/run for the apt packages)"
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SCRATCH=$(mktemp -d /tmp/ps-fixtures.XXXXXX)
CAP_PID=""

drop_ns() {
  local ns=$1 pids
  ip netns list | grep -qw "^$ns" || return 0
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  if [[ -n $pids ]]; then
    kill $pids 2>/dev/null || true
    sleep 0.3
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [[ -z $pids ]] || kill -9 $pids 2>/dev/null || true
  fi
  ip netns del "$ns" 2>/dev/null || true
}
cleanup() {
  set +e
  [[ -z $CAP_PID ]] || kill -INT "$CAP_PID" 2>/dev/null
  drop_ns "$CLI"
  drop_ns "$SRV"
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'echo "record-fixtures: interrupted" >&2; exit 130' INT TERM HUP PIPE

inc() { timeout 20 ip netns exec "$CLI" "$@"; }   # run a client command, bounded
ins() { ip netns exec "$SRV" "$@"; }

# ---------------------------------------------------------------- namespaces and links
drop_ns "$CLI"; drop_ns "$SRV"                     # leftovers of an interrupted run
ip netns add "$CLI"
ip netns add "$SRV"
for ns in "$CLI" "$SRV"; do
  # Quiet links: no DAD, no router solicitations; no ICMP rate limit (nmap -sU gets every reply).
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 \
    net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
  ip -n "$ns" link set lo up
done
ip link add "$C0" netns "$CLI" address 02:99:00:00:00:01 type veth \
  peer name "$S0" netns "$SRV" address 02:99:00:00:00:02
ip -n "$CLI" addr add 10.99.0.1/24 dev "$C0"
ip -n "$CLI" addr add fd00:99::1/64 dev "$C0" nodad
ip -n "$SRV" addr add 10.99.0.2/24 dev "$S0"
ip -n "$SRV" addr add fd00:99::2/64 dev "$S0" nodad
ip -n "$CLI" link set "$C0" up
ip -n "$SRV" link set "$S0" up

# 802.1Q VLAN 100 on both ends; Q-in-Q: 802.1ad service tag 200 carrying 802.1Q customer tag 300.
# Kernels without 802.1Q support (no 8021q module: "Unknown device type") get the same addresses on
# the veth itself; vlan.pcap is then tagged afterwards and replayed (see the vlan.pcap section).
VLAN_KERNEL=1
ip -n "$CLI" link add link "$C0" name "$C0.100" type vlan id 100 2>/dev/null || VLAN_KERNEL=0
[[ $VLAN_KERNEL == 1 ]] || echo "record-fixtures: no 802.1Q in this kernel: vlan.pcap is tagged by scripts/fixture-vlan-tag.py and replayed" >&2
for end in "$CLI:$C0:1" "$SRV:$S0:2"; do
  IFS=: read -r ns dev h <<<"$end"
  if [[ $VLAN_KERNEL == 1 ]]; then
    [[ $ns == "$CLI" ]] || ip -n "$ns" link add link "$dev" name "$dev.100" type vlan id 100
    ip -n "$ns" link add link "$dev" name "$dev.200" type vlan proto 802.1ad id 200
    ip -n "$ns" link add link "$dev.200" name "$dev.200.300" type vlan proto 802.1Q id 300
    # IPv4 only on the Q-in-Q links: no IPv6 link-local chatter with a lone 802.1ad tag.
    ip netns exec "$ns" sh -c "echo 1 >/proc/sys/net/ipv6/conf/$dev.200/disable_ipv6; echo 1 >/proc/sys/net/ipv6/conf/$dev.200.300/disable_ipv6"
    ip -n "$ns" link set "$dev.100" up
    ip -n "$ns" link set "$dev.200" up
    ip -n "$ns" link set "$dev.200.300" up
    v100=$dev.100 v300=$dev.200.300
  else
    v100=$dev v300=$dev
  fi
  ip -n "$ns" addr add "10.99.100.$h/24" dev "$v100"
  ip -n "$ns" addr add "fd00:99:100::$h/64" dev "$v100" nodad
  ip -n "$ns" addr add "10.99.201.$h/24" dev "$v300"
done

# The "no answer" port: the server silently drops TCP 8084.
ins nft -f - <<'EOF'
table inet fixtures {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 8084 drop
  }
}
EOF

# ---------------------------------------------------------------- servers (server namespace)
WWW=$SCRATCH/www
mkdir -p "$WWW"
printf '<html><body>portscope fixture</body></html>\n' >"$WWW/index.html"
printf 'hello from the fixture server\n' >"$WWW/hello.txt"
(cd "$WWW" && exec ip netns exec "$SRV" "$PY" -m http.server 80 --bind :: >"$SCRATCH/http.log" 2>&1) &
ins "$PY" "$HERE/fixture-peer.py" serve >"$SCRATCH/peer.log" 2>&1 &
for _ in $(seq 100); do
  grep -q ready "$SCRATCH/peer.log" 2>/dev/null && ins "$PY" -c \
    'import socket; socket.create_connection(("127.0.0.1", 80), 1).close()' 2>/dev/null && break
  sleep 0.1
done
grep -q ready "$SCRATCH/peer.log" || die "fixture-peer.py did not start: $(cat "$SCRATCH/peer.log")"
# Let link-up chatter (IPv6 MLD reports) die down before the first capture.
sleep 2

# ---------------------------------------------------------------- capture helpers
# cap_start NAME NS IFACE [tcpdump options...]: record $CAP_DIR/NAME.pcap (default fixtures/) with the
# real tcpdump, wait until it listens.
cap_start() {
  local name=$1 ns=$2 ifc=$3 dir=${CAP_DIR:-$OUT}
  shift 3
  CAP_NAME=$name
  rm -f "$dir/$name.pcap"
  timeout 120 ip netns exec "$ns" tcpdump -Z root -n -U --immediate-mode -s "$SNAP" -i "$ifc" "$@" -w "$dir/$name.pcap" \
    2>"$SCRATCH/$name.tcpdump" &
  CAP_PID=$!
  for _ in $(seq 100); do
    grep -q 'listening on' "$SCRATCH/$name.tcpdump" && return 0
    sleep 0.1
  done
  die "tcpdump did not start for $name: $(cat "$SCRATCH/$name.tcpdump")"
}
cap_stop() {
  sleep 0.5                                        # last replies
  kill -INT "$CAP_PID"
  wait "$CAP_PID" || true
  CAP_PID=""
  printf '%-18s %s\n' "$CAP_NAME.pcap" "$(grep captured "$SCRATCH/$CAP_NAME.tcpdump" || echo '?')"
}

# ---------------------------------------------------------------- http.pcap
cap_start http "$SRV" "$S0"
inc curl -sS -o /dev/null --local-port 40001 http://10.99.0.2/
inc curl -sS -o /dev/null --local-port 40002 http://10.99.0.2/hello.txt
inc curl -sS -o /dev/null --local-port 40003 http://10.99.0.2/missing.txt      # 404
inc curl -sS -o /dev/null -g --local-port 40004 'http://[fd00:99::2]/hello.txt'
inc curl -sS -o /dev/null -g --local-port 40005 'http://[fd00:99::2]/'
cap_stop

# ---------------------------------------------------------------- dns.pcap
DIG=(dig +tries=1 +time=2)
cap_start dns "$SRV" "$S0"
inc "${DIG[@]}" @10.99.0.2 -b '10.99.0.1#40101' www.fixture.test A >/dev/null
inc "${DIG[@]}" @10.99.0.2 -b '10.99.0.1#40102' www.fixture.test AAAA >/dev/null
inc "${DIG[@]}" @10.99.0.2 -b '10.99.0.1#40103' nosuch.fixture.test A >/dev/null   # NXDOMAIN
inc "${DIG[@]}" @fd00:99::2 -b 'fd00:99::1#40104' mail.fixture.test AAAA >/dev/null
inc "${DIG[@]}" @fd00:99::2 -b 'fd00:99::1#40105' ns1.fixture.test A >/dev/null
inc "${DIG[@]}" +tcp @10.99.0.2 -b '10.99.0.1#40106' www.fixture.test A >/dev/null
cap_stop

# ---------------------------------------------------------------- conn-states.pcap
cap_start conn-states "$SRV" "$S0"
inc nc -z -w 2 -p 41001 10.99.0.2 81 || true                                 # REJ
printf 'hello\n' | inc nc -w 2 -p 41002 10.99.0.2 8081 >/dev/null || true   # RSTR
inc "$PY" "$HERE/fixture-peer.py" rst-client 10.99.0.2 8082 41003            # RSTO
printf 'hello\n' | inc nc -N -w 2 -p 41004 10.99.0.2 8083 >/dev/null        # SF
inc nc -z -w 2 -p 41005 10.99.0.2 8084 || true                               # S0 (dropped)
printf 'ping\n' | inc nc -u -w 1 -p 41006 10.99.0.2 9999 >/dev/null || true # UDP both ways
inc ping -q -c 3 -i 0.2 -W 1 10.99.0.2 >/dev/null                           # ICMP echo
inc ping -q -6 -c 2 -i 0.2 -W 1 fd00:99::2 >/dev/null                       # ICMPv6 echo
# S1: established, still open when the capture stops.
sleep 5 | timeout 20 ip netns exec "$CLI" nc -p 41007 10.99.0.2 8083 >/dev/null &
S1_PID=$!
sleep 0.5
cap_stop
kill "$S1_PID" 2>/dev/null || true
wait "$S1_PID" 2>/dev/null || true

# ---------------------------------------------------------------- vlan.pcap (tags seen on the parent)
vlan_traffic() {
  inc ping -q -c 1 -W 1 10.99.0.2 >/dev/null                                  # untagged
  inc ping -q -c 2 -i 0.2 -W 1 10.99.100.2 >/dev/null                         # VLAN 100
  inc ping -q -6 -c 2 -i 0.2 -W 1 fd00:99:100::2 >/dev/null                   # VLAN 100, IPv6
  inc curl -sS -o /dev/null --local-port 40201 http://10.99.100.2/hello.txt   # VLAN 100, TCP
  inc "${DIG[@]}" @10.99.100.2 -b '10.99.100.1#40202' www.fixture.test A >/dev/null
  inc ping -q -c 2 -i 0.2 -W 1 10.99.201.2 >/dev/null                         # 802.1ad 200 + 802.1Q 300
  printf 'ping\n' | inc nc -u -w 1 -p 40203 10.99.201.2 9999 >/dev/null || true
}
if [[ $VLAN_KERNEL == 1 ]]; then
  cap_start vlan "$SRV" "$S0"
  vlan_traffic
  cap_stop
else
  # Same traffic untagged, tags inserted by address, then replayed across the veth (tcpreplay on
  # ps-c0) and recorded by tcpdump on ps-s0, inbound only (-Q in: not the server's own answers).
  CAP_DIR=$SCRATCH cap_start vlan-untagged "$SRV" "$S0"
  vlan_traffic
  cap_stop
  "$PY" "$HERE/fixture-vlan-tag.py" "$SCRATCH/vlan-untagged.pcap" "$SCRATCH/vlan-tagged.pcap"
  cap_start vlan "$SRV" "$S0" -Q in
  timeout 60 ip netns exec "$CLI" tcpreplay -q -i "$C0" "$SCRATCH/vlan-tagged.pcap" >/dev/null
  cap_stop
fi

# ---------------------------------------------------------------- scan.pcap
cap_start scan "$SRV" "$S0"
inc nmap -sS -sU -n -Pn -T4 --max-retries 1 --host-timeout 60s -p 20-30,53,80,443 10.99.0.2 \
  >"$SCRATCH/nmap.txt"
cap_stop
grep -E '^[0-9]+/' "$SCRATCH/nmap.txt" | awk '{printf "  %s %s", $1, $2} END {print ""}'

# ---------------------------------------------------------------- sll.pcap, sll2.pcap (-i any)
for v in sll sll2; do
  if [[ $v == sll ]]; then cap_start sll "$CLI" any -y LINUX_SLL; else cap_start sll2 "$CLI" any -y LINUX_SLL2; fi
  p=$([[ $v == sll ]] && echo 0 || echo 1)
  inc ping -q -c 2 -i 0.2 -W 1 10.99.0.2 >/dev/null
  inc curl -sS -o /dev/null --local-port "4030$p" http://10.99.0.2/hello.txt
  inc "${DIG[@]}" @fd00:99::2 -b "fd00:99::1#4031$p" www.fixture.test AAAA >/dev/null
  printf 'x\n' | inc nc -u -w 1 -p "4032$p" 127.0.0.1 9998 >/dev/null || true  # lo: port unreachable
  cap_stop
done

# ---------------------------------------------------------------- nano.pcap (nanosecond timestamps)
cap_start nano "$SRV" "$S0" --time-stamp-precision nano
inc ping -q -c 2 -i 0.2 -W 1 10.99.0.2 >/dev/null
inc "${DIG[@]}" @10.99.0.2 -b '10.99.0.1#40401' www.fixture.test A >/dev/null
cap_stop

# ---------------------------------------------------------------- multi.pcapng, mixed-links.pcapng (dumpcap)
# dumpcap (Wireshark) writes pcapng with one interface block per -i. Two run at once on the same traffic:
#   multi.pcapng        ps-s0 (Ethernet) + lo (Ethernet too): tcpdump reads it
#   mixed-links.pcapng  ps-s0 (Ethernet) + any (Linux cooked v1): tcpdump refuses it ("an interface
#                       has a type 113 different from the type of the first interface"), tshark reads it
# Traffic crossing ps-s0 is in mixed-links.pcapng twice; the loopback request is on lo / any only.
if command -v dumpcap >/dev/null; then
  DC_PIDS=()
  for spec in "multi:-i:$S0:-i:lo" "mixed-links:-i:$S0:-i:any:-y:LINUX_SLL"; do
    IFS=: read -r -a words <<<"$spec"
    name=${words[0]}
    rm -f "$OUT/$name.pcapng"
    timeout 120 ip netns exec "$SRV" dumpcap -q -s "$SNAP" "${words[@]:1}" -w "$OUT/$name.pcapng" \
      2>"$SCRATCH/$name.dumpcap" &
    DC_PIDS+=($!)
  done
  for name in multi mixed-links; do
    for _ in $(seq 100); do grep -q 'Capturing on' "$SCRATCH/$name.dumpcap" && break; sleep 0.1; done
    grep -q 'Capturing on' "$SCRATCH/$name.dumpcap" || die "dumpcap did not start: $(cat "$SCRATCH/$name.dumpcap")"
  done
  sleep 0.5
  inc ping -q -c 2 -i 0.2 -W 1 10.99.0.2 >/dev/null
  inc curl -sS -o /dev/null --local-port 40501 http://10.99.0.2/hello.txt
  timeout 20 ip netns exec "$SRV" curl -sS -o /dev/null --local-port 40502 http://127.0.0.1/hello.txt
  sleep 0.5
  kill -INT "${DC_PIDS[@]}"
  wait "${DC_PIDS[@]}" || true
  printf '%-18s written\n' multi.pcapng mixed-links.pcapng
else
  echo "record-fixtures: dumpcap not installed (apt-get install wireshark-common): no pcapng fixtures" >&2
fi

chmod 644 "$OUT"/*.pcap "$OUT"/*.pcapng 2>/dev/null || true
ls -l "$OUT"/*.pcap "$OUT"/*.pcapng 2>/dev/null || true
