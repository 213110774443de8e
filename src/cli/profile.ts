// `portscope profile`: per-port traffic profile (plus hosts, stations, flows, counters, sizes) of
// a capture file or a live interface; `portscope profile merge A.json B.json ...` merges profiles.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getopt, count, last, intArg, UsageError, type ParsedArgs } from './getopt';
import { openSource, writeBanner, pipelineFilter, stopOnSignals } from './source';
import { CaptureError } from '../capture/batch';
import { runPipeline } from '../pipeline';
import { TrafficStats, type StatsOptions } from '../stats/index';
import { buildProfile, checkProfile, mergeProfiles, ProfileError, type ProfileDoc, type ProfileSource } from '../report/profile';
import { renderProfilePieces, FORMATS, type ProfileFormat } from '../report/format';
import { OutBuf, OutputClosed } from '../print/out';
import { findJsonError } from '../report/json-error';
import { scanOptions } from '../detect/cli';

export const PROFILE_SPEC = {
  short: { r: 'arg', i: 'arg', c: 'arg', F: 'arg', o: 'arg', s: 'arg', B: 'arg', Z: 'arg', p: 'flag', h: 'flag' },
  long: {
    format: 'arg', duration: 'arg', 'max-flows': 'arg', 'max-hosts': 'arg', mtu: 'arg', top: 'arg',
    'udp-timeout': 'arg', 'tcp-timeout': 'arg', help: 'flag', 'immediate-mode': 'flag',
    'time-stamp-precision': 'arg', 'buffer-size': 'arg', 'snapshot-length': 'arg', 'no-promiscuous-mode': 'flag',
    'scan-window': 'arg', 'scan-ports': 'arg', 'scan-hosts': 'arg', 'scan-timeout': 'arg',
  },
} as const satisfies { short: Record<string, 'flag' | 'arg'>; long: Record<string, 'flag' | 'arg'> };

export const PROFILE_USAGE = `Usage: portscope profile (-r FILE | -i IFACE [--duration SEC]) [-c count] [-F file] [expression]
                         [--format json|csv|md|table] [-o FILE] [--top N] [--max-flows N]
                         [--max-hosts N] [--mtu N] [--udp-timeout SEC] [--tcp-timeout SEC]
       portscope profile merge [--format json|csv|md|table] [-o FILE] [--top N] PROFILE.json ...

Formats: table on a terminal, json otherwise (with -o: from the file's extension .json .csv .md
.txt, else json). table and md list ports, hosts, stations, services, scan alerts, flows and sizes
(--top N rows each); csv is one table, every port (services and alerts: json, md, table).
Live capture options as in dump: -s -p -B --immediate-mode -Z.
Scan detection (alerts[]): --scan-ports N (failed ports of one target, default 10), --scan-hosts N
(failed targets of one scanner, default 10), --scan-window SEC (60), --scan-timeout SEC (5).`;

function formatOf(a: ParsedArgs, out: string | undefined): ProfileFormat {
  const f = last(a, 'format');
  if (f !== undefined) {
    if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`invalid --format ${JSON.stringify(f)} (json, csv, md or table)`);
    return f as ProfileFormat;
  }
  if (out !== undefined && out !== '-') {
    const ext = path.extname(out).toLowerCase();
    return ext === '.csv' ? 'csv' : ext === '.md' ? 'md' : ext === '.txt' ? 'table' : 'json';
  }
  return process.stdout.isTTY ? 'table' : 'json';
}

function openError(file: string, e: unknown): CaptureError {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOENT' ? 'No such file or directory' : err.code === 'EACCES' ? 'Permission denied' : err.code === 'EISDIR' ? 'Is a directory' : err.message;
  return new CaptureError(`${file}: ${why}`);
}

/** Writes the pieces to FILE (or standard output) through one reused buffer (ASCII text). */
function writeOutput(pieces: Iterable<string>, out: string | undefined): void {
  let fd = 1;
  if (out !== undefined && out !== '-') {
    try {
      fd = fs.openSync(out, 'w');
    } catch (e) {
      throw openError(out, e);
    }
  }
  const buf = new OutBuf(fd);
  try {
    for (const piece of pieces) {
      for (let i = 0; i < piece.length; i += 65536) {
        buf.ascii(piece.slice(i, i + 65536));
        buf.maybeFlush();
      }
    }
    buf.flush();
  } catch (e) {
    if (!(e instanceof OutputClosed)) throw out !== undefined && out !== '-' ? openError(out, e) : e;
  } finally {
    if (fd !== 1) fs.closeSync(fd);
  }
}

