// Hosts (IPv4 and IPv6 addresses) and LAN stations (MAC addresses, IPTraf's station monitor).
//
// Both are bounded KeyTables that never evict: a host id stays valid for the whole run, so the
// flow table can keep the ids of its two hosts and count per packet by array index. When a table
// is full, further addresses are not tracked and their packets are counted in `untracked*`.
import { type PacketInfo } from '../../decoders/packet-info';
import { KeyTable } from './key-table';
import { DistinctSketches, hashIpv4, hashIpv6, mix32 } from './sketch';
import { addrText, macText } from './addr';
import { selectTop } from './topn';
import { withLiveFlows } from './ports';

export const DEFAULT_MAX_HOSTS = 131072;
export const DEFAULT_MAX_STATIONS = 65536;

export interface HostRow {
  family: 4 | 6;
  address: string;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  peers: number;
  /** Distinct (protocol, port) pairs on which the host answered as a server. */
  portsServed: number;
  /** Distinct (protocol, port) pairs the host used as a client. */
  portsUsed: number;
  peerSketch: string;
  servedSketch: string;
  usedSketch: string;
  firstSeenUs: number;
  lastSeenUs: number;
}

/** Hash of a (protocol index, port) pair for the served/used sketches. */
export function portHash(protoIndex: number, port: number): number {
  return mix32(((protoIndex << 16) | port) ^ 0x27d4eb2f);
}

// Per host, one cache line: [packetsIn, packetsOut, bytesIn, bytesOut, firstUs, lastUs, -, -].
const H = 8;
const PI = 0, PO = 1, BI = 2, BO = 3, FIRST = 4, LAST = 5;

export class HostStats {
  readonly table: KeyTable;
  readonly v: Float64Array;
  /** Hash of each host's address (its peer hash in other sketches). */
  readonly addrHash: Uint32Array;
  readonly peers: DistinctSketches;
  readonly served: DistinctSketches;
  readonly used: DistinctSketches;
  /** Packets (per direction) whose host could not be tracked because the table was full. */
  untrackedPackets = 0;

  constructor(readonly capacity = DEFAULT_MAX_HOSTS) {
    this.table = new KeyTable(capacity, 5, false);
    this.v = new Float64Array(capacity * H);
    this.addrHash = new Uint32Array(capacity);
    this.peers = new DistinctSketches(capacity);
    this.served = new DistinctSketches(capacity);
    this.used = new DistinctSketches(capacity);
  }

  /** Id of an IPv4 host (created on first sight), -1 when the table is full. */
  id4(a: number): number {
    const t = this.table;
    const pr = t.probe;
    pr[0] = 4;
    pr[1] = a;
    pr[2] = 0;
    pr[3] = 0;
    pr[4] = 0;
    const h = hashIpv4(a);
    const id = t.find(h);
    return id >= 0 ? id : this.created(t.insert(h), h);
  }

