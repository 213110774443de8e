// Helpers for the security tests: a small classic-pcap writer for synthetic Ethernet/IPv4 packets
// (each checked against tcpdump's reading in the tests), and running portscope's pipeline on a file.
import * as fs from 'node:fs';
import { openCaptureFile } from '../src/capture/open';
import { runPipeline } from '../src/pipeline';
import { SecuritySink, type DetectOptions } from '../src/detect/index';

export interface Pkt {
  t: number; // seconds
  src: string;
  dst: string;
  proto: 'tcp' | 'udp' | 'icmp';
  sport?: number;
  dport?: number;
  /** TCP flags byte (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32). */
  flags?: number;
  /** TCP options bytes (multiple of 4). */
  opts?: number[];
  payload?: number;
  /** ICMP type/code and the quoted packet (for unreachables). */
  icmpType?: number;
  icmpCode?: number;
  quote?: Pkt;
  /** ICMP echo identifier and sequence (bytes 4-7 of the ICMP header). */
  icmpId?: number;
  icmpSeq?: number;
}

function ip4(s: string): number[] {
  return s.split('.').map(Number);
}

function csum(b: number[]): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** 16 bytes of an IPv6 address text (full or with one "::"). */
function ip6(s: string): number[] {
  const [l, r] = s.includes('::') ? s.split('::') : [s, ''];
  const left = l ? l.split(':') : [];
  const right = r ? r.split(':') : [];
  const groups = [...left, ...new Array(8 - left.length - right.length).fill('0'), ...right].map((g) => parseInt(g, 16));
  return groups.flatMap((g) => [g >> 8, g & 255]);
}

/** ICMP header bytes 4-7: echo identifier and sequence (zero for errors). */
function icmpWord(p: Pkt): number[] {
  const id = p.icmpId ?? 0;
  const seq = p.icmpSeq ?? 0;
  return [(id >> 8) & 255, id & 255, (seq >> 8) & 255, seq & 255];
}

/** IPv4 or IPv6 (when the source has a ':') packet bytes, no link header. */
export function ipPacket(p: Pkt): number[] {
  let l4: number[];
  if (p.proto === 'tcp') {
    const opts = p.opts ?? [];
    const hl = 20 + opts.length;
    l4 = [p.sport! >> 8, p.sport! & 255, p.dport! >> 8, p.dport! & 255, 0, 0, 0, 1, 0, 0, 0, (p.flags! & 16) ? 1 : 0, (hl / 4) << 4, p.flags!, 4, 0, 0, 0, 0, 0, ...opts];
    l4.push(...new Array(p.payload ?? 0).fill(0x61));
  } else if (p.proto === 'udp') {
    const len = 8 + (p.payload ?? 0);
    l4 = [p.sport! >> 8, p.sport! & 255, p.dport! >> 8, p.dport! & 255, len >> 8, len & 255, 0, 0, ...new Array(p.payload ?? 0).fill(0x62)];
  } else if (p.src.includes(':')) {
    const q = p.quote ? ipPacket(p.quote).slice(0, 48) : [];
    l4 = [p.icmpType ?? 1, p.icmpCode ?? 4, 0, 0, ...icmpWord(p), ...q];
  } else {
    const q = p.quote ? ipPacket(p.quote).slice(0, 28) : [];
    l4 = [p.icmpType ?? 3, p.icmpCode ?? 3, 0, 0, ...icmpWord(p), ...q];
    const c = csum(l4);
    l4[2] = c >> 8;
    l4[3] = c & 255;
  }
  if (p.src.includes(':')) {
    const nh = p.proto === 'tcp' ? 6 : p.proto === 'udp' ? 17 : 58;
    return [0x60, 0, 0, 0, l4.length >> 8, l4.length & 255, nh, 64, ...ip6(p.src), ...ip6(p.dst), ...l4];
  }
  const total = 20 + l4.length;
  const h = [0x45, 0, total >> 8, total & 255, 0, 1, 0x40, 0, 64, p.proto === 'tcp' ? 6 : p.proto === 'udp' ? 17 : 1, 0, 0, ...ip4(p.src), ...ip4(p.dst)];
  const c = csum(h);
  h[10] = c >> 8;
  h[11] = c & 255;
  return [...h, ...l4];
}

/** Writes an Ethernet classic pcap (microseconds) of the packets. */
export function writePcap(file: string, pkts: Pkt[]): void {
  const parts: Buffer[] = [];
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(262144, 16);
  gh.writeUInt32LE(1, 20);
  parts.push(gh);
  for (const p of pkts) {
    const frame = Buffer.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, ...(p.src.includes(':') ? [0x86, 0xdd] : [8, 0]), ...ipPacket(p)]);
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(Math.floor(p.t), 0);
    rh.writeUInt32LE(Math.round((p.t - Math.floor(p.t)) * 1e6), 4);
    rh.writeUInt32LE(frame.length, 8);
    rh.writeUInt32LE(frame.length, 12);
    parts.push(rh, frame);
  }
  fs.writeFileSync(file, Buffer.concat(parts));
}

/** Linux connect() SYN options: MSS, SACK permitted, timestamps, NOP, window scale (20 bytes). */
export const KERNEL_SYN_OPTS = [2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7];
/** nmap raw SYN options: MSS 1460 only. */
export const RAW_SYN_OPTS = [2, 4, 5, 180];

export async function detectFile(file: string, opts: DetectOptions & { maxFlows?: number } = {}): Promise<SecuritySink> {
  const src = await openCaptureFile(file);
  const s = new SecuritySink(opts);
  await runPipeline(src, { decode: true, sinks: [s] });
  return s;
}
