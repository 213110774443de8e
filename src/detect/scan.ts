// Scan detection: vertical port scans (one scanner, one target, many ports) and horizontal address
// scans (one scanner, many targets), with the probe technique (SYN, CONNECT, FIN, NULL, XMAS, ACK,
// UDP, PING, MIXED).
//
// Attempts. Every flow's first packet that is a probe (a TCP SYN, FIN, NULL, XMAS or bare ACK; any
// UDP datagram) is an attempt by its sender on (target, proto, port). Its outcome is the flow's
// first packet back: a SYN-ACK, data or a UDP reply is a success; a RST is a negative answer; an
// ICMP/ICMPv6 unreachable quoting the probe is a negative answer; nothing within `timeoutSec`
// (packet time) counts as "no answer". Negative answers and no answers are failures, as in Snort's
// sfPortscan "priority" counters and Zeek's scan script (S0/REJ attempts).
//
// Ping sweeps. An ICMP echo request (IPv4 type 8, ICMPv6 128) that starts a flow (echo flows are
// keyed by the echo identifier, so a ping's repeats are one flow) is an attempt too, technique PING,
// at the scanner level only: its echo reply is a success, an ICMP unreachable quoting it or no reply
// a failure, for the failed targets and TRW as any attempt. It counts in no pair's ports, techniques,
// packets or times: the pair entry it makes or finds only names its target (and makes later
// attempts on that target non-first for TRW); a pair that has seen only pings (PKTS 0) starts its
// episode at its first TCP/UDP probe, as if new. So nmap -sS after its host-discovery ping reports
// the same port-scan as without it, and a ping-only address-scan claims no ports.
//
// Thresholds (sfPortscan style). Per (scanner, target): distinct failed ports within an episode;
// `portThreshold` of them raise a port-scan. Per scanner: distinct failed targets; `hostThreshold`
// of them raise an address-scan. An episode ends after `windowSec` without a probe of the pair
// (scanner); its alert then is final.
//
// Threshold Random Walk (Jung, Paxson, Berger, Balakrishnan 2004) for sweeps: the outcome of each
// scanner's FIRST attempt on each distinct target moves log(Lambda) by log(theta1/theta0) on a
// success and log((1-theta1)/(1-theta0)) on a failure; above log(P_D/P_F) the source is a scanner
// (an address-scan alert), below log((1-P_D)/(1-P_F)) it is benign and the walk restarts.
//
// State is bounded: the attempt records live in arrays indexed by flow id (the flow table is
// bounded), pending attempts in a fixed ring, pairs and scanners in LRU KeyTables. Nothing is
// allocated per packet; alert objects are made only when an alert is raised or read.
import type { PacketInfo } from '../../decoders/packet-info';
import { KeyTable } from '../stats/key-table';
import { DistinctSketches, mix32 } from '../stats/sketch';
import { microsToSeconds } from '../stats/time';
import { hashAt, textAt, DST } from './addr';
import { PortSet } from './port-set';
import { Fs } from './services';

export const TECHNIQUES = ['SYN', 'CONNECT', 'FIN', 'NULL', 'XMAS', 'ACK', 'UDP', 'PING'] as const;
export type Technique = (typeof TECHNIQUES)[number] | 'MIXED';
const NT = TECHNIQUES.length;
const T_SYN = 0, T_CONNECT = 1, T_FIN = 2, T_NULL = 3, T_XMAS = 4, T_ACK = 5, T_UDP = 6, T_PING = 7;

export interface ScanOptions {
  /** Episode window: seconds without a probe after which a pair's (scanner's) counters restart. */
  windowSec?: number;
  /** Distinct failed ports of one target that make a port scan. */
  portThreshold?: number;
  /** Distinct failed targets of one scanner that make an address scan. */
  hostThreshold?: number;
  /** Seconds after which an unanswered probe counts as failed. */
  timeoutSec?: number;
  /** Threshold Random Walk parameters. */
  trw?: { theta0?: number; theta1?: number; pD?: number; pF?: number } | false;
  maxPairs?: number;
  maxScanners?: number;
  /** Most alerts kept (older ones are dropped first, counted in `alertsDropped`). */
  maxAlerts?: number;
}

