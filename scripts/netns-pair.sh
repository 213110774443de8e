# Sourced by the live benchmarks (bench-live.sh, soak-live.sh): two network namespaces joined by a
# veth pair, addressed, up, ARP resolved. The caller sets NSA NSB IFA IFB IPA IPB first and calls
# netns_pair_cleanup on exit.

netns_pair_up() {
  ip netns add "$NSA"
  ip netns add "$NSB"
  ip link add "$IFA" netns "$NSA" type veth peer name "$IFB" netns "$NSB"
  ip -n "$NSA" addr add "$IPA/24" dev "$IFA"
  ip -n "$NSB" addr add "$IPB/24" dev "$IFB"
  for ns in "$NSA" "$NSB"; do ip -n "$ns" link set lo up; done
  ip -n "$NSA" link set "$IFA" up
  ip -n "$NSB" link set "$IFB" up
  ip netns exec "$NSB" ping -c 1 -W 2 "$IPA" >/dev/null # resolve ARP before measuring
}

netns_pair_cleanup() {
  ip netns del "$NSA" 2>/dev/null || true
  ip netns del "$NSB" 2>/dev/null || true
}
