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
  p.reset();
  void wireLen;
  // Never read past the buffer, whatever the caller's lengths say.
  let end = off + capLen;
  if (end > data.length) end = data.length;
  let st: DecodeStatus;
  switch (linkType) {
    case LinkType.ETHERNET:
      st = decodeEthernet(data, off, end, p);
      break;
    case LinkType.LINUX_SLL:
      st = decodeSll(data, off, end, p);
      break;
    case LinkType.LINUX_SLL2:
      st = decodeSll2(data, off, end, p);
      break;
    case LinkType.RAW:
    case LinkType.RAW_12:
    case LinkType.RAW_14:
    // LINKTYPE_IPV4 too: tshark decodes it as raw IP (by the version nibble) ...
    case LinkType.IPV4:
      st = decodeIpByVersion(data, off, end, p);
      break;
    // ... but LINKTYPE_IPV6 strictly as IPv6.
    case LinkType.IPV6:
      p.netType = EtherType.IPV6;
      st = decodeIpv6(data, off, end, p);
      break;
    case LinkType.NULL:
      st = decodeNull(data, off, end, p);
      break;
    case LinkType.LOOP:
      st = decodeLoop(data, off, end, p);
      break;
    default:
      st = DecodeStatus.Unsupported;
  }
  p.status = st;
  return st;
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