export const SCAN_DEFAULTS = {
  windowSec: 60,
  portThreshold: 10,
  hostThreshold: 10,
  timeoutSec: 5,
  theta0: 0.8,
  theta1: 0.2,
  pD: 0.99,
  pF: 0.01,
  maxPairs: 65536,
  maxScanners: 65536,
  maxAlerts: 1000,
} as const;

export interface ScanAlert {
  type: 'port-scan' | 'address-scan';
  scanner: string;
  /** port-scan: the target; address-scan: null (see targets). */
  target: string | null;
  /** Distinct targets probed (estimate beyond 16) and a sample of those that failed. */
  targetCount: number;
  targets: string[];
  technique: Technique;
  /** Probes by technique. */
  techniques: Partial<Record<(typeof TECHNIQUES)[number], number>>;
  /**
   * Distinct ports probed (port-scan: on the target; address-scan: failed ports, 0 when only pings
   * failed) and a sample.
   */
  ports: number;
  failedPorts: number;
  /** False when the port counts are HyperLogLog estimates (only under a flood of scans). */
  portsExact: boolean;
  /** The lowest failed ports, "22/tcp". */
  portSample: string[];
  /** Epoch seconds of the first and last probe. */
  first: number;
  last: number;
  /** Probes and answers seen. */
  packets: number;
  /** "threshold" (sfPortscan-style counts), "trw" (Threshold Random Walk) or both. */
  detector: string;
  /** False while the episode may still grow. */
  final: boolean;
  /** One line for people (addresses and numbers only). */
  message: string;
}

export type AlertHook = (a: ScanAlert) => void;

// pair/scanner values (doubles)
const VF = 4;
const FIRST = 0, LAST = 1, PKTS = 2, LLR = 3;
const SAMPLE = 8;
const PAIR_KW = 9; // fam, scanner x4, target x4
const SC_KW = 5; // fam, scanner x4
const RING = 1 << 16;
// attempt records: 32 bytes per flow, 6 words then the probe time as a double
const ATT_BYTES = 32;
const ATT_W = ATT_BYTES / 4;
const ATT_F = ATT_BYTES / 8;
const A_FLAGS = 0, A_PAIR = 1, A_PAIR_GEN = 2, A_SC = 3, A_SC_GEN = 4, A_PORT = 5;
const AF_PENDING = 1, AF_FROM_ORIG = 2, AF_FIRST = 4, AF_PING = 8;

interface AlertRec {
  alert: ScanAlert;
  /** 0 pair table, 1 scanner table. */
  table: number;
  id: number;
  gen: number;
  open: boolean;
}

/** Which technique a flow's first packet is, or -1 when it is not a probe. */
export function probeTechnique(p: PacketInfo): number {
  if (p.ipProto === 17) return p.srcPort >= 0 ? T_UDP : -1;
  if (p.ipProto === 1) return p.icmpType === 8 ? T_PING : -1;
  if (p.ipProto === 58) return p.icmpType === 128 ? T_PING : -1;
  if (p.ipProto !== 6 || p.srcPort < 0) return -1;
  const f = p.tcpFlags & 0x3f;
  if ((f & 0x17) === 0x02) {
    // nmap's raw SYN carries only an MSS option; a kernel connect() adds SACK/timestamps/wscale
    return p.tcpHeaderLen <= 24 && p.tcpSackOk === 0 && p.tcpTsVal < 0 && p.tcpWscale < 0 ? T_SYN : T_CONNECT;
  }
  if (f === 0) return T_NULL;
  if (f === 0x01) return T_FIN;
  if (f === 0x29) return T_XMAS;
  if (f === 0x10 && p.payloadLen === 0) return T_ACK;
  return -1;
}

class Episodes {
  readonly table: KeyTable;
  readonly v: Float64Array;
  readonly gen: Uint32Array;
  readonly tech: Uint32Array;
  /** scanner only: distinct targets probed, distinct failed targets. */
  readonly probed: DistinctSketches;
  readonly failed: DistinctSketches;
  /** pair: distinct ports probed; scanner: unused (empty). */
  readonly ports: PortSet;
  /** pair: distinct failed ports; scanner: distinct failed ports (any target). */
  readonly failedPorts: PortSet;
  readonly alert: Int32Array;
  readonly sampleN: Uint8Array;
  /** scanner only: failed target address words (4 per sample). */
  readonly sample: Uint32Array;
  readonly viaTrw: Uint8Array;

