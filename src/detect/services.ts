// Passive service inventory: every (host, protocol, port) seen serving, after Zeek's
// known_services rule: a TCP SYN-ACK from the port, or data sent by the responder of a connection;
// a UDP packet from the responder of a flow whose originator sent first. Counted from then on:
// packets and bytes both ways, distinct clients, first and last seen.
//
// A bounded KeyTable (LRU eviction under floods, counted in `evicted`); values in typed arrays,
// nothing allocated per packet. Text (addresses, IANA names) only at snapshot time.
import type { PacketInfo } from '../../decoders/packet-info';
import { KeyTable } from '../stats/key-table';
import { DistinctSketches, mix32 } from '../stats/sketch';
import { hashAt, textAt, SRC, DST } from './addr';
import { serviceOf } from '../report/services';
import { microsToSeconds } from '../stats/time';
import { addrText } from '../stats/addr';

export const DEFAULT_MAX_SERVICES = 65536;

export interface ServiceRow {
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
  /** Packets and wire bytes to and from the service since it was first seen serving. */
  packets: number;
  bytes: number;
  packetsTo: number;
  packetsFrom: number;
  bytesTo: number;
  bytesFrom: number;
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
  /** Per flow id: the service it talks to (-1 unknown) and that service's gen. */
  private readonly flowSvc: Int32Array;
  private readonly flowGen: Uint32Array;

  constructor(readonly capacity = DEFAULT_MAX_SERVICES, flowCapacity = 0) {
    this.table = new KeyTable(capacity, KW, true);
    this.gen = new Uint32Array(capacity);
    this.flowSvc = new Int32Array(flowCapacity).fill(-1);
    this.flowGen = new Uint32Array(flowCapacity);
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
   * Fast path for a packet of a flow already tied to a known service: counts it and returns true.
   * Otherwise returns false and the caller loads the addresses and calls observe().
   */
  cached(p: PacketInfo, flowId: number, created: boolean, fromOrig: boolean, clock: Float64Array): boolean {
    if (flowId >= this.flowSvc.length) return false;
    if (created) {
      this.flowSvc[flowId] = -1;
      return false;
    }
    const id = this.flowSvc[flowId];
    if (id < 0 || this.gen[id] !== this.flowGen[flowId]) return false;
    const b = id * V;
    this.v[b + LAST] = clock[0];
    if (fromOrig) {
      this.v[b + PTO]++;
      this.v[b + BTO] += p.wireLen;
    } else {
      this.v[b + PFROM]++;
      this.v[b + BFROM] += p.wireLen;
    }
    this.table.touch(id);
    return true;
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
      if (id < 0) return;
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
        if (evidence < 0) return;
        id = this.table.insert(this.hash());
        if (id < 0) return;
        this.gen[id]++;
        const b = id * V;
        this.v[b + FIRST] = clock[0];
        this.v[b + PTO] = this.v[b + PFROM] = this.v[b + BTO] = this.v[b + BFROM] = 0;
        this.ev[id] = evidence;
        this.clients.clear(id);
        this.netN[id] = 0;
      } else this.table.touch(id);
    }
    if (flowId >= 0 && flowId < this.flowSvc.length) {
      this.flowSvc[flowId] = id;
      this.flowGen[flowId] = this.gen[id];
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
    this.table.forEach((id) => {
      const k = id * KW;
      const fam = keys[k] & 0xff;
      const proto = keys[k] >>> 8 === 6 ? 'tcp' : 'udp';
      const port = keys[k + 5];
      const b = id * V;
      rows.push({
        host: textAt(fam, keys, k + 1),
        proto,
        port,
        service: serviceOf(proto, port).service,
        firstSeen: microsToSeconds(this.v[b + FIRST]),
        lastSeen: microsToSeconds(this.v[b + LAST]),
        clients: this.clients.count(id),
        clientsExact: this.clients.isExact(id),
        packets: this.v[b + PTO] + this.v[b + PFROM],
        bytes: this.v[b + BTO] + this.v[b + BFROM],
        packetsTo: this.v[b + PTO],
        packetsFrom: this.v[b + PFROM],
        bytesTo: this.v[b + BTO],
        bytesFrom: this.v[b + BFROM],
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
