// BSD loopback: LINKTYPE_NULL (0), a 4-byte address family in the capturing host's byte order,
// and LINKTYPE_LOOP (108), the same in network byte order.
// Families: 2 = AF_INET; 24, 28, 30 = AF_INET6 (NetBSD/OpenBSD, FreeBSD, Darwin).
import { u32, u32le } from './bytes';
import { DecodeStatus, Layer, type PacketInfo } from './packet-info';
import { decodeIpv4 } from './ipv4';
import { decodeIpv6 } from './ipv6';
import { EtherType } from './ethertype';

export const NULL_HEADER_LEN = 4;
const AF_INET = 2;
const AF_INET6_BSD = 24;
const AF_INET6_FREEBSD = 28;
const AF_INET6_DARWIN = 30;

/** LINKTYPE_NULL: either byte order is accepted (a family never needs the upper 16 bits). */
export function decodeNull(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  if (end - off < NULL_HEADER_LEN) return DecodeStatus.Truncated;
  let family = u32le(b, off);
  if (family > 0xffff) family = u32(b, off);
  return decodeFamily(b, off, end, family, p);
}

/** LINKTYPE_LOOP: network byte order. */
export function decodeLoop(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  if (end - off < NULL_HEADER_LEN) return DecodeStatus.Truncated;
  return decodeFamily(b, off, end, u32(b, off), p);
}

function decodeFamily(b: Uint8Array, off: number, end: number, family: number, p: PacketInfo): DecodeStatus {
  p.nullFamily = family;
  p.rareDirty = 1;
  p.layers |= Layer.Null;
  const o = off + NULL_HEADER_LEN;
  if (family === AF_INET) {
    p.netType = EtherType.IPV4;
    return decodeIpv4(b, o, end, p);
  }
  if (family === AF_INET6_BSD || family === AF_INET6_FREEBSD || family === AF_INET6_DARWIN) {
    p.netType = EtherType.IPV6;
    return decodeIpv6(b, o, end, p);
  }
  return DecodeStatus.Ok;
}
