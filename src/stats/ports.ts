// Per-port traffic of every TCP and UDP port: typed arrays indexed by (protocol, port).
//
// Counting rule: a packet counts once toward each distinct (proto, port) among its TCP/UDP source
// and destination ports (source == destination port counts once in the totals, and once in both
// "to" and "from"); bytes are frame wire lengths; packets without ports (non-first fragments,
// other protocols) count toward no port. Distinct peers (the address at the other end) are added
// by the flow table once per flow, which equals adding them per packet. Inside TrafficStats the
// counters are not updated per packet either: the flow table folds each flow's totals in when the
// flow ends (foldFlow) and snapshots add the flows still open (liveFold). Same numbers, two fewer
// random memory writes per packet.
import { type PacketInfo } from '../../decoders/packet-info';
import { DistinctSketches } from './sketch';
import { selectTop } from './topn';

export const PORT_PROTO_NAMES = ['tcp', 'udp'] as const;
export type PortProto = (typeof PORT_PROTO_NAMES)[number];
/** Index of a protocol's block in the port arrays: TCP 0, UDP 1. */
export const PortProtoIndex = { tcp: 0, udp: 1 } as const;

const N = 2 * 65536;

/** IANA range of a port number (RFC 6335). */
export function portClass(port: number): 'well-known' | 'registered' | 'dynamic' {
  return port <= 1023 ? 'well-known' : port <= 49151 ? 'registered' : 'dynamic';
}

/** Packets and wire bytes in all and each way: to the port or service (destination) and from it. */
export interface ToFromCounts {
  packets: number;
  bytes: number;
  packetsTo: number;
  packetsFrom: number;
  bytesTo: number;
  bytesFrom: number;
}

export interface PortRow extends ToFromCounts {
  proto: PortProto;
  port: number;
  /** Distinct peer addresses (exact when peersExact). */
  peers: number;
  peersExact: boolean;
  /** Serialised peer sketch (see DistinctSketches.export), for merging. */
  peerSketch: string;
  /** Epoch microseconds. */
  firstSeenUs: number;
  lastSeenUs: number;
}

// One cache line of counters per (proto, port): [packets, bytes, packetsTo, packetsFrom, bytesTo,
// bytesFrom, firstUs, lastUs].
const STRIDE = 8;
const PK = 0, BY = 1, PT = 2, PF = 3, BT = 4, BF = 5, FIRST = 6, LAST = 7;
/**
 * Layout of PortStats.v for readers that scan it without building rows (the Prometheus exporter at
 * scrape time): entry (protoIndex * 65536 + port) * PORT_STRIDE + PortField.x.
 */
export const PORT_STRIDE = STRIDE;
export const PortField = { packets: PK, bytes: BY, packetsTo: PT, packetsFrom: PF, bytesTo: BT, bytesFrom: BF } as const;

/**
 * Counters `v` with the flows still open added by `liveFold` (PortStats, HostStats): `v` itself
 * when nothing folds, else a copy, in `into` when it is a reused buffer of the same length (saves
 * allocating one per snapshot).
 */
export function withLiveFlows(v: Float64Array, liveFold: ((v: Float64Array) => void) | null, into?: Float64Array): Float64Array {
  if (liveFold === null) return v;
  let out: Float64Array;
  if (into !== undefined && into.length === v.length) (out = into).set(v);
  else out = v.slice();
  liveFold(out);
  return out;
}

export class PortStats {
  readonly v = new Float64Array(N * STRIDE);
  readonly peers = new DistinctSketches(N);

  /** Counts one packet (no-op when it carries no TCP/UDP ports). */
  add(p: PacketInfo): void {
    const sp = p.srcPort;
    if (sp < 0) return;
    const proto = p.ipProto;
    let base: number;
    if (proto === 6) base = 0;
    else if (proto === 17) base = 65536;
    else return;
    const len = p.wireLen;
    // (a double: computed here, never passed to a call, so nothing is allocated)
    const ts = p.tsSec * 1e6 + Math.floor(p.tsNsec / 1000);
    const v = this.v;
    const s = (base + sp) * STRIDE;
    const d = (base + p.dstPort) * STRIDE;
    v[s + PF]++;
    v[s + BF] += len;
    v[d + PT]++;
    v[d + BT] += len;
    // totals once per distinct port
    for (let o = s, k = 0; k < 2; k++, o = d) {
      if (k === 1 && d === s) break;
      if (v[o + PK] === 0 || ts < v[o + FIRST]) v[o + FIRST] = ts;
      if (ts > v[o + LAST]) v[o + LAST] = ts;
      v[o + PK]++;
      v[o + BY] += len;
    }
  }

