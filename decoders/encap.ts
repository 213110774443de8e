// Encapsulated packets: where another layer starts, for the fields printer (see PacketInfo.encapOffset).
import type { PacketInfo } from './packet-info';
import { EtherType } from './ethertype';

/** Records the encapsulated packet at b[off .. end) of EtherType `type`. */
export function setEncap(p: PacketInfo, off: number, end: number, type: number): void {
  if (off >= end) return;
  p.rareDirty = 1;
  p.encapOffset = off;
  p.encapEnd = end;
  p.encapType = type;
}

/** Records an IP packet whose version nibble gives its type; anything else is left alone. */
export function setEncapIp(b: Uint8Array, p: PacketInfo, off: number, end: number): void {
  if (off >= end) return;
  const v = b[off] >> 4;
  if (v === 4) setEncap(p, off, end, EtherType.IPV4);
  else if (v === 6) setEncap(p, off, end, EtherType.IPV6);
}
