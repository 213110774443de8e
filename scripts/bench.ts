// Read benchmark: portscope dump against the real tcpdump on one synthetic capture, in one run.
//
//   npm run bench                      # 5 million 60-byte frames, best of 3
//   node dist/scripts/bench.js [--count N] [--flows N] [--runs N] [--file F] [--keep-going]
//
// The capture is made by scripts/gen-capture.ts and kept in /tmp for the next run. Each case runs
// both programs `runs` times, alternating, under /usr/bin/time (peak RSS) and reports the best wall
// time. A case
// that fails prints "error" and the rest go on. Checks: --count cases must print the same count as
// tcpdump, -w cases must write byte-identical files, and the printed text must match tcpdump's for
// the first 100000 packets. Also the whole profile against tcpdump --count, and (as root) the live
// capture rate of scripts/bench-live.sh.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateCapture, type GenOptions } from './gen-capture';

const ROOT = path.resolve(__dirname, '../..');
const PORTSCOPE = path.join(ROOT, 'dist/src/cli/main.js');
const TIME = '/usr/bin/time';
const TIMEOUT_MS = 300_000;
export const COMPOUND =
  '(tcp port 443 and tcp[tcpflags] & (tcp-syn|tcp-fin) != 0) or (udp port 53 and not src net 10.0.0.0/16) or (ip6 and tcp dst port 80)';

/** A fixed program (the file name comes in argv): read the file in 8 MiB chunks and nothing else. */
const READ_FLOOR =
  "const fs=require('fs');const fd=fs.openSync(process.argv[1],'r');const b=Buffer.allocUnsafe(8<<20);let p=0,n;while((n=fs.readSync(fd,b,0,b.length,p))>0)p+=n;";

interface Case {
  name: string;
  /** portscope's subcommand (default dump). */
  sub?: string;
  /** Arguments after `portscope <sub>` and after `tcpdump`. */
  ps: string[];
  td: string[];
  goal: number;
  /** stdout to /dev/null (printing cases) or captured (counts). */
  devnull: boolean;
  /** Files written by each side, compared after the runs. */
  outFiles?: [string, string];
}

interface RunResult {
  ok: boolean;
  seconds: number;
  rssKiB: number;
  stdout: string;
  error: string;
}

function runOnce(cmd: string, args: string[], devnull: boolean): RunResult {
  const haveTime = fs.existsSync(TIME);
  const rssFile = `/tmp/portscope-bench-rss-${process.pid}`;
  const argv = haveTime ? ['-f', '%M', '-o', rssFile, cmd, ...args] : args;
  const nullFd = devnull ? fs.openSync('/dev/null', 'w') : -1;
  try {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(haveTime ? TIME : cmd, argv, {
      stdio: ['ignore', devnull ? nullFd : 'pipe', 'pipe'],
      encoding: 'latin1',
      timeout: TIMEOUT_MS,
      maxBuffer: 64 << 20,
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    let rssKiB = NaN;
    if (haveTime && fs.existsSync(rssFile)) {
      const m = /(\d+)\s*$/.exec(fs.readFileSync(rssFile, 'latin1'));
      if (m) rssKiB = Number(m[1]);
      fs.unlinkSync(rssFile);
    }
    if (r.error || r.status !== 0) {
      const why = r.error ? r.error.message : `exit ${r.status ?? r.signal}`;
      const line = (r.stderr || '').split('\n').find((l) => l !== '' && !l.startsWith('reading from file') && !/^Command exited/.test(l)) ?? '';
      return { ok: false, seconds, rssKiB, stdout: '', error: `${why}${line ? ': ' + line.slice(0, 160) : ''}` };
    }
    return { ok: true, seconds, rssKiB, stdout: r.stdout ?? '', error: '' };
  } finally {
    if (nullFd >= 0) fs.closeSync(nullFd);
  }
}

/** Runs both sides `runs` times, alternating (so load changes hit both alike); keeps the best time and the peak RSS. */
function bestPair(a: [string, string[]], b: [string, string[]], devnull: boolean, runs: number): [RunResult, RunResult] {
  const best: [RunResult | null, RunResult | null] = [null, null];
  const sides = [a, b];
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < 2; k++) {
      const prev = best[k];
      if (prev !== null && !prev.ok) continue;
      const r = runOnce(sides[k][0], sides[k][1], devnull);
      if (!r.ok || prev === null) best[k] = r;
      else best[k] = r.seconds < prev.seconds ? { ...r, rssKiB: Math.max(r.rssKiB, prev.rssKiB) } : { ...prev, rssKiB: Math.max(r.rssKiB, prev.rssKiB) };
    }
  }
  return [best[0]!, best[1]!];
}

