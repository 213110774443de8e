// IPv6, RFC 8200, with its extension headers.
//  0       4               12                                      31
// |Version| Traffic Class |              Flow Label                 |
// |         Payload Length        |  Next Header  |   Hop Limit     |
// |                  Source Address (16 bytes)                      |
// |               Destination Address (16 bytes)                    |
//
// Extension headers walked: hop-by-hop (0), routing (43), destination options (60): next header
// (1), length in 8-byte units not counting the first 8 (1); fragment (44): next header (1),
// reserved (1), offset (13 bits, 8-byte units) | res (2) | M (1), identification (4); AH (51):
// next header (1), length in 4-byte units minus 2 (1).
import { u16, u32 } from './bytes';
import { DecodeStatus, Layer, type PacketInfo } from './packet-info';
import { decodeIpPayload, IpProto } from './ip-proto';

export const IPV6_HEADER_LEN = 40;
const F = { VER_TC_FLOW: 0, PAYLOAD_LEN: 4, NEXT: 6, HOP_LIMIT: 7, SRC: 8, DST: 24 } as const;
const FRAG_HDR_LEN = 8;
/** A safety bound only: every header is at least 8 bytes long, so the walk ends anyway. */
const MAX_EXT_HEADERS = 1024;
/** Hop-by-hop Jumbo Payload option, RFC 2675: type 0xc2, length 4, a 32-bit payload length. */
const OPT_JUMBO = 0xc2;

/** Is `nh` an extension header this decoder walks? */
export function isIpv6Ext(nh: number): boolean {
  return (
    nh === IpProto.HOPOPTS || nh === IpProto.ROUTING || nh === IpProto.DSTOPTS || nh === IpProto.FRAGMENT || nh === IpProto.AH
  );
}

/** Length in bytes of the extension header `nh` at b[o] (its first two bytes must be present). */
export function ipv6ExtLen(b: Uint8Array, o: number, nh: number): number {
  if (nh === IpProto.FRAGMENT) return FRAG_HDR_LEN;
  if (nh === IpProto.AH) return (b[o + 1] + 2) * 4;
  return (b[o + 1] + 1) * 8;
}

/** Decodes the IPv6 packet at b[off .. end) and its transport header. Never throws. */
export function decodeIpv6(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  const avail = end - off;
  if (avail < 1) return DecodeStatus.Truncated;
  if (b[off] >> 4 !== 6) return DecodeStatus.Malformed;
  if (avail < IPV6_HEADER_LEN) {
    decodeCutHeader(b, off, avail, p);
    return DecodeStatus.Truncated;
  }
  const w = u32(b, off + F.VER_TC_FLOW);
  const payloadLen = u16(b, off + F.PAYLOAD_LEN);
  p.l3Offset = off;
  p.ipVersion = 6;
  p.ipHeaderLen = IPV6_HEADER_LEN;
  p.ipTotalLen = payloadLen + IPV6_HEADER_LEN;
  p.ipTos = (w >>> 20) & 0xff;
  p.ip6FlowLabel = w & 0xfffff;
  let nh = b[off + F.NEXT];
  p.ipFirstProto = nh;
  p.ipProto = nh;
  p.ipTtl = b[off + F.HOP_LIMIT];
  p.src6Off = off + F.SRC;
  p.dst6Off = off + F.DST;
  p.layers |= Layer.Ipv6;
  // Payload length 0 is a jumbogram (RFC 2675, BIG TCP) when a hop-by-hop Jumbo option gives the
  // length; otherwise, like tshark, we take it as 0.
  let ipEnd = off + IPV6_HEADER_LEN + payloadLen;
  if (payloadLen === 0 && nh === IpProto.HOPOPTS) {
    const jumbo = jumboLength(b, off + IPV6_HEADER_LEN, end);
    if (jumbo > 0) {
      ipEnd = off + IPV6_HEADER_LEN + jumbo;
      p.ipTotalLen = IPV6_HEADER_LEN + jumbo;
    }
  }
  if (ipEnd > end) ipEnd = end;
  p.ipEnd = ipEnd;
  let o = off + IPV6_HEADER_LEN;
  let firstFragment = true;
  for (let n = 0; isIpv6Ext(nh); n++) {
    if (n === MAX_EXT_HEADERS) return DecodeStatus.Malformed;
    if (ipEnd - o < 2) return ipEnd < end ? DecodeStatus.Malformed : DecodeStatus.Truncated;
    const len = ipv6ExtLen(b, o, nh);
    if (ipEnd - o < len) return ipEnd < end ? DecodeStatus.Malformed : DecodeStatus.Truncated;
    if (nh === IpProto.FRAGMENT) {
      const fo = u16(b, o + 2);
      p.ip6FragHdrOff = o;
      p.ipFragOffset = (fo >> 3) * 8;
      p.ipMf = fo & 1;
      p.ipId = u32(b, o + 4);
      if (p.ipFragOffset !== 0 || p.ipMf) p.layers |= Layer.Fragment;
      if (p.ipFragOffset !== 0) firstFragment = false;
    }
    nh = b[o];
    p.ipProto = nh;
    o += len;
  }
  if (!firstFragment) return DecodeStatus.Ok;
  const st = decodeIpPayload(b, o, ipEnd, nh, p);
  if (p.payloadOffset >= 0 && payloadLen !== 0) p.payloadLen = Math.max(0, off + IPV6_HEADER_LEN + payloadLen - p.payloadOffset);
  return st;
}

/**
 * A fixed header cut by the snaplen: fills the fields that are wholly present, as tshark shows
 * them, with ipCutVersion 6 (see PacketInfo). Readers check `capEnd - l3Offset` against a field's end before
 * using it (source address: 24, destination address: 40).
 */
function decodeCutHeader(b: Uint8Array, off: number, avail: number, p: PacketInfo): void {
  p.l3Offset = off;
  p.ipCutVersion = 6;
  p.ipHeaderLen = IPV6_HEADER_LEN;
  if (avail >= 4) {
    const w = u32(b, off + F.VER_TC_FLOW);
    p.ipTos = (w >>> 20) & 0xff;
    p.ip6FlowLabel = w & 0xfffff;
  }
  if (avail >= 6) p.ipTotalLen = u16(b, off + F.PAYLOAD_LEN) + IPV6_HEADER_LEN;
  if (avail >= 7) p.ipFirstProto = b[off + F.NEXT];
  if (avail >= 8) p.ipTtl = b[off + F.HOP_LIMIT];
  if (avail >= 24) p.src6Off = off + F.SRC;
}

/** The Jumbo Payload length in the hop-by-hop header at b[o .. end), or -1. */
function jumboLength(b: Uint8Array, o: number, end: number): number {
  if (end - o < 8) return -1;
  const hend = o + (b[o + 1] + 1) * 8;
  let q = o + 2;
  while (q + 2 <= hend && q + 2 <= end) {
    const t = b[q];
    if (t === 0) {
      q++; // Pad1
      continue;
    }
    const len = b[q + 1];
    if (t === OPT_JUMBO && len === 4 && q + 6 <= end) return u32(b, q + 2);
    q += 2 + len;
  }
  return -1;
}
