// IPv4, RFC 791.
//  0       4       8               16    19                        31
// |Version|  IHL  |Type of Service|          Total Length           |
// |         Identification        |Flags|     Fragment Offset       |
// | Time to Live  |   Protocol    |         Header Checksum         |
// |                        Source Address                           |
// |                     Destination Address                         |
// |                    Options (IHL > 5)                            |
import { u16, u32, viewOf } from './bytes';
import { DecodeStatus, Layer, type PacketInfo } from './packet-info';
import { decodeIpPayload } from './ip-proto';

const enum F { VER_IHL = 0, TOS = 1, TOTAL_LEN = 2, ID = 4, FLAGS_FRAG = 6, TTL = 8, PROTO = 9, CHECKSUM = 10, SRC = 12, DST = 16, OPTIONS = 20 }
export const IPV4_MIN_HEADER_LEN: number = F.OPTIONS;
const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const FRAG_OFFSET_MASK = 0x1fff;

/**
 * Sum of the 16-bit words of b[o .. end) (end - o a multiple of 4, as IPv4 header lengths are),
 * read as 32-bit words: each one's halves are two of them.
 */
function wordSum(v: DataView, o: number, end: number): number {
  let sum = 0;
  for (; o < end; o += 4) {
    const w = v.getUint32(o);
    sum += (w >>> 16) + (w & 0xffff);
  }
  return sum;
}

/**
 * Does a sum of 16-bit words fold (one's complement) to 0xffff, i.e. does the checksum verify?
 * Two folds bring any sum below 2^32 to 16 bits (folding a 16-bit value leaves it as it is).
 */
function sumVerifies(sum: number): boolean {
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

/** One's-complement sum check of the header at b[off .. off+len) (len: a multiple of 4): true when it verifies. */
export function ipv4ChecksumOk(b: Uint8Array, off: number, len: number): boolean {
  return sumVerifies(wordSum(viewOf(b), off, off + len));
}

/** Decodes the IPv4 packet at b[off .. end) and its transport header. Never throws. */
export function decodeIpv4(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  const avail = end - off;
  if (avail < F.OPTIONS) return decodeShortIpv4(b, off, avail, p);
  // The fixed header as five 32-bit words; every field and the checksum come from them.
  const v = viewOf(b);
  const w0 = v.getUint32(off + F.VER_IHL); // version, IHL, TOS, total length
  const hlen = (w0 >>> 22) & 0x3c; // IHL * 4
  if (w0 >>> 28 !== 4 || hlen < F.OPTIONS) return DecodeStatus.Malformed;
  const totalLen = w0 & 0xffff;
  // A total length shorter than the header: tshark stops before the addresses, and so do we.
  // (0 is what TCP segmentation offload leaves in captured packets: then trust the capture.)
  if (totalLen !== 0 && totalLen < hlen) return DecodeStatus.Malformed;
  const w1 = v.getUint32(off + F.ID); // identification, flags, fragment offset
  const w2 = v.getUint32(off + F.TTL); // TTL, protocol, checksum
  const src = v.getUint32(off + F.SRC);
  const dst = v.getUint32(off + F.DST);
  const ff = w1 & 0xffff;
  const mf = ff & FLAG_MF ? 1 : 0;
  const fragOffset = (ff & FRAG_OFFSET_MASK) * 8;
  const proto = (w2 >>> 16) & 0xff;
  // This path writes the whole network-layer group (see PacketInfo.rareDirty); a header cut
  // inside its options leaves the checksum verdict and ipEnd absent.
  if (avail < hlen) p.resetNet();
  p.clearNotIpv4();
  p.l3Offset = off;
  p.ipVersion = 4;
  p.ipHeaderLen = hlen;
  p.ipTotalLen = totalLen;
  p.ipTos = (w0 >>> 16) & 0xff;
  p.ipId = w1 >>> 16;
  p.ipDf = ff & FLAG_DF ? 1 : 0;
  p.ipMf = mf;
  p.ipFragOffset = fragOffset;
  p.ipTtl = w2 >>> 24;
  p.ipFirstProto = proto;
  p.ipProto = proto;
  p.src4 = src;
  p.dst4 = dst;
  if (avail < hlen) return DecodeStatus.Truncated;
  let sum =
    (w0 >>> 16) + (w0 & 0xffff) + (w1 >>> 16) + ff + (w2 >>> 16) + (w2 & 0xffff) + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff);
  if (hlen > F.OPTIONS) sum += wordSum(v, off + F.OPTIONS, off + hlen);
  p.ipChecksumOk = sumVerifies(sum) ? 1 : 0;
  let ipEnd = totalLen === 0 ? end : off + totalLen;
  if (ipEnd > end) ipEnd = end; // cut by the snaplen; padding beyond the total length is ignored
  p.ipEnd = ipEnd;
  if (fragOffset === 0 && mf === 0) p.layers |= Layer.Ipv4;
  else {
    p.layers |= Layer.Ipv4 | Layer.Fragment;
    if (fragOffset !== 0) return DecodeStatus.Ok; // only the first fragment carries the transport header
  }
  const st = decodeIpPayload(b, off + hlen, ipEnd, proto, p);
  if (p.l4Offset >= 0 && p.payloadOffset >= 0 && totalLen !== 0) p.payloadLen = Math.max(0, off + totalLen - p.payloadOffset);
  return st;
}

/** Fewer than 20 bytes: a bad version or header length, or a fixed header cut by the snaplen. */
function decodeShortIpv4(b: Uint8Array, off: number, avail: number, p: PacketInfo): DecodeStatus {
  if (avail < 1) return DecodeStatus.Truncated;
  const vihl = b[off + F.VER_IHL];
  if (vihl >> 4 !== 4 || (vihl & 15) * 4 < F.OPTIONS) return DecodeStatus.Malformed;
  decodeCutHeader(b, off, avail, p);
  return DecodeStatus.Truncated;
}

/**
 * A fixed header cut by the snaplen: fills the fields that are wholly present, as tshark shows
 * them, with ipCutVersion 4 (see PacketInfo). Readers check `capEnd - l3Offset` against a
 * field's end before using it.
 */
function decodeCutHeader(b: Uint8Array, off: number, avail: number, p: PacketInfo): void {
  p.resetNet();
  p.rareDirty = 1;
  p.l3Offset = off;
  p.ipCutVersion = 4;
  p.ipHeaderLen = (b[off] & 15) * 4;
  if (avail >= 2) p.ipTos = b[off + F.TOS];
  if (avail >= 4) p.ipTotalLen = u16(b, off + F.TOTAL_LEN);
  if (avail >= 6) p.ipId = u16(b, off + F.ID);
  if (avail >= 8) {
    const ff = u16(b, off + F.FLAGS_FRAG);
    p.ipDf = ff & FLAG_DF ? 1 : 0;
    p.ipMf = ff & FLAG_MF ? 1 : 0;
    p.ipFragOffset = (ff & FRAG_OFFSET_MASK) * 8;
  }
  if (avail >= 9) p.ipTtl = b[off + F.TTL];
  if (avail >= 10) p.ipFirstProto = b[off + F.PROTO];
  if (avail >= 16) p.src4 = u32(b, off + F.SRC);
}
