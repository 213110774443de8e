// UDP, RFC 768
//  0              16             31
// |  Source Port  |   Dest Port   |
// |    Length     |   Checksum    |
import { u16 } from './bytes';
import { DecodeStatus, Layer, type PacketInfo } from './packet-info';
import { EncapType, setEncap } from './encap';

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
  if (hi < UdpTunnelPort.VXLAN || lo > UdpTunnelPort.MPLS) return DecodeStatus.Ok; // the fast path
  const o = off + UDP_HEADER_LEN;
  if (!tunnel(b, o, end, lo, p) && hi !== lo) tunnel(b, o, end, hi, p);
  return DecodeStatus.Ok;
}

/** Records the packet a UDP tunnel on `port` carries; false when the port is no tunnel. */
function tunnel(b: Uint8Array, o: number, end: number, port: number, p: PacketInfo): boolean {
  switch (port) {
    case UdpTunnelPort.VXLAN:
      setEncap(p, o + VXLAN_HEADER_LEN, end, EncapType.ETHERNET);
      return true;
    case UdpTunnelPort.GENEVE: {
      if (end - o < GENEVE_HEADER_LEN) return true;
      const type = u16(b, o + 2);
      const inner = o + GENEVE_HEADER_LEN + (b[o] & 0x3f) * 4;
      if (type === EncapType.ETHERNET || type === EncapType.IPV4 || type === EncapType.IPV6) setEncap(p, inner, end, type);
      return true;
    }
    case UdpTunnelPort.MPLS:
      setEncap(p, o, end, EncapType.MPLS);
      return true;
    default:
      return false;
  }
}
