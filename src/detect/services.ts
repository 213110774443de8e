// Passive service inventory: every (host, protocol, port) seen serving, after Zeek's
// known_services rule: a TCP SYN-ACK from the port, or data sent by the responder of a connection;
// a UDP packet from the responder of a flow whose originator sent first. Counted from then on:
// packets and bytes both ways, distinct clients, first and last seen.
//
// A bounded KeyTable (LRU eviction under floods, counted in `evicted`); values in typed arrays,
// nothing allocated per packet. Text (addresses, IANA names) only at snapshot time.
//
// Counted per flow, not per packet: once a flow is tied to its service ("bound"), its later packets
// cost nothing here. The flow table already counts every flow's packets and frame bytes each way;
// binding subtracts the flow's counts so far from the service (the binding packet itself is
// counted directly), and the flow's final counts are added when it ends (FlowTable's monitor
// hook). Snapshots add the flows still open. Same numbers as counting each packet, exactly (the
// sums are integers, exact in doubles). Last seen: the clock at the flow's last packet is its last
// packet time unless that packet was older than the clock (out of order: then the caller passes
// it through late()).
//
// LRU order only matters once the table is full (nothing is evicted before): until then bound
// flows do not touch their service; when the first eviction is due, the services of live flows
// are touched in the flow table's LRU order and from then on every packet of a bound flow touches
// its service, as before ("precise" mode; flows tell a stale id by its generation).
import type { PacketInfo } from '../../decoders/packet-info';
import { KeyTable } from '../stats/key-table';
import { FlowRecord, type FlowTable } from '../stats/flows';
import { DistinctSketches, mix32 } from '../stats/sketch';
import { hashAt, textAt, SRC, DST } from './addr';
import { serviceOf } from '../report/services';
import { microsToSeconds } from '../stats/time';
import { addrText } from '../stats/addr';
import type { ToFromCounts } from '../stats/ports';

export const DEFAULT_MAX_SERVICES = 65536;

/** A service (host, proto, port); its ToFromCounts are packets and wire bytes to and from it since it was first seen serving. */
export interface ServiceRow extends ToFromCounts {
  host: string;
  proto: 'tcp' | 'udp';
  port: number;
  /** IANA service name ("" when unassigned). */
  service: string;
  /** Epoch seconds. */
  firstSeen: number;
  lastSeen: number;
  /** Distinct client addresses (exact up to 16, a HyperLogLog estimate beyond). */
  clients: number;
  clientsExact: boolean;
  /** What showed the port serving first: "syn-ack", "data" (TCP responder data) or "reply" (UDP). */
  evidence: 'syn-ack' | 'data' | 'reply';
  clientSketch: string;
  /** Client networks (IPv4 /24, IPv6 /64), at most CLIENT_NETS; see clientNetsComplete. */
  clientNets: string[];
  /** False when more networks than CLIENT_NETS were seen (then clientNets is a sample). */
  clientNetsComplete: boolean;
}

/** Client networks remembered per service (for `rules --clients`). */
export const CLIENT_NETS = 8;

const KW = 6; // key: fam|proto<<8, address words x4, port
const V = 6; // doubles per service
const FIRST = 0, LAST = 1, PTO = 2, PFROM = 3, BTO = 4, BFROM = 5;
const EVIDENCE = ['syn-ack', 'data', 'reply'] as const;
/** Values folded in from open flows at snapshot time, per service: packets and bytes each way, last seen. */
const LV = 5;

/**
 * Per-flow state bits (one byte per flow id, shared by the service inventory and the scan
 * detector): a packet of a flow whose byte has none of Fs.Slow set needs no work here.
 */
export const enum Fs {
  /** A scan attempt waits for its answer (ScanDetector). */
  Pending = 1,
  /** A TCP/UDP flow not tied to a service: look it up. */
  Lookup = 2,
  /** Bound, and the table has been full: touch the service (LRU) per packet. */
  Touch = 4,
  /** An ICMP(v6) error flow (its packets may quote a probe). */
  IcmpErr = 8,
  /** Tied to flowSvc[id] (counted per flow). */
  Bound = 16,
  /** Lookup, and the service was absent when `inserts` was negGen[id]. */
  Neg = 32,
  Slow = Pending | Lookup | Touch | IcmpErr,
}

