// IEEE 802.1Q VLAN tag (TPID 0x8100), 802.1ad service tag (0x88a8) and the older 0x9100 Q-in-Q.
//  0      3   4             16             32
// | PCP  |DEI|     VID      |  next EtherType / 802.3 length |
import { u16 } from './bytes';
import { DecodeStatus, Layer, MAX_VLAN_TAGS, type PacketInfo } from './packet-info';
import { decodeNetwork } from './network';
import { decodeLlc, IEEE_802_3_MAX_LEN } from './ethernet';
import { EtherType } from './ethertype';

export const VLAN_TAG_LEN = 4;
const enum F { TCI = 0, TYPE = 2 }
const VID_MASK = 0x0fff;

export function isVlanType(t: number): boolean {
  return t === EtherType.VLAN || t === EtherType.QINQ_8021AD || t === EtherType.QINQ_OLD;
}

/** Decodes the tag at b[off .. end) (its TPID was the EtherType before it) and what follows. */
export function decodeVlan(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  if (end - off < VLAN_TAG_LEN) return DecodeStatus.Truncated;
  const n = p.vlanCount;
  if (n === MAX_VLAN_TAGS) return DecodeStatus.Malformed;
  const vid = u16(b, off + F.TCI) & VID_MASK;
  if (n === 0) p.vlanId0 = vid;
  else if (n === 1) p.vlanId1 = vid;
  p.vlanTagOffs[n] = off;
  p.vlanCount = n + 1;
  p.rareDirty = 1;
  p.layers |= Layer.Vlan;
  const type = u16(b, off + F.TYPE);
  // A length after a tag: 802.3 + LLC inside the VLAN.
  if (type <= IEEE_802_3_MAX_LEN) return decodeLlc(b, off + VLAN_TAG_LEN, end, p);
  return decodeNetwork(b, off + VLAN_TAG_LEN, end, type, p);
}
