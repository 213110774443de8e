// Robustness fuzzer: random and mutated input through every parser of portscope.
//
//   node dist/scripts/fuzz.js [CASES=100000] [--seed N] [--case I [--keep]] [--corpus DIR] [--quiet]
//   (--keep: leave the last case's input files in a temporary directory, to replay with the CLI)
//
// Targets (one per case, chosen by the case's own PRNG, so `--seed S --case I` replays case I):
//   reader   a real capture (fixtures/*.pcap*, small corpus captures) mutated: bit flips, byte
//            sets, truncation, pcap record length / pcapng block length edits, records or blocks
//            spliced in from another capture, inserted junk. Read with openCaptureFile (with small
//            chunk sizes too), every packet decoded and printed (tcpdump lines with random
//            -e -v -x -X flags, and -T fields with every field).
//   decode   one packet (random bytes, or a real packet mutated) of a random link type through
//            decodeFrame and both printers.
//   filter   random and garbled filter expressions through compileFilterProvider (libpcap + JIT).
//   bpf      random classic BPF programs through the JIT (compileProgram), run on random packets.
//   profile  garbled profile JSON (text and structural mutations) through `profile merge`'s reader
//            (readProfileFile), mergeProfiles and every report format.
//
// Properties checked: nothing throws except the module's user-facing error class (CaptureError,
// FilterError, ProfileError, BpfValidationError); those messages are ONE line (and for a damaged
// record inside a capture they name the byte offset); decoders return a DecodeStatus and keep
// every offset inside the captured bytes; printers and reports never emit a control byte (< 0x20
// other than \n and \t, 0x7f..0x9f). A watchdog thread kills the process (naming the case) when
// one case runs longer than 20 s: a hang is a failure too. Exit status 1 when a case failed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { openCaptureFile } from '../src/capture/open';
import { CaptureError, type PacketSource } from '../src/capture/batch';
import { decodeFrame } from '../decoders/frame';
import { PacketInfo, DecodeStatus } from '../decoders/packet-info';
import { OutBuf } from '../src/print/out';
import { createLinePrinter, type LinePrinterOptions } from '../src/print/tcpdump';
import { createFieldsPrinter, FIELD_NAMES } from '../src/print/fields';
import type { PacketSink } from '../src/pipeline';
import { compileFilterProvider, FilterError } from '../src/filter/index';
import { compileProgram } from '../src/filter/jit';
import { BpfValidationError } from '../src/filter/bpf';
import { mergeProfileFiles } from '../src/cli/profile';
import { ProfileError } from '../src/report/profile';
import { FORMATS } from '../src/report/format';

export const TARGETS = ['reader', 'decode', 'filter', 'bpf', 'profile'] as const;
export type Target = (typeof TARGETS)[number];
/** Share of the cases per target (sums to 100). */
const WEIGHTS: Record<Target, number> = { reader: 40, decode: 25, filter: 12, bpf: 10, profile: 13 };

const ROOT = path.resolve(__dirname, '../..');
export const DEFAULT_CORPUS = path.resolve(ROOT, '../shared/corpus');
/** Link types the decoders know, plus a few they do not (they must answer Unsupported). */
const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 105, 127, 9, 65535];

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** Run only this case index (replay). */
  only?: number;
  corpus?: string;
  /** Progress lines on stderr. */
  progress?: boolean;
  /** Scratch directory (default: a new one under the OS temp dir, removed at the end). */
  tmpDir?: string;
}

export interface FuzzFailure {
  caseIndex: number;
  target: Target;
  detail: string;
}

export interface FuzzResult {
  cases: number;
  perTarget: Record<Target, number>;
  /** User-facing errors seen (expected outcomes), per target. */
  errors: Record<Target, number>;
  /** Milliseconds spent per target. */
  msPerTarget: Record<Target, number>;
  failures: FuzzFailure[];
  ms: number;
}

// ---------------------------------------------------------------- PRNG (deterministic per case)

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** mulberry32 */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  u32(): number {
    return (this.next() * 4294967296) >>> 0;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

function caseSeed(seed: number, i: number): number {
  let x = (seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  return x >>> 0;
}

// ---------------------------------------------------------------- checks

/** First byte a terminal could interpret (control character, DEL, C1), or -1. */
export function badTerminalByte(b: Uint8Array, start: number, end: number, allowTab = true): number {
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c < 0x20) {
      if (c === 0x0a || (c === 0x09 && allowTab)) continue;
      return i;
    }
    if (c >= 0x7f && c <= 0x9f) return i;
  }
  return -1;
}

export function badTerminalChar(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x0a && c !== 0x09) || (c >= 0x7f && c <= 0x9f)) return i;
  }
  return -1;
}

/** Capture-file messages that concern the file header (no record offset to name). */
const HEADER_MESSAGES = /unknown file format|archaic pcap savefile|unsupported pcap savefile version|unknown data link type|file header bytes|no Interface Description Blocks|section header block at byte offset|byte offset/;