export class ServiceInventory {
  readonly table: KeyTable;
  private readonly v: Float64Array;
  private readonly ev: Uint8Array;
  private readonly clients: DistinctSketches;
  /** Per service CLIENT_NETS networks of 2 words (IPv4: /24 prefix, 0; IPv6: first 64 bits). */
  private readonly nets: Uint32Array;
  /** Networks stored; CLIENT_NETS + 1 = overflowed. */
  private readonly netN: Uint8Array;

  /** Incremented each time an id is (re)used, so flow caches can tell a stale id. */
  private readonly gen: Uint32Array;
  /** Per flow id: the service it is bound to and that service's gen (valid with Fs.Bound). */
  private readonly flowSvc: Int32Array;
  private readonly flowGen: Uint32Array;
  /** Per flow id: `inserts` when its service was last looked up and absent (Fs.Neg). */
  private readonly negGen: Uint32Array;
  /** Services inserted so far (a flow's negative lookup stays valid while this is unchanged). */
  private inserts = 0;
  /** The table has been full: bound flows touch their service per packet (see the top). */
  private precise = false;
  private readonly rec = new FlowRecord();
  /** Scratch for snapshots: values of open flows per service (LV doubles each). */
  private live: Float64Array | null = null;

  /**
   * `flows`: the table whose flow ids the caller passes (counts are read from it); `fs`: the
   * per-flow state bytes (see Fs), shared with the scan detector.
   */
  constructor(
    readonly capacity = DEFAULT_MAX_SERVICES,
    private readonly flows: FlowTable | null = null,
    readonly fs: Uint8Array = new Uint8Array(flows === null ? 0 : flows.table.capacity),
  ) {
    this.table = new KeyTable(capacity, KW, true);
    this.gen = new Uint32Array(capacity);
    // an evicted id is stale at once (before it is reused), for the flows bound to it
    this.table.onEvict = (id) => this.gen[id]++;
    const flowCapacity = flows === null ? 0 : fs.length;
    this.flowSvc = new Int32Array(flowCapacity);
    this.flowGen = new Uint32Array(flowCapacity);
    this.negGen = new Uint32Array(flowCapacity);
    this.v = new Float64Array(capacity * V);
    this.ev = new Uint8Array(capacity);
    this.clients = new DistinctSketches(capacity);
    this.nets = new Uint32Array(capacity * CLIENT_NETS * 2);
    this.netN = new Uint8Array(capacity);
  }

  private addNet(id: number, fam: number, a: Uint32Array, o: number): void {
    const n = this.netN[id];
    if (n > CLIENT_NETS) return;
    const w0 = fam === 4 ? (a[o] & 0xffffff00) >>> 0 : a[o];
    const w1 = fam === 4 ? 0 : a[o + 1];
    const base = id * CLIENT_NETS * 2;
    for (let i = 0; i < n; i++) if (this.nets[base + 2 * i] === w0 && this.nets[base + 2 * i + 1] === w1) return;
    if (n === CLIENT_NETS) {
      this.netN[id] = CLIENT_NETS + 1;
      return;
    }
    this.nets[base + 2 * n] = w0;
    this.nets[base + 2 * n + 1] = w1;
    this.netN[id] = n + 1;
  }

  get evicted(): number {
    return this.table.evictions;
  }

  private find(fam: number, proto: number, a: Uint32Array, o: number, port: number): number {
    const k = this.table.probe;
    k[0] = fam | (proto << 8);
    k[1] = a[o];
    k[2] = a[o + 1];
    k[3] = a[o + 2];
    k[4] = a[o + 3];
    k[5] = port;
    return this.table.find(this.hash());
  }

  private hash(): number {
    const k = this.table.probe;
    let h = Math.imul(k[0] ^ 0x2545f491, 0x9e3779b1);
    for (let i = 1; i < KW; i++) h = Math.imul(((h << 5) | (h >>> 27)) ^ k[i], 0x85ebca6b);
    return mix32(h >>> 0);
  }

