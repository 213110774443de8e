// ICMPv6, RFC 4443
//  0       8       16              31
// | Type  | Code  |    Checksum    |
// |   Identifier  |    Sequence    |   (echo request 128 / reply 129)
// |   unused / MTU / pointer       |   (errors 1-4, followed by the quoted IPv6 packet)
import { u16 } from './bytes';
import { DecodeStatus, Layer, type PacketInfo } from './packet-info';
import { setEncap } from './encap';
import { EtherType } from './ethertype';

export const ICMPV6_HEADER_LEN = 8;
const enum F { TYPE = 0, CODE = 1, CHECKSUM = 2, ID = 4, SEQ = 6 }

export const Icmpv6Type = {
  DST_UNREACH: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAM_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
} as const;

/** Decodes the ICMPv6 header at `off` (end: the IP layer's end). Never throws. */
export function decodeIcmpv6(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  const avail = end - off;
  // tshark reads the checksum before it shows the type and code.
  if (avail < 4) return DecodeStatus.Truncated;
  p.resetTransport(); // ICMPv6 writes part of the transport-layer group
  p.rareDirty = 1;
  p.l4Offset = off;
  const t = b[off + F.TYPE];
  p.icmpType = t;
  p.icmpCode = b[off + F.CODE];
  p.layers |= Layer.Icmp6;
  p.payloadOffset = off + 4;
  p.payloadLen = avail - 4;
  if (t === Icmpv6Type.ECHO_REQUEST || t === Icmpv6Type.ECHO_REPLY) {
    if (avail < ICMPV6_HEADER_LEN) return DecodeStatus.Truncated;
    p.icmpId = u16(b, off + F.ID);
    p.icmpSeq = u16(b, off + F.SEQ);
  } else if (t >= Icmpv6Type.DST_UNREACH && t <= Icmpv6Type.PARAM_PROBLEM) {
    setEncap(p, off + ICMPV6_HEADER_LEN, end, EtherType.IPV6);
  }
  return DecodeStatus.Ok;
}