  readonly scanner: boolean;

  constructor(cap: number, kw: number, scanner: boolean) {
    this.table = new KeyTable(cap, kw, true);
    this.v = new Float64Array(cap * VF);
    this.gen = new Uint32Array(cap);
    this.tech = new Uint32Array(cap * NT);
    this.probed = new DistinctSketches(scanner ? cap : 1);
    this.failed = new DistinctSketches(scanner ? cap : 1);
    this.ports = new PortSet(scanner ? 1 : cap);
    this.failedPorts = new PortSet(cap);
    this.alert = new Int32Array(cap).fill(-1);
    this.sampleN = new Uint8Array(cap);
    this.sample = new Uint32Array(scanner ? cap * SAMPLE * 4 : 1);
    this.viaTrw = new Uint8Array(cap);
    this.scanner = scanner;
  }

  hash(): number {
    const k = this.table.probe;
    let h = Math.imul(k[0] ^ 0x6a09e667, 0x9e3779b1);
    for (let i = 1; i < k.length; i++) h = Math.imul(((h << 5) | (h >>> 27)) ^ k[i], 0x85ebca6b);
    return mix32(h >>> 0);
  }

  reset(id: number, now: number): void {
    this.gen[id]++;
    const b = id * VF;
    this.v[b + FIRST] = now;
    this.v[b + LAST] = now;
    this.v[b + PKTS] = 0;
    this.v[b + LLR] = 0;
    this.tech.fill(0, id * NT, id * NT + NT);
    if (this.scanner) {
      this.probed.clear(id);
      this.failed.clear(id);
    } else this.ports.reset(id);
    this.failedPorts.reset(id);
    this.alert[id] = -1;
    this.sampleN[id] = 0;
    this.viaTrw[id] = 0;
  }
}

export class ScanDetector {
  private readonly o: Required<Omit<ScanOptions, 'trw'>>;
  /** [now µs, window µs, timeout µs, llr step ok, llr step fail, llr upper, llr lower] */
  private readonly c = new Float64Array(7);
  private readonly trwOn: boolean;
  private readonly pairs: Episodes;
  private readonly scanners: Episodes;
  // attempts, by flow id
  // one 32-byte record per flow (a new flow's writes touch one cache line): words A_* of attW,
  // and the probe time (µs) in the last 8 bytes through attTs (index id * ATT_F + ATT_F - 1)
  private readonly attCap: number;
  private readonly attW: Uint32Array;
  private readonly attTs: Float64Array;
  /** Per-flow state bytes (shared with the service inventory): Fs.Pending mirrors AF_PENDING. */
  private readonly fs: Uint8Array;
  // pending attempts in time order
  private readonly qFlow = new Int32Array(RING);
  private readonly qTs = new Float64Array(RING);
  private qHead = 0;
  private qLen = 0;
  private readonly recs: AlertRec[] = [];
  alertsDropped = 0;
  /** Called when an alert is raised (first crossing of a threshold) and when its episode ends. */
  onRaise: AlertHook | null = null;
  onFinal: AlertHook | null = null;

  constructor(flowCapacity: number, opts: ScanOptions = {}, fs: Uint8Array = new Uint8Array(flowCapacity)) {
    const d = SCAN_DEFAULTS;
    this.o = {
      windowSec: opts.windowSec ?? d.windowSec,
      portThreshold: opts.portThreshold ?? d.portThreshold,
      hostThreshold: opts.hostThreshold ?? d.hostThreshold,
      timeoutSec: opts.timeoutSec ?? d.timeoutSec,
      maxPairs: opts.maxPairs ?? d.maxPairs,
      maxScanners: opts.maxScanners ?? d.maxScanners,
      maxAlerts: opts.maxAlerts ?? d.maxAlerts,
    };
    const trw = opts.trw === false ? null : { theta0: d.theta0, theta1: d.theta1, pD: d.pD, pF: d.pF, ...(opts.trw ?? {}) };
    this.trwOn = trw !== null;
    this.c[1] = this.o.windowSec * 1e6;
    this.c[2] = this.o.timeoutSec * 1e6;
    if (trw !== null) {
      this.c[3] = Math.log(trw.theta1 / trw.theta0);
      this.c[4] = Math.log((1 - trw.theta1) / (1 - trw.theta0));
      this.c[5] = Math.log(trw.pD / trw.pF);
      this.c[6] = Math.log((1 - trw.pD) / (1 - trw.pF));
    }
    this.pairs = new Episodes(this.o.maxPairs, PAIR_KW, false);
    this.scanners = new Episodes(this.o.maxScanners, SC_KW, true);
    this.pairs.table.onEvict = (id) => this.close(this.pairs, id);
    this.scanners.table.onEvict = (id) => this.close(this.scanners, id);
    this.attCap = flowCapacity;
    const att = new ArrayBuffer(flowCapacity * ATT_BYTES);
    this.attW = new Uint32Array(att);
    this.attTs = new Float64Array(att);
    if (fs.length < flowCapacity) throw new RangeError('ScanDetector: per-flow state shorter than the flow capacity');
    this.fs = fs;
  }

