// Flood test: a capture of N distinct flows (default 2,000,000) of lone TCP SYNs, through
// `profile`, `top` (text mode: stdout is not a terminal) and `sensor`, measuring peak RSS, time,
// flow-table evictions and the scan alerts raised.
//
//   node dist/scripts/flood.js [--flows N] [--max-flows N] [--max-hosts N] [--file PATH] [--keep] [--only profile,top,sensor]
//
// Traffic: 7 of 8 flows come from random spoofed sources (random address in 100.64.0.0/10, random
// port) to a random port of one of 256 targets (a SYN flood); 1 of 8 from one of 8 scanners, each
// sweeping the ports of its own target (port scans, so scan detection has something to find).
// Nothing answers. 60-byte Ethernet frames, 1 µs apart. Deterministic for a given --seed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { pcapHeader } from '../src/capture/pcap-writer';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/src/cli/main.js');

/** Writes the flood capture; returns the number of packets (= flows). */
export function writeFlood(file: string, flows: number, seed = 1): number {
  const FRAME = 60;
  const REC = 16 + FRAME;
  const PER_CHUNK = 65536;
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, pcapHeader());
    // the frame template: Ethernet, IPv4 (20), TCP SYN (20), 6 bytes of padding
    const tpl = Buffer.alloc(FRAME);
    Buffer.from('020000000001020000000002', 'hex').copy(tpl, 0);
    tpl.writeUInt16BE(0x0800, 12);
    tpl[14] = 0x45;
    tpl.writeUInt16BE(40, 16);
    tpl[22] = 64;
    tpl[23] = 6;
    tpl[46] = 5 << 4;
    tpl[47] = 0x02;
    tpl.writeUInt16BE(64240, 48);
    const buf = Buffer.alloc(PER_CHUNK * REC);
    let s = seed >>> 0 || 1;
    const rnd = (): number => {
      // xorshift32
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>>= 0);
    };
    const scanPort = new Uint16Array(8);
    const t0 = 1700000000;
    for (let base = 0; base < flows; base += PER_CHUNK) {
      const n = Math.min(PER_CHUNK, flows - base);
      for (let k = 0; k < n; k++) {
        const i = base + k;
        const o = k * REC;
        buf.writeUInt32LE(t0 + Math.floor(i / 1e6), o);
        buf.writeUInt32LE(i % 1e6, o + 4);
        buf.writeUInt32LE(FRAME, o + 8);
        buf.writeUInt32LE(FRAME, o + 12);
        const f = o + 16;
        tpl.copy(buf, f);
        let src: number, sport: number, dst: number, dport: number;
        if ((i & 7) === 7) {
          const sc = (i >>> 3) & 7;
          src = (0xc6120000 | (sc + 1)) >>> 0; // 198.18.0.x scanners
          dst = (0x0a000000 | ((sc + 1) << 8) | 1) >>> 0; // 10.0.x.1
          // the scanner sweeps all ports, then again from another source port (distinct flows)
          const p = scanPort[sc]++;
          dport = (p % 65535) + 1;
          sport = 40000 + Math.floor(p / 65535);
        } else {
          const r = rnd();
          src = (0x64400000 | (r & 0x3fffff)) >>> 0; // 100.64.0.0/10
          sport = 1024 + (rnd() % 64512);
          dst = (0x0a010000 | (rnd() & 0xff)) >>> 0; // 10.1.0.0/24
          dport = 1 + (rnd() % 65535);
        }
        buf.writeUInt16BE(i & 0xffff, f + 18);
        buf.writeUInt32BE(src, f + 26);
        buf.writeUInt32BE(dst, f + 30);
        // IPv4 header checksum
        let sum = 0;
        for (let j = 0; j < 20; j += 2) sum += j === 10 ? 0 : buf.readUInt16BE(f + 14 + j);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
        buf.writeUInt16BE(~sum & 0xffff, f + 24);
        buf.writeUInt16BE(sport, f + 34);
        buf.writeUInt16BE(dport, f + 36);
        buf.writeUInt32BE(rnd(), f + 38);
      }
      fs.writeSync(fd, buf, 0, n * REC);
    }
  } finally {
    fs.closeSync(fd);
  }
  return flows;
}

