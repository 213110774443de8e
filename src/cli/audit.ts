// `portscope audit PROFILE.json [--address ADDR]... [--proc DIR] [--format text|json]`: this
// host's listening sockets (/proc/net/tcp, tcp6, udp, udp6, with the owning process where
// readable) against the services the profile observed on this host's addresses:
//   used           listening, and observed serving;
//   unused         listening but never used (candidates to close);
//   loopback       listening on a loopback address only (a capture rarely sees that traffic);
//   unlistened     observed serving on this host, but nothing listens there now.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getopt, count, last, all, UsageError } from './getopt';
import { readProfileFile } from './profile';
import { parseAddr, addrText } from '../stats/addr';
import { ProfileError } from '../report/profile';
import type { ServiceRow } from '../detect/services';

export const AUDIT_USAGE = `Usage: portscope audit PROFILE.json [--address ADDR]... [--proc DIR] [--format text|json]

Compares this host's listening sockets (TCP LISTEN, bound unconnected UDP; from /proc/net) with
the services the profile observed on this host's addresses (all interface addresses, or the
--address list). Owning processes are shown where /proc/PID/fd is readable (root sees all).`;

const SPEC = { short: { h: 'flag' }, long: { address: 'arg', proc: 'arg', format: 'arg', help: 'flag' } } as const;

export interface Listener {
  proto: 'tcp' | 'udp';
  family: 4 | 6;
  address: string;
  port: number;
  inode: number;
  /** "name(pid)" of each owning process found. */
  processes: string[];
}

/** Parses one /proc/net/{tcp,udp}[6] table into its listening sockets. */
export function parseProcNet(text: string, proto: 'tcp' | 'udp', family: 4 | 6): Listener[] {
  const out: Listener[] = [];
  const lines = text.split('\n').slice(1);
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [la, lp] = f[1].split(':');
    const [ra, rp] = f[2].split(':');
    const st = f[3];
    if (proto === 'tcp' ? st !== '0A' : st !== '07' || !/^0+$/.test(ra) || rp !== '0000') continue;
    const words: number[] = [];
    const hexw = family === 4 ? 1 : 4;
    if (la.length !== hexw * 8 || !/^[0-9A-Fa-f]+$/.test(la)) continue;
    for (let i = 0; i < hexw; i++) {
      // each 32-bit word is printed in host byte order (little-endian on the usual hosts)
      const w = parseInt(la.slice(8 * i, 8 * i + 8), 16);
      const le = os.endianness() === 'LE';
      words.push(le ? (((w & 0xff) << 24) | (((w >>> 8) & 0xff) << 16) | (((w >>> 16) & 0xff) << 8) | (w >>> 24)) >>> 0 : w >>> 0);
    }
    while (words.length < 4) words.push(0);
    out.push({
      proto,
      family,
      address: addrText(family, words[0], words[1], words[2], words[3]),
      port: parseInt(lp, 16),
      inode: Number(f[9]),
      processes: [],
    });
  }
  return out;
}

/** inode -> ["comm(pid)"] from /proc/PID/fd (unreadable entries are skipped). */
function socketOwners(proc: string): Map<number, string[]> {
  const m = new Map<number, string[]>();
  let pids: string[] = [];
  try {
    pids = fs.readdirSync(proc).filter((d) => /^\d+$/.test(d));
  } catch {
    return m;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(path.join(proc, pid, 'fd'));
    } catch {
      continue;
    }
    let comm: string | null = null;
    for (const fd of fds) {
      let link: string;
      try {
        link = fs.readlinkSync(path.join(proc, pid, 'fd', fd));
      } catch {
        continue;
      }
      const mm = /^socket:\[(\d+)\]$/.exec(link);
      if (!mm) continue;
      if (comm === null) {
        try {
          comm = fs.readFileSync(path.join(proc, pid, 'comm'), 'utf8').trim().replace(/[^\x21-\x7e]/g, '?');
        } catch {
          comm = '?';
        }
      }
      const inode = Number(mm[1]);
      const who = `${comm}(${pid})`;
      const l = m.get(inode);
      if (!l) m.set(inode, [who]);
      else if (!l.includes(who)) l.push(who);
    }
  }
  return m;
}

export function readListeners(proc = '/proc'): Listener[] {
  const out: Listener[] = [];
  for (const [name, proto, fam] of [['tcp', 'tcp', 4], ['tcp6', 'tcp', 6], ['udp', 'udp', 4], ['udp6', 'udp', 6]] as const) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(proc, 'net', name), 'utf8');
    } catch {
      continue; // no IPv6, or not Linux
    }
    out.push(...parseProcNet(text, proto, fam));
  }
  const owners = socketOwners(proc);
  for (const l of out) l.processes = owners.get(l.inode) ?? [];
  // one entry per (proto, address, port): SO_REUSEPORT groups list every owner once
  const seen = new Map<string, Listener>();
  for (const l of out) {
    const k = `${l.proto} ${l.address} ${l.port}`;
    const o = seen.get(k);
    if (!o) seen.set(k, l);
    else for (const p of l.processes) if (!o.processes.includes(p)) o.processes.push(p);
  }
  return [...seen.values()].sort((a, b) => (a.proto < b.proto ? -1 : a.proto > b.proto ? 1 : a.port - b.port || (a.address < b.address ? -1 : 1)));
}

