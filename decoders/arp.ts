// ARP, RFC 826
//  0              16             31
// | Hardware type | Protocol type |
// | HLen  | PLen  |   Operation   |
// | sender hw addr (HLen) | sender proto addr (PLen) | target hw | target proto |
import { u16 } from './bytes';
import { DecodeStatus, Layer, type PacketInfo } from './packet-info';

export const ARP_FIXED_LEN = 8;
const ARPHRD_ATM2225 = 19;
const enum F { HTYPE = 0, PTYPE = 2, HLEN = 4, PLEN = 5, OP = 6, ADDRS = 8 }

/** Decodes the ARP header at `off`; addresses are read via p.l3Offset. Never throws. */
export function decodeArp(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  if (end - off < ARP_FIXED_LEN) return DecodeStatus.Truncated;
  p.resetNet(); // ARP writes only l3Offset of the network-layer group
  p.l3Offset = off;
  // ATM ARP (RFC 2225, hardware type 19) has its own layout and is not counted as ARP here.
  if (u16(b, off + F.HTYPE) === ARPHRD_ATM2225) return DecodeStatus.Ok;
  p.arpOp = u16(b, off + F.OP);
  p.rareDirty = 1;
  const addrs = 2 * (b[off + F.HLEN] + b[off + F.PLEN]);
  if (end - off < F.ADDRS + addrs) return DecodeStatus.Truncated;
  p.layers |= Layer.Arp;
  return DecodeStatus.Ok;
}
