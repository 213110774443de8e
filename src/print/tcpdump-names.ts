// Name tables of tcpdump 4.99 (ethertype_values, arphrd_values, arpop_values, icmp6_type_values,
// bsd_af_values ...), looked up by number. Each is written as tcpdump's value/name list and
// indexed once into an array at load: a lookup is one bounds check and one load, and allocates
// nothing (strings are constants).

/** A value/name list as tcpdump writes them (struct tok). */
type Tok<T> = ReadonlyArray<readonly [number, T]>;

/** The list as an array indexed by value; the first entry wins for duplicates (as tok2str). */
function indexed<T>(list: Tok<T>): readonly (T | undefined)[] {
  let size = 0;
  for (const [v] of list) if (v >= size) size = v + 1;
  const t = new Array<T | undefined>(size).fill(undefined);
  for (const [v, n] of list) if (t[v] === undefined) t[v] = n;
  return t;
}

function lookup<T>(t: readonly (T | undefined)[], v: number): T | undefined {
  return v >= 0 && v < t.length ? t[v] : undefined;
}

/** tcpdump's ethertype_values (print-ether.c). */
const ETHERTYPES = indexed<string>([
  [0x0800, 'IPv4'],
  [0x8847, 'MPLS unicast'],
  [0x8848, 'MPLS multicast'],
  [0x86dd, 'IPv6'],
  [0x8100, '802.1Q'],
  [0x9100, '802.1Q-9100'],
  [0x88a8, '802.1Q-QinQ'],
  [0x9200, '802.1Q-9200'],
  [0x88e5, '802.1AE MACsec'],
  [0x0200, 'PUP'],
  [0x0806, 'ARP'],
  [0x8035, 'Reverse ARP'],
  [0x0600, 'NS'],
  [0x0500, 'Sprite'],
  [0x1000, 'Trail'],
  [0x6001, 'MOP DL'],
  [0x6002, 'MOP RC'],
  [0x6003, 'DN'],
  [0x6004, 'LAT'],
  [0x6007, 'SCA'],
  [0x6558, 'TEB'],
  [0x8038, 'Lanbridge'],
  [0x803c, 'DEC DNS'],
  [0x803e, 'DEC DTS'],
  [0x805b, 'VEXP'],
  [0x805c, 'VPROD'],
  [0x809b, 'Appletalk'],
  [0x80f3, 'Appletalk ARP'],
  [0x8137, 'IPX'],
  [0x880b, 'PPP'],
  [0x8808, 'MPCP'],
  [0x8809, 'Slow Protocols'],
  [0x8863, 'PPPoE D'],
  [0x8864, 'PPPoE S'],
  [0x888e, 'EAPOL'],
  [0x8899, 'RRCP'],
  [0x886f, 'MS NLB heartbeat'],
  [0x8870, 'Jumbo'],
  [0x894f, 'NSH'],
  [0x9000, 'Loopback'],
  [0xfefe, 'OSI'],
  [0x00fe, 'GRE-OSI'],
  [0xabcd, 'CFM (old)'],
  [0x8902, 'CFM'],
  [0x893a, 'IEEE1905.1'],
  [0x88cc, 'LLDP'],
  [0x88ca, 'TIPC'],
  [0x0707, 'GeoNet (old)'],
  [0x8947, 'GeoNet'],
  [0x1111, 'CALM FAST'],
  [0x88a2, 'AoE'],
  [0x88f7, 'PTP'],
  [0xd28b, 'Arista Vendor Specific Protocol'],
]);

/** arphrd_values (print-arp.c). */
const ARP_HARDWARE = indexed<string>([
  [1, 'Ethernet'],
  [6, 'TokenRing'],
  [7, 'ArcNet'],
  [15, 'FrameRelay'],
  [19, 'ATM'],
  [23, 'Strip'],
  [24, 'IEEE 1394'],
  [32, 'InfiniBand'],
]);

/** arpop_values (print-arp.c). */
const ARP_OPS = indexed<string>([
  [1, 'Request'],
  [2, 'Reply'],
  [3, 'Reverse Request'],
  [4, 'Reverse Reply'],
  [8, 'Inverse Request'],
  [9, 'Inverse Reply'],
  [10, 'NACK Reply'],
]);

/** bsd_af_values (af.c) for LINKTYPE_NULL / LOOP. */
const BSD_AFS = indexed<string>([
  [2, 'IPv4'],
  [7, 'ISO'],
  [16, 'Appletalk'],
  [23, 'IPX'],
  [24, 'IPv6'],
  [28, 'IPv6'],
  [30, 'IPv6'],
]);