function describe(e: unknown): string {
  const err = e as Error;
  return err && err.stack ? err.stack.split('\n').slice(0, 4).join(' | ') : String(e);
}

function oneLine(msg: string): boolean {
  return msg.length > 0 && !msg.includes('\n') && !msg.includes('\r') && badTerminalChar(msg) < 0;
}

// ---------------------------------------------------------------- seeds

interface Seeds {
  captures: { name: string; bytes: Uint8Array }[];
  /** Single packets (bytes and link type) cut from the captures. */
  packets: { lt: number; bytes: Uint8Array }[];
  profileJson: string;
}

function loadSeeds(corpus: string | undefined): Seeds {
  const captures: { name: string; bytes: Uint8Array }[] = [];
  const fx = path.join(ROOT, 'fixtures');
  for (const f of fs.readdirSync(fx).sort()) {
    if (/\.pcap(ng)?$/.test(f)) captures.push({ name: `fixtures/${f}`, bytes: fs.readFileSync(path.join(fx, f)) });
  }
  if (corpus && fs.existsSync(path.join(corpus, 'MANIFEST.tsv'))) {
    const lines = fs.readFileSync(path.join(corpus, 'MANIFEST.tsv'), 'utf8').split('\n');
    const head = lines[0].split('\t');
    const iPath = head.indexOf('path');
    const iSize = head.indexOf('size_bytes');
    for (const l of lines.slice(1)) {
      const c = l.split('\t');
      if (c.length < head.length) continue;
      const size = Number(c[iSize]);
      if (!(size > 0 && size <= 16384)) continue;
      try {
        captures.push({ name: c[iPath], bytes: fs.readFileSync(path.join(corpus, c[iPath])) });
      } catch {
        // listed but absent: skip
      }
    }
  }
  const packets: { lt: number; bytes: Uint8Array }[] = [];
  for (const c of captures) {
    const b = c.bytes;
    if (b.length < 24) continue;
    const magic = b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24);
    if (magic >>> 0 !== 0xa1b2c3d4 && magic >>> 0 !== 0xa1b23c4d) continue; // LE classic pcap only
    const lt = (b[20] | (b[21] << 8)) >>> 0;
    let o = 24;
    for (let n = 0; n < 64 && o + 16 <= b.length; n++) {
      const cap = (b[o + 8] | (b[o + 9] << 8) | (b[o + 10] << 16) | (b[o + 11] << 24)) >>> 0;
      if (cap > 65536 || o + 16 + cap > b.length) break;
      packets.push({ lt, bytes: b.slice(o + 16, o + 16 + cap) });
      o += 16 + cap;
    }
  }
  let profileJson = '';
  try {
    profileJson = execFileSync(process.execPath, [path.join(ROOT, 'dist/src/cli/main.js'), 'profile', '-r', path.join(fx, 'http.pcap'), '--format', 'json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    profileJson = '';
  }
  return { captures, packets, profileJson };
}

// ---------------------------------------------------------------- capture mutations

function u32le(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

function put32(b: Uint8Array, o: number, v: number, le: boolean): void {
  if (o < 0 || o + 4 > b.length) return;
  if (le) {
    b[o] = v;
    b[o + 1] = v >>> 8;
    b[o + 2] = v >>> 16;
    b[o + 3] = v >>> 24;
  } else {
    b[o] = v >>> 24;
    b[o + 1] = v >>> 16;
    b[o + 2] = v >>> 8;
    b[o + 3] = v;
  }
}

/** Record (pcap) or block (pcapng) boundaries of a well-formed capture: [start, end) pairs. */
function units(b: Uint8Array): { le: boolean; ng: boolean; spans: [number, number][] } {
  const spans: [number, number][] = [];
  const m = u32le(b, 0);
  if (m === 0x0a0d0d0a) {
    const le = u32le(b, 8) === 0x1a2b3c4d;
    let o = 0;
    while (o + 12 <= b.length) {
      const len = le ? u32le(b, o + 4) : ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0;
      if (len < 12 || len % 4 !== 0 || o + len > b.length) break;
      spans.push([o, o + len]);
      o += len;
    }
    return { le, ng: true, spans };
  }
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
  let o = 24;
  while (o + 16 <= b.length) {
    const cap = le ? u32le(b, o + 8) : ((b[o + 8] << 24) | (b[o + 9] << 16) | (b[o + 10] << 8) | b[o + 11]) >>> 0;
    if (o + 16 + cap > b.length) break;
    spans.push([o, o + 16 + cap]);
    o += 16 + cap;
  }
  return { le, ng: false, spans };
}

const INTERESTING32 = [0, 1, 3, 4, 8, 11, 12, 16, 27, 28, 31, 32, 64, 0x7fff, 0xffff, 0x10000, 0x40000, 0x40001, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffc, 0xffffffff];

function mutateCapture(rng: Rng, seeds: Seeds, src: Uint8Array): { bytes: Uint8Array; ops: string[] } {
  let b: Uint8Array = src.slice();
  const ops: string[] = [];
  const n = 1 + rng.int(4);
  for (let k = 0; k < n; k++) {
    const u = units(b);
    const op = rng.int(9);
    if (op === 0 && b.length > 0) {
      const i = rng.int(b.length);
      b[i] ^= 1 << rng.int(8);
      ops.push(`flip@${i}`);
    } else if (op === 1 && b.length > 0) {
      const i = rng.int(b.length);
      b[i] = rng.pick([0, 0xff, 0x7f, 0x80, 0x1b, rng.int(256)]);
      ops.push(`set@${i}`);
    } else if (op === 2) {
      const cut = rng.chance(0.5) && u.spans.length > 0 ? rng.pick(u.spans)[0] + rng.int(20) : rng.int(b.length + 1);
      b = b.slice(0, Math.min(cut, b.length));
      ops.push(`trunc@${cut}`);
    } else if (op === 3 && u.spans.length > 0) {
      // a length field: pcap caplen / len, pcapng block total length (leading or trailing), EPB caplen
      const [s, e] = rng.pick(u.spans);
      const v = rng.chance(0.7) ? rng.pick(INTERESTING32) : rng.u32();
      const where = u.ng ? rng.pick([s + 4, e - 4, s + 20, s + 24]) : rng.pick([s + 8, s + 12]);
      put32(b, where, v, u.le);
      ops.push(`len@${where}=${v}`);
    } else if (op === 4 && u.spans.length > 0) {
      // splice a record / block from another capture (possibly another format or byte order)
      const other = rng.pick(seeds.captures).bytes;
      const ou = units(other);
      if (ou.spans.length === 0) continue;
      const [s, e] = rng.pick(ou.spans);
      const at = rng.chance(0.8) ? rng.pick(u.spans)[rng.int(2)] : rng.int(b.length + 1);
      const nb = new Uint8Array(b.length + (e - s));
      nb.set(b.subarray(0, at), 0);
      nb.set(other.subarray(s, e), at);
      nb.set(b.subarray(at), at + (e - s));
      b = nb;
      ops.push(`splice@${at}+${e - s}`);
    } else if (op === 5 && u.spans.length > 1) {
      // drop or duplicate a record / block
      const [s, e] = rng.pick(u.spans.slice(u.ng ? 1 : 0));
      if (rng.chance(0.5)) {
        const nb = new Uint8Array(b.length - (e - s));
        nb.set(b.subarray(0, s), 0);
        nb.set(b.subarray(e), s);
        b = nb;
        ops.push(`drop@${s}`);
      } else {
        const nb = new Uint8Array(b.length + (e - s));
        nb.set(b.subarray(0, e), 0);
        nb.set(b.subarray(s, e), e);
        nb.set(b.subarray(e), 2 * e - s);
        b = nb;
        ops.push(`dup@${s}`);
      }
    } else if (op === 6) {
      const at = rng.int(b.length + 1);
      const len = 1 + rng.int(rng.chance(0.2) ? 300 : 12);
      const junk = new Uint8Array(len);
      for (let i = 0; i < len; i++) junk[i] = rng.int(256);
      const nb = new Uint8Array(b.length + len);
      nb.set(b.subarray(0, at), 0);
      nb.set(junk, at);
      nb.set(b.subarray(at), at + len);
      b = nb;
      ops.push(`junk@${at}+${len}`);
    } else if (op === 7 && b.length > 24) {
      // header fields: version, snaplen, link type (pcap); an option or IDB field (pcapng)
      const where = u.ng ? rng.int(Math.min(b.length, 128)) & ~3 : rng.pick([4, 6, 16, 20, 22]);
      put32(b, where, rng.pick(INTERESTING32), u.le);
      ops.push(`hdr@${where}`);
    } else if (b.length > 0) {
      // a run of random bytes inside a packet
      const i = rng.int(b.length);
      const len = Math.min(b.length - i, 1 + rng.int(16));
      for (let j = 0; j < len; j++) b[i + j] = rng.int(256);
      ops.push(`rand@${i}+${len}`);
    }
  }
  return { bytes: b, ops };
}

// ---------------------------------------------------------------- packet checks and printers

interface Printers {
  out: OutBuf;
  line: PacketSink;
  fields: PacketSink;
}

const sharedOut = new OutBuf(-1, 1 << 20);

function randomPrinters(rng: Rng, source: PacketSource | null): Printers {
  const out = sharedOut;
  out.pos = 0;
  const opts: LinePrinterOptions = {
    numeric: true,
    quick: rng.chance(0.2),
    tsFormat: rng.pick([0, 1, 2, 3, 4, 5] as const),
    linkHeader: rng.chance(0.5),
    hex: rng.pick([0, 0, 1, 2]),
    hexAscii: rng.pick([0, 0, 1, 2]),
    absoluteSeq: rng.chance(0.3),
    verbose: rng.pick([0, 0, 1, 2, 3]),
    nano: rng.chance(0.3),
    ifNames: new Map([[1, 'eth0']]),
    maxTcpConnections: 64,
  };
  const fakeSource = source ?? ({ name: 'fuzz', interfaces: [], precision: 'micro', warning: null } as unknown as PacketSource);
  return {
    out,
    line: createLinePrinter(out, opts, fakeSource),
    fields: createFieldsPrinter(out, [...FIELD_NAMES], rng.chance(0.5) ? ['header=y'] : [], rng.chance(0.5)),
  };
}

/** Decoded offsets stay inside the frame; printers' output is terminal-safe. Returns a problem or null. */
function checkPacket(p: PacketInfo, status: number, data: Uint8Array, pr: Printers): string | null {
  if (!(status >= 0 && status <= 3) || status !== p.status) return `decodeFrame returned ${status} (p.status ${p.status})`;
  const lo = p.frameStart;
  const hi = p.capEnd;
  const offs: [string, number][] = [
    ['ethDstOff', p.ethDstOff], ['ethSrcOff', p.ethSrcOff], ['l3Offset', p.l3Offset], ['l4Offset', p.l4Offset],
    ['payloadOffset', p.payloadOffset], ['src6Off', p.src6Off], ['dst6Off', p.dst6Off], ['ip6FragHdrOff', p.ip6FragHdrOff],
    ['ipEnd', p.ipEnd], ['encapOffset', p.encapOffset], ['encapEnd', p.encapEnd],
  ];
  for (const [name, v] of offs) {
    if (v !== -1 && !(v >= lo && v <= hi)) return `${name} ${v} outside the frame [${lo}, ${hi}]`;
  }
  if (p.ethDstOff >= 0 && p.ethDstOff + 6 > hi) return `ethDstOff ${p.ethDstOff}+6 beyond ${hi}`;
  if (p.src6Off >= 0 && p.src6Off + 16 > hi) return `src6Off ${p.src6Off}+16 beyond ${hi}`;
  if (p.dst6Off >= 0 && p.dst6Off + 16 > hi) return `dst6Off ${p.dst6Off}+16 beyond ${hi}`;
  const outStart = pr.out.pos;
  pr.line.onPacket(p, data);
  pr.fields.onPacket(p, data);
  const bad = badTerminalByte(pr.out.buf, 0, pr.out.pos, true);
  if (bad >= 0) {
    const ctx = Buffer.from(pr.out.buf.subarray(Math.max(0, bad - 40), bad + 8)).toString('latin1');
    return `printer emitted byte 0x${pr.out.buf[bad].toString(16)} at ${bad - outStart}: ${JSON.stringify(ctx)}`;
  }
  if (pr.out.pos > pr.out.buf.length - 65536) return `printer output grew to ${pr.out.pos} bytes for one packet`;
  pr.out.pos = 0;
  return null;
}

// ---------------------------------------------------------------- targets

interface Ctx {
  seeds: Seeds;
  tmp: string;
  p: PacketInfo;
  errors: Record<Target, number>;
}

/** Returns a failure description, or null. Expected user-facing errors count in ctx.errors. */
async function fuzzReader(rng: Rng, ctx: Ctx): Promise<string | null> {
  const seed = rng.pick(ctx.seeds.captures);
  const { bytes, ops } = mutateCapture(rng, ctx.seeds, seed.bytes);
  const file = path.join(ctx.tmp, 'case.pcap');
  fs.writeFileSync(file, bytes);
  const what = `${seed.name} [${ops.join(' ')}]`;
  // small chunks cut records at every place; 64 KiB keeps the per-file buffers small (the default is 4 MiB)
  const chunk = rng.chance(0.3) ? rng.pick([64, 100, 256, 1000, 4096]) : 65536;
  let src: PacketSource;
  try {
    src = await openCaptureFile(file, chunk);
  } catch (e) {
    if (e instanceof CaptureError) {
      ctx.errors.reader++;
      if (!oneLine(e.message)) return `${what}: open: message not one clean line: ${JSON.stringify(e.message)}`;
      return null;
    }
    return `${what}: open threw ${describe(e)}`;
  }
  const pr = randomPrinters(rng, src);
  const p = ctx.p;
  let n = 0;
  try {
    for await (const b of src.batches()) {
      for (let i = 0; i < b.count; i++) {
        n++;
        if (b.offset[i] + b.capLen[i] > b.data.length) return `${what}: packet ${n} [${b.offset[i]}, +${b.capLen[i]}) beyond the batch data (${b.data.length})`;
        // tsNsec may be >= 1e9: an out-of-range fraction is kept for tcpdump's "(invalid us)"
        p.frameNumber = n;
        p.tsSec = b.tsSec[i];
        p.tsNsec = b.tsNsec[i];
        p.capLen = b.capLen[i];
        p.wireLen = b.wireLen[i];
        p.frameStart = b.offset[i];
        p.capEnd = b.offset[i] + b.capLen[i];
        p.linkType = b.linkType[i];
        p.ifIndex = b.ifIndex[i];
        const st = decodeFrame(b.data, b.offset[i], b.capLen[i], b.wireLen[i], b.linkType[i], p);
        const bad = checkPacket(p, st, b.data, pr);
        if (bad !== null) return `${what}: packet ${n}: ${bad}`;
      }
      if (n > 200000) return `${what}: more than 200000 packets from a ${bytes.length}-byte file`;
    }
  } catch (e) {
    if (e instanceof CaptureError) {
      ctx.errors.reader++;
      if (!oneLine(e.message)) return `${what}: message not one clean line: ${JSON.stringify(e.message)}`;
      if (!HEADER_MESSAGES.test(e.message)) return `${what}: error does not name the byte offset: ${e.message}`;
      return null;
    }
    return `${what}: threw ${describe(e)}`;
  }
  if (src.warning) {
    ctx.errors.reader++;
    if (!oneLine(src.warning.message) || !/byte offset/.test(src.warning.message)) return `${what}: warning ${JSON.stringify(src.warning.message)}`;
  }
  return null;
}

function fuzzDecode(rng: Rng, ctx: Ctx): string | null {
  let bytes: Uint8Array;
  let lt: number;
  if (ctx.seeds.packets.length > 0 && rng.chance(0.7)) {
    const s = rng.pick(ctx.seeds.packets);
    lt = rng.chance(0.85) ? s.lt : rng.pick(LINK_TYPES);
    bytes = s.bytes.slice(0, rng.chance(0.3) ? rng.int(s.bytes.length + 1) : s.bytes.length);
    const n = 1 + rng.int(6);
    for (let k = 0; k < n && bytes.length > 0; k++) {
      const i = rng.int(bytes.length);
      if (rng.chance(0.5)) bytes[i] ^= 1 << rng.int(8);
      else bytes[i] = rng.pick([0, 0xff, 0x45, 0x60, 0x06, 0x11, 0x2f, 0x29, 0x04, 0x81, 0x1b, rng.int(256)]);
    }
  } else {
    lt = rng.pick(LINK_TYPES);
    bytes = new Uint8Array(rng.int(rng.chance(0.2) ? 2000 : 120));
    for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
  }
  // somewhere inside a bigger buffer, as in a batch
  const pad = rng.int(64);
  const data = new Uint8Array(pad + bytes.length + rng.int(64));
  for (let i = 0; i < data.length; i++) data[i] = 0xa5;
  data.set(bytes, pad);
  const p = ctx.p;
  p.frameNumber = 1;
  p.tsSec = rng.chance(0.1) ? rng.pick([0, 2 ** 32, 2 ** 40, 1e12]) : 1700000000 + rng.int(1000);
  p.tsNsec = rng.int(1e9);
  p.capLen = bytes.length;
  p.wireLen = rng.chance(0.8) ? bytes.length : rng.chance(0.5) ? rng.int(bytes.length + 1) : bytes.length + rng.int(70000);
  p.frameStart = pad;
  p.capEnd = pad + bytes.length;
  p.linkType = lt;
  p.ifIndex = 0;
  const pr = randomPrinters(rng, null);
  try {
    const st = decodeFrame(data, pad, bytes.length, p.wireLen, lt, p);
    const bad = checkPacket(p, st, data, pr);
    if (bad !== null) return `link ${lt} bytes ${Buffer.from(bytes).toString('hex')}: ${bad}`;
    // a second packet through the same printers (relative times, sequence tables)
    const st2 = decodeFrame(data, pad, bytes.length, p.wireLen, lt, p);
    const bad2 = checkPacket(p, st2, data, pr);
    if (bad2 !== null) return `link ${lt} bytes ${Buffer.from(bytes).toString('hex')} (again): ${bad2}`;
  } catch (e) {
    return `link ${lt} bytes ${Buffer.from(bytes).toString('hex')}: threw ${describe(e)}`;
  }
  return null;
}

const FILTER_WORDS = [
  'tcp', 'udp', 'icmp', 'icmp6', 'ip', 'ip6', 'arp', 'rarp', 'ether', 'vlan', 'mpls', 'pppoes', 'host', 'net', 'port',
  'portrange', 'src', 'dst', 'and', 'or', 'not', '!', '&&', '||', '(', ')', '[', ']', ':', '=', '==', '!=', '<', '>',
  '<=', '>=', '+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>', 'len', 'less', 'greater', 'proto', 'broadcast',
  'multicast', 'gateway', 'mask', 'tcp[tcpflags]', 'tcp-syn', 'tcp-ack', 'icmp-echo', 'ip[0]', 'ip[2:2]', 'ether[0:4]',
  '10.0.0.1', '10.0.0.0/8', '192.168', '::1', 'fe80::/10', 'ff:ff:ff:ff:ff:ff', '00:11:22:33:44:55', '0', '1', '80',
  '65535', '65536', '4294967295', '4294967296', '0x7fffffff', '0xffffffffff', '1-1000', 'http', 'domain', 'ssh',
  'localhost', 'inbound', 'outbound', 'ifname', 'eth0', 'on', 'sll', 'link', 'decnet', 'iso', 'isis', 'wlan', 'type',
  'mgt', 'geneve', 'vxlan', 'protochain', 'ah', 'esp', 'sctp', 'igmp', 'pim', 'vrrp', '"', "'", '\\', ';', '$(id)',
  '`id`', '\u001b[31m', '\u0000', '\n', '\u00e9',
];

function randomExpression(rng: Rng): string {
  const r = rng.int(10);
  if (r < 6) {
    const n = 1 + rng.int(10);
    const w: string[] = [];
    for (let i = 0; i < n; i++) w.push(rng.pick(FILTER_WORDS));
    return w.join(rng.chance(0.8) ? ' ' : '');
  }
  if (r < 8) {
    // fast-check strings, full unicode included
    return fc.sample(rng.chance(0.5) ? fc.string({ maxLength: 40 }) : fc.string({ unit: 'grapheme', maxLength: 20 }), { seed: rng.u32() | 0, numRuns: 1 })[0];
  }
  // a valid-looking expression, garbled by one edit
  const base = rng.pick(['tcp port 80', 'host 10.0.0.1 and not udp', 'ip[2:2] > 60', 'tcp[tcpflags] & tcp-syn != 0', 'vlan 100 and ip6', 'portrange 1-1024 or icmp', 'ether host 00:11:22:33:44:55', 'net 10.0.0.0/8 and (tcp or udp)']);
  const i = rng.int(base.length + 1);
  const e = rng.int(3);
  return e === 0 ? base.slice(0, i) + base.slice(i + 1) : e === 1 ? base.slice(0, i) + rng.pick(FILTER_WORDS) + base.slice(i) : base.slice(0, i);
}

function fuzzFilter(rng: Rng, ctx: Ctx): string | null {
  const expr = randomExpression(rng);
  const lt = rng.pick([1, 1, 1, 0, 101, 113, 276, 228, 229, 108]);
  const snap = rng.pick([262144, 65535, 96, 1]);
  try {
    const f = compileFilterProvider(expr)(lt, snap);
    if (f !== null) {
      const pk = ctx.seeds.packets.length > 0 ? rng.pick(ctx.seeds.packets).bytes : new Uint8Array(60);
      const v = f(pk, 0, pk.length, pk.length);
      if (typeof v !== 'number' || !Number.isFinite(v)) return `${JSON.stringify(expr)} (link ${lt}): filter returned ${String(v)}`;
    }
  } catch (e) {
    if (e instanceof FilterError || (e instanceof CaptureError && /native|addon/i.test(e.message))) {
      ctx.errors.filter++;
      if (!oneLine(e.message)) return `${JSON.stringify(expr)}: message not one clean line: ${JSON.stringify(e.message)}`;
      return null;
    }
    return `${JSON.stringify(expr)} (link ${lt}): threw ${describe(e)}`;
  }
  return null;
}

/** Opcodes of every valid classic BPF instruction (load, store, ALU, jumps, return, misc). */
const BPF_OPS: number[] = [
  0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x80, 0x00, 0x60, 0x01, 0x61, 0x81, 0xb1, 0x02, 0x03,
  ...[0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0].flatMap((op) => [0x04 | op, 0x0c | op]), 0x84,
  0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x06, 0x16, 0x07, 0x87,
];

function fuzzBpf(rng: Rng, ctx: Ctx): string | null {
  const len = 1 + rng.int(rng.chance(0.1) ? 300 : 24);
  const prog = new Uint32Array(len * 4); // [code, jt, jf, k] per instruction
  const valid = rng.chance(0.8);
  for (let i = 0; i < len; i++) {
    const left = len - i - 1;
    const code = valid ? rng.pick(BPF_OPS) : rng.int(65536);
    const jt = valid ? rng.int(left + 1) : rng.int(256);
    const jf = valid ? rng.int(left + 1) : rng.int(256);
    let k = rng.chance(0.6) ? rng.int(128) : rng.pick(INTERESTING32);
    if (valid && (code & 0xe7) === 0x60 || code === 0x02 || code === 0x03) k = rng.int(16); // M[k]
    if (valid && code === 0x05) k = rng.int(left + 1); // ja
    prog[4 * i] = code;
    prog[4 * i + 1] = jt;
    prog[4 * i + 2] = jf;
    prog[4 * i + 3] = k >>> 0;
  }
  if (valid || rng.chance(0.5)) prog[4 * (len - 1)] = rng.chance(0.5) ? 0x06 : 0x16; // ret k / ret a
  let fn;
  try {
    fn = compileProgram(prog).fn;
  } catch (e) {
    if (e instanceof BpfValidationError || e instanceof FilterError) {
      ctx.errors.bpf++;
      if (!oneLine(e.message)) return `message not one clean line: ${JSON.stringify(e.message)}`;
      return null;
    }
    return `program ${Array.from(prog).join(',')}: compile threw ${describe(e)}`;
  }
  for (let k = 0; k < 4; k++) {
    const pk = ctx.seeds.packets.length > 0 && k < 2 ? rng.pick(ctx.seeds.packets).bytes : new Uint8Array(rng.int(80)).map(() => rng.int(256));
    const pad = rng.int(8);
    const data = new Uint8Array(pad + pk.length + 8);
    data.set(pk, pad);
    try {
      const v = fn(data, pad, pk.length, pk.length + rng.int(3));
      if (typeof v !== 'number' || !(v >= 0 && v <= 0xffffffff)) return `program ${Array.from(prog).join(',')}: returned ${String(v)}`;
    } catch (e) {
      return `program ${Array.from(prog).join(',')}: run threw ${describe(e)}`;
    }
  }
  return null;
}

function randomJsonValue(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => null, () => true, () => -1, () => 1e308, () => -0.5, () => 2 ** 53 + 1, () => NaN, () => '', () => 'x'.repeat(rng.int(300)),
    () => '\u001b[2J\u0007\u009b31m\u007f\r\b', () => [], () => ({}), () => [1, 'a', null], () => ({ a: { b: [] } }), () => 'tcp', () => 80,
    () => '1.2.3.4', () => '::1', () => '__proto__', () => ({ __proto__: { polluted: 1 } }),
  ])();
}