export interface Measured {
  status: number | null;
  signal: string | null;
  /** Peak resident set size (VmHWM) in KiB, sampled from /proc until the exit. */
  peakKiB: number;
  seconds: number;
  stdout: string;
  stderr: string;
}

/** Runs `node main.js ...args`, sampling its peak RSS (VmHWM) every 50 ms. */
export function runMeasured(args: string[], timeoutMs = 600000): Promise<Measured> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const c = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('latin1').on('data', (d: string) => (stdout.length < 64 << 20 ? (stdout += d) : undefined));
    c.stderr.setEncoding('latin1').on('data', (d: string) => (stderr += d));
    let peak = 0;
    const sample = (): void => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${c.pid}/status`, 'latin1'));
        if (m) peak = Math.max(peak, Number(m[1]));
      } catch {
        // exited
      }
    };
    const timer = setInterval(sample, 50);
    const kill = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('exit', (status, signal) => {
      clearInterval(timer);
      clearTimeout(kill);
      c.on('close', () =>
        resolve({ status, signal, peakKiB: peak, seconds: Number(process.hrtime.bigint() - t0) / 1e9, stdout, stderr }),
      );
    });
  });
}

export interface FloodRow {
  command: string;
  status: number | null;
  seconds: number;
  peakMiB: number;
  evicted: number | null;
  alerts: number | null;
  note: string;
}

/** profile: flows.evicted and the alerts from the JSON profile. */
export async function floodProfile(file: string, maxFlows?: number, extra: string[] = []): Promise<FloodRow & { doc: unknown }> {
  const r = await runMeasured(['profile', '-r', file, '--format', 'json', ...(maxFlows ? ['--max-flows', String(maxFlows)] : []), ...extra]);
  let doc: { flows?: { evicted?: number; capacity?: number }; alerts?: unknown[] } = {};
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    // reported below
  }
  return {
    command: 'profile', status: r.status, seconds: r.seconds, peakMiB: r.peakKiB / 1024,
    evicted: doc.flows?.evicted ?? null, alerts: doc.alerts?.length ?? null,
    note: r.status === 0 ? `flow table capacity ${doc.flows?.capacity}` : r.stderr.trim().split('\n').pop() ?? '', doc,
  };
}

/** top, text mode: the last snapshot's "N evicted" and alert lines. */
export async function floodTop(file: string, maxFlows?: number, extra: string[] = []): Promise<FloodRow> {
  const r = await runMeasured(['top', '-r', file, '--max-speed', '--view', 'interface,alerts', '--width', '160', ...(maxFlows ? ['--max-flows', String(maxFlows)] : []), ...extra]);
  const ev = [...r.stdout.matchAll(/([\d,.]+[kMG]?) evicted/g)].pop();
  const alerts = r.stdout.split('\n').filter((l) => /port-scan|address-scan/.test(l)).length;
  return {
    command: 'top', status: r.status, seconds: r.seconds, peakMiB: r.peakKiB / 1024,
    evicted: ev ? parseCount(ev[1]) : null, alerts, note: r.status === 0 ? `${r.stdout.length} bytes of snapshots` : r.stderr.trim().split('\n').pop() ?? '',
  };
}

function parseCount(s: string): number {
  const m = /^([\d,.]+)([kMG]?)$/.exec(s);
  if (!m) return NaN;
  const v = Number(m[1].replace(/,/g, ''));
  return Math.round(v * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : m[2] === 'G' ? 1e9 : 1));
}

/** sensor --ndjson: flow and alert lines; evictions from the Prometheus-free summary if any. */
export async function floodSensor(file: string, maxFlows?: number, extra: string[] = []): Promise<FloodRow | null> {
  if (!fs.existsSync(path.join(ROOT, 'dist/src/cli/sensor.js'))) return null;
  const out = path.join(os.tmpdir(), `portscope-flood-${process.pid}.ndjson`);
  const r = await runMeasured(['sensor', '-r', file, '--ndjson', out, ...(maxFlows ? ['--max-flows', String(maxFlows)] : []), ...extra]);
  let flows = 0;
  let alerts = 0;
  let evicted = 0;
  try {
    // line by line in 16 MiB pieces: 2 million flow lines exceed the longest string V8 makes
    const fd = fs.openSync(out, 'r');
    const buf = Buffer.alloc(16 << 20);
    let rest = '';
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      const text = rest + buf.toString('latin1', 0, n);
      const lines = text.split('\n');
      rest = n === 0 ? '' : lines.pop()!;
      for (const l of lines) {
        if (!l) continue;
        if (/"(port|address)-scan"|"note"|"notice"|scan/.test(l) && !/"conn_state"/.test(l)) alerts++;
        else flows++;
        if (/"evict/.test(l)) evicted++;
      }
      if (n === 0) break;
    }
    fs.closeSync(fd);
  } catch {
    // no file
  } finally {
    fs.rmSync(out, { force: true });
  }
  return {
    command: 'sensor', status: r.status, seconds: r.seconds, peakMiB: r.peakKiB / 1024, evicted: evicted || null, alerts,
    note: r.status === 0 ? `${flows} flow lines` : r.stderr.trim().split('\n').pop() ?? '',
  };
}

async function main(argv: string[]): Promise<number> {
  let flows = 2_000_000;
  let maxFlows: number | undefined;
  let file = path.join(os.tmpdir(), 'portscope-flood.pcap');
  let keep = false;
  const extra: string[] = [];
  let only = ['profile', 'top', 'sensor'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--flows') flows = Number(argv[++i]);
    else if (a === '--max-flows') maxFlows = Number(argv[++i]);
    else if (a === '--max-hosts') extra.push('--max-hosts', argv[++i]);
    else if (a === '--file') file = argv[++i];
    else if (a === '--keep') keep = true;
    else if (a === '--only') only = argv[++i].split(',');
    else {
      process.stderr.write('usage: node dist/scripts/flood.js [--flows N] [--max-flows N] [--max-hosts N] [--file PATH] [--keep] [--only profile,top,sensor]\n');
      return 2;
    }
  }
  const tg = Date.now();
  if (!(keep && fs.existsSync(file))) writeFlood(file, flows);
  process.stdout.write(`flood: ${flows} SYN-only flows in ${file} (${(fs.statSync(file).size / 1048576).toFixed(0)} MiB, ${((Date.now() - tg) / 1000).toFixed(1)} s)${maxFlows ? `, --max-flows ${maxFlows}` : ''} ${extra.join(' ')}\n`);
  const rows: FloodRow[] = [];
  if (only.includes('profile')) rows.push(await floodProfile(file, maxFlows, extra));
  if (only.includes('top')) rows.push(await floodTop(file, maxFlows, extra));
  if (only.includes('sensor')) {
    const s = await floodSensor(file, maxFlows, extra);
    if (s) rows.push(s);
  }
  process.stdout.write(`${'command'.padEnd(8)} ${'status'.padStart(6)} ${'time s'.padStart(8)} ${'peak RSS MiB'.padStart(12)} ${'evicted'.padStart(10)} ${'alerts'.padStart(7)}  note\n`);
  for (const r of rows) {
    process.stdout.write(
      `${r.command.padEnd(8)} ${String(r.status).padStart(6)} ${r.seconds.toFixed(1).padStart(8)} ${r.peakMiB.toFixed(0).padStart(12)} ${String(r.evicted ?? '-').padStart(10)} ${String(r.alerts ?? '-').padStart(7)}  ${r.note}\n`,
    );
  }
  if (!keep) fs.rmSync(file, { force: true });
  return rows.every((r) => r.status === 0) ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (c) => {
      process.exitCode = c;
    },
    (e) => {
      process.stderr.write(`flood: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
