// The decoded view of one packet: one reused record per pipeline, refilled for every packet.
// Every field has a number initializer so V8 keeps one object shape; -1 means absent.
// Byte-valued fields (MAC and IPv6 addresses, options, payload) are OFFSETS into the batch data,
// never copies: they are valid only while the batch is.

/**
 * Outcome of decoding a packet. Decoders never throw on packet bytes.
 * (A const enum, like Layer, EtherType, IpProto and LinkType: every use compiles to a number
 * literal, where an object's member is a load and a map check on the decoders' hot paths; there
 * is no runtime object.)
 */
export const enum DecodeStatus {
  /** Every layer that was recognised decoded completely. */
  Ok = 0,
  /** The capture was cut short (snaplen) inside a header: fields decoded so far are valid. */
  Truncated = 1,
  /** A header contradicts itself (bad length, bad version): fields decoded so far are valid. */
  Malformed = 2,
  /** The link type (or a required encapsulation) is not one portscope decodes. */
  Unsupported = 3,
}

export const DECODE_STATUS_NAMES = ['ok', 'truncated', 'malformed', 'unsupported'] as const;

/** Bits of PacketInfo.layers: which headers were decoded completely. */
export const enum Layer {
  Ethernet = 1 << 0,
  Vlan = 1 << 1,
  Llc = 1 << 2,
  Sll = 1 << 3,
  Null = 1 << 4,
  Arp = 1 << 5,
  Ipv4 = 1 << 6,
  Ipv6 = 1 << 7,
  Tcp = 1 << 8,
  Udp = 1 << 9,
  Icmp = 1 << 10,
  Icmp6 = 1 << 11,
  /** The IP packet is a fragment (IPv4 MF/offset, or an IPv6 fragment header). */
  Fragment = 1 << 12,
  Sll2 = 1 << 13,
  Gre = 1 << 14,
  Mpls = 1 << 15,
  Pppoe = 1 << 16,
}

/** TCP flag bits as in the header's 12-bit flags field (AE is the former NS bit). */
export const TcpFlag = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  AE: 0x100,
} as const;

/** Most VLAN tags walked in one frame. */
export const MAX_VLAN_TAGS = 8;
/** Most headers walked between the link and the network layer (see PacketInfo.shimCount). */
export const MAX_SHIMS = 16;

export class PacketInfo {
  // ---- frame ----
  tsSec = 0;
  tsNsec = 0;
  capLen = 0;
  wireLen = 0;
  /** Offset of the frame's first byte in the batch data. */
  frameStart = 0;
  /** Offset one past the last captured byte (frameStart + capLen). */
  capEnd = 0;
  linkType = 0;
  ifIndex = 0;
  /** 1-based packet number within the run (tshark's frame.number). */
  frameNumber = 0;
  status: DecodeStatus = DecodeStatus.Ok;
  /** Layer.* bits of the headers decoded completely. */
  layers = 0;

  // ---- link layer ----
  /** Offset of the destination MAC (Ethernet), or -1. */
  ethDstOff = -1;
  /** Offset of the source MAC (Ethernet, or the SLL/SLL2 link-layer address when 6 bytes), or -1. */
  ethSrcOff = -1;
  /** The outermost EtherType / length field of an Ethernet frame (eth.type), or -1. */
  ethType = -1;
  /** Final network-layer protocol (EtherType value) after VLAN tags, LLC/SNAP, SLL; -1 unknown. */
  netType = -1;
  /** Number of 802.1Q / 802.1ad tags walked. */
  vlanCount = 0;
  /** Outer and second VLAN ids, -1 absent. */
  vlanId0 = -1;
  vlanId1 = -1;
  /** Linux cooked capture: packet type (0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing), or -1. */
  sllPktType = -1;
  /** Linux cooked capture protocol field (sll.etype), or -1. */
  sllProto = -1;
  /** BSD loopback address family (null.family), or -1. */
  nullFamily = -1;

