// IPv4, RFC 791.
//  0       4       8               16    19                        31
// |Version|  IHL  |Type of Service|          Total Length           |
// |         Identification        |Flags|     Fragment Offset       |
// | Time to Live  |   Protocol    |         Header Checksum         |
// |                        Source Address                           |
// |                     Destination Address                         |
// |                    Options (IHL > 5)                            |
import { u16, u32 } from './bytes';
import { DecodeStatus, Layer, type PacketInfo } from './packet-info';
import { decodeIpPayload } from './ip-proto';

export const IPV4_MIN_HEADER_LEN = 20;
const F = { VER_IHL: 0, TOS: 1, TOTAL_LEN: 2, ID: 4, FLAGS_FRAG: 6, TTL: 8, PROTO: 9, CHECKSUM: 10, SRC: 12, DST: 16 } as const;
const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const FRAG_OFFSET_MASK = 0x1fff;

/** One's-complement sum check of the header at b[off .. off+len): true when it verifies. */
export function ipv4ChecksumOk(b: Uint8Array, off: number, len: number): boolean {
  // The 20-byte header without options is nearly every packet: ten words, no loop.
  let sum =
    ((b[off] << 8) | b[off + 1]) +
    ((b[off + 2] << 8) | b[off + 3]) +
    ((b[off + 4] << 8) | b[off + 5]) +
    ((b[off + 6] << 8) | b[off + 7]) +
    ((b[off + 8] << 8) | b[off + 9]) +
    ((b[off + 10] << 8) | b[off + 11]) +
    ((b[off + 12] << 8) | b[off + 13]) +
    ((b[off + 14] << 8) | b[off + 15]) +
    ((b[off + 16] << 8) | b[off + 17]) +
    ((b[off + 18] << 8) | b[off + 19]);
  for (let i = IPV4_MIN_HEADER_LEN; i < len; i += 2) sum += (b[off + i] << 8) | b[off + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

/** Decodes the IPv4 packet at b[off .. end) and its transport header. Never throws. */
export function decodeIpv4(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  const avail = end - off;
  if (avail < 1) return DecodeStatus.Truncated;
  const vihl = b[off + F.VER_IHL];
  if (vihl >> 4 !== 4) return DecodeStatus.Malformed;
  const hlen = (vihl & 15) * 4;
  if (hlen < IPV4_MIN_HEADER_LEN) return DecodeStatus.Malformed;
  if (avail < IPV4_MIN_HEADER_LEN) {
    decodeCutHeader(b, off, avail, p);
    return DecodeStatus.Truncated;
  }
  const totalLen = u16(b, off + F.TOTAL_LEN);
  // A total length shorter than the header: tshark stops before the addresses, and so do we.
  // (0 is what TCP segmentation offload leaves in captured packets: then trust the capture.)
  if (totalLen !== 0 && totalLen < hlen) return DecodeStatus.Malformed;
  p.l3Offset = off;
  p.ipVersion = 4;
  p.ipHeaderLen = hlen;
  p.ipTotalLen = totalLen;
  p.ipTos = b[off + F.TOS];
  p.ipId = u16(b, off + F.ID);
  const ff = u16(b, off + F.FLAGS_FRAG);
  p.ipDf = ff & FLAG_DF ? 1 : 0;
  p.ipMf = ff & FLAG_MF ? 1 : 0;
  const fragOffset = (ff & FRAG_OFFSET_MASK) * 8;
  p.ipFragOffset = fragOffset;
  p.ipTtl = b[off + F.TTL];
  const proto = b[off + F.PROTO];
  p.ipFirstProto = proto;
  p.ipProto = proto;
  p.src4 = u32(b, off + F.SRC);
  p.dst4 = u32(b, off + F.DST);
  if (end - off < hlen) return DecodeStatus.Truncated;
  p.ipChecksumOk = ipv4ChecksumOk(b, off, hlen) ? 1 : 0;
  p.layers |= Layer.Ipv4;
  let ipEnd = totalLen === 0 ? end : off + totalLen;
  if (ipEnd > end) ipEnd = end; // cut by the snaplen; padding beyond the total length is ignored
  p.ipEnd = ipEnd;
  if (fragOffset !== 0 || p.ipMf) p.layers |= Layer.Fragment;
  if (fragOffset !== 0) return DecodeStatus.Ok; // only the first fragment carries the transport header
  const st = decodeIpPayload(b, off + hlen, ipEnd, proto, p);
  if (p.payloadOffset >= 0 && totalLen !== 0) p.payloadLen = Math.max(0, off + totalLen - p.payloadOffset);
  return st;
}

/**
 * A fixed header cut by the snaplen: fills the fields that are wholly present, as tshark shows
 * them, with ipCutVersion 4 (see PacketInfo). Readers check `capEnd - l3Offset` against a
 * field's end before using it.
 */
function decodeCutHeader(b: Uint8Array, off: number, avail: number, p: PacketInfo): void {
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