  /** Id of an IPv6 host from its 16 address bytes at `off`, -1 when the table is full. */
  id6(b: Uint8Array, off: number): number {
    const w0 = ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
    const w1 = ((b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 0;
    const w2 = ((b[off + 8] << 24) | (b[off + 9] << 16) | (b[off + 10] << 8) | b[off + 11]) >>> 0;
    const w3 = ((b[off + 12] << 24) | (b[off + 13] << 16) | (b[off + 14] << 8) | b[off + 15]) >>> 0;
    return this.id6w(w0, w1, w2, w3);
  }

  id6w(w0: number, w1: number, w2: number, w3: number): number {
    const t = this.table;
    const pr = t.probe;
    pr[0] = 6;
    pr[1] = w0;
    pr[2] = w1;
    pr[3] = w2;
    pr[4] = w3;
    const h = hashIpv6(w0, w1, w2, w3);
    const id = t.find(h);
    return id >= 0 ? id : this.created(t.insert(h), h);
  }

  /** Id of the host whose address words are k[off .. off+3] (family 4: k[off] only). */
  idAt(fam: number, k: Uint32Array, off: number): number {
    const t = this.table;
    const pr = t.probe;
    pr[0] = fam;
    pr[1] = k[off];
    pr[2] = fam === 4 ? 0 : k[off + 1];
    pr[3] = fam === 4 ? 0 : k[off + 2];
    pr[4] = fam === 4 ? 0 : k[off + 3];
    const h = fam === 4 ? hashIpv4(pr[1]) : hashIpv6(pr[1], pr[2], pr[3], pr[4]);
    const id = t.find(h);
    return id >= 0 ? id : this.created(t.insert(h), h);
  }

  private created(id: number, h: number): number {
    if (id >= 0) this.addrHash[id] = h;
    return id;
  }

  /** Counts packet `p` as sent by host `id` (-1: untracked). */
  out(id: number, p: PacketInfo): void {
    if (id < 0) {
      this.untrackedPackets++;
      return;
    }
    const len = p.wireLen;
    const ts = p.tsSec * 1e6 + Math.floor(p.tsNsec / 1000); // a local double: never passed on
    const o = id * H;
    const v = this.v;
    v[o + PO]++;
    v[o + BO] += len;
    if (v[o + FIRST] === 0 || ts < v[o + FIRST]) v[o + FIRST] = ts;
    if (ts > v[o + LAST]) v[o + LAST] = ts;
  }

  /** Counts packet `p` as received by host `id` (-1: untracked). */
  in(id: number, p: PacketInfo): void {
    if (id < 0) {
      this.untrackedPackets++;
      return;
    }
    const len = p.wireLen;
    const ts = p.tsSec * 1e6 + Math.floor(p.tsNsec / 1000);
    const o = id * H;
    const v = this.v;
    v[o + PI]++;
    v[o + BI] += len;
    if (v[o + FIRST] === 0 || ts < v[o + FIRST]) v[o + FIRST] = ts;
    if (ts > v[o + LAST]) v[o + LAST] = ts;
  }

  /**
   * Adds a whole flow's packets to its two hosts (ids -1: untracked, counted per packet by the
   * caller): `x` = [origPkts, respPkts, origBytes, respBytes, startUs, lastUs]. Into `v`.
   */
  foldFlow(v: Float64Array, hostO: number, hostR: number, x: Float64Array): void {
    for (let k = 0; k < 2; k++) {
      const id = k === 0 ? hostO : hostR;
      if (id < 0) continue;
      const o = id * H;
      // the originator sends x[0] packets / x[2] bytes and receives x[1] / x[3]
      v[o + PO] += x[k];
      v[o + BO] += x[2 + k];
      v[o + PI] += x[1 - k];
      v[o + BI] += x[3 - k];
      if (v[o + FIRST] === 0 || x[4] < v[o + FIRST]) v[o + FIRST] = x[4];
      if (x[5] > v[o + LAST]) v[o + LAST] = x[5];
    }
  }

  /** See PortStats.liveFold. */
  liveFold: ((v: Float64Array) => void) | null = null;

  /** Counts an IP packet that belongs to no flow (a non-first fragment): looks both hosts up. */
  addUnflowed(p: PacketInfo, data: Uint8Array): void {
    let s: number;
    let d: number;
    if (p.ipVersion === 4) {
      s = this.id4(p.src4);
      d = this.id4(p.dst4);
    } else if (p.ipVersion === 6 && p.src6Off >= 0 && p.dst6Off >= 0) {
      s = this.id6(data, p.src6Off);
      d = this.id6(data, p.dst6Off);
    } else return;
    this.out(s, p);
    this.in(d, p);
  }

  /** The counters with the flows still open folded in (a copy when there are any). */
  folded(into?: Float64Array): Float64Array {
    return withLiveFlows(this.v, this.liveFold, into);
  }

  /** Address text of host `id`. */
  addressOf(id: number): string {
    const k = this.table.keys;
    const b = id * 5;
    return addrText(k[b] as 4 | 6, k[b + 1], k[b + 2], k[b + 3], k[b + 4]);
  }

  /** The row of host `id` from counters `v` (from folded()), without sketches. */
  rowAt(v: Float64Array, id: number): HostRow {
    const o = id * H;
    return {
      family: this.table.keys[id * 5] as 4 | 6,
      address: this.addressOf(id),
      packetsIn: v[o + PI],
      packetsOut: v[o + PO],
      bytesIn: v[o + BI],
      bytesOut: v[o + BO],
      peers: this.peers.count(id),
      portsServed: this.served.count(id),
      portsUsed: this.used.count(id),
      peerSketch: '',
      servedSketch: '',
      usedSketch: '',
      firstSeenUs: v[o + FIRST],
      lastSeenUs: v[o + LAST],
    };
  }

  /**
   * The first `n` hosts of counters `v` (from folded()) by `key`: 'bytes' or 'packets' (in + out,
   * descending, ties by address text) or 'address' (family, then text). Rows for those n only.
   */
  topHosts(v: Float64Array, n: number, key: 'bytes' | 'packets' | 'address'): HostRow[] {
    const k = this.table.keys;
    const txt = (a: number, b: number): boolean => {
      const x = this.addressOf(a);
      const y = this.addressOf(b);
      return x < y || (x === y && a < b);
    };
    let before: (a: number, b: number) => boolean;
    if (key === 'address') {
      const text = new Map<number, string>();
      const t = (id: number): string => {
        let s = text.get(id);
        if (s === undefined) text.set(id, (s = this.addressOf(id)));
        return s;
      };
      before = (a, b) => k[a * 5] < k[b * 5] || (k[a * 5] === k[b * 5] && (t(a) < t(b) || (t(a) === t(b) && a < b)));
    } else {
      const f0 = key === 'bytes' ? BI : PI;
      const f1 = key === 'bytes' ? BO : PO;
      before = (a, b) => {
        const d = v[b * H + f0] + v[b * H + f1] - (v[a * H + f0] + v[a * H + f1]);
        return d < 0 || (d === 0 && txt(a, b));
      };
    }
    return selectTop(n, (visit) => this.table.forEach(visit), before).map((id) => this.rowAt(v, id));
  }

  /** Every host; the serialised sketches (for merging) only when `sketches`. */
  snapshot(sketches = true): HostRow[] {
    const rows: HostRow[] = [];
    const v = this.folded();
    this.table.forEach((id) => {
      const row = this.rowAt(v, id);
      if (sketches) {
        row.peerSketch = this.peers.export(id);
        row.servedSketch = this.served.export(id);
        row.usedSketch = this.used.export(id);
      }
      rows.push(row);
    });
    return rows;
  }
}

export interface StationRow {
  mac: string;
  packetsIn: number;
  packetsOut: number;
  ipPacketsIn: number;
  ipPacketsOut: number;
  bytesIn: number;
  bytesOut: number;
}

/** IPTraf's LAN station monitor: per MAC address, frames and bytes in and out, IP frames. */
// Per station: [packetsIn, packetsOut, ipIn, ipOut, bytesIn, bytesOut, -, -].
const S = 8;
const SIP_IN = 2, SIP_OUT = 3, SBI = 4, SBO = 5;
/** Entries of StationStats' lookup cache (a power of two). */
const STATION_CACHE = 1024;

export class StationStats {
  readonly table: KeyTable;
  readonly v: Float64Array;
  untrackedPackets = 0;
  // A direct-mapped cache in front of the table: a MAC seen recently is found with one index and
  // two compares, without hashing or probing. Ids are never removed, so a cached id stays valid.
  private readonly cacheHi = new Int32Array(STATION_CACHE).fill(-1);
  private readonly cacheLo = new Int32Array(STATION_CACHE);
  private readonly cacheId = new Int32Array(STATION_CACHE);

  constructor(readonly capacity = DEFAULT_MAX_STATIONS) {
    this.table = new KeyTable(capacity, 2, false);
    this.v = new Float64Array(capacity * S);
  }

  /** Looks up (or adds) the MAC at data[o .. o+6). Takes offsets, not the 32-bit halves: those
   * would be heap numbers when passed to a call. */
  private lookup(data: Uint8Array, o: number): number {
    const t = this.table;
    const hi = (data[o] << 8) | data[o + 1];
    const lo = (data[o + 2] << 24) | (data[o + 3] << 16) | (data[o + 4] << 8) | data[o + 5];
    t.probe[0] = hi;
    t.probe[1] = lo;
    const h = mix32(Math.imul(hi, 0x9e3779b1) ^ lo);
    const id = t.find(h);
    return id >= 0 ? id : t.insert(h);
  }

  /** Id of the station whose MAC is at data[o .. o+6) (-1: untracked), through the cache. */
  private idOf(data: Uint8Array, o: number): number {
    const hi = (data[o] << 8) | data[o + 1];
    const lo = (data[o + 2] << 24) | (data[o + 3] << 16) | (data[o + 4] << 8) | data[o + 5];
    const c = (lo ^ (lo >>> 10) ^ hi) & (STATION_CACHE - 1);
    if (this.cacheLo[c] === lo && this.cacheHi[c] === hi) return this.cacheId[c];
    const id = this.lookup(data, o);
    if (id >= 0) {
      this.cacheHi[c] = hi;
      this.cacheLo[c] = lo;
      this.cacheId[c] = id;
    }
    return id;
  }

  onPacket(p: PacketInfo, data: Uint8Array): void {
    const so = p.ethSrcOff;
    const isIp = p.ipVersion !== 0 ? 1 : 0;
    const len = p.wireLen;
    const v = this.v;
    if (so >= 0) {
      const id = this.idOf(data, so);
      if (id >= 0) {
        const o = id * S;
        v[o + PO]++;
        v[o + SIP_OUT] += isIp;
        v[o + SBO] += len;
      } else this.untrackedPackets++;
    }
    const d = p.ethDstOff;
    if (d >= 0) {
      const id = this.idOf(data, d);
      if (id >= 0) {
        const o = id * S;
        v[o + PI]++;
        v[o + SIP_IN] += isIp;
        v[o + SBI] += len;
      } else this.untrackedPackets++;
    }
  }

  snapshot(): StationRow[] {
    const rows: StationRow[] = [];
    const k = this.table.keys;
    this.table.forEach((id) => {
      const o = id * S;
      const v = this.v;
      rows.push({
        mac: macText(k[2 * id], k[2 * id + 1]),
        packetsIn: v[o + PI],
        packetsOut: v[o + PO],
        ipPacketsIn: v[o + SIP_IN],
        ipPacketsOut: v[o + SIP_OUT],
        bytesIn: v[o + SBI],
        bytesOut: v[o + SBO],
      });
    });
    return rows;
  }
}