  // ---- network layer ----
  /** Offset of the IP (or ARP) header, or -1. */
  l3Offset = -1;
  /** 4, 6, or 0 when no IP layer (or only a cut fixed header: see ipCutVersion). */
  ipVersion = 0;
  /**
   * 4 or 6 when the IP fixed header is cut short by the snaplen (status Truncated; ipVersion stays
   * 0 so statistics do not count it). l3Offset and the fields lying wholly inside capEnd are set,
   * as tshark shows them: ipFirstProto, ipTtl, ipId, flags, src4 (16 bytes captured) / src6Off (24).
   */
  ipCutVersion = 0;
  /** IPv4 header length in bytes (with options); 40 for IPv6 (fixed header only). */
  ipHeaderLen = 0;
  /** IPv4 total length, or IPv6 payload length + 40; bytes the IP layer claims. */
  ipTotalLen = 0;
  /** Final upper-layer protocol after IPv6 extension headers (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6), -1 none. */
  ipProto = -1;
  /** IPv4 protocol field / IPv6 next-header field of the fixed header. */
  ipFirstProto = -1;
  ipTtl = 0;
  /** IPv4 identification, or the IPv6 fragment header identification; -1 absent. */
  ipId = -1;
  /** IPv4 DF flag (0/1). */
  ipDf = 0;
  /** More-fragments flag (IPv4 MF, or IPv6 fragment header M), 0/1. */
  ipMf = 0;
  /** Fragment offset in BYTES (IPv4 offset field * 8, IPv6 fragment header offset * 8). */
  ipFragOffset = 0;
  /** IPv4 header checksum verdict: 1 good, 0 bad, -1 not checked (truncated header / IPv6). */
  ipChecksumOk = -1;
  /** IPv4 source and destination as unsigned 32-bit numbers. */
  src4 = 0;
  dst4 = 0;
  /** Offsets of the IPv6 source / destination addresses (16 bytes each), or -1. */
  src6Off = -1;
  dst6Off = -1;
  /** IPv6 flow label / traffic class. */
  ip6FlowLabel = 0;
  ipTos = 0;

  // ---- transport layer ----
  /** Offset of the TCP/UDP/ICMP header, or -1 (absent, or a non-first fragment). */
  l4Offset = -1;
  /** Ports, -1 when absent (non-TCP/UDP, or non-first fragment). */
  srcPort = -1;
  dstPort = -1;
  tcpSeq = 0;
  tcpAck = 0;
  /** The 12-bit flags field: TcpFlag bits (AE, CWR, ECE, ...) and the 3 reserved bits above AE. */
  tcpFlags = 0;
  tcpWindow = 0;
  tcpUrgent = 0;
  /** TCP header length in bytes (data offset * 4). */
  tcpHeaderLen = 0;
  /** Parsed TCP options (-1 absent). */
  tcpMss = -1;
  tcpWscale = -1;
  tcpSackOk = 0;
  tcpTsVal = -1;
  tcpTsEcr = -1;
  /** UDP length field, -1 absent. */
  udpLen = -1;
  /** ICMP / ICMPv6 type and code, -1 absent. */
  icmpType = -1;
  icmpCode = -1;
  /** Echo identifier and sequence (ICMP/ICMPv6 echo request/reply), -1 absent. */
  icmpId = -1;
  icmpSeq = -1;
  /** ARP operation, -1 absent. */
  arpOp = -1;
  /** Offset of the transport payload (after the TCP/UDP header), -1 absent. */
  payloadOffset = -1;
  /** Transport payload length as the headers claim it (from IP lengths), 0 if unknown. */
  payloadLen = 0;

  // ---- added by the decoders ----
  /** Offset of the IPv6 fragment header, or -1 (ipv6.fraghdr.*; also for atomic fragments). */
  ip6FragHdrOff = -1;
  /** Offset one past the IP layer's bytes: min(capture end, IP total length end); -1 without IP. */
  ipEnd = -1;
  /**
   * An encapsulated packet that tshark would decode as another layer (IP-in-IP, GRE, VXLAN, the
   * IP header quoted by an ICMP error): its offset, its EtherType (0x0800, 0x86dd, 0x6558 for
   * Ethernet) and the end of its captured bytes. -1 when none. The main fields describe the OUTER
   * packet; the fields printer decodes inner layers from here into records of its own.
   */
  encapOffset = -1;
  encapType = -1;
  encapEnd = -1;
  /** Number of MPLS labels walked before the network layer. */
  mplsCount = 0;
  /**
   * Headers walked between the link layer and the network layer (VLAN tags, MACsec, Cisco
   * MetaData, Arista): they may nest, so decodeNetwork bounds them (MAX_SHIMS).
   */
  shimCount = 0;
  /**
   * Offsets of the first vlanCount (at most MAX_VLAN_TAGS) VLAN tags' TCI fields; the tag's TPID
   * (0x8100, 0x88a8, 0x9100) is the two bytes before. Valid for the first vlanCount entries.
   */
  readonly vlanTagOffs = new Int32Array(MAX_VLAN_TAGS);

