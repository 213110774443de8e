// The firewall model behind `portscope rules`: the observed services of a profile, every field
// checked and re-serialised (addresses through parseAddr, ports as integers, comment text limited
// to a safe alphabet), so nothing from the profile file reaches a ruleset unchecked.
import { parseAddr, addrText } from '../stats/addr';
import { ProfileError, type ProfileDoc } from './profile';
import { serviceOf } from './services';

export interface RuleService {
  family: 4 | 6;
  /** Canonical address text. */
  host: string;
  proto: 'tcp' | 'udp';
  port: number;
  /** IANA name, or "" (safe alphabet). */
  name: string;
  packets: number;
  clients: number;
  firstSeen: number;
  lastSeen: number;
  /** Client networks (CIDR, canonical); null = any source (not asked, or too many seen). */
  clientNets: string[] | null;
}

export interface RuleModel {
  source: string;
  services: RuleService[];
  /** Services left out by --min-packets. */
  skipped: RuleService[];
}

/** Only characters that are inert in nft strings, iptables comments and shell-like parsers. */
export function safeText(s: string, max = 120): string {
  return s.replace(/[^A-Za-z0-9 ._:/,=+()@-]/g, '_').slice(0, max);
}

function isoSec(t: number): string {
  return Number.isFinite(t) && t > 0 ? new Date(Math.floor(t * 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}

/** "domain udp/53: 12 packets, 3 clients, 2026-01-01T00:00:00Z .. 2026-01-01T01:00:00Z". */
export function evidenceText(s: RuleService): string {
  return safeText(`${s.name || 'unnamed'} ${s.proto}/${s.port} on ${s.host}: ${s.packets} packets, ${s.clients} clients, ${isoSec(s.firstSeen)} .. ${isoSec(s.lastSeen)}`);
}

function cidr(text: unknown, where: string): string {
  if (typeof text !== 'string') throw new ProfileError(`${where}: not a network`);
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  const a = m ? parseAddr(m[1]) : null;
  const bits = m ? Number(m[2]) : -1;
  if (!a || bits > (a[0] === 4 ? 32 : 128)) throw new ProfileError(`${where}: invalid network ${JSON.stringify(text).slice(0, 60)}`);
  return `${addrText(a[0], a[1], a[2], a[3], a[4])}/${bits}`;
}

export function buildRuleModel(doc: ProfileDoc, file: string, minPackets: number, withClients: boolean): RuleModel {
  if (!Array.isArray(doc.services)) {
    throw new ProfileError(`${file}: the profile has no "services" list (make it with this version of portscope profile)`);
  }
  const services: RuleService[] = [];
  const skipped: RuleService[] = [];
  const seen = new Set<string>();
  doc.services.forEach((s, i) => {
    const where = `${file}: services[${i}]`;
    if (s === null || typeof s !== 'object') throw new ProfileError(`${where} is not an object`);
    const a = typeof s.host === 'string' ? parseAddr(s.host) : null;
    if (!a) throw new ProfileError(`${where}.host is not an IP address`);
    if (s.proto !== 'tcp' && s.proto !== 'udp') throw new ProfileError(`${where}.proto is not "tcp" or "udp"`);
    if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535) throw new ProfileError(`${where}.port is not a port number (1..65535)`);
    for (const k of ['packets', 'clients', 'firstSeen', 'lastSeen'] as const) {
      if (typeof s[k] !== 'number' || !Number.isFinite(s[k])) throw new ProfileError(`${where}.${k} is not a number`);
    }
    let nets: string[] | null = null;
    if (withClients && s.clientNetsComplete === true && Array.isArray(s.clientNets) && s.clientNets.length > 0) {
      nets = [...new Set(s.clientNets.map((n, j) => cidr(n, `${where}.clientNets[${j}]`)))].sort();
      // a client network of the other family cannot appear in the same rule
      const fam = a[0];
      if (nets.some((n) => n.includes(':') !== (fam === 6))) nets = null;
    }
    const r: RuleService = {
      family: a[0] as 4 | 6,
      host: addrText(a[0], a[1], a[2], a[3], a[4]),
      proto: s.proto,
      port: s.port,
      name: safeText(serviceOf(s.proto, s.port).service, 40),
      packets: s.packets,
      clients: s.clients,
      firstSeen: s.firstSeen,
      lastSeen: s.lastSeen,
      clientNets: nets,
    };
    const key = `${r.host}|${r.proto}|${r.port}`;
    if (seen.has(key)) return;
    seen.add(key);
    (s.packets >= minPackets ? services : skipped).push(r);
  });
  const order = (x: RuleService, y: RuleService) =>
    x.family - y.family || (x.host < y.host ? -1 : x.host > y.host ? 1 : 0) || (x.proto < y.proto ? -1 : x.proto > y.proto ? 1 : 0) || x.port - y.port;
  services.sort(order);
  skipped.sort(order);
  return { source: safeText(file, 200), services, skipped };
}
