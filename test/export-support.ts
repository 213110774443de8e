// Helpers shared by the exporter tests (export.test.ts, sensor.test.ts): the CLI, profiles,
// per-port totals of flow records, free ports, child processes that are always cleaned up.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { ProfileDoc } from '../src/report/profile';

export const ROOT = path.resolve(__dirname, '../..');
export const CORPUS = path.resolve(__dirname, '../../../shared/corpus');
export const FIXTURES = path.join(ROOT, 'fixtures');
export const CLI = path.join(ROOT, 'dist/src/cli/main.js');
export const HAVE_CORPUS = fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv'));

export function have(cmd: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined;
}

export function cli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input, maxBuffer: 1 << 28, env: { ...process.env, TZ: 'UTC' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function profileOf(file: string, extra: string[] = []): ProfileDoc {
  const r = cli(['profile', '-r', file, '--format', 'json', ...extra]);
  if (r.status !== 0 && r.status !== 1) throw new Error(`profile ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ProfileDoc;
}

/** Per (proto, port) packets and bytes of a profile: "tcp/80" -> [packets, bytes]. */
export function profilePorts(doc: ProfileDoc): Map<string, [number, number]> {
  const m = new Map<string, [number, number]>();
  for (const p of doc.ports) m.set(`${p.proto}/${p.port}`, [p.packets, p.bytes]);
  return m;
}

/** Adds a flow record's packets and bytes to each distinct port it carries (the profile's rule). */
export function addFlow(m: Map<string, [number, number]>, proto: string, sp: number, dp: number, pkts: number, bytes: number): void {
  for (const port of sp === dp ? [sp] : [sp, dp]) {
    const k = `${proto}/${port}`;
    const v = m.get(k) ?? [0, 0];
    v[0] += pkts;
    v[1] += bytes;
    m.set(k, v);
  }
}

export function sortedEntries(m: Map<string, [number, number]>): [string, [number, number]][] {
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** A TCP (or UDP) port free on 127.0.0.1 right now. */
export async function freePort(udp = false): Promise<number> {
  if (udp) {
    const dgram = await import('node:dgram');
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const p = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    return p;
  }
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const p = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return p;
}

/** Child processes started by a test; kill() ends each by its pid and waits for it. */
export class Children {
  private readonly procs: ChildProcess[] = [];
  readonly logs = new Map<ChildProcess, string>();

  start(cmd: string, args: string[]): ChildProcess {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC' } });
    this.logs.set(c, '');
    const log = (d: Buffer) => this.logs.set(c, (this.logs.get(c) ?? '') + d.toString());
    c.stdout!.on('data', log);
    c.stderr!.on('data', log);
    this.procs.push(c);
    return c;
  }

  /** Resolves with the exit status (signal name when killed). */
  static exited(c: ChildProcess): Promise<number | string> {
    if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.exitCode ?? String(c.signalCode));
    return new Promise((r) => c.once('exit', (code, sig) => r(code ?? String(sig))));
  }

  async kill(): Promise<void> {
    for (const c of this.procs) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        const t = setTimeout(() => c.kill('SIGKILL'), 5000);
        await Children.exited(c);
        clearTimeout(t);
      }
    }
    this.procs.length = 0;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a value other than undefined, or throws after `ms`. */
export async function waitFor<T>(what: string, ms: number, fn: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

export async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url);
  return { status: r.status, body: await r.text() };
}