/** Replaces or deletes one value somewhere in a parsed JSON document. */
function mutateJsonValue(rng: Rng, v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== 'object' || depth > 12 || rng.chance(0.15)) return randomJsonValue(rng);
  if (Array.isArray(v)) {
    if (v.length === 0) return rng.chance(0.5) ? [randomJsonValue(rng)] : randomJsonValue(rng);
    const i = rng.int(v.length);
    const c = v.slice();
    if (rng.chance(0.1)) c.splice(i, 1);
    else c[i] = mutateJsonValue(rng, c[i], depth + 1);
    return c;
  }
  const o = { ...(v as Record<string, unknown>) };
  const keys = Object.keys(o);
  if (keys.length === 0) return randomJsonValue(rng);
  const k = rng.pick(keys);
  if (rng.chance(0.1)) delete o[k];
  else o[k] = mutateJsonValue(rng, o[k], depth + 1);
  return o;
}

function fuzzProfile(rng: Rng, ctx: Ctx): string | null {
  const base = ctx.seeds.profileJson;
  if (base === '') return null;
  let text: string;
  const r = rng.int(4);
  if (r <= 1) {
    text = JSON.stringify(mutateJsonValue(rng, JSON.parse(base)));
    if (rng.chance(0.3)) text = JSON.stringify(mutateJsonValue(rng, JSON.parse(text)));
  } else if (r === 2) {
    const b = Buffer.from(base, 'utf8');
    const n = 1 + rng.int(4);
    for (let k = 0; k < n; k++) b[rng.int(b.length)] = rng.pick([0x22, 0x2c, 0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x30, 0x1b, 0xff, 0xc3, 0x00, rng.int(256)]);
    text = b.toString('latin1');
  } else {
    text = base.slice(0, rng.int(base.length));
  }
  const file = path.join(ctx.tmp, rng.chance(0.5) ? 'case.json' : 'bad\u001bname.json');
  fs.writeFileSync(file, text, 'latin1');
  try {
    for (const f of FORMATS) {
      const s = [...mergeProfileFiles([file, file], f, 20)].join('');
      const bad = badTerminalChar(s);
      if (bad >= 0) return `mutated profile rendered as ${f} has char 0x${s.charCodeAt(bad).toString(16)} near ${JSON.stringify(s.slice(Math.max(0, bad - 40), bad + 5))}`;
    }
  } catch (e) {
    if (e instanceof ProfileError || e instanceof CaptureError) {
      ctx.errors.profile++;
      // the file name is printed as given by the user (tcpdump does the same with paths)
      const msg = e.message.split(file).join('FILE');
      if (!oneLine(msg) || !e.message.startsWith(file)) return `message not one clean line naming the file: ${JSON.stringify(e.message)}`;
      return null;
    }
    return `profile ${JSON.stringify(text.slice(0, 200))}...: threw ${describe(e)}`;
  }
  return null;
}

