// `portscope diff BASE.json NEW.json [--threshold POINTS] [--format text|json]`: what changed
// between two profiles. New and vanished services (host, proto, port), ports and hosts, and
// traffic shares (of bytes) that moved by at least the threshold in percentage points.
// Exit status as diff(1): 0 nothing changed, 1 something did, 2 trouble.
import { getopt, count, last } from './getopt';
import { readProfileFile } from './profile';
import { CaptureError } from '../capture/batch';
import type { ProfileDoc } from '../report/profile';
import type { ServiceRow } from '../detect/services';

export const DIFF_USAGE = `Usage: portscope diff BASE.json NEW.json [--threshold POINTS] [--format text|json]

Reports services (server, proto, port), ports and hosts that are new or vanished in NEW, and
ports and hosts whose share of the bytes moved by at least POINTS percentage points (default 10).
Exit status: 0 nothing changed, 1 something changed, 2 trouble (bad file, bad option).`;

const SPEC = { short: { h: 'flag' }, long: { threshold: 'arg', format: 'arg', help: 'flag' } } as const;

export interface ShareMove {
  kind: 'port' | 'host';
  key: string;
  /** Percent of all bytes in BASE and in NEW. */
  base: number;
  new: number;
}

export interface DiffResult {
  newServices: string[];
  vanishedServices: string[];
  newPorts: string[];
  vanishedPorts: string[];
  newHosts: string[];
  vanishedHosts: string[];
  moved: ShareMove[];
  /** Set when one side has no services[] (made by an older portscope): services not compared. */
  servicesCompared: boolean;
}

function serviceKey(s: ServiceRow): string {
  return `${s.host} ${s.proto}/${s.port}${s.service ? ` (${s.service})` : ''}`;
}

function shares<T>(rows: T[], key: (r: T) => string, bytes: (r: T) => number): Map<string, number> {
  const total = rows.reduce((a, r) => a + bytes(r), 0);
  const m = new Map<string, number>();
  for (const r of rows) m.set(key(r), total > 0 ? (100 * bytes(r)) / total : 0);
  return m;
}

function setDiff(a: Set<string>, b: Set<string>): string[] {
  return [...b].filter((x) => !a.has(x)).sort();
}

export function diffProfiles(base: ProfileDoc, cur: ProfileDoc, thresholdPoints: number): DiffResult {
  const svc = (d: ProfileDoc) => new Set((d.services ?? []).map(serviceKey));
  const servicesCompared = Array.isArray(base.services) && Array.isArray(cur.services);
  const portKey = (p: { proto: string; port: number }) => `${p.proto}/${p.port}`;
  const bp = new Set(base.ports.map(portKey));
  const np = new Set(cur.ports.map(portKey));
  const bh = new Set(base.hosts.map((h) => h.address));
  const nh = new Set(cur.hosts.map((h) => h.address));
  const moved: ShareMove[] = [];
  const cmp = (kind: 'port' | 'host', b: Map<string, number>, n: Map<string, number>) => {
    for (const k of new Set([...b.keys(), ...n.keys()])) {
      const x = b.get(k) ?? 0;
      const y = n.get(k) ?? 0;
      if (Math.abs(y - x) >= thresholdPoints) moved.push({ kind, key: k, base: Math.round(x * 10) / 10, new: Math.round(y * 10) / 10 });
    }
  };
  cmp('port', shares(base.ports, portKey, (p) => p.bytes), shares(cur.ports, portKey, (p) => p.bytes));
  cmp('host', shares(base.hosts, (h) => h.address, (h) => h.bytesIn + h.bytesOut), shares(cur.hosts, (h) => h.address, (h) => h.bytesIn + h.bytesOut));
  moved.sort((a, b) => Math.abs(b.new - b.base) - Math.abs(a.new - a.base) || (a.key < b.key ? -1 : 1));
  return {
    newServices: servicesCompared ? setDiff(svc(base), svc(cur)) : [],
    vanishedServices: servicesCompared ? setDiff(svc(cur), svc(base)) : [],
    newPorts: setDiff(bp, np),
    vanishedPorts: setDiff(np, bp),
    newHosts: setDiff(bh, nh),
    vanishedHosts: setDiff(nh, bh),
    moved,
    servicesCompared,
  };
}

export function changed(d: DiffResult): boolean {
  return d.newServices.length + d.vanishedServices.length + d.newPorts.length + d.vanishedPorts.length + d.newHosts.length + d.vanishedHosts.length + d.moved.length > 0;
}

const CTRL = /[^\x20-\x7e]/g;

export function diffText(d: DiffResult): string {
  const L: string[] = [];
  for (const s of d.newServices) L.push(`+ service ${s}`);
  for (const s of d.vanishedServices) L.push(`- service ${s}`);
  for (const s of d.newPorts) L.push(`+ port ${s}`);
  for (const s of d.vanishedPorts) L.push(`- port ${s}`);
  for (const s of d.newHosts) L.push(`+ host ${s}`);
  for (const s of d.vanishedHosts) L.push(`- host ${s}`);
  for (const m of d.moved) {
    const delta = m.new - m.base;
    L.push(`~ ${m.kind} ${m.key} share ${m.base.toFixed(1)}% -> ${m.new.toFixed(1)}% (${delta >= 0 ? '+' : ''}${delta.toFixed(1)} points)`);
  }
  if (!d.servicesCompared) L.push('# services not compared: a profile has no services[] list');
  if (L.length === 0) L.push('no changes');
  return L.map((l) => l.replace(CTRL, '?')).join('\n') + '\n';
}

export async function diffMain(argv: readonly string[]): Promise<number> {
  let a;
  try {
    a = getopt(argv, SPEC);
  } catch (e) {
    throw new CaptureError((e as Error).message, 2);
  }
  if (count(a, 'h') || count(a, 'help')) {
    process.stdout.write(DIFF_USAGE + '\n');
    return 0;
  }
  if (a.rest.length !== 2) throw new CaptureError('diff: give two profiles, BASE.json NEW.json; see "portscope diff --help"', 2);
  const tS = last(a, 'threshold');
  const threshold = tS === undefined ? 10 : Number(tS);
  if (!/^\d+(\.\d+)?$/.test(tS ?? '10') || !(threshold >= 0 && threshold <= 100)) throw new CaptureError(`invalid --threshold ${JSON.stringify(tS)} (percentage points, 0..100)`, 2);
  const format = last(a, 'format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new CaptureError(`invalid --format ${JSON.stringify(format)} (text or json)`, 2);
  let base: ProfileDoc, cur: ProfileDoc;
  try {
    base = readProfileFile(a.rest[0]);
    cur = readProfileFile(a.rest[1]);
  } catch (e) {
    if (e instanceof CaptureError) throw new CaptureError(e.message, 2);
    throw e;
  }
  const d = diffProfiles(base, cur, threshold);
  process.stdout.write(format === 'json' ? JSON.stringify({ changed: changed(d), ...d }, null, 2) + '\n' : diffText(d));
  return changed(d) ? 1 : 0;
}