  /**
   * Nonzero when a field of the rarely written group (see resetRare) may hold a value: every
   * decoder that writes one of them sets it, so decodeFrame resets that group only then.
   */
  rareDirty = 0;

  // Resetting. decodeFrame does not reset every field before each packet (about 60 stores, a
  // fifth of the decode time of a small TCP packet): the link, network and transport groups are
  // each either written whole by the decoder of their layer (the hot paths write every field of
  // their group, values or defaults) or reset by decodeFrame afterwards when no decoder wrote
  // them; the rare group is reset beforehand when rareDirty says a decoder wrote it. Decoders
  // that write part of a group reset the group first. Code other than the decoders writes no
  // field of a record that decodeFrame fills.

  /** Reset every field to absent (the frame fields excepted). */
  reset(): void {
    this.status = DecodeStatus.Ok;
    this.layers = 0;
    this.resetLink();
    this.resetNet();
    this.resetTransport();
    this.resetRare();
  }

  /** The link-layer group. */
  resetLink(): void {
    this.ethDstOff = -1;
    this.ethSrcOff = -1;
    this.ethType = -1;
    this.netType = -1;
  }

  /** The network-layer group (IPv4, IPv6, ARP); written whole when l3Offset >= 0. */
  resetNet(): void {
    this.l3Offset = -1;
    this.ipVersion = 0;
    this.ipHeaderLen = 0;
    this.ipTotalLen = 0;
    this.ipProto = -1;
    this.ipFirstProto = -1;
    this.ipTtl = 0;
    this.ipTos = 0;
    this.ipEnd = -1;
    this.clearNotIpv4();
    this.clearNotIpv6();
  }

  /** The network-layer fields that IPv4 never sets (decodeIpv4 clears them). */
  clearNotIpv4(): void {
    this.src6Off = -1;
    this.dst6Off = -1;
    this.ip6FlowLabel = 0;
    this.ip6FragHdrOff = -1;
  }

  /** The network-layer fields that the IPv6 fixed header never sets (a fragment header sets some). */
  clearNotIpv6(): void {
    this.ip6FragHdrOff = -1;
    this.ipId = -1;
    this.ipDf = 0;
    this.ipMf = 0;
    this.ipFragOffset = 0;
    this.ipChecksumOk = -1;
    this.src4 = 0;
    this.dst4 = 0;
  }

  /** The transport-layer group; written whole when l4Offset >= 0. */
  resetTransport(): void {
    this.l4Offset = -1;
    this.srcPort = -1;
    this.dstPort = -1;
    this.payloadOffset = -1;
    this.payloadLen = 0;
    this.clearNotUdp();
    this.clearNotTcp();
  }

  /** The transport-layer fields that UDP never sets: TCP's (its options are in the rare group). */
  clearNotUdp(): void {
    this.tcpSeq = 0;
    this.tcpAck = 0;
    this.tcpFlags = 0;
    this.tcpWindow = 0;
    this.tcpUrgent = 0;
    this.tcpHeaderLen = 0;
  }

  /** The transport-layer field that TCP never sets: UDP's length. */
  clearNotTcp(): void {
    this.udpLen = -1;
  }

  /** The rarely written group: link extras, cut IP headers, ARP, TCP options, ICMP, encapsulation. */
  resetRare(): void {
    this.rareDirty = 0;
    this.vlanCount = 0;
    this.vlanId0 = -1;
    this.vlanId1 = -1;
    this.sllPktType = -1;
    this.sllProto = -1;
    this.nullFamily = -1;
    this.mplsCount = 0;
    this.shimCount = 0;
    this.ipCutVersion = 0;
    this.arpOp = -1;
    this.tcpMss = -1;
    this.tcpWscale = -1;
    this.tcpSackOk = 0;
    this.tcpTsVal = -1;
    this.tcpTsEcr = -1;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.icmpId = -1;
    this.icmpSeq = -1;
    this.encapOffset = -1;
    this.encapType = -1;
    this.encapEnd = -1;
  }
}
