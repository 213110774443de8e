// UDP, RFC 768
//  0              16             31
// |  Source Port  |   Dest Port   |
// |    Length     |   Checksum    |
import { u16 } from './bytes';
import { DecodeStatus, Layer, type PacketInfo } from './packet-info';
import { setEncap } from './encap';
import { EtherType } from './ethertype';

export const UDP_HEADER_LEN = 8;
const F = { SRC_PORT: 0, DST_PORT: 2, LENGTH: 4, CHECKSUM: 6 } as const;

/** Tunnels tshark decodes by UDP port (its defaults). */
export const UdpTunnelPort = {
  /** VXLAN, RFC 7348: flags (1), reserved (3), VNI (3), reserved (1), then Ethernet. */
  VXLAN: 4789,
  /** Geneve, RFC 8926: ver|optlen (1), flags (1), protocol type (2), VNI (3), reserved (1), options. */
  GENEVE: 6081,
  /** MPLS in UDP, RFC 7510: a label stack. */
  MPLS: 6635,
} as const;
const VXLAN_HEADER_LEN = 8;
const GENEVE_HEADER_LEN = 8;

/** Fills `p` from the UDP header at `off` (end: the IP layer's end). Never throws. */
export function decodeUdp(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  const avail = end - off;
  if (avail < 4) return DecodeStatus.Truncated;
  p.l4Offset = off;
  const src = u16(b, off + F.SRC_PORT);
  const dst = u16(b, off + F.DST_PORT);
  p.srcPort = src;
  p.dstPort = dst;
  if (avail < UDP_HEADER_LEN) return DecodeStatus.Truncated;
  const len = u16(b, off + F.LENGTH); // header + payload, bytes
  p.udpLen = len;
  p.layers |= Layer.Udp;
  p.payloadOffset = off + UDP_HEADER_LEN;
  p.payloadLen = avail - UDP_HEADER_LEN;
  // 0 is legal only in IPv6 jumbograms, which we do not decode (nor does tshark).
  if (len < UDP_HEADER_LEN) return DecodeStatus.Malformed;
  // tshark tries the lower port first.
  const lo = src < dst ? src : dst;
  const hi = src < dst ? dst : src;
  if (isTunnelPort(lo)) tunnel(b, off + UDP_HEADER_LEN, end, lo, p);
  else if (isTunnelPort(hi)) tunnel(b, off + UDP_HEADER_LEN, end, hi, p);
  return DecodeStatus.Ok;
}

function isTunnelPort(port: number): boolean {
  return port === UdpTunnelPort.VXLAN || port === UdpTunnelPort.GENEVE || port === UdpTunnelPort.MPLS;
}

/** Records the packet that the UDP tunnel on `port` carries at b[o .. end). */
function tunnel(b: Uint8Array, o: number, end: number, port: number, p: PacketInfo): void {
  if (port === UdpTunnelPort.VXLAN) {
    setEncap(p, o + VXLAN_HEADER_LEN, end, EtherType.TEB);
  } else if (port === UdpTunnelPort.GENEVE) {
    if (end - o < GENEVE_HEADER_LEN) return;
    const type = u16(b, o + 2);
    const inner = o + GENEVE_HEADER_LEN + (b[o] & 0x3f) * 4;
    if (type === EtherType.TEB || type === EtherType.IPV4 || type === EtherType.IPV6) setEncap(p, inner, end, type);
  } else {
    setEncap(p, o, end, EtherType.MPLS);
  }
}