  /**
   * A TCP/UDP packet of flow `flowId` that the per-flow state could not settle (see Fs.Slow).
   * Returns true when it is done: the flow is bound (counted per flow) or its service is known to
   * be absent and this packet cannot create it; otherwise the caller loads the addresses and
   * calls observe().
   */
  cached(p: PacketInfo, flowId: number, created: boolean, fromOrig: boolean, clock: Float64Array): boolean {
    const fs = this.fs;
    if (flowId >= fs.length) return false;
    if (created) return false; // (the caller reset its state: Fs.Lookup)
    const st = fs[flowId];
    if ((st & Fs.Bound) !== 0) {
      const id = this.flowSvc[flowId];
      if (this.gen[id] === this.flowGen[flowId]) {
        this.v[id * V + LAST] = clock[0];
        this.table.touch(id);
        return true;
      }
      // the service was evicted: what the flow counted since is dropped with it
      fs[flowId] = (st & ~(Fs.Bound | Fs.Touch | Fs.Neg)) | Fs.Lookup;
      return false;
    }
    if ((st & Fs.Neg) !== 0 && this.negGen[flowId] === this.inserts) {
      // absent: only a reply with evidence creates it (see observe)
      if (fromOrig) return true;
      if (p.ipProto === 6) {
        const f = p.tcpFlags & 0x17;
        return f !== 0x12 && ((f & 0x06) !== 0 || p.payloadLen === 0);
      }
      return false;
    }
    return false;
  }

  /** A packet of bound flow `flowId` older than the clock: the service was last seen at the clock. */
  late(flowId: number, clock: Float64Array): void {
    this.v[this.flowSvc[flowId] * V + LAST] = clock[0];
  }

  /** Flow `flowId` ends (before the flow table clears it): adds its counts to its service. */
  flowEnded(flowId: number): void {
    const fs = this.fs;
    if (flowId >= fs.length) return;
    const st = fs[flowId];
    if ((st & Fs.Bound) === 0) return;
    fs[flowId] = st & ~(Fs.Bound | Fs.Touch | Fs.Neg | Fs.Lookup);
    const id = this.flowSvc[flowId];
    if (this.gen[id] !== this.flowGen[flowId] || this.flows === null) return;
    const r = this.rec;
    this.flows.readFlow(flowId, r);
    const b = id * V;
    const v = this.v;
    v[b + PTO] += r.origPkts;
    v[b + PFROM] += r.respPkts;
    v[b + BTO] += r.origFrameBytes;
    v[b + BFROM] += r.respFrameBytes;
    if (r.lastUs > v[b + LAST]) v[b + LAST] = r.lastUs;
    this.table.touch(id);
  }

  /** Ties flow `flowId` to service `id` after counting its current packet (see the top). */
  private bind(flowId: number, id: number): void {
    const fs = this.fs;
    if (flowId >= fs.length) return;
    this.flowSvc[flowId] = id;
    this.flowGen[flowId] = this.gen[id];
    fs[flowId] = (fs[flowId] & ~(Fs.Lookup | Fs.Neg)) | Fs.Bound | (this.precise ? Fs.Touch : 0);
    if (this.flows === null) return;
    const r = this.rec;
    this.flows.readFlow(flowId, r);
    const b = id * V;
    const v = this.v;
    v[b + PTO] -= r.origPkts;
    v[b + PFROM] -= r.respPkts;
    v[b + BTO] -= r.origFrameBytes;
    v[b + BFROM] -= r.respFrameBytes;
  }

  /**
   * The table is full and an insert will evict its LRU tail for the first time: bring the LRU
   * order up to date (services of open flows, in the flow table's order) and touch per packet
   * from now on.
   */
  private goPrecise(): void {
    this.precise = true;
    const flows = this.flows;
    if (flows === null) return;
    const ids: number[] = [];
    flows.table.forEach((f) => ids.push(f));
    const fs = this.fs;
    for (let i = ids.length - 1; i >= 0; i--) {
      const f = ids[i];
      if (f >= fs.length || (fs[f] & Fs.Bound) === 0) continue;
      fs[f] |= Fs.Touch;
      const id = this.flowSvc[f];
      if (this.gen[id] === this.flowGen[f]) this.table.touch(id);
    }
  }