  /**
   * Adds a whole flow's packets, as add() would have counted them one by one: `x` holds
   * [origPkts, respPkts, origBytes, respBytes, startUs, lastUs] (doubles in a typed array: no
   * allocation); the originator's packets go from portO to portR. Into `v` (this.v, or a copy).
   */
  foldFlow(v: Float64Array, protoIndex: number, portO: number, portR: number, x: Float64Array): void {
    const so = (protoIndex * 65536 + portO) * STRIDE;
    const sr = (protoIndex * 65536 + portR) * STRIDE;
    v[so + PF] += x[0];
    v[so + BF] += x[2];
    v[sr + PT] += x[0];
    v[sr + BT] += x[2];
    v[sr + PF] += x[1];
    v[sr + BF] += x[3];
    v[so + PT] += x[1];
    v[so + BT] += x[3];
    for (let o = so, k = 0; k < 2; k++, o = sr) {
      if (k === 1 && sr === so) break;
      if (v[o + PK] === 0 || x[4] < v[o + FIRST]) v[o + FIRST] = x[4];
      if (x[5] > v[o + LAST]) v[o + LAST] = x[5];
      v[o + PK] += x[0] + x[1];
      v[o + BY] += x[2] + x[3];
    }
  }

  /**
   * Set by a flow table that counts ports per flow (TrafficStats): adds the flows still in the
   * table to a copy of the counters, so a snapshot sees every packet.
   */
  liveFold: ((v: Float64Array) => void) | null = null;

  /** Records a peer address hash for (proto index, port). */
  addPeer(protoIndex: number, port: number, peerHash: number): void {
    this.peers.add(protoIndex * 65536 + port, peerHash);
  }

  /**
   * The counters with the flows still open folded in (a copy when there are any): what snapshot()
   * reads. Entry (protoIndex * 65536 + port) * PORT_STRIDE + PortField.x.
   */
  folded(into?: Float64Array): Float64Array {
    return withLiveFlows(this.v, this.liveFold, into);
  }

  /** The row of entry i (protoIndex * 65536 + port) of counters `v` (from folded()). */
  rowAt(v: Float64Array, i: number, sketches = false): PortRow {
    const o = i * STRIDE;
    return {
      proto: PORT_PROTO_NAMES[i >>> 16],
      port: i & 0xffff,
      packets: v[o + PK],
      bytes: v[o + BY],
      packetsTo: v[o + PT],
      packetsFrom: v[o + PF],
      bytesTo: v[o + BT],
      bytesFrom: v[o + BF],
      peers: this.peers.count(i),
      peersExact: this.peers.isExact(i),
      peerSketch: sketches ? this.peers.export(i) : '',
      firstSeenUs: v[o + FIRST],
      lastSeenUs: v[o + LAST],
    };
  }

  /**
   * The first `n` active ports of counters `v` (from folded()) in the order of `key`, ties by
   * (proto, port): 'packets' (then bytes), 'bytes', 'rate' (`rates[i]` descending, then bytes) or
   * 'port'; only TCP or UDP when `proto` says so. Rows are built for those n only.
   */
  topPorts(v: Float64Array, n: number, key: 'packets' | 'bytes' | 'rate' | 'port', proto: 'all' | 'tcp' | 'udp' = 'all', rates: Float64Array | null = null): PortRow[] {
    const lo = proto === 'udp' ? 65536 : 0;
    const hi = proto === 'tcp' ? 65536 : N;
    const each = (visit: (i: number) => void): void => {
      for (let i = lo; i < hi; i++) if (v[i * STRIDE + PK] !== 0) visit(i);
    };
    const by = (a: number, b: number, f: number): number => v[b * STRIDE + f] - v[a * STRIDE + f];
    let before: (a: number, b: number) => boolean;
    if (key === 'port') before = (a, b) => a < b;
    else if (key === 'bytes') before = (a, b) => { const d = by(a, b, BY); return d < 0 || (d === 0 && a < b); };
    else if (key === 'rate' && rates !== null) before = (a, b) => { const d = rates[b] - rates[a] || by(a, b, BY); return d < 0 || (d === 0 && a < b); };
    else before = (a, b) => { const d = by(a, b, PK) || by(a, b, BY); return d < 0 || (d === 0 && a < b); };
    return selectTop(n, each, before).map((i) => this.rowAt(v, i));
  }

  /** Active TCP and UDP ports of counters `v` (from folded()). */
  activeCounts(v: Float64Array): { tcp: number; udp: number } {
    let tcp = 0;
    let udp = 0;
    for (let i = 0; i < N; i++) if (v[i * STRIDE + PK] !== 0) i < 65536 ? tcp++ : udp++;
    return { tcp, udp };
  }

  /** Rows for every port that saw traffic, in (proto, port) order; sketches: '' unless asked for. */
  snapshot(sketches = true): PortRow[] {
    const rows: PortRow[] = [];
    const v = this.folded();
    for (let i = 0; i < N; i++) if (v[i * STRIDE + PK] !== 0) rows.push(this.rowAt(v, i, sketches));
    return rows;
  }
}