  /** Current packet time (epoch µs) is clock[0]; the caller sets it before observe(). */
  get clock(): Float64Array {
    return this.c;
  }

  /**
   * One IP packet. `fam` and `a` as filled by loadAddrs; `flowId` from the flow table (-1 none);
   * `created`: the packet started (or restarted) its flow; `fromOrig`: it came from the originator.
   */
  observe(p: PacketInfo, data: Uint8Array, fam: number, a: Uint32Array, flowId: number, created: boolean, fromOrig: boolean): void {
    const proto = p.ipProto;
    if (flowId >= 0 && flowId < this.attCap) {
      const pending = (this.fs[flowId] & Fs.Pending) !== 0;
      if (created) {
        if (pending) this.resolve(flowId, 2, false);
        const t = probeTechnique(p);
        if (t >= 0) {
          this.attempt(flowId, t, fam, a, proto === 6 ? 0 : 1, p.dstPort, fromOrig);
          return;
        }
      } else if (pending && fromOrig !== ((this.attW[flowId * ATT_W + A_FLAGS] & AF_FROM_ORIG) !== 0)) {
        const neg = proto === 6 && (p.tcpFlags & 0x06) === 0x04;
        this.resolve(flowId, neg ? 1 : 0, true);
        return;
      }
    }
    if ((proto === 1 && p.icmpType === 3) || (proto === 58 && p.icmpType === 1)) this.unreachable(p, data);
  }

  private attempt(flowId: number, t: number, fam: number, a: Uint32Array, pi: number, port: number, fromOrig: boolean): void {
    const now = this.c[0];
    const ping = t === T_PING;
    // pair (scanner, target)
    const P = this.pairs;
    let k = P.table.probe;
    k[0] = fam;
    for (let i = 0; i < 8; i++) k[1 + i] = a[i];
    const ph = P.hash(); // once: find and, on a miss, insert
    let pair = P.table.find(ph);
    let first = 0;
    if (pair < 0) {
      pair = P.table.insert(ph);
      P.reset(pair, now);
      first = 1;
    } else if (!ping && P.v[pair * VF + PKTS] === 0) {
      // only pings so far: the episode starts with this first TCP/UDP probe (same gen: the pings
      // pending on the pair still find their target)
      P.v[pair * VF + FIRST] = now;
      P.v[pair * VF + LAST] = now;
    }
    // (both run for a new entry too, as no-ops: the head needs no touch, and its episode starts
    // now; one path for new and known entries keeps the compiled code from deoptimizing)
    P.table.touch(pair);
    if (now - P.v[pair * VF + LAST] > this.c[1]) {
      this.close(P, pair);
      P.reset(pair, now);
    }
    if (!ping) {
      P.v[pair * VF + LAST] = now;
      P.v[pair * VF + PKTS]++;
      P.tech[pair * NT + t]++;
      P.ports.add(pair, ((pi << 16) | port) >>> 0);
    }
    // scanner
    const S = this.scanners;
    k = S.table.probe;
    k[0] = fam;
    for (let i = 0; i < 4; i++) k[1 + i] = a[i];
    const sh = S.hash();
    let sc = S.table.find(sh);
    if (sc < 0) {
      sc = S.table.insert(sh);
      S.reset(sc, now);
    }
    S.table.touch(sc);
    if (now - S.v[sc * VF + LAST] > this.c[1]) {
      const llr = S.v[sc * VF + LLR];
      this.close(S, sc);
      S.reset(sc, now);
      S.v[sc * VF + LLR] = llr; // the random walk spans episodes
    }
    S.v[sc * VF + LAST] = now;
    S.v[sc * VF + PKTS]++;
    S.tech[sc * NT + t]++;
    S.probed.add(sc, hashAt(fam, a, DST));
    // the attempt
    const w = this.attW;
    const b = flowId * ATT_W;
    w[b + A_FLAGS] = AF_PENDING | (fromOrig ? AF_FROM_ORIG : 0) | (first === 1 ? AF_FIRST : 0) | (ping ? AF_PING : 0);
    this.fs[flowId] |= Fs.Pending;
    w[b + A_PAIR] = pair;
    w[b + A_PAIR_GEN] = P.gen[pair];
    w[b + A_SC] = sc;
    w[b + A_SC_GEN] = S.gen[sc];
    w[b + A_PORT] = ping ? 0 : ((pi << 16) | port) >>> 0;
    this.attTs[flowId * ATT_F + ATT_F - 1] = now;
    if (this.qLen === RING) this.expireOne();
    const q = (this.qHead + this.qLen) & (RING - 1);
    this.qFlow[q] = flowId;
    this.qTs[q] = now;
    this.qLen++;
  }

