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
import { u16, u32, viewOf } from './bytes';
import { DecodeStatus, Layer, type PacketInfo } from './packet-info';
import { decodeIpPayload, IpProto } from './ip-proto';

const enum F { VER_TC_FLOW = 0, PAYLOAD_LEN = 4, NEXT = 6, HOP_LIMIT = 7, SRC = 8, DST = 24, PAYLOAD = 40 }
export const IPV6_HEADER_LEN: number = F.PAYLOAD;
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
  if (avail < F.PAYLOAD) return decodeShortIpv6(b, off, avail, p);
  const v = viewOf(b);
  const w0 = v.getUint32(off + F.VER_TC_FLOW); // version, traffic class, flow label
  if (w0 >>> 28 !== 6) return DecodeStatus.Malformed;
  const w1 = v.getUint32(off + F.PAYLOAD_LEN); // payload length, next header, hop limit
  const payloadLen = w1 >>> 16;
  const nh = (w1 >>> 8) & 0xff;
  // This path writes the whole network-layer group (see PacketInfo.rareDirty).
  p.clearNotIpv6();
  p.l3Offset = off;
  p.ipVersion = 6;
  p.ipHeaderLen = F.PAYLOAD;
  p.ipTotalLen = payloadLen + F.PAYLOAD;
  p.ipTos = (w0 >>> 20) & 0xff;
  p.ip6FlowLabel = w0 & 0xfffff;
  p.ipFirstProto = nh;
  p.ipProto = nh;
  p.ipTtl = w1 & 0xff;
  p.src6Off = off + F.SRC;
  p.dst6Off = off + F.DST;
  p.layers |= Layer.Ipv6;
  // Payload length 0 is a jumbogram (RFC 2675, BIG TCP) when a hop-by-hop Jumbo option gives the
  // length; otherwise, like tshark, we take it as 0.
  let ipEnd = off + F.PAYLOAD + payloadLen;
  if (payloadLen === 0 && nh === IpProto.HOPOPTS) {
    const jumbo = jumboLength(b, off + F.PAYLOAD, end);
    if (jumbo > 0) {
      ipEnd = off + F.PAYLOAD + jumbo;
      p.ipTotalLen = F.PAYLOAD + jumbo;
    }
  }
  if (ipEnd > end) ipEnd = end;
  p.ipEnd = ipEnd;
  const st = isIpv6Ext(nh)
    ? decodeExtensions(b, off + F.PAYLOAD, end, ipEnd, nh, p)
    : decodeIpPayload(b, off + F.PAYLOAD, ipEnd, nh, p);
  if (p.l4Offset >= 0 && p.payloadOffset >= 0 && payloadLen !== 0) p.payloadLen = Math.max(0, off + F.PAYLOAD + payloadLen - p.payloadOffset);
  return st;
}

/** Walks the extension headers from b[o] (first one `nh`), then decodes the transport header. */
function decodeExtensions(b: Uint8Array, o: number, end: number, ipEnd: number, nh: number, p: PacketInfo): DecodeStatus {
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
  // only the first fragment carries the transport header
  return firstFragment ? decodeIpPayload(b, o, ipEnd, nh, p) : DecodeStatus.Ok;
}

/** Fewer than 40 bytes: a bad version, or a fixed header cut by the snaplen. */
function decodeShortIpv6(b: Uint8Array, off: number, avail: number, p: PacketInfo): DecodeStatus {
  if (avail < 1) return DecodeStatus.Truncated;
  if (b[off] >> 4 !== 6) return DecodeStatus.Malformed;
  decodeCutHeader(b, off, avail, p);
  return DecodeStatus.Truncated;
}

/**
 * A fixed header cut by the snaplen: fills the fields that are wholly present, as tshark shows
 * them, with ipCutVersion 6 (see PacketInfo). Readers check `capEnd - l3Offset` against a field's end before
 * using it (source address: 24, destination address: 40).
 */
function decodeCutHeader(b: Uint8Array, off: number, avail: number, p: PacketInfo): void {
  p.resetNet();
  p.rareDirty = 1;
  p.l3Offset = off;
  p.ipCutVersion = 6;
  p.ipHeaderLen = F.PAYLOAD;
  if (avail >= 4) {
    const w = u32(b, off + F.VER_TC_FLOW);
    p.ipTos = (w >>> 20) & 0xff;
    p.ip6FlowLabel = w & 0xfffff;
  }
  if (avail >= 6) p.ipTotalLen = u16(b, off + F.PAYLOAD_LEN) + F.PAYLOAD;
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
