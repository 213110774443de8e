// Helpers of the line-printer tests: run portscope's printer in-process over a capture file, run
// the real tcpdump on the same file, split both outputs into packets and classify tcpdump's lines.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { openCaptureFile } from '../src/capture/open';
import { runPipeline, type PacketSink } from '../src/pipeline';
import { OutBuf } from '../src/print/out';
import { createLinePrinter, type LinePrinterOptions } from '../src/print/tcpdump';
import type { PacketInfo } from '../decoders/packet-info';

/** <repo>/../shared/corpus, from dist/test. */
export const CORPUS = path.resolve(__dirname, '../../../shared/corpus');
export const corpusPresent = (): boolean => fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv'));

export function haveTcpdump(): boolean {
  const r = spawnSync('tcpdump', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

/** LINKTYPE_* values portscope decodes. */
export const SUPPORTED_LINKTYPES = new Set([0, 1, 12, 14, 101, 108, 113, 228, 229, 276]);

export interface CorpusFile {
  path: string;
  linkTypes: number[];
  nano: boolean;
  tags: string;
}

/** Corpus captures whose every link type is supported, from MANIFEST.tsv. */
export function supportedCorpusFiles(): CorpusFile[] {
  const lines = fs.readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').split('\n');
  const head = lines[0].split('\t');
  const col = (n: string): number => head.indexOf(n);
  const cPath = col('path');
  const cLt = col('linktypes');
  const cPrec = col('ts_precision');
  const cTags = col('tags');
  const files: CorpusFile[] = [];
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const f = line.split('\t');
    const lts = f[cLt].split(/[ ,;]+/).filter((x) => x !== '').map((x) => parseInt(x, 10));
    if (lts.length === 0 || lts.some((x) => !SUPPORTED_LINKTYPES.has(x))) continue;
    files.push({ path: path.join(CORPUS, f[cPath]), linkTypes: lts, nano: f[cPrec] === 'ns', tags: f[cTags] ?? '' });
  }
  return files;
}

export const DEFAULT_OPTS: LinePrinterOptions = {
  numeric: true,
  quick: false,
  tsFormat: 0,
  linkHeader: false,
  hex: 0,
  hexAscii: 0,
  absoluteSeq: false,
  verbose: 0,
  nano: false,
};

/** tcpdump's flags for the printer options (for the oracle run). */
export function tcpdumpFlags(o: LinePrinterOptions): string[] {
  const f = ['-n'];
  if (o.quick) f.push('-q');
  if (o.tsFormat > 0) f.push('-' + 't'.repeat(o.tsFormat));
  if (o.linkHeader) f.push('-e');
  if (o.hexAscii > 0) f.push('-' + 'X'.repeat(o.hexAscii));
  else if (o.hex > 0) f.push('-' + 'x'.repeat(o.hex));
  if (o.absoluteSeq) f.push('-S');
  if (o.nano) f.push('--time-stamp-precision=nano');
  return f;
}

/** portscope's printer output for a capture, in-process. Errors of the reader end the output. */
export async function printWithPortscope(file: string, opts: Partial<LinePrinterOptions>): Promise<string> {
  const o = { ...DEFAULT_OPTS, ...opts };
  const out = new OutBuf(-1, 1 << 22);
  const chunks: string[] = [];
  let source;
  try {
    source = await openCaptureFile(file);
  } catch {
    return '';
  }
  const printer = createLinePrinter(out, o, source);
  const sink: PacketSink = {
    onPacket(p: PacketInfo, data: Uint8Array) {
      printer.onPacket(p, data);
      if (out.pos > 1 << 21) chunks.push(out.take());
    },
  };
  try {
    await runPipeline(source, { decode: true, sinks: [sink] });
  } catch {
    // a damaged file: keep what was printed
  }
  chunks.push(out.take());
  return chunks.join('');
}

/** The real tcpdump's standard output for the same capture and options (TZ=UTC). */
export function printWithTcpdump(file: string, opts: Partial<LinePrinterOptions>): string {
  const o = { ...DEFAULT_OPTS, ...opts };
  const r = spawnSync('tcpdump', [...tcpdumpFlags(o), '-r', file], {
    env: { ...process.env, TZ: 'UTC' },
    maxBuffer: 1 << 30,
    encoding: 'latin1',
  });
  return r.stdout ?? '';
}

/**
 * Splits printer output into packets: a packet starts with a line that starts with a timestamp
 * (any of tcpdump's formats) and goes on with continuation lines (hex dumps start with a tab).
 */
export function splitPackets(text: string, tsFormat: number): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const start = TS_START[tsFormat];
  const packets: string[] = [];
  for (const l of lines) {
    if (packets.length === 0 || start.test(l) || l.startsWith('[Invalid header')) packets.push(l);
    else packets[packets.length - 1] += '\n' + l;
  }
  return packets;
}

