// Entry point of decoding: dispatch on the link type.
import { DecodeStatus, type PacketInfo } from './packet-info';
import { LinkType } from './link-types';
import { decodeEthernet } from './ethernet';
import { decodeSll, decodeSll2 } from './sll';
import { decodeNull, decodeLoop } from './null';
import { decodeIpByVersion, decodeNetwork } from './network';
import { decodeIpv6 } from './ipv6';
import { EtherType } from './ethertype';

/** Does portscope decode this LINKTYPE_* value? */
export function isSupportedLinkType(linkType: number): boolean {
  switch (linkType) {
    case LinkType.NULL:
    case LinkType.ETHERNET:
    case LinkType.RAW_12:
    case LinkType.RAW_14:
    case LinkType.RAW:
    case LinkType.LOOP:
    case LinkType.LINUX_SLL:
    case LinkType.IPV4:
    case LinkType.IPV6:
    case LinkType.LINUX_SLL2:
      return true;
    default:
      return false;
  }
}

/**
 * Decodes the frame at data[off .. off+capLen) of the given LINKTYPE_* into `p` (already holding
 * the frame fields; this resets the rest). Never throws on packet bytes.
 */
export function decodeFrame(
  data: Uint8Array,
  off: number,
  capLen: number,
  wireLen: number,
  linkType: number,
  p: PacketInfo,
): DecodeStatus {
  void wireLen;
  // Never read past the buffer, whatever the caller's lengths say.
  let end = off + capLen;
  if (end > data.length) end = data.length;
  // The record is reset lazily, by groups (see PacketInfo.rareDirty).
  p.layers = 0;
  p.l3Offset = -1;
  p.l4Offset = -1;
  if (p.rareDirty !== 0) p.resetRare();
  // Ethernet first and on its own: the other link types stay out of the hot path.
  const st = linkType === LinkType.ETHERNET ? decodeEthernet(data, off, end, p) : decodeOtherLink(data, off, end, linkType, p);
  // The network and transport groups that no decoder wrote.
  if (p.l3Offset < 0) p.resetNet();
  if (p.l4Offset < 0) p.resetTransport();
  p.status = st;
  return st;
}

/** Every link type but Ethernet; their decoders write only some of the link-layer group. */
function decodeOtherLink(data: Uint8Array, off: number, end: number, linkType: number, p: PacketInfo): DecodeStatus {
  p.resetLink();
  switch (linkType) {
    case LinkType.LINUX_SLL:
      return decodeSll(data, off, end, p);
    case LinkType.LINUX_SLL2:
      return decodeSll2(data, off, end, p);
    case LinkType.RAW:
    case LinkType.RAW_12:
    case LinkType.RAW_14:
    // LINKTYPE_IPV4 too: tshark decodes it as raw IP (by the version nibble) ...
    case LinkType.IPV4:
      return decodeIpByVersion(data, off, end, p);
    // ... but LINKTYPE_IPV6 strictly as IPv6.
    case LinkType.IPV6:
      p.netType = EtherType.IPV6;
      return decodeIpv6(data, off, end, p);
    case LinkType.NULL:
      return decodeNull(data, off, end, p);
    case LinkType.LOOP:
      return decodeLoop(data, off, end, p);
    default:
      return DecodeStatus.Unsupported;
  }
}

/**
 * Decodes an encapsulated packet (see PacketInfo.encapOffset) into `inner`, a record of the
 * caller's: `type` is an EtherType (0x6558: an Ethernet frame). Never throws.
 */
export function decodeEncapsulated(data: Uint8Array, off: number, end: number, type: number, inner: PacketInfo): DecodeStatus {
  inner.reset();
  if (end > data.length) end = data.length;
  const st = type === EtherType.TEB ? decodeEthernet(data, off, end, inner) : decodeNetwork(data, off, end, type, inner);
  inner.status = st;
  return st;
}
