// ICMP, RFC 792
//  0       8       16              31
// | Type  | Code  |    Checksum    |
// |   Identifier  |    Sequence    |   (echo, timestamp, information, address mask)
// |   unused / pointer / MTU       |   (errors, followed by the quoted IP header + 8 bytes)
import { u16 } from './bytes';
import { DecodeStatus, Layer, type PacketInfo } from './packet-info';
import { setEncap } from './encap';
import { EtherType } from './ethertype';

export const ICMP_HEADER_LEN = 8;
const enum F { TYPE = 0, CODE = 1, CHECKSUM = 2, ID = 4, SEQ = 6 }

export const IcmpType = {
  ECHO_REPLY: 0,
  UNREACH: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO: 8,
  TIME_EXCEEDED: 11,
  PARAM_PROBLEM: 12,
  TIMESTAMP: 13,
  TIMESTAMP_REPLY: 14,
  INFO_REQUEST: 15,
  INFO_REPLY: 16,
  MASK_REQUEST: 17,
  MASK_REPLY: 18,
} as const;

/** Error messages quote the offending IP header. */
export function isIcmpError(t: number): boolean {
  return t === 3 || t === 4 || t === 5 || t === 11 || t === 12;
}

/** Messages with an identifier and a sequence number. */
function hasIdSeq(t: number): boolean {
  return t === 0 || t === 8 || (t >= 13 && t <= 18);
}

/** Decodes the ICMP header at `off` (end: the IP layer's end). Never throws. */
export function decodeIcmp(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  const avail = end - off;
  // tshark reads the checksum before it shows the type and code.
  if (avail < 4) return DecodeStatus.Truncated;
  p.resetTransport(); // ICMP writes part of the transport-layer group
  p.rareDirty = 1;
  p.l4Offset = off;
  const t = b[off + F.TYPE];
  p.icmpType = t;
  p.icmpCode = b[off + F.CODE];
  if (avail < ICMP_HEADER_LEN) return DecodeStatus.Truncated;
  p.layers |= Layer.Icmp;
  p.payloadOffset = off + ICMP_HEADER_LEN;
  p.payloadLen = avail - ICMP_HEADER_LEN;
  if (hasIdSeq(t)) {
    p.icmpId = u16(b, off + F.ID);
    p.icmpSeq = u16(b, off + F.SEQ);
  } else if (isIcmpError(t)) {
    setEncap(p, off + ICMP_HEADER_LEN, end, EtherType.IPV4);
  }
  return DecodeStatus.Ok;
}
