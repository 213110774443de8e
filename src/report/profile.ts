// The profile document ("schema": "portscope.profile/1"): built from a statistics snapshot, merged
// across captures or sensors. Plain JSON data; the formats in ./format.ts render it.
import { type StatsSnapshot } from '../stats/index';
import { portClass, type ToFromCounts } from '../stats/ports';
import { DistinctSketches } from '../stats/sketch';
import { CONN_STATES, TCP_STATES, type ConnState, type TcpState, type FlowSummary } from '../stats/flows';
import { COUNTER_NAMES, type CounterName, type SizeBucket } from '../stats/counters';
import { microsToSeconds } from '../stats/time';
import { serviceOf } from './services';
import { CaptureError } from '../capture/batch';
import { mergeServices, type ServiceRow } from '../detect/services';
import { asciiJson } from './format';

export const PROFILE_SCHEMA = 'portscope.profile/1';

export interface ProfileSource {
  /** File path, "-" for standard input, or interface name. */
  name: string;
  kind: 'file' | 'interface' | 'merge';
  filter: string;
  packetsRead: number;
  packetsAccepted: number;
  /** Accepted packets by decode outcome. */
  decode: { ok: number; truncated: number; malformed: number; unsupported: number };
  linkTypes: number[];
}

export interface ProfilePort extends ToFromCounts {
  proto: 'tcp' | 'udp';
  port: number;
  service: string;
  description: string;
  class: 'well-known' | 'registered' | 'dynamic';
  peers: number;
  /** false: `peers` is a HyperLogLog estimate, or (merged without sketches) an upper bound. */
  peersExact: boolean;
  firstSeen: number;
  lastSeen: number;
  peerSketch: string;
}

export interface ProfileHost {
  address: string;
  family: 4 | 6;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  peers: number;
  portsServed: number;
  portsUsed: number;
  firstSeen: number;
  lastSeen: number;
  peerSketch: string;
  servedSketch: string;
  usedSketch: string;
}

export interface ProfileStation {
  mac: string;
  packetsIn: number;
  packetsOut: number;
  ipPacketsIn: number;
  ipPacketsOut: number;
  bytesIn: number;
  bytesOut: number;
}

export interface ProfileFlow {
  proto: string;
  orig_h: string;
  orig_p: number;
  resp_h: string;
  resp_p: number;
  conn_state: ConnState;
  history: string;
  tcp_state: TcpState | null;
  orig_pkts: number;
  resp_pkts: number;
  orig_ip_bytes: number;
  resp_ip_bytes: number;
  orig_bytes: number;
  resp_bytes: number;
  ts: number;
  duration: number;
}

export interface ProfileDoc {
  schema: typeof PROFILE_SCHEMA;
  generator: string;
  sources: ProfileSource[];
  /** Epoch seconds of the first and last packet (null without packets). */
  start: number | null;
  end: number | null;
  duration: number;
  counters: {
    packets: Record<CounterName, number>;
    bytes: Record<CounterName, number>;
    average: { packetsPerSec: number | null; bitsPerSec: number | null };
    /** Rates over the last 1/10/60 whole seconds (packet time); null in merged profiles. */
    rates: { windowSec: number; packetsPerSec: number | null; bitsPerSec: number | null }[] | null;
  };
  sizes: { mtu: number; bucketWidth: number; mtuBuckets: SizeBucket[]; pow2Buckets: SizeBucket[] };
  ports: ProfilePort[];
  hosts: ProfileHost[];
  hostsUntrackedPackets: number;
  stations: ProfileStation[];
  stationsUntrackedPackets: number;
  /** The flow table's summary (FlowSummary) with the top flows in the profile's row form. */
  flows: Omit<FlowSummary, 'top'> & { top: ProfileFlow[] };
  alerts: unknown[];
  /** Passive service inventory (src/detect/services.ts); absent in profiles made without it. */
  services?: ServiceRow[];
}

function generator(): string {
  try {
    return `portscope ${require('../../../package.json').version}`;
  } catch {
    return 'portscope';
  }
}

const byBytesThenKey = <T extends { bytes: number }>(key: (x: T) => string | number) => (a: T, b: T) =>
  b.bytes - a.bytes || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

export function sortPorts(ports: ProfilePort[]): ProfilePort[] {
  return ports.sort(byBytesThenKey((p) => (p.proto === 'tcp' ? 0 : 65536) + p.port));
}

