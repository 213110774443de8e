// Address words of one packet for the detectors: IPv4 as (a, 0, 0, 0), IPv6 as four big-endian
// 32-bit words (the layout of src/stats/addr.ts). Filled into a caller-owned scratch array, so
// nothing is allocated per packet.
import type { PacketInfo } from '../../decoders/packet-info';
import { hashIpv4, hashIpv6 } from '../stats/sketch';
import { addrText } from '../stats/addr';

/** Indexes into the scratch array filled by loadAddrs. */
export const SRC = 0;
export const DST = 4;

function w32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** Fills out[0..3] with the source and out[4..7] with the destination; returns 4, 6 or 0. */
export function loadAddrs(p: PacketInfo, data: Uint8Array, out: Uint32Array): number {
  if (p.ipVersion === 4) {
    out[0] = p.src4;
    out[4] = p.dst4;
    out[1] = out[2] = out[3] = out[5] = out[6] = out[7] = 0;
    return 4;
  }
  if (p.ipVersion !== 6 || p.src6Off < 0 || p.dst6Off < 0) return 0;
  const a = p.src6Off;
  const b = p.dst6Off;
  out[0] = w32(data, a);
  out[1] = w32(data, a + 4);
  out[2] = w32(data, a + 8);
  out[3] = w32(data, a + 12);
  out[4] = w32(data, b);
  out[5] = w32(data, b + 4);
  out[6] = w32(data, b + 8);
  out[7] = w32(data, b + 12);
  return 6;
}

/** 30-bit hash of the address at w[o..o+3]. */
export function hashAt(fam: number, w: Uint32Array, o: number): number {
  return fam === 4 ? hashIpv4(w[o]) : hashIpv6(w[o], w[o + 1], w[o + 2], w[o + 3]);
}

/** Text of the address at w[o..o+3] (snapshot time only). */
export function textAt(fam: number, w: Uint32Array, o: number): string {
  return addrText(fam, w[o], w[o + 1], w[o + 2], w[o + 3]);
}
