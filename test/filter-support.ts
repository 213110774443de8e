// Helpers shared by the filter tests and the filter benchmark: the corpus location, a minimal
// classic-pcap reader (records only: the oracle side of the tests, independent of src/capture),
// and a FilterCompiler backed by `tcpdump -ddd` for machines where the addon is not built.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseDecimalProgram } from '../src/filter/bpf';
import type { FilterCompiler } from '../src/filter/index';

/** <repo>/../shared/corpus, from dist/test or dist/scripts. */
export const CORPUS = path.resolve(__dirname, '../../../shared/corpus');
export const corpusPresent = (): boolean => fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv'));

/** True when `cmd --version` runs. */
export function haveTool(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return r.status === 0 || (r.error === undefined && r.status !== null);
}

/** A classic pcap file's records, packet bytes addressed in the file buffer. */
export interface PcapRecords {
  linkType: number;
  snaplen: number;
  littleEndian: boolean;
  nano: boolean;
  data: Buffer;
  /** Start of each record's 16-byte header. */
  recStart: number[];
  /** Start of each packet's bytes. */
  offset: number[];
  capLen: number[];
  wireLen: number[];
}

/** Reads a classic pcap file; throws on anything else or on damage. */
export function readPcap(file: string): PcapRecords {
  const data = fs.readFileSync(file);
  const magicLE = data.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    le = true;
    nano = magicLE === 0xa1b23c4d;
  } else {
    const magicBE = data.readUInt32BE(0);
    if (magicBE !== 0xa1b2c3d4 && magicBE !== 0xa1b23c4d) throw new Error(`${file}: not a classic pcap file`);
    le = false;
    nano = magicBE === 0xa1b23c4d;
  }
  const u32 = (o: number): number => (le ? data.readUInt32LE(o) : data.readUInt32BE(o));
  const r: PcapRecords = {
    linkType: u32(20) & 0x03ffffff,
    snaplen: u32(16),
    littleEndian: le,
    nano,
    data,
    recStart: [],
    offset: [],
    capLen: [],
    wireLen: [],
  };
  let o = 24;
  while (o + 16 <= data.length) {
    const cap = u32(o + 8);
    if (o + 16 + cap > data.length) throw new Error(`${file}: record at ${o} cut short`);
    r.recStart.push(o);
    r.offset.push(o + 16);
    r.capLen.push(cap);
    r.wireLen.push(u32(o + 12));
    o += 16 + cap;
  }
  if (o !== data.length) throw new Error(`${file}: trailing bytes at ${o}`);
  return r;
}

/** Link-type name for `tcpdump -y`. */
const DLT_NAMES: Record<number, string> = { 0: 'NULL', 1: 'EN10MB', 12: 'RAW', 14: 'RAW', 101: 'RAW', 108: 'LOOP', 113: 'LINUX_SLL', 276: 'LINUX_SLL2' };

/**
 * Programs from the installed tcpdump (`tcpdump -ddd -y DLT -s SNAPLEN EXPR`): the same libpcap
 * compiler the addon wraps, run as a process. Errors carry tcpdump's message without its prefix.
 */
export const tcpdumpCompiler: FilterCompiler = {
  compile(expr: string, linkType: number, snaplen: number, optimize = true): Uint32Array {
    const dlt = DLT_NAMES[linkType];
    if (dlt === undefined) throw new Error(`tcpdumpCompiler: no -y name for link type ${linkType}`);
    const args = ['-ddd', ...(optimize ? [] : ['-O']), '-y', dlt, '-s', String(snaplen), '--', expr];
    const r = spawnSync('tcpdump', args, { encoding: 'latin1' });
    if (r.status !== 0) throw new Error(r.stderr.trim().split('\n').pop()!.replace(/^tcpdump: /, ''));
    return parseDecimalProgram(r.stdout);
  },
};

/** Rows of MANIFEST.tsv as objects keyed by the header. */
export function manifest(): Record<string, string>[] {
  const lines = fs.readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').trim().split('\n');
  const head = lines[0].split('\t');
  return lines.slice(1).map((l) => {
    const f = l.split('\t');
    return Object.fromEntries(head.map((h, i) => [h, f[i] ?? '']));
  });
}

const BAD_TAGS = ['malformed', 'fuzz', 'truncated-file', 'caplen>snaplen', 'origlen<caplen', 'corrupt', 'linktype-upper-bits-set', 'tshark-error', 'capinfos-error'];

/** Well-formed microsecond classic pcap captures of one link type (paths inside the corpus). */
export function wellFormedCaptures(linkTypes: readonly number[]): string[] {
  return manifest()
    .filter((r) => r.format === 'pcap' && r.ts_precision === 'us')
    .filter((r) => linkTypes.includes(Number(r.linktypes.split(':')[0])) && !r.linktypes.includes(','))
    .filter((r) => !BAD_TAGS.some((t) => r.tags.includes(t)))
    .filter((r) => Number(r.packets_parsed) > 0 && r.packets_parsed === r.packets_capinfos)
    .map((r) => path.join(CORPUS, r.path))
    .filter((p) => fs.existsSync(p));
}

/** `mergecap -F pcap -a` of `files` into `out` (concatenated in the given order). */
export function mergeCaptures(files: readonly string[], out: string): void {
  const r = spawnSync('mergecap', ['-F', 'pcap', '-a', '-w', out, ...files], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mergecap failed: ${r.stderr}`);
}
