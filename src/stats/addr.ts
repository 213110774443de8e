// Address words shared by the host and flow tables: an IPv4 address is (a, 0, 0, 0) with family 4,
// an IPv6 address its four big-endian 32-bit words with family 6. Text only at snapshot time.
import { OutBuf } from '../print/out';

const text = new OutBuf(-1, 8192);
const bytes16 = new Uint8Array(16);

/** Text of an address (inet_ntop style; IPv6 as tcpdump prints it). */
export function addrText(family: number, w0: number, w1: number, w2: number, w3: number): string {
  if (family === 4) {
    text.ipv4(w0 >>> 0);
    return text.take();
  }
  const w = [w0, w1, w2, w3];
  for (let i = 0; i < 4; i++) {
    bytes16[4 * i] = w[i] >>> 24;
    bytes16[4 * i + 1] = (w[i] >>> 16) & 255;
    bytes16[4 * i + 2] = (w[i] >>> 8) & 255;
    bytes16[4 * i + 3] = w[i] & 255;
  }
  text.ipv6(bytes16, 0);
  return text.take();
}

/** Text of a MAC address stored as (high 16 bits, low 32 bits). */
export function macText(hi: number, lo: number): string {
  const b = [hi >>> 8, hi & 255, lo >>> 24, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Parses an address text back into family and words (for merging reports); null if invalid. */
export function parseAddr(s: string): [number, number, number, number, number] | null {
  const m4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m4) {
    const o = m4.slice(1).map(Number);
    if (o.some((x) => x > 255)) return null;
    return [4, ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0, 0, 0, 0];
  }
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return null;
  let head = s;
  let tailV4: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseAddr(s.slice(lastColon + 1));
    if (!v4) return null;
    tailV4 = [v4[1] >>> 16, v4[1] & 0xffff];
    head = s.slice(0, lastColon + 1) + (s[lastColon - 1] === ':' ? '' : '0');
    if (head.endsWith(':0') && s[lastColon - 1] !== ':') head = head.slice(0, -2);
  }
  const parts = head.split('::');
  if (parts.length > 2) return null;
  const left = parts[0] === '' ? [] : parts[0].split(':');
  const right = parts.length === 2 ? (parts[1] === '' ? [] : parts[1].split(':')) : [];
  const groups = [...left, ...right].map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : -1));
  if (groups.some((g) => g < 0)) return null;
  const total = groups.length + tailV4.length;
  let all: number[];
  if (parts.length === 2) {
    if (total > 7) return null;
    all = [
      ...left.map((g) => parseInt(g, 16)),
      ...new Array(8 - total).fill(0),
      ...right.map((g) => parseInt(g, 16)),
      ...tailV4,
    ];
  } else {
    if (total !== 8) return null;
    all = [...groups, ...tailV4];
  }
  const w = [0, 1, 2, 3].map((i) => ((all[2 * i] << 16) | all[2 * i + 1]) >>> 0);
  return [6, w[0], w[1], w[2], w[3]];
}
