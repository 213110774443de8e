// Name tables of tcpdump 4.99 (ethertype_values, arphrd_values, arpop_values, icmp6_type_values,
// bsd_af_values ...), looked up by number. Strings are constants: a lookup allocates nothing.

/** tcpdump's ethertype_values (print-ether.c), first entry wins for duplicates. */
const ETHERTYPES: ReadonlyArray<readonly [number, string]> = [
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
];

const ETHERTYPE_NAME: (string | undefined)[] = new Array(0x10000);
for (const [v, n] of ETHERTYPES) if (ETHERTYPE_NAME[v] === undefined) ETHERTYPE_NAME[v] = n;

/** tcpdump's name of an EtherType, or undefined. */
export function etherTypeName(t: number): string | undefined {
  return ETHERTYPE_NAME[t & 0xffff];
}

/** arphrd_values (print-arp.c). */
export function arpHardwareName(h: number): string | undefined {
  switch (h) {
    case 1:
      return 'Ethernet';
    case 6:
      return 'TokenRing';
    case 7:
      return 'ArcNet';
    case 15:
      return 'FrameRelay';
    case 19:
      return 'ATM';
    case 23:
      return 'Strip';
    case 24:
      return 'IEEE 1394';
    case 32:
      return 'InfiniBand';
    default:
      return undefined;
  }
}

/** arpop_values (print-arp.c). */
export function arpOpName(op: number): string | undefined {
  switch (op) {
    case 1:
      return 'Request';
    case 2:
      return 'Reply';
    case 3:
      return 'Reverse Request';
    case 4:
      return 'Reverse Reply';
    case 8:
      return 'Inverse Request';
    case 9:
      return 'Inverse Reply';
    case 10:
      return 'NACK Reply';
    default:
      return undefined;
  }
}

/** bsd_af_values (af.c) for LINKTYPE_NULL / LOOP. */
export function bsdAfName(af: number): string | undefined {
  switch (af) {
    case 2:
      return 'IPv4';
    case 7:
      return 'ISO';
    case 16:
      return 'Appletalk';
    case 23:
      return 'IPX';
    case 24:
    case 28:
    case 30:
      return 'IPv6';
    default:
      return undefined;
  }
}

/** icmp2str (print-icmp.c): ICMP types printed by name only. */
export function icmpTypeName(t: number): string | undefined {
  switch (t) {
    case 0:
      return 'echo reply';
    case 4:
      return 'source quench';
    case 8:
      return 'echo request';
    case 10:
      return 'router solicitation';
    case 13:
      return 'time stamp request';
    case 14:
      return 'time stamp reply';
    case 15:
      return 'information request';
    case 16:
      return 'information reply';
    case 17:
      return 'address mask request';
    default:
      return undefined;
  }
}

/** ICMP destination-unreachable codes 5-15 (print-icmp.c): [text before, text after] the address. */
export function icmpUnreachText(code: number): readonly [string, string] | undefined {
  switch (code) {
    case 5:
      return ['', ' unreachable - source route failed'];
    case 6:
      return ['net ', ' unreachable - unknown'];
    case 7:
      return ['host ', ' unreachable - unknown'];
    case 8:
      return ['', ' unreachable - source host isolated'];
    case 9:
      return ['net ', ' unreachable - admin prohibited'];
    case 10:
      return ['host ', ' unreachable - admin prohibited'];
    case 11:
      return ['net ', ' unreachable - tos prohibited'];
    case 12:
      return ['host ', ' unreachable - tos prohibited'];
    case 13:
      return ['host ', ' unreachable - admin prohibited filter'];
    case 14:
      return ['host ', ' unreachable - host precedence violation'];
    case 15:
      return ['host ', ' unreachable - precedence cutoff'];
    default:
      return undefined;
  }
}

/** icmp6_type_values (print-icmp6.c). */
export function icmp6TypeName(t: number): string | undefined {
  switch (t) {
    case 1:
      return 'destination unreachable';
    case 2:
      return 'packet too big';
    case 3:
      return 'time exceeded in-transit';
    case 4:
      return 'parameter problem';
    case 128:
      return 'echo request';
    case 129:
      return 'echo reply';
    case 130:
      return 'multicast listener query';
    case 131:
      return 'multicast listener report';
    case 132:
      return 'multicast listener done';
    case 133:
      return 'router solicitation';
    case 134:
      return 'router advertisement';
    case 135:
      return 'neighbor solicitation';
    case 136:
      return 'neighbor advertisement';
    case 137:
      return 'redirect';
    case 138:
      return 'router renumbering';
    case 139:
      return 'who-are-you request';
    case 140:
      return 'who-are-you reply';
    case 141:
      return 'inverse neighbor solicitation';
    case 142:
      return 'inverse neighbor advertisement';
    case 143:
      return 'multicast listener report v2';
    case 144:
      return 'ha discovery request';
    case 145:
      return 'ha discovery reply';
    case 146:
      return 'mobile router solicitation';
    case 147:
      return 'mobile router advertisement';
    case 155:
      return 'RPL';
    case 200:
      return 'mtrace response';
    case 201:
      return 'mtrace message';
    default:
      return undefined;
  }
}

/** icmp6_dst_unreach_code_values (print-icmp6.c). */
export function icmp6UnreachName(code: number): string | undefined {
  switch (code) {
    case 0:
      return 'unreachable route';
    case 1:
      return ' unreachable prohibited';
    case 2:
      return 'beyond scope';
    case 3:
      return 'unreachable address';
    case 4:
      return 'unreachable port';
    default:
      return undefined;
  }
}

/** sll_pkttype_values (print-sll.c). */
export function sllPacketTypeName(t: number): string {
  switch (t) {
    case 0:
      return 'In';
    case 1:
      return 'B';
    case 2:
      return 'M';
    case 3:
      return 'P';
    case 4:
      return 'Out';
    default:
      return '?';
  }
}

/** tcp_option_values (print-tcp.c). */
export function tcpOptionName(kind: number): string | undefined {
  switch (kind) {
    case 0:
      return 'eol';
    case 1:
      return 'nop';
    case 2:
      return 'mss';
    case 3:
      return 'wscale';
    case 4:
      return 'sackOK';
    case 5:
      return 'sack';
    case 6:
      return 'echo';
    case 7:
      return 'echoreply';
    case 8:
      return 'TS';
    case 11:
      return 'cc';
    case 12:
      return 'ccnew';
    case 13:
      return 'ccecho';
    case 19:
      return 'md5';
    case 20:
      return 'scps';
    case 28:
      return 'uto';
    case 29:
      return 'tcp-ao';
    case 30:
      return 'mptcp';
    case 34:
      return 'tfo';
    case 254:
      return 'exp';
    default:
      return undefined;
  }
}
