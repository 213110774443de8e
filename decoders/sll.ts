// Linux cooked capture v1 (LINKTYPE_LINUX_SLL 113) and v2 (LINKTYPE_LINUX_SLL2 276).
// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html, .../LINKTYPE_LINUX_SLL2.html
//
// SLL:  | packet type (2) | ARPHRD type (2) | addr len (2) | addr (8) | protocol (2) |   16 bytes
// SLL2: | protocol (2) | reserved (2) | ifindex (4) | ARPHRD type (2) | packet type (1) |
//       | addr len (1) | addr (8) |                                                    20 bytes
// protocol >= 0x0600 is an EtherType; 0x0004 is 802.2 LLC; other small values are Linux
// pseudo-protocols (ETH_P_802_3, ETH_P_CAN, ...) that we do not decode.
import { u16 } from './bytes';
import { DecodeStatus, Layer, type PacketInfo } from './packet-info';
import { decodeNetwork } from './network';
import { MIN_ETHERTYPE } from './ethertype';

export const SLL_HEADER_LEN = 16;
const enum SLL { PKT_TYPE = 0, HATYPE = 2, ADDR_LEN = 4, ADDR = 6, PROTOCOL = 14 }
export const SLL2_HEADER_LEN = 20;
const enum SLL2 { PROTOCOL = 0, RESERVED = 2, IFINDEX = 4, HATYPE = 8, PKT_TYPE = 10, ADDR_LEN = 11, ADDR = 12 }
const MAC_LEN = 6;

export function decodeSll(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  if (end - off < SLL_HEADER_LEN) return DecodeStatus.Truncated;
  p.rareDirty = 1;
  p.sllPktType = u16(b, off + SLL.PKT_TYPE);
  if (u16(b, off + SLL.ADDR_LEN) === MAC_LEN) p.ethSrcOff = off + SLL.ADDR;
  const proto = u16(b, off + SLL.PROTOCOL);
  p.sllProto = proto;
  p.layers |= Layer.Sll;
  if (proto < MIN_ETHERTYPE) return DecodeStatus.Ok;
  return decodeNetwork(b, off + SLL_HEADER_LEN, end, proto, p);
}

export function decodeSll2(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  if (end - off < SLL2_HEADER_LEN) return DecodeStatus.Truncated;
  p.rareDirty = 1;
  p.sllPktType = b[off + SLL2.PKT_TYPE];
  if (b[off + SLL2.ADDR_LEN] === MAC_LEN) p.ethSrcOff = off + SLL2.ADDR;
  const proto = u16(b, off + SLL2.PROTOCOL);
  p.sllProto = proto;
  p.layers |= Layer.Sll2;
  if (proto < MIN_ETHERTYPE) return DecodeStatus.Ok;
  return decodeNetwork(b, off + SLL2_HEADER_LEN, end, proto, p);
}
