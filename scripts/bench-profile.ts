// Profile benchmark: `portscope profile` against `tcpdump -r F --count` on the synthetic 5-million
// frame capture, and peak memory on a capture of 2 million distinct flows.
//
//   node dist/scripts/bench-profile.js [--count N] [--flows N] [--distinct N] [--runs N]
//
// Captures are generated once into /tmp and reused (scripts/gen-capture.ts for the mixed capture; a
// generator here for the distinct-flows one: one TCP SYN per flow, from 50,000 client addresses).
// Every run goes through /usr/bin/time for wall time, CPU time and peak RSS; the best wall time of
// `runs` alternating runs counts. Exit status 1 when a check fails (wrong totals, no evictions
// reported, RSS over 400 MB); the time ratio is reported, not enforced (the machine may be shared).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateCapture } from './gen-capture';
import { pcapHeader } from '../src/capture/pcap-writer';

const ROOT = path.resolve(__dirname, '../..');
const PORTSCOPE = path.join(ROOT, 'dist/src/cli/main.js');
const FLOOR = path.join(ROOT, 'dist/scripts/profile-floor.js');
const TIME = '/usr/bin/time';
const RSS_LIMIT_MB = 400;

interface Run {
  ok: boolean;
  wall: number;
  cpu: number;
  rssMB: number;
  stdout: string;
  stderr: string;
}

function timed(cmd: string, args: string[]): Run {
  const fmt = '@@TIME %e %U %S %M';
  const r = spawnSync(TIME, ['-f', fmt, cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 600_000 });
  const m = /@@TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr ?? '');
  return {
    ok: r.status === 0 && m !== null,
    wall: m ? Number(m[1]) : NaN,
    cpu: m ? Number(m[2]) + Number(m[3]) : NaN,
    rssMB: m ? Number(m[4]) / 1024 : NaN,
    stdout: r.stdout ?? '',
    stderr: (r.stderr ?? '').replace(/@@TIME.*\n?/, ''),
  };
}

function best(runs: Run[]): Run {
  return runs.filter((r) => r.ok).sort((a, b) => a.wall - b.wall)[0] ?? runs[0];
}