  /** outcome: 0 success, 1 negative answer, 2 no answer. */
  private resolve(flowId: number, outcome: number, answered: boolean): void {
    const w = this.attW;
    const ab = flowId * ATT_W;
    const flags = w[ab + A_FLAGS];
    w[ab + A_FLAGS] = flags & ~AF_PENDING;
    this.fs[flowId] &= ~Fs.Pending;
    const portKey = w[ab + A_PORT];
    const P = this.pairs;
    const S = this.scanners;
    let pair = w[ab + A_PAIR];
    if (P.gen[pair] !== w[ab + A_PAIR_GEN]) pair = -1;
    let sc = w[ab + A_SC];
    if (S.gen[sc] !== w[ab + A_SC_GEN]) sc = -1;
    const ping = (flags & AF_PING) !== 0; // (the pair only names the target)
    if (answered) {
      if (pair >= 0 && !ping) P.v[pair * VF + PKTS]++;
      if (sc >= 0) S.v[sc * VF + PKTS]++;
    }
    const fail = outcome !== 0;
    if (fail && pair >= 0 && !ping) this.failPort(pair, portKey);
    if (fail && sc >= 0 && pair >= 0) this.failTarget(sc, pair, ping ? -1 : portKey);
    if (this.trwOn && (flags & AF_FIRST) !== 0 && sc >= 0) {
      const b = sc * VF + LLR;
      S.v[b] += fail ? this.c[4] : this.c[3];
      if (S.v[b] >= this.c[5]) {
        S.viaTrw[sc] = 1;
        if (S.alert[sc] < 0) this.raise(S, sc, 1);
        S.v[b] = 0;
      } else if (S.v[b] <= this.c[6]) S.v[b] = 0;
    }
  }

  private failPort(pair: number, portKey: number): void {
    const P = this.pairs;
    if (!P.failedPorts.add(pair, portKey)) return; // already counted
    if (P.alert[pair] < 0 && P.failedPorts.count(pair) >= this.o.portThreshold) this.raise(P, pair, 0);
  }

  /** `portKey` -1: a ping (no port). */
  private failTarget(sc: number, pair: number, portKey: number): void {
    const S = this.scanners;
    const P = this.pairs;
    const pk = P.table.keys;
    const fam = pk[pair * PAIR_KW];
    const th = hashAt(fam, pk, pair * PAIR_KW + 5);
    if (portKey >= 0) S.failedPorts.add(sc, portKey);
    const before = S.failed.mode[sc];
    S.failed.add(sc, th);
    if (S.failed.mode[sc] === before && S.failed.isExact(sc)) return;
    const n = S.sampleN[sc];
    if (n < SAMPLE) {
      const o = (sc * SAMPLE + n) * 4;
      for (let i = 0; i < 4; i++) S.sample[o + i] = pk[pair * PAIR_KW + 5 + i];
      S.sampleN[sc] = n + 1;
    }
    if (S.alert[sc] < 0 && S.failed.count(sc) >= this.o.hostThreshold) this.raise(S, sc, 0);
  }

