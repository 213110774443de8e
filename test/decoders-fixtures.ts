// Fixed packets for the decoder and fields tests: bytes, link type, and tcpdump 4.99's reading of
// them (`tcpdump -nv -r FILE`, one line) in a comment.

export interface Fixture {
  name: string;
  linkType: number;
  hex: string;
}

export const FIXTURES: Fixture[] = [
  // IP (tos 0x0, ttl 64, id 4660, offset 0, flags [DF], proto TCP (6), length 60) 10.0.0.1.40000 >
  // 10.0.0.2.80: Flags [S], cksum 0x0000 (incorrect -> 0x9893), seq 1000, win 64240,
  // options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
  {
    name: 'eth_ipv4_tcp_syn',
    linkType: 1,
    hex:
      '66778899aabb00112233445508004500003c12344000400614860a0000010a0000029c400050000003e800000000' +
      'a002faf000000000020405b40402080a000000010000000001030307',
  },
  // IP6 (hlim 64, next-header UDP (17) payload length: 12) 2001:db8::1.5353 > 2001:db8::2.53:
  // [bad udp cksum 0x0000 -> 0xca7c!] domain [length 4 < 12] (invalid)        (802.1Q vlan 100, pcp 1)
  {
    name: 'eth_vlan_ipv6_udp',
    linkType: 1,
    hex:
      '66778899aabb0011223344558100206486dd60000000000c114020010db800000000000000000000000120010db8' +
      '00000000000000000000000214e90035000c000061626364',
  },
  // IP (tos 0x0, ttl 64, id 4660, offset 0, flags [DF], proto ICMP (1), length 32) 10.0.0.1 >
  // 10.0.0.2: ICMP echo request, id 16962, seq 7, length 12
  {
    name: 'eth_ipv4_icmp_echo',
    linkType: 1,
    hex: '66778899aabb00112233445508004500002012344000400114a70a0000010a0000020800d6e54242000770696e67',
  },
  // ARP, Ethernet (len 6), IPv4 (len 4), Request who-has 10.0.0.2 tell 10.0.0.1, length 46
  {
    name: 'eth_arp_request',
    linkType: 1,
    hex:
      'ffffffffffff001122334455080600010800060400010011223344550a0000010000000000000a000002000000000000' +
      '000000000000000000000000',
  },
  // (Linux cooked v1) IP (tos 0x0, ttl 64, id 4660, offset 0, flags [DF], proto UDP (17), length 32)
  // 10.0.0.1.5353 > 10.0.0.2.53: domain [length 4 < 12] (invalid)
  {
    name: 'sll_ipv4_udp',
    linkType: 113,
    hex: '000000010006001122334455000008004500002012344000401114970a0000010a00000214e90035000c000061626364',
  },
  // (BSD loopback, family 30) IP6 (hlim 64, next-header ICMPv6 (58) payload length: 8) 2001:db8::1 >
  // 2001:db8::2: [bad icmp6 cksum 0x0000 -> 0x23ac!] ICMP6, echo request, id 153, seq 3
  {
    name: 'null_ipv6_icmpv6_echo',
    linkType: 0,
    hex:
      '1e0000006000000000083a4020010db800000000000000000000000120010db8000000000000000000000002800000' +
      '0000990003',
  },
  // (raw IP) IP (tos 0x0, ttl 64, id 4660, offset 1480, flags [+], proto UDP (17), length 36)
  // 10.0.0.1 > 10.0.0.2: ip-proto-17
  {
    name: 'raw_ipv4_fragment',
    linkType: 101,
    hex: '45000024123420b9401133da0a0000010a00000278787878787878787878787878787878',
  },
  // (raw IPv6) IP6 (hlim 64, next-header Options (0) payload length: 28) 2001:db8::1 > 2001:db8::2:
  // HBH (padn) frag (0xdeadbeef:0|12) 5353 > 53: domain [length 4 < 12] (invalid)
  {
    name: 'ipv6_hbh_frag_udp',
    linkType: 229,
    hex:
      '60000000001c004020010db800000000000000000000000120010db80000000000000000000000022c00010400000000' +
      '11000001deadbeef14e90035000c000061626364',
  },
  // (802.3 + LLC/SNAP) IP (tos 0x0, ttl 64, id 4660, offset 0, flags [DF], proto UDP (17), length 32)
  // 10.0.0.1.5353 > 10.0.0.2.53: domain [length 4 < 12] (invalid)
  {
    name: 'eth_8023_snap_ipv4',
    linkType: 1,
    hex:
      '66778899aabb0011223344550028aaaa0300000008004500002012344000401114970a0000010a00000214e90035000c' +
      '000061626364',
  },
  // (802.1ad 100, 802.1Q 200) IP (tos 0x0, ttl 64, id 4660, offset 0, flags [DF], proto UDP (17),
  // length 32) 10.0.0.1.5353 > 10.0.0.2.53: domain [length 4 < 12] (invalid)
  {
    name: 'eth_qinq_ipv4',
    linkType: 1,
    hex:
      '66778899aabb00112233445588a80064810000c808004500002012344000401114970a0000010a00000214e90035000c' +
      '000061626364',
  },
  // IP (..., proto GRE (47), length 56) 10.0.0.1 > 10.0.0.2: GREv0, Flags [none], length 36
  // IP (..., proto UDP (17), length 32) 192.168.0.1.5353 > 192.168.0.2.53: domain [length 4 < 12] (invalid)
  {
    name: 'eth_ipv4_gre_ipv4',
    linkType: 1,
    hex:
      '66778899aabb00112233445508004500003812344000402f14610a0000010a0000020000080045000020123440004011' +
      'a745c0a80001c0a8000214e90035000c000061626364',
  },
  // IP (..., proto ICMP (1), length 56) 10.0.0.1 > 10.0.0.2: ICMP 10.0.0.1 udp port 53 unreachable,
  // length 36 IP (..., proto UDP (17), length 32) 10.0.0.2.5353 > 10.0.0.1.53: domain [length 4 < 12]
  {
    name: 'eth_ipv4_icmp_unreach',
    linkType: 1,
    hex:
      '66778899aabb001122334455080045000038123440004001148f0a0000010a0000020303e7d2000000004500002012' +
      '344000401114970a0000020a00000114e90035000c0000',
  },
  // IP (tos 0x0, ttl 64, id 4660, offset 0, flags [DF], proto UDP (17), length 95) 10.0.0.1.50000 >
  // 10.0.0.2.4789: VXLAN, flags [I] (0x08), vni 4660 IP (tos 0x0, ttl 64, id 4660, offset 0, flags
  // [DF], proto TCP (6), length 45) 172.16.0.1.443 > 172.16.0.2.51000: Flags [P.EW], cksum 0x0000
  // (incorrect -> 0x36d4), seq 287454020:287454025, ack 1432778632, win 501, length 5
  {
    name: 'eth_ipv4_udp_vxlan_tcp',
    linkType: 1,
    hex:
      '66778899aabb00112233445508004500005f12344000401114580a0000010a000002c35012b5004b0000080000000012' +
      '340002000000000202000000000108004500002d123440004006d073ac100001ac10000201bbc7381122334455667788' +
      '50d801f50000000068656c6c6f',
  },
  // MPLS (label 1000, tc 0, ttl 64) (label 2000, tc 0, [S], ttl 63) IP (tos 0x0, ttl 64, id 4660,
  // offset 0, flags [DF], proto UDP (17), length 32) 10.0.0.1.5353 > 10.0.0.2.53: domain [length 4 <
  // 12] (invalid)
  {
    name: 'eth_mpls_ipv4_udp',
    linkType: 1,
    hex:
      '66778899aabb0011223344558847003e8040007d013f4500002012344000401114970a0000010a00000214e90035000c' +
      '000061626364',
  },
  // PPPoE [ses 0x1234] IP6 (hlim 64, next-header ICMPv6 (58) payload length: 8) 2001:db8::1 >
  // 2001:db8::2: [bad icmp6 cksum 0x0000 -> 0x22ab!] ICMP6, echo reply, id 153, seq 4
  {
    name: 'eth_pppoe_ipv6_icmpv6',
    linkType: 1,
    hex:
      '66778899aabb001122334455886411001234003200576000000000083a4020010db80000000000000000000000012001' +
      '0db80000000000000000000000028100000000990004',
  },
  // ifb0 In IP6 (hlim 64, next-header UDP (17) payload length: 12) 2001:db8::1.5353 >
  // 2001:db8::2.53: [bad udp cksum 0x0000 -> 0xca7c!] domain [length 4 < 12] (invalid)
  {
    name: 'sll2_ipv6_udp',
    linkType: 276,
    hex:
      '86dd00000000000200010006001122334455000060000000000c114020010db800000000000000000000000120010db8' +
      '00000000000000000000000214e90035000c000061626364',
  },
  // IP6 (hlim 64, next-header ICMPv6 (58) payload length: 60) 2001:db8::1 > 2001:db8::2: [bad icmp6
  // cksum 0x0000 -> 0xfc5d!] ICMP6, destination unreachable, unreachable port, 2001:db8::1 udp port
  // 53
  {
    name: 'eth_ipv6_icmpv6_unreach',
    linkType: 1,
    hex:
      '66778899aabb00112233445586dd60000000003c3a4020010db800000000000000000000000120010db8000000000000' +
      '000000000002010400000000000060000000000c114020010db800000000000000000000000220010db8000000000000' +
      '00000000000114e90035000c000061626364',
  },
  // IP (tos 0x0, ttl 64, id 4660, offset 0, flags [DF], proto TCP (6), length 53, options (RR
  // 0.0.0.0,NOP)) 10.0.0.1.443 > 10.0.0.2.51000: Flags [P.EW], cksum 0x0000 (incorrect -> 0x7af5),
  // seq 287454020:287454025, ack 1432778632, win 501, length 5
  {
    name: 'eth_ipv4opts_tcp_data',
    linkType: 1,
    hex:
      '66778899aabb00112233445508004700003512344000400607850a0000010a000002070704000000000101bbc7381122' +
      '33445566778850d801f50000000068656c6c6f',
  },
  // IP (tos 0x0, ttl 64, id 4660, offset 0, flags [DF], proto ICMP (1), length 32) 10.0.0.1 >
  // 10.0.0.2: ICMP echo request, id 16962, seq 7, length 12
  {
    name: 'loop_ipv4_icmp',
    linkType: 108,
    hex:
      '000000024500002012344000400114a70a0000010a0000020800d6e54242000770696e67',
  },
  // ARP, Ethernet (len 6), IPv4 (len 4), Reply 10.0.0.2 is-at 66:77:88:99:aa:bb, length 28
  {
    name: 'eth_arp_reply',
    linkType: 1,
    hex:
      '00112233445566778899aabb0806000108000604000266778899aabb0a0000020011223344550a000001',
  },
];

export function fixtureBytes(f: Fixture): Uint8Array {
  return Uint8Array.from(Buffer.from(f.hex, 'hex'));
}

/** A classic pcap file (microsecond, little-endian) holding the given packets, for the real tools. */
export function pcapFile(linkType: number, packets: Uint8Array[], tsSec = 1700000000): Buffer {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(262144, 16);
  h.writeUInt32LE(linkType, 20);
  parts.push(h);
  packets.forEach((p, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(tsSec + i, 0);
    r.writeUInt32LE(i * 1000, 4);
    r.writeUInt32LE(p.length, 8);
    r.writeUInt32LE(p.length, 12);
    parts.push(r, Buffer.from(p));
  });
  return Buffer.concat(parts);
}