/** One TCP SYN (Ethernet/IPv4, 54 bytes) per flow; n distinct flows, 1 µs apart. */
export function generateDistinctFlows(out: string, n: number): void {
  const fd = fs.openSync(out, 'w');
  const REC = 16 + 54;
  const CHUNK = 65536;
  const buf = Buffer.alloc(CHUNK * REC);
  fs.writeSync(fd, pcapHeader());
  const HOSTS = 50000;
  for (let start = 0; start < n; start += CHUNK) {
    const m = Math.min(CHUNK, n - start);
    for (let j = 0; j < m; j++) {
      const i = start + j;
      let o = j * REC;
      const us = 1_700_000_000 * 1e6 + i;
      buf.writeUInt32LE(Math.floor(us / 1e6), o);
      buf.writeUInt32LE(us % 1e6, o + 4);
      buf.writeUInt32LE(54, o + 8);
      buf.writeUInt32LE(54, o + 12);
      o += 16;
      buf.fill(0, o, o + 54);
      buf.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00], o); // Ethernet
      const ip = o + 14;
      buf.set([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0], ip);
      buf.writeUInt32BE((0x0a000000 + (i % HOSTS)) >>> 0, ip + 12);
      buf.writeUInt32BE(0xc0a80001, ip + 16);
      let sum = 0;
      for (let k = 0; k < 20; k += 2) sum += buf.readUInt16BE(ip + k);
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      buf.writeUInt16BE(~sum & 0xffff, ip + 10);
      const tcp = ip + 20;
      buf.writeUInt16BE(1024 + Math.floor(i / HOSTS), tcp);
      buf.writeUInt16BE(80, tcp + 2);
      buf.writeUInt32BE(i >>> 0, tcp + 4);
      buf[tcp + 12] = 0x50;
      buf[tcp + 13] = 0x02; // SYN
      buf.writeUInt16BE(64240, tcp + 14);
    }
    fs.writeSync(fd, buf, 0, m * REC);
  }
  fs.closeSync(fd);
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function main(): number {
  const count = arg('--count', 5_000_000);
  const flows = arg('--flows', 1000);
  const distinct = arg('--distinct', 2_000_000);
  const runs = arg('--runs', 3);
  let failed = false;

  const mixed = `/tmp/portscope-bench-${count}-f${flows}-s1.pcap`;
  if (!fs.existsSync(mixed)) {
    process.stderr.write(`generating ${mixed} ...\n`);
    generateCapture(mixed, { count, flows, seed: 1 });
  }
  const ps: Run[] = [];
  const td: Run[] = [];
  const fl: Run[] = [];
  const rd: Run[] = [];
  for (let i = 0; i < runs; i++) {
    ps.push(timed(process.execPath, [PORTSCOPE, 'profile', '-r', mixed, '--format', 'json', '-o', '/tmp/portscope-bench-profile.json']));
    td.push(timed('tcpdump', ['-r', mixed, '--count']));
    fl.push(timed(process.execPath, [FLOOR, mixed]));
    rd.push(timed(process.execPath, [PORTSCOPE, 'dump', '-r', mixed, '--count']));
  }
  const p = best(ps);
  const t = best(td);
  if (!p.ok) {
    process.stderr.write(`portscope profile failed: ${p.stderr}\n`);
    failed = true;
  } else {
    const doc = JSON.parse(fs.readFileSync('/tmp/portscope-bench-profile.json', 'utf8'));
    if (doc.counters.packets.total !== count) {
      process.stderr.write(`profile counted ${doc.counters.packets.total} packets, expected ${count}\n`);
      failed = true;
    }
  }
  const line = (name: string, a: Run, b: Run) =>
    `${name.padEnd(44)} ${a.wall.toFixed(2).padStart(7)} ${a.cpu.toFixed(2).padStart(7)} ${a.rssMB.toFixed(0).padStart(6)}   ${b.wall.toFixed(2).padStart(7)} ${b.cpu.toFixed(2).padStart(7)} ${b.rssMB.toFixed(0).padStart(6)}   ${(a.wall / b.wall).toFixed(2).padStart(5)} ${(a.cpu / b.cpu).toFixed(2).padStart(5)}`;
  process.stdout.write(`${''.padEnd(44)} ${'portscope wall/cpu s, RSS MB'.padEnd(24)}   ${'tcpdump --count'.padEnd(24)}   ratio wall/cpu\n`);
  process.stdout.write(line(`profile of ${count} frames (${flows} flows)`, p, t) + '\n');
  // The floors under it: reading every record (dump --count), and reading plus the least flow
  // bookkeeping a profile can do per packet (scripts/profile-floor.ts).
  process.stdout.write(line('  floor: dump --count (read every record)', best(rd), t) + '\n');
  process.stdout.write(line('  floor: read + bare IPv4 flow table', best(fl), t) + '\n');

  const many = `/tmp/portscope-bench-distinct-${distinct}.pcap`;
  if (!fs.existsSync(many)) {
    process.stderr.write(`generating ${many} ...\n`);
    generateDistinctFlows(many, distinct);
  }
  const m = timed(process.execPath, [PORTSCOPE, 'profile', '-r', many, '--format', 'json', '-o', '/tmp/portscope-bench-distinct.json']);
  const mt = timed('tcpdump', ['-r', many, '--count']);
  process.stdout.write(line(`profile of ${distinct} distinct flows`, m, mt) + '\n');
  if (!m.ok) {
    process.stderr.write(`portscope profile failed: ${m.stderr}\n`);
    failed = true;
  } else {
    const doc = JSON.parse(fs.readFileSync('/tmp/portscope-bench-distinct.json', 'utf8'));
    const f = doc.flows;
    process.stdout.write(`  flows: total ${f.total}, active ${f.active}, evicted ${f.evicted}, capacity ${f.capacity}; peak RSS ${m.rssMB.toFixed(0)} MB (limit ${RSS_LIMIT_MB})\n`);
    if (f.total !== distinct) {
      process.stderr.write(`expected ${distinct} flows, profile says ${f.total}\n`);
      failed = true;
    }
    if (distinct > f.capacity && f.evicted !== distinct - f.capacity) {
      process.stderr.write(`expected ${distinct - f.capacity} evictions, profile says ${f.evicted}\n`);
      failed = true;
    }
    if (m.rssMB >= RSS_LIMIT_MB) {
      process.stderr.write(`peak RSS ${m.rssMB.toFixed(0)} MB is over ${RSS_LIMIT_MB} MB\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

if (require.main === module) process.exitCode = main();