  /** An ICMP error quoting a probe: a negative answer for that (scanner, target, port), or target (a ping). */
  private unreachable(p: PacketInfo, data: Uint8Array): void {
    const o = p.encapOffset;
    const end = p.encapEnd;
    if (o < 0 || end - o < 1) return;
    const v = data[o] >>> 4;
    const P = this.pairs;
    const k = P.table.probe;
    let proto: number, l4: number;
    if (v === 4) {
      if (end - o < 20) return;
      const ihl = (data[o] & 15) * 4;
      proto = data[o + 9];
      l4 = o + ihl;
      k[0] = 4;
      k[1] = ((data[o + 12] << 24) | (data[o + 13] << 16) | (data[o + 14] << 8) | data[o + 15]) >>> 0;
      k[5] = ((data[o + 16] << 24) | (data[o + 17] << 16) | (data[o + 18] << 8) | data[o + 19]) >>> 0;
      k[2] = k[3] = k[4] = k[6] = k[7] = k[8] = 0;
    } else if (v === 6) {
      if (end - o < 40) return;
      proto = data[o + 6];
      l4 = o + 40;
      k[0] = 6;
      for (let i = 0; i < 8; i++) {
        const b = o + 8 + 4 * i;
        k[1 + i] = ((data[b] << 24) | (data[b + 1] << 16) | (data[b + 2] << 8) | data[b + 3]) >>> 0;
      }
    } else return;
    const ping = proto === (v === 4 ? 1 : 58);
    if (ping) {
      if (end - l4 < 1 || data[l4] !== (v === 4 ? 8 : 128)) return;
    } else if ((proto !== 6 && proto !== 17) || end - l4 < 4) return;
    const pair = P.table.find(P.hash());
    if (pair < 0) return;
    let portKey = -1;
    if (!ping) {
      if (P.v[pair * VF + PKTS] === 0) return; // a pair of pings only: no TCP/UDP probe of it to answer
      const port = (data[l4 + 2] << 8) | data[l4 + 3];
      portKey = (((proto === 6 ? 0 : 1) << 16) | port) >>> 0;
      P.v[pair * VF + PKTS]++;
      this.failPort(pair, portKey);
    }
    // the scanner's failed targets
    const S = this.scanners;
    const sk = S.table.probe;
    sk[0] = k[0];
    for (let i = 0; i < 4; i++) sk[1 + i] = k[1 + i];
    const sc = S.table.find(S.hash());
    if (sc >= 0) {
      S.v[sc * VF + PKTS]++;
      this.failTarget(sc, pair, portKey);
    }
  }

  private expireOne(): void {
    const f = this.qFlow[this.qHead];
    const ts = this.qTs[this.qHead];
    this.qHead = (this.qHead + 1) & (RING - 1);
    this.qLen--;
    if ((this.attW[f * ATT_W + A_FLAGS] & AF_PENDING) !== 0 && this.attTs[f * ATT_F + ATT_F - 1] === ts) this.resolve(f, 2, false);
  }

  /** Unanswered probes older than the timeout fail (call between batches). */
  expire(): void {
    const limit = this.c[0] - this.c[2];
    while (this.qLen > 0 && this.qTs[this.qHead] <= limit) this.expireOne();
  }

  /** End of input: every pending probe is unanswered; every open episode is final. */
  finish(): void {
    while (this.qLen > 0) this.expireOne();
    for (const r of this.recs) {
      if (!r.open) continue;
      this.refresh(r);
      r.open = false;
      r.alert.final = true;
      this.onFinal?.(r.alert);
    }
  }