export function statsOptions(a: ParsedArgs): StatsOptions {
  const o: StatsOptions = {};
  const v = (k: string, what: string, min: number, max?: number) => {
    const s = last(a, k);
    return s === undefined ? undefined : intArg(s, what, min, max);
  };
  o.maxFlows = v('max-flows', '--max-flows', 1, 1 << 26);
  o.maxHosts = v('max-hosts', '--max-hosts', 1, 1 << 24);
  o.mtu = v('mtu', '--mtu', 20, 1 << 20);
  o.top = v('top', '--top', 0, 1_000_000);
  o.udpTimeout = v('udp-timeout', '--udp-timeout', 1);
  o.otherTimeout = o.udpTimeout;
  o.tcpTimeout = v('tcp-timeout', '--tcp-timeout', 1);
  for (const k of Object.keys(o) as (keyof StatsOptions)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** Reads and checks a profile file: one line naming the file (and the JSON offset) on error. */
export function readProfileFile(file: string): ProfileDoc {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ProfileError(`${file}: ${err.code === 'ENOENT' ? 'No such file or directory' : err.code === 'EACCES' ? 'Permission denied' : err.code === 'EISDIR' ? 'Is a directory' : err.message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    const at = findJsonError(text);
    throw new ProfileError(`${file}: not a JSON profile: syntax error at byte offset ${Buffer.byteLength(text.slice(0, at.offset))} near ${at.token}`);
  }
  return checkProfile(doc, file);
}

async function mergeMain(a: ParsedArgs): Promise<number> {
  const files = a.rest.slice(1);
  if (files.length === 0) throw new UsageError('profile merge: give at least one profile (JSON file)');
  const topS = last(a, 'top');
  const top = topS === undefined ? 20 : intArg(topS, '--top', 0, 1_000_000);
  const out = last(a, 'o');
  writeOutput(mergeProfileFiles(files, formatOf(a, out), top), out);
  return 0;
}

/**
 * `profile merge`: reads, checks and merges the files and renders the result. Any problem is one
 * ProfileError line naming the file (a field checkProfile does not look at may hold anything).
 */
export function mergeProfileFiles(files: string[], format: ProfileFormat, top: number): Iterable<string> {
  const docs = files.map(readProfileFile);
  try {
    const merged = mergeProfiles(docs, Math.max(top, 20));
    return format === 'json' ? renderProfilePieces(merged, format, { top }) : [...renderProfilePieces(merged, format, { top })];
  } catch (e) {
    if (e instanceof ProfileError) throw e;
    const bad = files.find((_, i) => {
      try {
        void [...renderProfilePieces(mergeProfiles([docs[i]], 20), 'table', { top: 20 })];
        return false;
      } catch {
        return true;
      }
    });
    throw new ProfileError(`${bad ?? files.join(', ')}: not a valid portscope profile (${String((e as Error).message).replace(/[\u0000-\u001f\u007f-\u009f]/g, '.')})`);
  }
}

export async function profileMain(argv: readonly string[]): Promise<number> {
  const a = getopt(argv, PROFILE_SPEC);
  if (count(a, 'h') || count(a, 'help')) {
    process.stdout.write(PROFILE_USAGE + '\n');
    return 0;
  }
  if (a.rest[0] === 'merge') return mergeMain(a);

  const out = last(a, 'o');
  const format = formatOf(a, out);
  const sopts = statsOptions(a);
  sopts.detect = { scan: scanOptions(a) }; // services[] and alerts[] (src/detect)
  const maxPackets = last(a, 'c') !== undefined ? intArg(last(a, 'c')!, 'packet count -c', 1) : 0;
  const durS = last(a, 'duration');
  const duration = durS === undefined ? 0 : intArg(durS, '--duration', 1, 1 << 30);
  if (duration > 0 && last(a, 'i') === undefined) throw new UsageError('--duration applies to live capture (-i IFACE)');

  const opened = await openSource(a);
  const { source, expr } = opened;
  const live = opened.iface !== undefined;
  await writeBanner(opened, true, true);
  const filter = pipelineFilter(opened);
  const stats = new TrafficStats(sopts);
  const timer = duration > 0 ? setTimeout(() => source.stop(), duration * 1000) : null;
  // Reading a file, a signal stops at the next batch and the profile of what was read is written
  // (exit 0; a second signal exits 1). The handlers stay until the report is written.
  const unhookSignals = stopOnSignals(source, live);
  try {
    let ps;
    try {
      ps = await runPipeline(source, { filter, decode: true, sinks: [stats], maxPackets });
    } finally {
      if (timer !== null) clearTimeout(timer);
    }
    if (live) process.stderr.write((await import('../capture/live')).liveSummary(source, ps.accepted));

    const linkTypes = [...new Set(source.interfaces.map((i) => i.linkType))];
    const src: ProfileSource = {
      name: source.name,
      kind: live ? 'interface' : 'file',
      filter: expr,
      packetsRead: ps.seen,
      packetsAccepted: ps.accepted,
      decode: {
        ok: ps.decodeStatus[0],
        truncated: ps.decodeStatus[1],
        malformed: ps.decodeStatus[2],
        unsupported: ps.decodeStatus[3],
      },
      linkTypes,
    };
    const doc = buildProfile(stats.snapshot(), [src]);
    writeOutput(renderProfilePieces(doc, format, { top: sopts.top ?? 20 }), out);
  } finally {
    unhookSignals();
  }
  if (source.warning) {
    process.stderr.write(`portscope: ${source.warning.message}\n`);
    return source.warning.exitCode;
  }
  return 0;
}