export interface AuditResult {
  addresses: string[];
  used: { listener: Listener; services: ServiceRow[] }[];
  unused: Listener[];
  loopback: Listener[];
  unlistened: ServiceRow[];
}

const isWildcard = (a: string) => a === '0.0.0.0' || a === '::';
const isLoopback = (a: string) => a.startsWith('127.') || a === '::1';

function canon(a: string): string | null {
  const p = parseAddr(a);
  return p ? addrText(p[0], p[1], p[2], p[3], p[4]) : null;
}

export function audit(listeners: Listener[], services: ServiceRow[], addresses: string[]): AuditResult {
  const mine = new Set(addresses);
  const local = services.filter((s) => mine.has(canon(s.host) ?? ''));
  const matches = (l: Listener, s: ServiceRow) => {
    if (l.proto !== s.proto || l.port !== s.port) return false;
    const host = canon(s.host) ?? '';
    if (l.address === '0.0.0.0') return !host.includes(':');
    if (l.address === '::') return true; // dual-stack unless bindv6only
    return l.address === host;
  };
  const r: AuditResult = { addresses: [...mine].sort(), used: [], unused: [], loopback: [], unlistened: [] };
  for (const l of listeners) {
    const ss = local.filter((s) => matches(l, s));
    if (ss.length > 0) r.used.push({ listener: l, services: ss });
    else if (isLoopback(l.address)) r.loopback.push(l);
    else r.unused.push(l);
  }
  r.unlistened = local.filter((s) => !listeners.some((l) => matches(l, s)));
  return r;
}

function hostAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const i of list ?? []) {
      const c = canon(i.address.replace(/%.*$/, ''));
      if (c) out.push(c);
    }
  }
  return out;
}

function ep(l: Listener): string {
  return l.family === 6 ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
}

function who(l: Listener): string {
  return l.processes.length ? l.processes.join(',') : '-';
}

export function auditText(r: AuditResult): string {
  const L: string[] = [];
  L.push(`this host: ${r.addresses.join(' ') || '(no addresses)'}`);
  L.push(`listening and used (${r.used.length}):`);
  for (const u of r.used) {
    const pk = u.services.reduce((a, s) => a + s.packets, 0);
    const cl = u.services.reduce((a, s) => a + s.clients, 0);
    L.push(`  ${u.listener.proto} ${ep(u.listener)} ${who(u.listener)}  ${u.services[0].service || '-'}: ${pk} packets, ${cl} clients`);
  }
  L.push(`listening but never used, candidates to close (${r.unused.length}):`);
  for (const l of r.unused) L.push(`  ${l.proto} ${ep(l)} ${who(l)}`);
  L.push(`listening on loopback only, not visible to most captures (${r.loopback.length}):`);
  for (const l of r.loopback) L.push(`  ${l.proto} ${ep(l)} ${who(l)}`);
  L.push(`observed on this host without a listener (${r.unlistened.length}):`);
  for (const s of r.unlistened) L.push(`  ${s.proto} ${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port} ${s.service || '-'}: ${s.packets} packets, ${s.clients} clients`);
  return L.map((l) => l.replace(/[^\x20-\x7e]/g, '?')).join('\n') + '\n';
}

export async function auditMain(argv: readonly string[]): Promise<number> {
  const a = getopt(argv, SPEC);
  if (count(a, 'h') || count(a, 'help')) {
    process.stdout.write(AUDIT_USAGE + '\n');
    return 0;
  }
  if (a.rest.length !== 1) throw new UsageError('audit: give one profile (JSON file); see "portscope audit --help"');
  const format = last(a, 'format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`invalid --format ${JSON.stringify(format)} (text or json)`);
  const addrs = all(a, 'address').map((s) => {
    const c = canon(s);
    if (c === null) throw new UsageError(`invalid --address ${JSON.stringify(s)}`);
    return c;
  });
  const doc = readProfileFile(a.rest[0]);
  if (!Array.isArray(doc.services)) throw new ProfileError(`${a.rest[0]}: the profile has no "services" list (make it with this version of portscope profile)`);
  const r = audit(readListeners(last(a, 'proc') ?? '/proc'), doc.services, addrs.length ? addrs : hostAddresses());
  process.stdout.write(format === 'json' ? JSON.stringify(r, null, 2) + '\n' : auditText(r));
  return 0;
}
