// Filter benchmark: portscope dump vs tcpdump with the same expression on a generated capture of
// small frames. Run after a build:
//
//   node dist/scripts/bench-filter.js [--frames 5000000] [--runs 3] [--file /tmp/x.pcap]
//
// Prints, per case, the best wall time of each tool over --runs runs and the ratio
// portscope/tcpdump (goals: --count <= 0.5, -w <= 1), plus the JIT's own rate in memory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { compileFilterProvider } from '../src/filter/index';
import { compileProgram } from '../src/filter/jit';
import { interpret } from '../src/filter/interpreter';
import { pcapHeader } from '../src/capture/pcap-writer';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const FRAMES = Number(arg('frames', '5000000'));
const RUNS = Number(arg('runs', '3'));
const DIR = '/tmp/portscope-bench-filter';
const FILE = arg('file', path.join(DIR, `frames-${FRAMES}.pcap`));
const MAIN = path.resolve(__dirname, '../src/cli/main.js');

/** xorshift32: a reproducible capture. */
let seed = 0x1234567;
function rnd(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

/**
 * One 60-byte Ethernet frame (64 on the wire) into b at o: IPv4 TCP (a third to or from port 80),
 * IPv4 UDP (some DNS), IPv6 TCP, ARP, in proportions close to a busy LAN.
 */
function frame(b: Buffer, o: number): void {
  b.fill(0, o, o + 60);
  b.writeUInt32BE(0x00163e00 | (rnd() & 0xff), o); // dst MAC
  b.writeUInt32BE(0x52540000 | (rnd() & 0xffff), o + 6); // src MAC (bytes 6..9)
  const kind = rnd() % 100;
  if (kind < 8) {
    b.writeUInt16BE(0x0806, o + 12); // ARP request
    b.writeUInt32BE(0x00010800, o + 14);
    b.writeUInt32BE(0x06040001, o + 18);
    return;
  }
  if (kind < 18) {
    b.writeUInt16BE(0x86dd, o + 12); // IPv6 TCP, 6 bytes of TCP header in 60 bytes
    b.writeUInt32BE(0x60000000, o + 14);
    b.writeUInt16BE(20, o + 18);
    b[o + 20] = 6;
    b[o + 21] = 64;
    b.writeUInt16BE(0xfe80, o + 22);
    b.writeUInt16BE(0xfe80, o + 38);
    b.writeUInt16BE(rnd() & 0xffff, o + 54);
    b.writeUInt16BE(kind < 12 ? 443 : 80, o + 56);
    return;
  }
  b.writeUInt16BE(0x0800, o + 12);
  b[o + 14] = 0x45;
  b.writeUInt16BE(46, o + 16);
  b[o + 22] = 64;
  const udp = kind >= 75;
  b[o + 23] = udp ? 17 : 6;
  b.writeUInt32BE(((10 << 24) | (rnd() & 0xffffff)) >>> 0, o + 26);
  b.writeUInt32BE(((192 << 24) | (168 << 16) | (rnd() & 0xffff)) >>> 0, o + 30);
  const sport = 1024 + (rnd() % 60000);
  const dport = udp ? (kind < 85 ? 53 : 1024 + (rnd() % 60000)) : kind < 45 ? 80 : [22, 443, 8080, 25][kind % 4];
  const swap = (rnd() & 1) === 1;
  b.writeUInt16BE(swap ? dport : sport, o + 34);
  b.writeUInt16BE(swap ? sport : dport, o + 36);
  if (!udp) b[o + 47] = [0x02, 0x10, 0x18, 0x11, 0x04][rnd() % 5]; // flags
}

function generate(file: string, frames: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, pcapHeader());
  const per = 16 + 60;
  const chunk = Buffer.alloc(per * 65536);
  let t = 1_700_000_000;
  let us = 0;
  for (let done = 0; done < frames; ) {
    const n = Math.min(65536, frames - done);
    for (let i = 0; i < n; i++) {
      const o = i * per;
      us += 7;
      if (us >= 1_000_000) {
        us -= 1_000_000;
        t++;
      }
      chunk.writeUInt32LE(t, o);
      chunk.writeUInt32LE(us, o + 4);
      chunk.writeUInt32LE(60, o + 8);
      chunk.writeUInt32LE(64, o + 12);
      frame(chunk, o + 16);
    }
    fs.writeSync(fd, chunk, 0, n * per);
    done += n;
  }
  fs.closeSync(fd);
}

