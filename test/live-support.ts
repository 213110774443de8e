// Helpers for the native and live-capture tests: a tiny classic pcap reader (the oracle side reads
// tcpdump's files with it), child processes with bounded waits, network namespaces.
import * as fs from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface PcapRecord {
  tsSec: number;
  /** Nanoseconds within the second (micro files scaled by 1000). */
  tsNsec: number;
  capLen: number;
  wireLen: number;
  data: Buffer;
}

export interface PcapFile {
  linkType: number;
  snaplen: number;
  nano: boolean;
  recs: PcapRecord[];
}

/** Reads a classic pcap file (either byte order, micro or nano); stops at a cut record. */
export function readPcap(file: string): PcapFile {
  const b = fs.readFileSync(file);
  if (b.length < 24) throw new Error(`${file}: shorter than a pcap header`);
  const magicLE = b.readUInt32LE(0);
  const magicBE = b.readUInt32BE(0);
  const le = magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d;
  if (!le && magicBE !== 0xa1b2c3d4 && magicBE !== 0xa1b23c4d) throw new Error(`${file}: not a classic pcap file`);
  const nano = (le ? magicLE : magicBE) === 0xa1b23c4d;
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const recs: PcapRecord[] = [];
  let o = 24;
  while (o + 16 <= b.length) {
    const capLen = u32(o + 8);
    if (o + 16 + capLen > b.length) break;
    recs.push({
      tsSec: u32(o),
      tsNsec: nano ? u32(o + 4) : u32(o + 4) * 1000,
      capLen,
      wireLen: u32(o + 12),
      data: b.subarray(o + 16, o + 16 + capLen),
    });
    o += 16 + capLen;
  }
  return { linkType: u32(20) & 0xffff, snaplen: u32(16), nano, recs };
}

/** Runs a command to completion; throws with its stderr when it fails and `check` is set. */
export function run(cmd: string, args: string[], check = true): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  if (check && r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** A background process whose stderr is collected; waitFor() resolves when a pattern appears. */
export class Bg {
  readonly proc: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(cmd: string, args: string[], opts: { uid?: number; gid?: number } = {}) {
    this.proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.proc.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.proc.on('close', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves once stderr matches `re`; rejects after `ms` or when the process exits first. */
  async waitFor(re: RegExp, ms = 10_000): Promise<void> {
    const t0 = Date.now();
    let done = false;
    void this.exited.then(() => (done = true));
    while (!re.test(this.stderr)) {
      if (done) throw new Error(`exited before ${re}: ${this.stderr}`);
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${re}: ${this.stderr}`);
      await sleep(20);
    }
  }

  /** Sends `sig`, waits for the exit (SIGKILL after `ms`). */
  async stop(sig: NodeJS.Signals = 'SIGINT', ms = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(sig);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), ms);
    const r = await this.exited;
    clearTimeout(timer);
    return r;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Two network namespaces joined by a veth pair: `${name}a` (10.77.N.1) and `${name}b` (10.77.N.2).
 * remove() deletes both namespaces (and with them the veth pair); call it in `finally`/`after`.
 */
export class VethPair {
  readonly nsA: string;
  readonly nsB: string;
  readonly ifA: string;
  readonly ifB: string;
  readonly ipA: string;
  readonly ipB: string;

  constructor(readonly name: string, subnet: number) {
    this.nsA = `${name}-a`;
    this.nsB = `${name}-b`;
    this.ifA = `${name}a`;
    this.ifB = `${name}b`;
    this.ipA = `10.77.${subnet}.1`;
    this.ipB = `10.77.${subnet}.2`;
  }

  create(): void {
    this.remove();
    run('ip', ['netns', 'add', this.nsA]);
    run('ip', ['netns', 'add', this.nsB]);
    run('ip', ['link', 'add', this.ifA, 'netns', this.nsA, 'type', 'veth', 'peer', 'name', this.ifB, 'netns', this.nsB]);
    for (const [ns, ifc, ip] of [[this.nsA, this.ifA, this.ipA], [this.nsB, this.ifB, this.ipB]]) {
      run('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', ifc]);
      // No IPv6 chatter (DAD, router solicitations) on the test link.
      run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${ifc}.disable_ipv6=1`], false);
      run('ip', ['-n', ns, 'link', 'set', ifc, 'up']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  }

  remove(): void {
    for (const ns of [this.nsA, this.nsB]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }

  /** argv prefix running a command inside namespace A or B. */
  exec(which: 'a' | 'b', cmd: string, ...args: string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', which === 'a' ? this.nsA : this.nsB, cmd, ...args]];
  }
}

/** Why live tests cannot run here, or false. */
export function liveSkipReason(nativeOk: boolean): string | false {
  if (!nativeOk) return 'native addon not built (libpcap-dev missing?)';
  if (process.getuid?.() !== 0) return 'live capture tests need root';
  if (spawnSync('tcpdump', ['--version']).status !== 0) return 'tcpdump not installed';
  if (spawnSync('ip', ['-V']).status !== 0) return 'iproute2 (ip) not installed';
  return false;
}