function hostBytes(h: ProfileHost): number {
  return h.bytesIn + h.bytesOut;
}

export function sortHosts(hosts: ProfileHost[]): ProfileHost[] {
  return hosts.sort((a, b) => hostBytes(b) - hostBytes(a) || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

export function sortStations(st: ProfileStation[]): ProfileStation[] {
  return st.sort((a, b) => b.bytesIn + b.bytesOut - (a.bytesIn + a.bytesOut) || (a.mac < b.mac ? -1 : 1));
}

function average(packets: number, bytes: number, duration: number): { packetsPerSec: number | null; bitsPerSec: number | null } {
  return duration > 0 ? { packetsPerSec: packets / duration, bitsPerSec: (bytes * 8) / duration } : { packetsPerSec: null, bitsPerSec: null };
}

/** Builds the profile document from a snapshot. */
export function buildProfile(snap: StatsSnapshot, sources: ProfileSource[]): ProfileDoc {
  const c = snap.counters;
  const start = c.firstUs > 0 ? microsToSeconds(c.firstUs) : null;
  const end = c.lastUs > 0 ? microsToSeconds(c.lastUs) : null;
  const duration = c.firstUs > 0 ? (c.lastUs - c.firstUs) / 1e6 : 0;
  const ports: ProfilePort[] = snap.ports.map((r) => {
    const s = serviceOf(r.proto, r.port);
    return {
      proto: r.proto,
      port: r.port,
      service: s.service,
      description: s.description,
      class: portClass(r.port),
      packets: r.packets,
      bytes: r.bytes,
      packetsTo: r.packetsTo,
      packetsFrom: r.packetsFrom,
      bytesTo: r.bytesTo,
      bytesFrom: r.bytesFrom,
      peers: r.peers,
      peersExact: r.peersExact,
      firstSeen: microsToSeconds(r.firstSeenUs),
      lastSeen: microsToSeconds(r.lastSeenUs),
      peerSketch: r.peerSketch,
    };
  });
  const hosts: ProfileHost[] = snap.hosts.map((h) => ({
    address: h.address,
    family: h.family,
    packetsIn: h.packetsIn,
    packetsOut: h.packetsOut,
    bytesIn: h.bytesIn,
    bytesOut: h.bytesOut,
    peers: h.peers,
    portsServed: h.portsServed,
    portsUsed: h.portsUsed,
    firstSeen: microsToSeconds(h.firstSeenUs),
    lastSeen: microsToSeconds(h.lastSeenUs),
    peerSketch: h.peerSketch,
    servedSketch: h.servedSketch,
    usedSketch: h.usedSketch,
  }));
  const f = snap.flows;
  return {
    schema: PROFILE_SCHEMA,
    generator: generator(),
    sources,
    start,
    end,
    duration,
    counters: {
      packets: c.packets,
      bytes: c.bytes,
      average: average(c.packets.total, c.bytes.total, duration),
      rates: c.rates,
    },
    sizes: snap.sizes,
    ports: sortPorts(ports),
    hosts: sortHosts(hosts),
    hostsUntrackedPackets: snap.hostsUntrackedPackets,
    stations: sortStations(snap.stations.map((s) => ({ ...s }))),
    stationsUntrackedPackets: snap.stationsUntrackedPackets,
    flows: {
      capacity: f.capacity,
      total: f.total,
      active: f.active,
      completed: f.completed,
      evicted: f.evicted,
      expired: f.expired,
      reused: f.reused,
      byProto: f.byProto,
      byConnState: f.byConnState,
      byTcpState: f.byTcpState,
      top: f.top.map((r) => ({
        proto: r.proto,
        orig_h: r.origH,
        orig_p: r.origP,
        resp_h: r.respH,
        resp_p: r.respP,
        conn_state: r.connState,
        history: r.history,
        tcp_state: r.tcpState,
        orig_pkts: r.origPkts,
        resp_pkts: r.respPkts,
        orig_ip_bytes: r.origIpBytes,
        resp_ip_bytes: r.respIpBytes,
        orig_bytes: r.origBytes,
        resp_bytes: r.respBytes,
        ts: microsToSeconds(r.startUs),
        duration: r.durationUs / 1e6,
      })),
    },
    alerts: snap.alerts ?? [],
    services: snap.services ?? [],
  };
}

/** A profile that cannot be merged: one line naming the file and what is wrong. */
export class ProfileError extends CaptureError {
  constructor(message: string, exitCode = 1) {
    super(message, exitCode);
    this.name = 'ProfileError';
  }
}

/** Checks that parsed JSON is a profile of our schema (the fields merge relies on). */
export function checkProfile(x: unknown, name: string): ProfileDoc {
  const d = x as Partial<ProfileDoc> | null;
  if (d === null || typeof d !== 'object' || Array.isArray(d)) throw new ProfileError(`${name}: not a portscope profile (expected a JSON object)`);
  if (d.schema !== PROFILE_SCHEMA) {
    throw new ProfileError(`${name}: unsupported profile schema ${asciiJson(d.schema ?? null)} (expected "${PROFILE_SCHEMA}")`);
  }
  for (const k of ['sources', 'ports', 'hosts', 'stations'] as const) {
    if (!Array.isArray(d[k])) throw new ProfileError(`${name}: field "${k}" is missing or not an array`);
  }
  d.sources!.forEach((s, i) => {
    if (s === null || typeof s !== 'object' || typeof s.name !== 'string') throw new ProfileError(`${name}: sources[${i}] is not a source object`);
  });
  for (const k of ['counters', 'sizes', 'flows'] as const) {
    if (d[k] === null || typeof d[k] !== 'object') throw new ProfileError(`${name}: field "${k}" is missing or not an object`);
  }
  const num = (v: unknown, what: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ProfileError(`${name}: ${what} is not a number`);
  };
  d.ports!.forEach((p, i) => {
    if (p?.proto !== 'tcp' && p?.proto !== 'udp') throw new ProfileError(`${name}: ports[${i}].proto is not "tcp" or "udp"`);
    if (!Number.isInteger(p.port) || p.port < 0 || p.port > 65535) throw new ProfileError(`${name}: ports[${i}].port is not a port number`);
    for (const k of ['packets', 'bytes', 'packetsTo', 'packetsFrom', 'bytesTo', 'bytesFrom', 'peers', 'firstSeen', 'lastSeen'] as const) num(p[k], `ports[${i}].${k}`);
  });
  d.hosts!.forEach((h, i) => {
    if (typeof h?.address !== 'string') throw new ProfileError(`${name}: hosts[${i}].address is not a string`);
    for (const k of ['packetsIn', 'packetsOut', 'bytesIn', 'bytesOut', 'peers', 'portsServed', 'portsUsed', 'firstSeen', 'lastSeen'] as const) num(h[k], `hosts[${i}].${k}`);
  });
  d.stations!.forEach((s, i) => {
    if (typeof s?.mac !== 'string') throw new ProfileError(`${name}: stations[${i}].mac is not a string`);
  });
  for (const n of COUNTER_NAMES) {
    num(d.counters!.packets?.[n], `counters.packets.${n}`);
    num(d.counters!.bytes?.[n], `counters.bytes.${n}`);
  }
  if (!Array.isArray(d.sizes!.mtuBuckets) || !Array.isArray(d.sizes!.pow2Buckets)) throw new ProfileError(`${name}: sizes buckets missing`);
  num(d.sizes!.mtu, 'sizes.mtu');
  if (d.services !== undefined) {
    if (!Array.isArray(d.services)) throw new ProfileError(`${name}: field "services" is not an array`);
    d.services.forEach((v, i) => {
      if (v === null || typeof v !== 'object') throw new ProfileError(`${name}: services[${i}] is not an object`);
      if (typeof v.host !== 'string') throw new ProfileError(`${name}: services[${i}].host is not a string`);
      if (v.proto !== 'tcp' && v.proto !== 'udp') throw new ProfileError(`${name}: services[${i}].proto is not "tcp" or "udp"`);
      if (!Number.isInteger(v.port) || v.port < 0 || v.port > 65535) throw new ProfileError(`${name}: services[${i}].port is not a port number`);
      for (const k of ['packets', 'bytes', 'clients', 'firstSeen', 'lastSeen'] as const) num(v[k], `services[${i}].${k}`);
    });
  }
  return d as ProfileDoc;
}

/**
 * Merges distinct counts given as sketches: exact when every input is exact and the union has at
 * most 16 members, a HyperLogLog estimate otherwise; when an input has no usable sketch, the sum
 * of the counts (an upper bound) with an empty sketch.
 */
class SketchMerger {
  private readonly sk = new DistinctSketches(1);
  private ok = true;
  private sum = 0;

  reset(): void {
    this.sk.clear(0);
    this.ok = true;
    this.sum = 0;
  }

  add(sketch: string | undefined, count: number): void {
    this.sum += count;
    if (!this.ok || typeof sketch !== 'string' || !this.sk.mergeExported(0, sketch)) this.ok = false;
  }

  result(): { count: number; exact: boolean; sketch: string } {
    if (!this.ok) return { count: this.sum, exact: false, sketch: '' };
    return { count: this.sk.count(0), exact: this.sk.isExact(0), sketch: this.sk.export(0) };
  }
}

function minTime(a: number, b: number): number {
  if (!(a > 0)) return b;
  if (!(b > 0)) return a;
  return Math.min(a, b);
}

function sumRecords(target: Record<string, number>, add: Record<string, number> | undefined): void {
  if (!add) return;
  for (const [k, v] of Object.entries(add)) if (typeof v === 'number') target[k] = (target[k] ?? 0) + v;
}

/** Merges profiles of several captures or sensors (see SketchMerger for peers). */
export function mergeProfiles(docs: ProfileDoc[], top = 20): ProfileDoc {
  if (docs.length === 0) throw new ProfileError('merge: no profiles given');
  const mtu = docs[0].sizes.mtu;
  const m = new SketchMerger();

  // ports
  const portGroups = new Map<number, ProfilePort[]>();
  for (const d of docs) for (const p of d.ports) {
    const k = (p.proto === 'tcp' ? 0 : 65536) + p.port;
    const g = portGroups.get(k);
    if (g) g.push(p);
    else portGroups.set(k, [p]);
  }
  const ports: ProfilePort[] = [];
  for (const g of portGroups.values()) {
    const o: ProfilePort = { ...g[0], packets: 0, bytes: 0, packetsTo: 0, packetsFrom: 0, bytesTo: 0, bytesFrom: 0, firstSeen: 0, lastSeen: 0 };
    m.reset();
    for (const p of g) {
      o.packets += p.packets;
      o.bytes += p.bytes;
      o.packetsTo += p.packetsTo;
      o.packetsFrom += p.packetsFrom;
      o.bytesTo += p.bytesTo;
      o.bytesFrom += p.bytesFrom;
      o.firstSeen = minTime(o.firstSeen, p.firstSeen);
      o.lastSeen = Math.max(o.lastSeen, p.lastSeen);
      m.add(p.peerSketch, p.peers);
    }
    const r = m.result();
    o.peers = r.count;
    o.peersExact = r.exact;
    o.peerSketch = r.sketch;
    const s = serviceOf(o.proto, o.port);
    o.service = s.service;
    o.description = s.description;
    o.class = portClass(o.port);
    ports.push(o);
  }

  // hosts
  const hostGroups = new Map<string, ProfileHost[]>();
  for (const d of docs) for (const h of d.hosts) {
    const g = hostGroups.get(h.address);
    if (g) g.push(h);
    else hostGroups.set(h.address, [h]);
  }
  const hosts: ProfileHost[] = [];
  for (const g of hostGroups.values()) {
    const o: ProfileHost = { ...g[0], packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, firstSeen: 0, lastSeen: 0 };
    for (const h of g) {
      o.packetsIn += h.packetsIn;
      o.packetsOut += h.packetsOut;
      o.bytesIn += h.bytesIn;
      o.bytesOut += h.bytesOut;
      o.firstSeen = minTime(o.firstSeen, h.firstSeen);
      o.lastSeen = Math.max(o.lastSeen, h.lastSeen);
    }
    const merge = (sk: (h: ProfileHost) => string, n: (h: ProfileHost) => number) => {
      m.reset();
      for (const h of g) m.add(sk(h), n(h));
      return m.result();
    };
    const pe = merge((h) => h.peerSketch, (h) => h.peers);
    const se = merge((h) => h.servedSketch, (h) => h.portsServed);
    const us = merge((h) => h.usedSketch, (h) => h.portsUsed);
    o.peers = pe.count;
    o.peerSketch = pe.sketch;
    o.portsServed = se.count;
    o.servedSketch = se.sketch;
    o.portsUsed = us.count;
    o.usedSketch = us.sketch;
    hosts.push(o);
  }

  // stations
  const stations = new Map<string, ProfileStation>();
  for (const d of docs) for (const s of d.stations) {
    const o = stations.get(s.mac);
    if (!o) stations.set(s.mac, { ...s });
    else {
      o.packetsIn += s.packetsIn;
      o.packetsOut += s.packetsOut;
      o.ipPacketsIn += s.ipPacketsIn;
      o.ipPacketsOut += s.ipPacketsOut;
      o.bytesIn += s.bytesIn;
      o.bytesOut += s.bytesOut;
    }
  }

  // counters and sizes
  const packets = {} as Record<CounterName, number>;
  const bytes = {} as Record<CounterName, number>;
  for (const n of COUNTER_NAMES) {
    packets[n] = docs.reduce((a, d) => a + d.counters.packets[n], 0);
    bytes[n] = docs.reduce((a, d) => a + d.counters.bytes[n], 0);
  }
  const sameBuckets = docs.every((d) => d.sizes.mtu === mtu && d.sizes.mtuBuckets.length === docs[0].sizes.mtuBuckets.length);
  if (!sameBuckets) throw new ProfileError('merge: the profiles use different MTUs for the size buckets');
  const mtuBuckets = docs[0].sizes.mtuBuckets.map((b, i) => ({ ...b, packets: docs.reduce((a, d) => a + d.sizes.mtuBuckets[i].packets, 0) }));
  const pow2 = new Map<number, SizeBucket>();
  for (const d of docs) for (const b of d.sizes.pow2Buckets) {
    const o = pow2.get(b.min);
    if (o) o.packets += b.packets;
    else pow2.set(b.min, { ...b });
  }
  const pow2Buckets = [...pow2.values()].sort((a, b) => a.min - b.min);

  const starts = docs.map((d) => d.start).filter((x): x is number => typeof x === 'number');
  const ends = docs.map((d) => d.end).filter((x): x is number => typeof x === 'number');
  const start = starts.length ? Math.min(...starts) : null;
  const end = ends.length ? Math.max(...ends) : null;
  const duration = start !== null && end !== null ? end - start : 0;

  // flows
  const byProto: Record<string, number> = {};
  const byConnState: Record<string, number> = Object.fromEntries(CONN_STATES.map((s) => [s, 0]));
  const byTcpState: Record<string, number> = Object.fromEntries(TCP_STATES.map((s) => [s, 0]));
  const fl = { capacity: 0, total: 0, active: 0, completed: 0, evicted: 0, expired: 0, reused: 0 };
  const topFlows: ProfileFlow[] = [];
  for (const d of docs) {
    for (const k of Object.keys(fl) as (keyof typeof fl)[]) fl[k] += typeof d.flows[k] === 'number' ? d.flows[k] : 0;
    sumRecords(byProto, d.flows.byProto);
    sumRecords(byConnState, d.flows.byConnState);
    sumRecords(byTcpState, d.flows.byTcpState);
    if (Array.isArray(d.flows.top)) topFlows.push(...d.flows.top);
  }
  topFlows.sort((a, b) => b.orig_ip_bytes + b.resp_ip_bytes - (a.orig_ip_bytes + a.resp_ip_bytes) || a.ts - b.ts);

  return {
    schema: PROFILE_SCHEMA,
    generator: generator(),
    sources: docs.flatMap((d) => d.sources),
    start,
    end,
    duration,
    counters: { packets, bytes, average: average(packets.total, bytes.total, duration), rates: null },
    sizes: { mtu, bucketWidth: docs[0].sizes.bucketWidth, mtuBuckets, pow2Buckets },
    ports: sortPorts(ports),
    hosts: sortHosts(hosts),
    hostsUntrackedPackets: docs.reduce((a, d) => a + (d.hostsUntrackedPackets ?? 0), 0),
    stations: sortStations([...stations.values()]),
    stationsUntrackedPackets: docs.reduce((a, d) => a + (d.stationsUntrackedPackets ?? 0), 0),
    flows: { ...fl, byProto, byConnState, byTcpState, top: topFlows.slice(0, top) },
    alerts: docs.flatMap((d) => (Array.isArray(d.alerts) ? d.alerts : [])),
    services: mergeServices(docs.map((d) => (Array.isArray(d.services) ? d.services : []))),
  };
}