const ERR = '\\[Error converting time\\]';
const TS_START: RegExp[] = [
  new RegExp(`^(\\d\\d:\\d\\d:\\d\\d\\.\\d{6,}|${ERR}) `),
  /^(?![\t ])/, // -t: every line not starting with blank space
  new RegExp(`^(\\d+\\.\\d{6,}|${ERR}) `),
  new RegExp(`^[ -](\\d\\d:\\d\\d:\\d\\d\\.\\d{6,}|${ERR}) `),
  new RegExp(`^(\\d{4,}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6,}|${ERR}) `),
  new RegExp(`^[ -](\\d\\d:\\d\\d:\\d\\d\\.\\d{6,}|${ERR}) `),
];

/** The kinds of tcpdump -q lines that must be byte-identical. */
export type CoreKind = 'tcp' | 'udp' | 'icmp-echo' | 'arp';

/**
 * Classifies one tcpdump packet text (without its timestamp column): the core kinds the printer
 * must reproduce exactly, or null for the others (reported as statistics).
 */
export function coreKind(text: string): CoreKind | null {
  const first = text.split('\n')[0];
  if (/^IP6? \S+\.\d+ > \S+\.\d+: tcp \d+/.test(first)) return 'tcp';
  if (/^IP6? \S+\.\d+ > \S+\.\d+: Flags \[/.test(first)) return 'tcp';
  if (/^IP6? \S+\.\d+ > \S+\.\d+: UDP, (bad )?length \d+/.test(first)) return 'udp';
  if (/^IP [\d.]+ > [\d.]+: ICMP echo (request|reply), id \d+, seq \d+, length \d+$/.test(first)) return 'icmp-echo';
  if (/^IP6 [\da-f:.]+ > [\da-f:.]+: ICMP6, echo (request|reply), id \d+, seq \d+, length \d+$/.test(first)) return 'icmp-echo';
  if (/^ARP, /.test(first)) return 'arp';
  return null;
}

/** Removes the timestamp column of a -tt line. */
export function stripTs(line: string): string {
  const i = line.indexOf(' ');
  return i < 0 ? line : line.slice(i + 1);
}

/** One record of a synthetic capture. */
export interface Rec {
  sec: number;
  usec: number;
  bytes: Uint8Array;
  /** Original length; defaults to bytes.length. */
  wireLen?: number;
}

/** Writes a classic little-endian microsecond pcap file. */
export function writePcap(file: string, linkType: number, recs: Rec[], snaplen = 262144): void {
  let size = 24;
  for (const r of recs) size += 16 + r.bytes.length;
  const b = Buffer.alloc(size);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(snaplen, 16);
  b.writeUInt32LE(linkType, 20);
  let o = 24;
  for (const r of recs) {
    b.writeUInt32LE(r.sec, o);
    b.writeUInt32LE(r.usec, o + 4);
    b.writeUInt32LE(r.bytes.length, o + 8);
    b.writeUInt32LE(r.wireLen ?? r.bytes.length, o + 12);
    b.set(r.bytes, o + 16);
    o += 16 + r.bytes.length;
  }
  fs.writeFileSync(file, b);
}

function csum(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[off + i] << 8) | (i + 1 < len ? b[off + i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** An IPv4 header + payload (checksum filled). */
export function ipv4(src: number, dst: number, proto: number, payload: Uint8Array, id = 1): Uint8Array {
  const b = new Uint8Array(20 + payload.length);
  const v = new DataView(b.buffer);
  b[0] = 0x45;
  v.setUint16(2, b.length);
  v.setUint16(4, id);
  b[8] = 64;
  b[9] = proto;
  v.setUint32(12, src >>> 0);
  v.setUint32(16, dst >>> 0);
  v.setUint16(10, csum(b, 0, 20));
  b.set(payload, 20);
  return b;
}

/** A TCP header (20 bytes + options) and payload. */
export function tcpSeg(sport: number, dport: number, seq: number, ack: number, flags: number, win: number, opts: number[] = [], dataLen = 0): Uint8Array {
  const hl = 20 + opts.length;
  const b = new Uint8Array(hl + dataLen);
  const v = new DataView(b.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint32(4, seq >>> 0);
  v.setUint32(8, ack >>> 0);
  b[12] = (hl / 4) << 4;
  b[13] = flags;
  v.setUint16(14, win);
  b.set(opts, 20);
  for (let i = 0; i < dataLen; i++) b[hl + i] = 0x41 + (i % 26);
  return b;
}

/** Ethernet II frame. */
export function ether(type: number, payload: Uint8Array, src = [2, 0, 0, 0, 0, 1], dst = [2, 0, 0, 0, 0, 2]): Uint8Array {
  const b = new Uint8Array(14 + payload.length);
  b.set(dst, 0);
  b.set(src, 6);
  b[12] = type >> 8;
  b[13] = type & 0xff;
  b.set(payload, 14);
  return b;
}

/**
 * tcpdump's line is ours followed by what its application-layer printers add (": HTTP...",
 * ", RPKI-RTR", " BEEP ...", "LDP, ..."): never a digit, which would mean a different number.
 */
export function extendsOurs(theirs: string, ours: string): boolean {
  return theirs.startsWith(ours) && /^(?:$|[^0-9])/.test(theirs.slice(ours.length));
}
