// GRE, RFC 2784 / 2890 (version 0) and RFC 2637 (version 1, PPTP).
//  0 1 2 3       13    16                  31
// |C|R|K|S|...|Ver|  Protocol Type (EtherType) |
// |  Checksum (C)  |  Reserved (C)             |   C or R present in version 0
// |              Key (K)                       |
// |         Sequence Number (S)                |
// |         Acknowledgment Number (v1, A bit)  |
import { u16 } from './bytes';
import { DecodeStatus, Layer, type PacketInfo } from './packet-info';
import { setEncap } from './encap';
import { EtherType } from './ethertype';

// ERSPAN (draft-foschiano-erspan): type I/II on 0x88be, type III on 0x22eb; then an Ethernet frame.
const ERSPAN_II_HEADER_LEN = 8;
const ERSPAN_III_HEADER_LEN = 12;
/** Type III: the O bit (last bit of the header) announces an 8-byte platform subheader. */
const ERSPAN_III_O = 0x01;
const ERSPAN_III_SUBHEADER_LEN = 8;
const CMD_GRE_LEN = 8;
const WCCP_REDIRECT_LEN = 4;

export const GRE_MIN_HEADER_LEN = 4;
const FLAG_C = 0x8000;
const FLAG_R = 0x4000;
const FLAG_K = 0x2000;
const FLAG_S = 0x1000;
const FLAG_A = 0x0080;
const VERSION_MASK = 0x0007;

/** Decodes a GRE header; an IPv4, IPv6 or Ethernet payload becomes the encapsulated layer. */
export function decodeGre(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  if (end - off < GRE_MIN_HEADER_LEN) return DecodeStatus.Truncated;
  p.resetTransport(); // GRE writes part of the transport-layer group
  p.l4Offset = off;
  const flags = u16(b, off);
  const proto = u16(b, off + 2);
  let len = GRE_MIN_HEADER_LEN;
  if (flags & VERSION_MASK) {
    if (flags & FLAG_K) len += 4;
    if (flags & FLAG_S) len += 4;
    if (flags & FLAG_A) len += 4;
  } else {
    if (flags & (FLAG_C | FLAG_R)) len += 4;
    if (flags & FLAG_K) len += 4;
    if (flags & FLAG_S) len += 4;
  }
  if (end - off < len) return DecodeStatus.Truncated;
  p.layers |= Layer.Gre;
  p.payloadOffset = off + len;
  p.payloadLen = end - off - len;
  const o = off + len;
  switch (proto) {
    case EtherType.IPV4:
    case EtherType.IPV6:
    case EtherType.TEB:
    case EtherType.MPLS:
      setEncap(p, o, end, proto);
      break;
    case EtherType.WCCP:
      // WCCP redirect: an IPv4 packet, after a 4-byte redirect header unless one starts right away.
      if (end - o >= 1) setEncap(p, b[o] >> 4 === 4 ? o : o + WCCP_REDIRECT_LEN, end, EtherType.IPV4);
      break;
    case EtherType.CISCO_METADATA:
      // In GRE the EtherType comes first: type (2), version (1), length (1), option (2), SGT (2).
      if (end - o >= CMD_GRE_LEN) {
        const inner = u16(b, o);
        if (inner === EtherType.IPV4 || inner === EtherType.IPV6 || inner === EtherType.TEB) {
          setEncap(p, o + CMD_GRE_LEN, end, inner);
        }
      }
      break;
    case EtherType.ERSPAN_II:
      // Type I has no sequence number and no ERSPAN header; type II an 8-byte header.
      setEncap(p, flags & FLAG_S ? o + ERSPAN_II_HEADER_LEN : o, end, EtherType.TEB);
      break;
    case EtherType.ERSPAN_III:
      if (end - o >= ERSPAN_III_HEADER_LEN) {
        const w = u16(b, o + ERSPAN_III_HEADER_LEN - 2);
        const sub = w & ERSPAN_III_O ? ERSPAN_III_SUBHEADER_LEN : 0;
        // Frame type (5 bits after the P bit): 0 is Ethernet; others (IP, ...) we leave alone.
        if (((w >> 10) & 0x1f) === 0) setEncap(p, o + ERSPAN_III_HEADER_LEN + sub, end, EtherType.TEB);
      }
      break;
    default:
      break;
  }
  return DecodeStatus.Ok;
}