/** Best wall time and best CPU time (user + sys, from /usr/bin/time) of RUNS runs. */
function timeRun(cmd: string, args: string[]): { ms: number; cpuMs: number; out: string } {
  let best = Infinity;
  let bestCpu = Infinity;
  let out = '';
  const timeBin = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    const res = timeBin
      ? spawnSync(timeBin, ['-f', 'TIME %U %S', cmd, ...args], { encoding: 'latin1', maxBuffer: 1 << 26 })
      : spawnSync(cmd, args, { encoding: 'latin1', maxBuffer: 1 << 26 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: status ${res.status}: ${res.stderr}`);
    best = Math.min(best, ms);
    const m = /TIME ([\d.]+) ([\d.]+)/.exec(res.stderr);
    if (m) bestCpu = Math.min(bestCpu, (Number(m[1]) + Number(m[2])) * 1000);
    out = (res.stdout + res.stderr)
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('reading from') && !l.startsWith('TIME '))
      .join(' ');
  }
  return { ms: best, cpuMs: bestCpu, out };
}

/** The JIT (and the interpreter) alone over the frames in memory: packets per second. */
function inMemoryRate(file: string, expr: string): { jitMpps: number; interpMpps: number; matched: number } {
  const data = fs.readFileSync(file);
  const n = (data.length - 24) / 76;
  const off = new Uint32Array(n);
  for (let i = 0; i < n; i++) off[i] = 24 + i * 76 + 16;
  let prog: Uint32Array | null = null;
  compileFilterProvider(expr, { onCompile: (_lt, c) => (prog = c.program) })(1, 262144);
  const fn = compileProgram(prog!).fn;
  let matched = 0;
  for (let i = 0; i < n; i++) if (fn(data, off[i], 60, 64) !== 0) matched++; // warm-up
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t = process.hrtime.bigint();
    matched = 0;
    for (let i = 0; i < n; i++) if (fn(data, off[i], 60, 64) !== 0) matched++;
    best = Math.min(best, Number(process.hrtime.bigint() - t));
  }
  const jitMpps = n / (best / 1e3);
  let t0: bigint;
  const m = Math.min(n, 1_000_000);
  t0 = process.hrtime.bigint();
  for (let i = 0; i < m; i++) interpret(prog!, data, off[i], 60, 64);
  const interpMpps = m / (Number(process.hrtime.bigint() - t0) / 1e3);
  return { jitMpps, interpMpps, matched };
}

/**
 * libpcap's own bpf_filter over the same frames in memory (C, -O2), when gcc and libpcap-dev are
 * installed: the stage the JIT replaces. Returns ns per packet per expression, or null.
 */
function libpcapRate(file: string, exprs: readonly string[]): number[] | null {
  const src = path.join(DIR, 'bpf-bench.c');
  const bin = path.join(DIR, 'bpf-bench');
  fs.writeFileSync(
    src,
    `#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
  FILE *f = fopen(argv[1], "rb");
  if (!f) return 2;
  fseek(f, 0, SEEK_END); long sz = ftell(f); fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc(sz);
  if (fread(buf, 1, sz, f) != (size_t)sz) return 2;
  long n = (sz - 24) / 76;
  pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
  for (int e = 2; e < argc; e++) {
    struct bpf_program prog;
    if (pcap_compile(p, &prog, argv[e], 1, 0) < 0) return 3;
    double best = 1e18; long m = 0;
    for (int r = 0; r < 3; r++) {
      struct timespec t0, t1;
      clock_gettime(CLOCK_MONOTONIC, &t0);
      for (long i = 0; i < n; i++) m += bpf_filter(prog.bf_insns, buf + 24 + i * 76 + 16, 64, 60) != 0;
      clock_gettime(CLOCK_MONOTONIC, &t1);
      double ns = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n;
      if (ns < best) best = ns;
    }
    printf("%.2f %ld\\n", best, m);
    pcap_freecode(&prog);
  }
  return 0;
}
`,
  );
  const cc = spawnSync('gcc', ['-O2', src, '-lpcap', '-o', bin], { encoding: 'utf8' });
  if (cc.status !== 0) return null;
  const r = spawnSync(bin, [file, ...exprs], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return r.stdout.trim().split('\n').map((l) => Number(l.split(' ')[0]));
}

function main(): void {
  if (!fs.existsSync(FILE)) {
    process.stderr.write(`generating ${FILE} (${FRAMES} frames)...\n`);
    generate(FILE, FRAMES);
  }
  const size = fs.statSync(FILE).size;
  process.stdout.write(`capture: ${FILE}, ${FRAMES} frames, ${(size / 1e6).toFixed(0)} MB; best of ${RUNS} runs\n\n`);
  const exprs = ['tcp port 80', '(tcp port 80 or udp port 53) and not net 10.1.0.0/16 and len > 60', 'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 or (ip6 and tcp)'];
  const rows: string[][] = [['case', 'portscope ms', 'tcpdump ms', 'ratio', 'cpu ms (ours/tcpdump)', 'cpu ratio', 'goal', 'output (portscope | tcpdump)']];
  const cpu = (a: { cpuMs: number }, b: { cpuMs: number }): string[] => [`${a.cpuMs.toFixed(0)}/${b.cpuMs.toFixed(0)}`, (a.cpuMs / b.cpuMs).toFixed(2)];
  const out1 = path.join(DIR, 'ours.pcap');
  const out2 = path.join(DIR, 'theirs.pcap');
  {
    const a = timeRun(process.execPath, [MAIN, 'dump', '-r', FILE, '--count']);
    const b = timeRun('tcpdump', ['--count', '-r', FILE]);
    rows.push(['--count (no filter)', a.ms.toFixed(0), b.ms.toFixed(0), (a.ms / b.ms).toFixed(2), ...cpu(a, b), '', `${a.out} | ${b.out}`]);
  }
  for (const e of exprs) {
    const a = timeRun(process.execPath, [MAIN, 'dump', '-r', FILE, '--count', e]);
    const b = timeRun('tcpdump', ['--count', '-r', FILE, e]);
    rows.push([`--count '${e}'`, a.ms.toFixed(0), b.ms.toFixed(0), (a.ms / b.ms).toFixed(2), ...cpu(a, b), '<= 0.5', `${a.out} | ${b.out}`]);
  }
  for (const e of exprs.slice(0, 2)) {
    const a = timeRun(process.execPath, [MAIN, 'dump', '-r', FILE, '-w', out1, e]);
    const b = timeRun('tcpdump', ['-r', FILE, '-w', out2, e]);
    const same = fs.readFileSync(out1).equals(fs.readFileSync(out2)) ? 'identical files' : 'FILES DIFFER';
    rows.push([`-w '${e}'`, a.ms.toFixed(0), b.ms.toFixed(0), (a.ms / b.ms).toFixed(2), ...cpu(a, b), '<= 1', same]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) process.stdout.write(r.map((v, c) => v.padEnd(widths[c])).join('  ') + '\n');
  process.stdout.write('\nin memory (filter only, no I/O), ns per packet:\n');
  const lib = libpcapRate(FILE, exprs);
  exprs.forEach((e, i) => {
    const r = inMemoryRate(FILE, e);
    const c = lib ? `, libpcap bpf_filter (C) ${lib[i].toFixed(1)} ns` : '';
    process.stdout.write(
      `  '${e}': JIT ${(1000 / r.jitMpps).toFixed(1)} ns (${r.jitMpps.toFixed(1)} Mpps)${c}, our interpreter ${(1000 / r.interpMpps).toFixed(1)} ns; ${r.matched} matched\n`,
    );
  });
  fs.rmSync(out1, { force: true });
  fs.rmSync(out2, { force: true });
}

main();