  private raise(E: Episodes, id: number, viaTrw: number): void {
    const scanner = E === this.scanners;
    const rec: AlertRec = {
      alert: {
        type: scanner ? 'address-scan' : 'port-scan',
        scanner: '',
        target: null,
        targetCount: 0,
        targets: [],
        technique: 'MIXED',
        techniques: {},
        ports: 0,
        failedPorts: 0,
        portsExact: true,
        portSample: [],
        first: 0,
        last: 0,
        packets: 0,
        detector: viaTrw ? 'trw' : 'threshold',
        final: false,
        message: '',
      },
      table: scanner ? 1 : 0,
      id,
      gen: E.gen[id],
      open: true,
    };
    if (this.recs.length >= this.o.maxAlerts) {
      this.recs.shift();
      this.alertsDropped++;
    }
    this.recs.push(rec);
    E.alert[id] = 1;
    this.refresh(rec);
    this.onRaise?.(rec.alert);
  }

  /** Copies an open alert's counters from its episode. */
  private refresh(r: AlertRec): void {
    if (!r.open) return;
    const E = r.table === 0 ? this.pairs : this.scanners;
    const id = r.id;
    if (E.gen[id] !== r.gen) return;
    const a = r.alert;
    const k = E.table.keys;
    const kb = id * E.table.keyWords;
    const fam = k[kb];
    a.scanner = textAt(fam, k, kb + 1);
    const counts: ScanAlert['techniques'] = {};
    let kinds = 0;
    let tech = -1;
    for (let t = 0; t < NT; t++) {
      const n = E.tech[id * NT + t];
      if (n > 0) {
        counts[TECHNIQUES[t]] = n;
        kinds++;
        tech = t;
      }
    }
    a.techniques = counts;
    a.technique = kinds === 1 ? TECHNIQUES[tech] : 'MIXED';
    a.first = microsToSeconds(E.v[id * VF + FIRST]);
    a.last = microsToSeconds(E.v[id * VF + LAST]);
    a.packets = E.v[id * VF + PKTS];
    const portText = (key: number) => `${key & 0xffff}/${key >>> 16 === 0 ? 'tcp' : 'udp'}`;
    a.portSample = E.failedPorts.sample(id, SAMPLE).map(portText);
    a.portsExact = E.failedPorts.isExact(id) && (r.table === 1 || E.ports.isExact(id));
    if (r.table === 0) {
      a.target = textAt(fam, k, kb + 5);
      a.targetCount = 1;
      a.targets = [a.target];
      a.ports = E.ports.count(id);
      a.failedPorts = E.failedPorts.count(id);
      a.message = `port-scan: ${a.scanner} -> ${a.target}, ${a.technique}, ${a.ports} ports probed, ${a.failedPorts} failed (${a.portSample.join(' ')}${a.failedPorts > a.portSample.length ? ' ...' : ''})`;
    } else {
      a.target = null;
      a.targetCount = E.probed.count(id);
      const ts: string[] = [];
      for (let i = 0; i < E.sampleN[id]; i++) ts.push(textAt(fam, E.sample, (id * SAMPLE + i) * 4));
      a.targets = ts;
      a.ports = E.failedPorts.count(id);
      a.failedPorts = a.ports;
      a.detector = E.viaTrw[id] ? (E.failed.count(id) >= this.o.hostThreshold ? 'threshold+trw' : 'trw') : 'threshold';
      const failedTargets = E.failed.count(id);
      // (no ports when only pings failed)
      const ports = a.ports > 0 ? `, ports ${a.portSample.join(' ')}${a.ports > a.portSample.length ? ' ...' : ''}` : '';
      a.message = `address-scan: ${a.scanner} -> ${a.targetCount} targets (${failedTargets} failed: ${ts.join(' ')}${failedTargets > ts.length ? ' ...' : ''}), ${a.technique}${ports} [${a.detector}]`;
    }
  }

  /** Ends the episode of a pair or scanner (idle past the window, or evicted). */
  private close(E: Episodes, id: number): void {
    if (E.alert[id] < 0) return;
    const table = E === this.pairs ? 0 : 1;
    for (let i = this.recs.length - 1; i >= 0; i--) {
      const r = this.recs[i];
      if (r.open && r.table === table && r.id === id && r.gen === E.gen[id]) {
        this.refresh(r);
        r.open = false;
        r.alert.final = true;
        this.onFinal?.(r.alert);
        break;
      }
    }
    E.alert[id] = -1;
    E.gen[id]++;
  }

  /** Every alert so far, oldest first (open ones refreshed). */
  alerts(): ScanAlert[] {
    for (const r of this.recs) this.refresh(r);
    return this.recs.map((r) => r.alert);
  }
}