// ---------------------------------------------------------------- driver

function pickTarget(rng: Rng): Target {
  let x = rng.int(100);
  for (const t of TARGETS) {
    if (x < WEIGHTS[t]) return t;
    x -= WEIGHTS[t];
  }
  return 'decode';
}

/** A watchdog thread: kills the process, naming the case, when one case runs more than `limitMs`. */
function startWatchdog(limitMs: number): { beat: (i: number) => void; stop: () => void } {
  const shared = new Int32Array(new SharedArrayBuffer(12));
  const code = `
    const { workerData } = require('node:worker_threads');
    const fs = require('node:fs');
    const s = workerData.shared;
    let last = -1, since = Date.now();
    setInterval(() => {
      if (Atomics.load(s, 2) === 1) process.exit(0);
      const cur = Atomics.load(s, 0);
      if (cur !== last) { last = cur; since = Date.now(); return; }
      if (cur >= 0 && Date.now() - since > workerData.limitMs) {
        fs.writeSync(2, 'fuzz: HANG: case ' + cur + ' (seed ' + workerData.seed + ') ran for more than ' + workerData.limitMs + ' ms\\n');
        process.kill(process.pid, 'SIGKILL');
      }
    }, 500).unref();`;
  const w = new Worker(code, { eval: true, workerData: { shared, limitMs, seed: 0 } });
  w.unref();
  return {
    beat: (i) => Atomics.store(shared, 0, i),
    stop: () => {
      Atomics.store(shared, 2, 1);
      void w.terminate();
    },
  };
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const t0 = Date.now();
  const seeds = loadSeeds(o.corpus ?? DEFAULT_CORPUS);
  const ownTmp = o.tmpDir === undefined;
  const tmp = o.tmpDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-fuzz-'));
  const perTarget = { reader: 0, decode: 0, filter: 0, bpf: 0, profile: 0 } as Record<Target, number>;
  const errors = { reader: 0, decode: 0, filter: 0, bpf: 0, profile: 0 } as Record<Target, number>;
  const msPerTarget = { reader: 0, decode: 0, filter: 0, bpf: 0, profile: 0 } as Record<Target, number>;
  const failures: FuzzFailure[] = [];
  const ctx: Ctx = { seeds, tmp, p: new PacketInfo(), errors };
  const dog = startWatchdog(20000);
  let nextReport = Date.now() + 5000;
  try {
    const first = o.only ?? 0;
    const last = o.only !== undefined ? o.only + 1 : o.cases;
    for (let i = first; i < last; i++) {
      dog.beat(i);
      const rng = new Rng(caseSeed(o.seed, i));
      const target = pickTarget(rng);
      perTarget[target]++;
      let bad: string | null;
      const tc = performance.now();
      try {
        switch (target) {
          case 'reader':
            bad = await fuzzReader(rng, ctx);
            break;
          case 'decode':
            bad = fuzzDecode(rng, ctx);
            break;
          case 'filter':
            bad = fuzzFilter(rng, ctx);
            break;
          case 'bpf':
            bad = fuzzBpf(rng, ctx);
            break;
          default:
            bad = fuzzProfile(rng, ctx);
        }
      } catch (e) {
        bad = `harness: ${describe(e)}`;
      }
      msPerTarget[target] += performance.now() - tc;
      if (bad !== null) {
        failures.push({ caseIndex: i, target, detail: bad });
        if (o.progress) process.stderr.write(`fuzz: FAIL case ${i} (${target}): ${bad}\n`);
        if (failures.length >= 50) break;
      }
      if (o.progress && Date.now() > nextReport) {
        nextReport = Date.now() + 5000;
        process.stderr.write(`fuzz: ${i + 1 - first}/${last - first} cases, ${failures.length} failures\n`);
      }
    }
  } finally {
    dog.stop();
    if (ownTmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
  const cases = Object.values(perTarget).reduce((a, b) => a + b, 0);
  return { cases, perTarget, errors, msPerTarget, failures, ms: Date.now() - t0 };
}

async function main(argv: string[]): Promise<number> {
  let cases = 100000;
  let seed = 1;
  let only: number | undefined;
  let corpus: string | undefined;
  let quiet = false;
  let tmpDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seed') seed = Number(argv[++i]);
    else if (a === '--case') only = Number(argv[++i]);
    else if (a === '--corpus') corpus = argv[++i];
    else if (a === '--quiet') quiet = true;
    else if (a === '--keep') tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-fuzz-keep-'));
    else if (/^\d+$/.test(a)) cases = Number(a);
    else {
      process.stderr.write('usage: node dist/scripts/fuzz.js [CASES] [--seed N] [--case I [--keep]] [--corpus DIR] [--quiet]\n');
      return 2;
    }
  }
  const r = await runFuzz({ cases, seed, only, corpus, progress: !quiet, tmpDir });
  if (tmpDir !== undefined) process.stdout.write(`fuzz: inputs of the last case kept in ${tmpDir}\n`);
  const per = TARGETS.map((t) => `${t} ${r.perTarget[t]} (${r.errors[t]} rejected, ${(r.msPerTarget[t] / 1000).toFixed(1)} s)`).join(', ');
  process.stdout.write(`fuzz: ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s, seed ${seed}: ${per}; ${r.failures.length} failures\n`);
  for (const f of r.failures) process.stdout.write(`  case ${f.caseIndex} (${f.target}; replay: --seed ${seed} --case ${f.caseIndex}): ${f.detail}\n`);
  return r.failures.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (c) => {
      process.exitCode = c;
    },
    (e) => {
      process.stderr.write(`fuzz: ${describe(e)}\n`);
      process.exitCode = 2;
    },
  );
}

export { DecodeStatus };
