// Encapsulated packets: where another layer starts, for the fields printer (see PacketInfo.encapOffset).
import type { PacketInfo } from './packet-info';

export const EncapType = {
  IPV4: 0x0800,
  IPV6: 0x86dd,
  /** Transparent Ethernet bridging: an Ethernet frame. */
  ETHERNET: 0x6558,
  MPLS: 0x8847,
} as const;

/** Records the encapsulated packet at b[off .. end) of EtherType `type`. */
export function setEncap(p: PacketInfo, off: number, end: number, type: number): void {
  if (off >= end) return;
  p.encapOffset = off;
  p.encapEnd = end;
  p.encapType = type;
}

/** Records an IP packet whose version nibble gives its type; anything else is left alone. */
export function setEncapIp(b: Uint8Array, p: PacketInfo, off: number, end: number): void {
  if (off >= end) return;
  const v = b[off] >> 4;
  if (v === 4) setEncap(p, off, end, EncapType.IPV4);
  else if (v === 6) setEncap(p, off, end, EncapType.IPV6);
}