  /**
   * One TCP/UDP packet of flow `flowId`. `created`: this packet started the flow; `fromOrig`: it
   * came from the flow's originator. `a` holds the addresses (see ./addr), `ts` lives in clock[0].
   */
  observe(p: PacketInfo, fam: number, a: Uint32Array, flowId: number, created: boolean, fromOrig: boolean, clock: Float64Array): void {
    const proto = p.ipProto;
    let id: number;
    let server: number;
    if (fromOrig) {
      // towards a possible server: count it when that server is known
      id = this.find(fam, proto, a, DST, p.dstPort);
      if (id < 0) {
        this.absent(flowId);
        return;
      }
      server = DST;
    } else {
      id = this.find(fam, proto, a, SRC, p.srcPort);
      server = SRC;
      if (id < 0) {
        let evidence = -1;
        if (proto === 6) {
          const f = p.tcpFlags & 0x17;
          if (f === 0x12) evidence = 0;
          else if ((f & 0x06) === 0 && p.payloadLen > 0 && !created) evidence = 1;
        } else if (!created) evidence = 2;
        if (evidence < 0) {
          this.absent(flowId);
          return;
        }
        if (!this.precise && this.table.size === this.capacity) this.goPrecise();
        id = this.table.insert(this.hash());
        if (id < 0) return;
        this.inserts = (this.inserts + 1) >>> 0;
        this.gen[id]++;
        const b = id * V;
        this.v[b + FIRST] = clock[0];
        this.v[b + PTO] = this.v[b + PFROM] = this.v[b + BTO] = this.v[b + BFROM] = 0;
        this.ev[id] = evidence;
        this.clients.clear(id);
        this.netN[id] = 0;
      } else this.table.touch(id);
    }
    const b = id * V;
    this.v[b + LAST] = clock[0];
    if (server === DST) {
      this.v[b + PTO]++;
      this.v[b + BTO] += p.wireLen;
      this.clients.add(id, hashAt(fam, a, SRC));
      this.addNet(id, fam, a, SRC);
    } else {
      this.v[b + PFROM]++;
      this.v[b + BFROM] += p.wireLen;
      this.clients.add(id, hashAt(fam, a, DST));
      this.addNet(id, fam, a, DST);
    }
    if (flowId >= 0) this.bind(flowId, id);
  }

  /** Flow `flowId`'s service is not in the table (until the next insert). */
  private absent(flowId: number): void {
    if (flowId < 0 || flowId >= this.fs.length) return;
    this.fs[flowId] |= Fs.Neg;
    this.negGen[flowId] = this.inserts;
  }

  /**
   * Per service, what the open flows add (LV values each), or null when the inventory is not
   * counted per flow. snapshot() zeroes each entry as it reads it.
   */
  private foldLive(): Float64Array | null {
    const flows = this.flows;
    if (flows === null) return null;
    const live = (this.live ??= new Float64Array(this.capacity * LV));
    const fs = this.fs;
    const r = this.rec;
    flows.table.forEach((f) => {
      if (f >= fs.length || (fs[f] & Fs.Bound) === 0) return;
      const id = this.flowSvc[f];
      if (this.gen[id] !== this.flowGen[f]) return;
      flows.readFlow(f, r);
      const o = id * LV;
      live[o] += r.origPkts;
      live[o + 1] += r.respPkts;
      live[o + 2] += r.origFrameBytes;
      live[o + 3] += r.respFrameBytes;
      if (r.lastUs > live[o + 4]) live[o + 4] = r.lastUs;
    });
    return live;
  }

  private netTexts(id: number, fam: number): string[] {
    const out: string[] = [];
    const n = Math.min(this.netN[id], CLIENT_NETS);
    const base = id * CLIENT_NETS * 2;
    for (let i = 0; i < n; i++) {
      const w0 = this.nets[base + 2 * i];
      const w1 = this.nets[base + 2 * i + 1];
      out.push(fam === 4 ? `${addrText(4, w0, 0, 0, 0)}/24` : `${addrText(6, w0, w1, 0, 0)}/64`);
    }
    return out.sort();
  }