/** icmp2str (print-icmp.c): ICMP types printed by name only. */
const ICMP_TYPES = indexed<string>([
  [0, 'echo reply'],
  [4, 'source quench'],
  [8, 'echo request'],
  [10, 'router solicitation'],
  [13, 'time stamp request'],
  [14, 'time stamp reply'],
  [15, 'information request'],
  [16, 'information reply'],
  [17, 'address mask request'],
]);

/** Destination-unreachable codes (print-icmp.c): [text before, text after] the address. */
const ICMP_UNREACH = indexed<readonly [string, string]>([
  [0, ['net ', ' unreachable']],
  [1, ['host ', ' unreachable']],
  [5, ['', ' unreachable - source route failed']],
  [6, ['net ', ' unreachable - unknown']],
  [7, ['host ', ' unreachable - unknown']],
  [8, ['', ' unreachable - source host isolated']],
  [9, ['net ', ' unreachable - admin prohibited']],
  [10, ['host ', ' unreachable - admin prohibited']],
  [11, ['net ', ' unreachable - tos prohibited']],
  [12, ['host ', ' unreachable - tos prohibited']],
  [13, ['host ', ' unreachable - admin prohibited filter']],
  [14, ['host ', ' unreachable - host precedence violation']],
  [15, ['host ', ' unreachable - precedence cutoff']],
]);

/** icmp6_type_values (print-icmp6.c). */
const ICMP6_TYPES = indexed<string>([
  [1, 'destination unreachable'],
  [2, 'packet too big'],
  [3, 'time exceeded in-transit'],
  [4, 'parameter problem'],
  [128, 'echo request'],
  [129, 'echo reply'],
  [130, 'multicast listener query'],
  [131, 'multicast listener report'],
  [132, 'multicast listener done'],
  [133, 'router solicitation'],
  [134, 'router advertisement'],
  [135, 'neighbor solicitation'],
  [136, 'neighbor advertisement'],
  [137, 'redirect'],
  [138, 'router renumbering'],
  [139, 'who-are-you request'],
  [140, 'who-are-you reply'],
  [141, 'inverse neighbor solicitation'],
  [142, 'inverse neighbor advertisement'],
  [143, 'multicast listener report v2'],
  [144, 'ha discovery request'],
  [145, 'ha discovery reply'],
  [146, 'mobile router solicitation'],
  [147, 'mobile router advertisement'],
  [155, 'RPL'],
  [200, 'mtrace response'],
  [201, 'mtrace message'],
]);

/** icmp6_dst_unreach_code_values (print-icmp6.c). */
const ICMP6_UNREACH = indexed<string>([
  [0, 'unreachable route'],
  [1, ' unreachable prohibited'],
  [2, 'beyond scope'],
  [3, 'unreachable address'],
  [4, 'unreachable port'],
]);

/** sll_pkttype_values (print-sll.c). */
const SLL_PACKET_TYPES = indexed<string>([
  [0, 'In'],
  [1, 'B'],
  [2, 'M'],
  [3, 'P'],
  [4, 'Out'],
]);

/** tcp_option_values (print-tcp.c). */
const TCP_OPTIONS = indexed<string>([
  [0, 'eol'],
  [1, 'nop'],
  [2, 'mss'],
  [3, 'wscale'],
  [4, 'sackOK'],
  [5, 'sack'],
  [6, 'echo'],
  [7, 'echoreply'],
  [8, 'TS'],
  [11, 'cc'],
  [12, 'ccnew'],
  [13, 'ccecho'],
  [19, 'md5'],
  [20, 'scps'],
  [28, 'uto'],
  [29, 'tcp-ao'],
  [30, 'mptcp'],
  [34, 'tfo'],
  [254, 'exp'],
]);

/** tcpdump's name of an EtherType, or undefined. */
export const etherTypeName = (t: number): string | undefined => lookup(ETHERTYPES, t);
export const arpHardwareName = (h: number): string | undefined => lookup(ARP_HARDWARE, h);
export const arpOpName = (op: number): string | undefined => lookup(ARP_OPS, op);
export const bsdAfName = (af: number): string | undefined => lookup(BSD_AFS, af);
export const icmpTypeName = (t: number): string | undefined => lookup(ICMP_TYPES, t);
/** Text around the address of an ICMP destination unreachable (codes 0, 1 and 5-15). */
export const icmpUnreachText = (code: number): readonly [string, string] | undefined => lookup(ICMP_UNREACH, code);
export const icmp6TypeName = (t: number): string | undefined => lookup(ICMP6_TYPES, t);
export const icmp6UnreachName = (code: number): string | undefined => lookup(ICMP6_UNREACH, code);
/** Packet type of a Linux cooked header: "?" for unknown values. */
export const sllPacketTypeName = (t: number): string => lookup(SLL_PACKET_TYPES, t) ?? '?';
export const tcpOptionName = (kind: number): string | undefined => lookup(TCP_OPTIONS, kind);
