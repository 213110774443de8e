// UDP, RFC 768
//  0              16             31
// |  Source Port  |   Dest Port   |
// |    Length     |   Checksum    |
import { u16, viewOf } from './bytes';
import { DecodeStatus, Layer, type PacketInfo } from './packet-info';
import { setEncap } from './encap';
import { EtherType } from './ethertype';
import { decodeCutPorts } from './tcp';

const enum F { SRC_PORT = 0, DST_PORT = 2, LENGTH = 4, CHECKSUM = 6, PAYLOAD = 8 }
export const UDP_HEADER_LEN: number = F.PAYLOAD;

/** Tunnels tshark decodes by UDP port (its defaults). */
export const enum UdpTunnelPort {
  /** VXLAN, RFC 7348: flags (1), reserved (3), VNI (3), reserved (1), then Ethernet. */
  VXLAN = 4789,
  /** Geneve, RFC 8926: ver|optlen (1), flags (1), protocol type (2), VNI (3), reserved (1), options. */
  GENEVE = 6081,
  /** MPLS in UDP, RFC 7510: a label stack. */
  MPLS = 6635,
}
const VXLAN_HEADER_LEN = 8;
const GENEVE_HEADER_LEN = 8;

/** Fills `p` from the UDP header at `off` (end: the IP layer's end). Never throws. */
export function decodeUdp(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  const avail = end - off;
  if (avail < F.PAYLOAD) return decodeCutPorts(b, off, avail, p);
  const v = viewOf(b);
  const ports = v.getUint32(off + F.SRC_PORT);
  const src = ports >>> 16;
  const dst = ports & 0xffff;
  const len = v.getUint16(off + F.LENGTH); // header + payload, bytes
  // This path writes the whole transport-layer group (see PacketInfo.rareDirty).
  p.clearNotUdp();
  p.l4Offset = off;
  p.srcPort = src;
  p.dstPort = dst;
  p.udpLen = len;
  p.layers |= Layer.Udp;
  p.payloadOffset = off + F.PAYLOAD;
  p.payloadLen = avail - F.PAYLOAD;
  // 0 is legal only in IPv6 jumbograms, which we do not decode (nor does tshark).
  if (len < F.PAYLOAD) return DecodeStatus.Malformed;
  // tshark tries the lower port first.
  if (isTunnelPort(src) || isTunnelPort(dst)) {
    const lo = src < dst ? src : dst;
    const hi = src < dst ? dst : src;
    tunnel(b, off + F.PAYLOAD, end, isTunnelPort(lo) ? lo : hi, p);
  }
  return DecodeStatus.Ok;
}

/** VXLAN, Geneve, MPLS-in-UDP; one range test first keeps the common ports to one branch. */
function isTunnelPort(port: number): boolean {
  return (
    port >= UdpTunnelPort.VXLAN &&
    port <= UdpTunnelPort.MPLS &&
    (port === UdpTunnelPort.VXLAN || port === UdpTunnelPort.GENEVE || port === UdpTunnelPort.MPLS)
  );
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