  snapshot(): ServiceRow[] {
    const rows: ServiceRow[] = [];
    const keys = this.table.keys;
    const live = this.foldLive();
    this.table.forEach((id) => {
      const k = id * KW;
      const fam = keys[k] & 0xff;
      const proto = keys[k] >>> 8 === 6 ? 'tcp' : 'udp';
      const port = keys[k + 5];
      const b = id * V;
      const v = this.v;
      const o = id * LV;
      const pto = v[b + PTO] + (live === null ? 0 : live[o]);
      const pfrom = v[b + PFROM] + (live === null ? 0 : live[o + 1]);
      const bto = v[b + BTO] + (live === null ? 0 : live[o + 2]);
      const bfrom = v[b + BFROM] + (live === null ? 0 : live[o + 3]);
      const last = live === null ? v[b + LAST] : Math.max(v[b + LAST], live[o + 4]);
      if (live !== null) live.fill(0, o, o + LV);
      rows.push({
        host: textAt(fam, keys, k + 1),
        proto,
        port,
        service: serviceOf(proto, port).service,
        firstSeen: microsToSeconds(v[b + FIRST]),
        lastSeen: microsToSeconds(last),
        clients: this.clients.count(id),
        clientsExact: this.clients.isExact(id),
        packets: pto + pfrom,
        bytes: bto + bfrom,
        packetsTo: pto,
        packetsFrom: pfrom,
        bytesTo: bto,
        bytesFrom: bfrom,
        evidence: EVIDENCE[this.ev[id]],
        clientSketch: this.clients.export(id),
        clientNets: this.netTexts(id, fam),
        clientNetsComplete: this.netN[id] <= CLIENT_NETS,
      });
    });
    return sortServices(rows);
  }
}

/** Order: host, protocol, port (stable output for diffs and rules). */
export function sortServices(rows: ServiceRow[]): ServiceRow[] {
  return rows.sort((x, y) => (x.host < y.host ? -1 : x.host > y.host ? 1 : x.proto < y.proto ? -1 : x.proto > y.proto ? 1 : x.port - y.port));
}

/** Merges service rows of several profiles (same host, proto, port): sums, min/max times, client sketches. */
export function mergeServices(lists: ServiceRow[][]): ServiceRow[] {
  const groups = new Map<string, ServiceRow[]>();
  for (const l of lists) for (const s of l) {
    const key = `${s.host}|${s.proto}|${s.port}`;
    const g = groups.get(key);
    if (g) g.push(s);
    else groups.set(key, [s]);
  }
  const sk = new DistinctSketches(1);
  const out: ServiceRow[] = [];
  for (const g of groups.values()) {
    const o: ServiceRow = { ...g[0] };
    sk.clear(0);
    let ok = true;
    let sum = 0;
    for (let i = 1; i < g.length; i++) {
      const s = g[i];
      o.firstSeen = Math.min(o.firstSeen, s.firstSeen);
      o.lastSeen = Math.max(o.lastSeen, s.lastSeen);
      o.packets += s.packets;
      o.bytes += s.bytes;
      o.packetsTo += s.packetsTo;
      o.packetsFrom += s.packetsFrom;
      o.bytesTo += s.bytesTo;
      o.bytesFrom += s.bytesFrom;
    }
    for (const s of g) {
      sum += s.clients;
      if (!ok || typeof s.clientSketch !== 'string' || !sk.mergeExported(0, s.clientSketch)) ok = false;
    }
    o.clients = ok ? sk.count(0) : sum;
    o.clientsExact = ok && sk.isExact(0);
    o.clientSketch = ok ? sk.export(0) : '';
    const nets = new Set<string>();
    let complete = true;
    for (const s of g) {
      if (Array.isArray(s.clientNets)) for (const n of s.clientNets) nets.add(n);
      if (s.clientNetsComplete !== true) complete = false;
    }
    o.clientNets = [...nets].sort().slice(0, CLIENT_NETS);
    o.clientNetsComplete = complete && nets.size <= CLIENT_NETS;
    out.push(o);
  }
  return sortServices(out);
}