function filesEqual(a: string, b: string): string {
  try {
    const sa = fs.statSync(a).size, sb = fs.statSync(b).size;
    if (sa !== sb) return `files differ (${sa} vs ${sb} bytes)`;
    const fa = fs.openSync(a, 'r'), fb = fs.openSync(b, 'r');
    const ba = Buffer.alloc(1 << 20), bb = Buffer.alloc(1 << 20);
    try {
      for (let off = 0; off < sa; off += ba.length) {
        const na = fs.readSync(fa, ba, 0, ba.length, off);
        const nb = fs.readSync(fb, bb, 0, bb.length, off);
        if (na !== nb || ba.compare(bb, 0, nb, 0, na) !== 0) return `files differ near byte ${off}`;
      }
    } finally {
      fs.closeSync(fa);
      fs.closeSync(fb);
    }
    return 'same file';
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

/** Compares `dump -q -n -tt` text with tcpdump's on the first `n` packets. */
function compareText(file: string, n: number): string {
  const args = ['-c', String(n), '-q', '-n', '-tt', '-r', file];
  const ps = spawnSync(process.execPath, [PORTSCOPE, 'dump', ...args], { encoding: 'latin1', maxBuffer: 256 << 20, timeout: TIMEOUT_MS });
  const td = spawnSync('tcpdump', args, { encoding: 'latin1', maxBuffer: 256 << 20, timeout: TIMEOUT_MS });
  if (ps.status !== 0) return `error: portscope exit ${ps.status ?? ps.signal}`;
  if (td.status !== 0) return `error: tcpdump exit ${td.status}`;
  const a = ps.stdout.split('\n'), b = td.stdout.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `text differs at line ${i + 1}: portscope ${JSON.stringify(a[i] ?? '<none>')} tcpdump ${JSON.stringify(b[i] ?? '<none>')}`;
  }
  return `text identical (first ${n} packets)`;
}

function parseArgs(argv: readonly string[]): { gen: GenOptions; runs: number; file?: string } {
  const gen: GenOptions = { count: 5_000_000, flows: 1000, seed: 1 };
  let runs = 3;
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    const num = (): number => {
      i++;
      if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${a}: expected a non-negative integer`);
      return Number(v);
    };
    if (a === '--count') gen.count = num();
    else if (a === '--flows') gen.flows = num();
    else if (a === '--seed') gen.seed = num();
    else if (a === '--runs') runs = Math.max(1, num());
    else if (a === '--file') {
      if (v === undefined) throw new Error('--file: expected a path');
      file = v;
      i++;
    } else throw new Error(`unexpected argument ${JSON.stringify(a)}`);
  }
  return { gen, runs, file };
}

function ensureCapture(gen: GenOptions): string {
  const file = `/tmp/portscope-bench-${gen.count}-f${gen.flows}-s${gen.seed}.pcap`;
  const stamp = `${file}.ok`;
  if (fs.existsSync(file) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'latin1') === String(fs.statSync(file).size)) {
    process.stderr.write(`reusing ${file}\n`);
    return file;
  }
  process.stderr.write(`generating ${file} (${gen.count} packets, ${gen.flows} flows)...\n`);
  const t0 = process.hrtime.bigint();
  const size = generateCapture(file, gen);
  fs.writeFileSync(stamp, String(size));
  process.stderr.write(`  ${(size / 1e6).toFixed(0)} MB in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s\n`);
  return file;
}

const mb = (kib: number): string => (Number.isFinite(kib) ? (kib / 1024).toFixed(0) : '-');

function main(): number {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\nusage: bench [--count N] [--flows N] [--seed N] [--runs N] [--file F]\n`);
    return 2;
  }
  if (spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status !== 0) {
    process.stderr.write('bench: tcpdump is not installed\n');
    return 2;
  }
  if (!fs.existsSync(PORTSCOPE)) {
    process.stderr.write(`bench: ${PORTSCOPE} is missing: run "npx tsc -p ." first\n`);
    return 2;
  }
  const F = opts.file ?? ensureCapture(opts.gen);
  const psOut = '/tmp/portscope-bench-o.pcap', tdOut = '/tmp/portscope-bench-o-tcpdump.pcap';
  const cases: Case[] = [
    { name: '--count', ps: ['-r', F, '--count'], td: ['-r', F, '--count'], goal: 0.5, devnull: false },
    { name: '-q -n -tt > /dev/null', ps: ['-r', F, '-q', '-n', '-tt'], td: ['-q', '-n', '-tt', '-r', F], goal: 1.0, devnull: true },
    { name: "--count 'tcp port 80'", ps: ['-r', F, '--count', 'tcp port 80'], td: ['-r', F, '--count', 'tcp port 80'], goal: 0.5, devnull: false },
    { name: '--count <compound>', ps: ['-r', F, '--count', COMPOUND], td: ['-r', F, '--count', COMPOUND], goal: 0.5, devnull: false },
    {
      name: "-w o.pcap 'tcp port 80'", ps: ['-r', F, '-w', psOut, 'tcp port 80'], td: ['-r', F, '-w', tdOut, 'tcp port 80'],
      goal: 1.0, devnull: true, outFiles: [psOut, tdOut],
    },
    // The whole per-port profile (statistics, flows, scan detection) against tcpdump's plain count:
    // the yardstick of the profile issue.
    {
      name: 'profile (vs tcpdump --count)', sub: 'profile', ps: ['-r', F, '--format', 'json', '-o', '/dev/null'], td: ['-r', F, '--count'],
      goal: 1.0, devnull: true,
    },
  ];
  const size = fs.statSync(F).size;
  process.stdout.write(`capture: ${F} (${(size / 1e6).toFixed(0)} MB); best of ${opts.runs}; node ${process.version}; ${spawnSync('tcpdump', ['--version'], { encoding: 'latin1' }).stdout.split('\n')[0]}\n`);
  process.stdout.write(`compound: ${COMPOUND}\n`);
  if (process.env.NODE_EXTRA_CA_CERTS) {
    // Node parses these certificates at every start (measured ~50 ms here); portscope makes no TLS
    // connections. A stock node has no such setting: compare with `env -u NODE_EXTRA_CA_CERTS`.
    process.stdout.write(`note: NODE_EXTRA_CA_CERTS is set; every node start parses it (about 50 ms here)\n`);
  }
  process.stdout.write(`load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs\n\n`);
  const rows: string[][] = [['case', 'portscope s', 'tcpdump s', 'ratio', 'goal', 'ps RSS MB', 'td RSS MB', 'check']];
  let failures = 0;
  for (const c of cases) {
    const [ps, td] = bestPair([process.execPath, [PORTSCOPE, c.sub ?? 'dump', ...c.ps]], ['tcpdump', c.td], c.devnull, opts.runs);
    let check = '';
    if (!ps.ok) check = `portscope ${ps.error}`;
    else if (!td.ok) check = `tcpdump ${td.error}`;
    else if (!c.devnull) check = ps.stdout.trim() === td.stdout.trim() ? `same count (${td.stdout.trim()})` : `COUNT MISMATCH: ${ps.stdout.trim()} vs ${td.stdout.trim()}`;
    else if (c.outFiles) check = filesEqual(c.outFiles[0], c.outFiles[1]);
    const ratio = ps.ok && td.ok ? ps.seconds / td.seconds : NaN;
    if (!ps.ok || !td.ok || ratio > c.goal || /MISMATCH|differ/.test(check)) failures++;
    rows.push([
      c.name,
      ps.ok ? ps.seconds.toFixed(2) : 'error',
      td.ok ? td.seconds.toFixed(2) : 'error',
      Number.isFinite(ratio) ? ratio.toFixed(2) : '-',
      `≤ ${c.goal.toFixed(1)}${Number.isFinite(ratio) ? (ratio <= c.goal ? ' ok' : ' MISSED') : ''}`,
      mb(ps.rssKiB),
      mb(td.rssKiB),
      check,
    ]);
    process.stderr.write(`  ${c.name}: done\n`);
  }
  for (const f of [psOut, tdOut]) fs.rmSync(f, { force: true });
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) process.stdout.write(r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]))).join('  ') + '\n');
  // The floor for any reader built on fs.readSync: read the whole file in 8 MiB chunks, parse nothing.
  const floor = bestPair([process.execPath, ['-e', READ_FLOOR, F]], ['tcpdump', ['-r', F, '--count']], false, opts.runs);
  if (floor[0].ok && floor[1].ok) {
    process.stdout.write(`\nread floor: node fs.readSync of the whole file, no parsing: ${floor[0].seconds.toFixed(2)} s = ${(floor[0].seconds / floor[1].seconds).toFixed(2)} × tcpdump --count (${floor[1].seconds.toFixed(2)} s)\n`);
  }
  process.stdout.write(`\n${compareText(F, 100_000)}\n`);
  // Live capture rate (root only): scripts/bench-live.sh blasts UDP over a veth pair and reports
  // captured/offered for portscope dump, portscope top and tcpdump. PORTSCOPE_BENCH_LIVE=0 skips it.
  if (process.getuid?.() === 0 && process.env.PORTSCOPE_BENCH_LIVE !== '0') {
    process.stdout.write('\nlive capture (scripts/bench-live.sh 5 100000): 60-byte UDP frames over a veth pair\n');
    const live = spawnSync('bash', [path.join(__dirname, '../../scripts/bench-live.sh'), '5', '100000'], { encoding: 'latin1', timeout: 180_000 });
    process.stdout.write(live.stdout || `error: ${live.stderr || live.error?.message}\n`);
  }
  process.stdout.write(`load average at end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  process.stdout.write(failures === 0 ? 'all goals met\n' : `${failures} case(s) missed a goal or failed\n`);
  return 0;
}

if (require.main === module) process.exit(main());
