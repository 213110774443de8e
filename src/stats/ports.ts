// Per-port traffic of every TCP and UDP port: typed arrays indexed by (protocol, port).
//
// Counting rule: a packet counts once toward each distinct (proto, port) among its TCP/UDP source
// and destination ports (source == destination port counts once in the totals, and once in both
// "to" and "from"); bytes are frame wire lengths; packets without ports (non-first fragments,
// other protocols) count toward no port. Distinct peers (the address at the other end) are added
// by the flow table once per flow, which equals adding them per packet.
import { type PacketInfo } from '../../decoders/packet-info';
import { DistinctSketches } from './sketch';

export const PORT_PROTO_NAMES = ['tcp', 'udp'] as const;
export type PortProto = (typeof PORT_PROTO_NAMES)[number];
/** Index of a protocol's block in the port arrays: TCP 0, UDP 1. */
export const PortProtoIndex = { tcp: 0, udp: 1 } as const;

const N = 2 * 65536;

/** IANA range of a port number (RFC 6335). */
export function portClass(port: number): 'well-known' | 'registered' | 'dynamic' {
  return port <= 1023 ? 'well-known' : port <= 49151 ? 'registered' : 'dynamic';
}

export interface PortRow {
  proto: PortProto;
  port: number;
  packets: number;
  bytes: number;
  packetsTo: number;
  packetsFrom: number;
  bytesTo: number;
  bytesFrom: number;
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

  /** Records a peer address hash for (proto index, port). */
  addPeer(protoIndex: number, port: number, peerHash: number): void {
    this.peers.add(protoIndex * 65536 + port, peerHash);
  }

  /** Rows for every port that saw traffic, in (proto, port) order; sketches: '' unless asked for. */
  snapshot(sketches = true): PortRow[] {
    const rows: PortRow[] = [];
    const v = this.v;
    for (let i = 0; i < N; i++) {
      const o = i * STRIDE;
      if (v[o + PK] === 0) continue;
      rows.push({
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
      });
    }
    return rows;
  }
}
