// Flows with Zeek conn.log semantics, in a bounded table with no object per flow.
//
// Key: (protocol, address A, port A, address B, port B) in canonical order (the smaller
// (address, port) endpoint first), so a packet and its reply find the same entry and the hash of a
// flow equals the hash of its reverse. Values live in typed arrays indexed by the entry id
// (FlowStore). The table is a KeyTable: open addressing, backward-shift deletion, an LRU list;
// when full, the idlest flow is evicted (counted in `evicted`) to make room.
//
// ICMP/ICMPv6 echo request and reply share a flow keyed by the echo identifier (reported as Zeek
// does: orig_p = 8 / 128, resp_p = 0 / 129); other ICMP messages are keyed by (type, code) in the
// port fields; other IP protocols by addresses alone. Non-first fragments belong to no flow.
// History letters: S h A D F R Q as Zeek, T = payload at or below the highest sequence seen
// (retransmission), W = zero window; no c/g/i (checksums and gaps are not checked).
//
// Orig/resp: the sender of the first packet is the originator, except that a first packet that is
// a TCP SYN-ACK, an ICMP echo reply, or (midstream TCP, UDP) goes from a service-like port to a
// client-like one (see looksLikeReply) flips the direction (history '^'). conn_state and history follow
// Zeek's conn.log (base/protocols/conn/main.zeek); each history letter is recorded once per
// direction (Zeek repeats some letters at counts 10, 100, ...: we do not). netstat-style TCP
// state is what the packets on the wire imply.
//
// A flow ends (is "completed": its conn_state counted, kept in the top list when large) when
// it is evicted, when it is idle longer than its timeout (TCP 300 s, 5 s once closed or reset;
// UDP/ICMP/other 60 s; by packet timestamps, checked on its next packet and lazily from the LRU
// tail after every batch), or when a new SYN reuses the ports of a closed connection.
import { type PacketInfo } from '../../decoders/packet-info';
import { KeyTable } from './key-table';
import { mix32, hashIpv4, hashIpv6 } from './sketch';
import { type HostStats, portHash } from './hosts';
import { type PortStats } from './ports';
import { addrText } from './addr';
import { selectTop } from './topn';

export const CONN_STATES = ['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH'] as const;
export type ConnState = (typeof CONN_STATES)[number];
const enum C { S0 = 0, S1 = 1, SF = 2, REJ = 3, S2 = 4, S3 = 5, RSTO = 6, RSTR = 7, RSTOS0 = 8, RSTRH = 9, SH = 10, SHR = 11, OTH = 12 }

export const TCP_STATES = ['NONE', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT', 'CLOSING', 'TIME_WAIT', 'CLOSED', 'RESET'] as const;
export type TcpState = (typeof TCP_STATES)[number];
const enum T { NONE = 0, SYN_SENT = 1, SYN_RECEIVED = 2, ESTABLISHED = 3, FIN_WAIT = 4, CLOSING = 5, TIME_WAIT = 6, CLOSED = 7, RESET = 8 }

/** Zeek's TCP endpoint states (TCP_ENDPOINT_*); UDP/ICMP use INACTIVE / ESTABLISHED (= active). */
const enum E { INACTIVE = 0, SYN_SENT = 1, SYN_ACK_SENT = 2, PARTIAL = 3, ESTABLISHED = 4, CLOSED = 5, RESET = 6 }

// flags bits
const F_ORIG_IS_A = 1;
const F_FLIPPED = 2;
const F_SERVED = 4;
const F_FIN_O = 8;
const F_FIN_R = 16;
const F_FINACK_O = 32; // the originator's FIN was acknowledged
const F_FINACK_R = 64;
const F_SEQ_O = 128; // seqEnd valid
const F_SEQ_R = 256;
const F_ECHO = 512; // ICMP echo flow (ports hold nothing; id in the key)

const HIST = 20;
/** History letters in bit order; bit i = upper case (orig), bit i + 16 = lower case (resp). */
const enum HL { S = 0, H = 1, A = 2, D = 3, F = 4, R = 5, Q = 6, T = 7, W = 8 }
const HL_CHARS = 'SHADFRQTW';
const HIST_FLIP = 15;

const KEY_WORDS = 10;

export interface FlowOptions {
  maxFlows?: number;
  /** Idle timeouts in seconds. */
  tcpTimeout?: number;
  tcpClosedTimeout?: number;
  udpTimeout?: number;
  otherTimeout?: number;
  /** Number of largest flows kept in the summary. */
  top?: number;
}

/**
 * Default flow table size: a profile of 2 million distinct flows (half of them evicted) stays
 * under 400 MB peak RSS with the scan detector on (about 230 bytes per flow here plus the
 * detector's per-flow state; see scripts/bench-profile.ts).
 */
export const DEFAULT_MAX_FLOWS = 750_000;

/** Why a flow left the table (or restarted), passed to FlowTable.onFlowEnd. Values are IPFIX flowEndReason codes. */
export const FlowEnd = {
  /** Idle longer than its timeout (checked on its next packet or after a batch). */
  Idle: 1,
  /** A new SYN reused the ports of a closed connection. */
  Reused: 3,
  /** End of input or shutdown (never raised by the table itself: exporters use it). */
  Forced: 4,
  /** Evicted to make room in a full table (IPFIX "lack of resources"). */
  Evicted: 5,
} as const;

/**
 * Called once for every flow that ends, BEFORE its record is cleared or reused: read it then with
 * FlowTable.readFlow(id, rec) or rowOf(id). Not called per packet.
 */
export type FlowEndHook = (id: number, reason: number) => void;

/** The numbers of one flow, filled by FlowTable.readFlow into a reused record (exporters). */
export class FlowRecord {
  /** 4 or 6. */
  family = 0;
  ipProto = 0;
  /** Originator and responder addresses as 32-bit words (IPv4: word 0 only). */
  readonly origAddr = new Uint32Array(4);
  readonly respAddr = new Uint32Array(4);
  /** Ports; ICMP: type and code (echo flows: 8/0 or 128/129, as in rows). */
  origPort = 0;
  respPort = 0;
  origPkts = 0;
  respPkts = 0;
  origIpBytes = 0;
  respIpBytes = 0;
  origBytes = 0;
  respBytes = 0;
  origFrameBytes = 0;
  respFrameBytes = 0;
  /** Epoch microseconds of the first and last packet. */
  startUs = 0;
  lastUs = 0;
  /** TCP flags seen from each side, OR-ed (0 for other protocols). */
  origTcpFlags = 0;
  respTcpFlags = 0;
  /** Index into CONN_STATES. */
  connState = 0;
}

export interface FlowRow {
  proto: string;
  /** IP protocol number. */
  ipProto: number;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  connState: ConnState;
  history: string;
  tcpState: TcpState | null;
  origPkts: number;
  respPkts: number;
  /** IP-level bytes (IP total lengths), as Zeek's orig_ip_bytes. */
  origIpBytes: number;
  respIpBytes: number;
  /** Transport payload bytes (from IP lengths). */
  origBytes: number;
  respBytes: number;
  /** Frame wire bytes (what tshark's conversation table counts). */
  origFrameBytes: number;
  respFrameBytes: number;
  startUs: number;
  durationUs: number;
}

export interface FlowSummary {
  capacity: number;
  /** Flows created since the start. */
  total: number;
  /** Flows in the table now. */
  active: number;
  /** Flows that ended (evicted + expired + reused). */
  completed: number;
  evicted: number;
  expired: number;
  /** TCP connections ended by a new SYN on the same ports. */
  reused: number;
  byProto: Record<string, number>;
  byConnState: Record<string, number>;
  /** netstat-style states of the active TCP flows. */
  byTcpState: Record<string, number>;
  top: FlowRow[];
}

// Record layout: per flow one block of doubles (counters and times) and one block of 32-bit words
// (flags, states, sequence numbers, host ids), so a packet touches two or three cache lines.
// Originator and responder fields are adjacent, originator first (O_/R_ counters, U_HOSTO/R,
// U_FINO/R, U_SEQO/R, B_ORIG/RESP; flag bits F_FIN_O/R, F_FINACK_O/R, F_SEQ_O/R): add() and tcp()
// pick the sender's or the peer's by offset from `fo` instead of branching on the direction.
const FS = 10; // doubles per flow
const O_PKTS = 0, R_PKTS = 1, O_IP = 2, R_IP = 3, O_PAY = 4, R_PAY = 5, O_FRAME = 6, R_FRAME = 7, START = 8, LAST = 9;
const US = 10; // 32-bit words per flow
const U_FLAGS = 0, U_HMASK = 2, U_FINO = 3, U_FINR = 4, U_SEQO = 5, U_SEQR = 6, U_HOSTO = 7, U_HOSTR = 8;
/** TCP flags OR-ed over the flow: originator's in the low 16 bits, responder's in the high 16 (exporters). */
const U_TCPFL = 9;
const UB = US * 4; // the same block as bytes: word 1 holds four one-byte fields
const B_ORIG = 4, B_RESP = 5, B_NET = 6, B_HLEN = 7;

/** Value arrays of flows, indexed by id; the table and the top-N archive each have one. */
class FlowStore {
  readonly f: Float64Array;
  readonly u: Uint32Array;
  /** The same words as `u`, signed (host ids, -1 = none). */
  readonly i: Int32Array;
  /** The same words as `u`, as bytes (states, history length). */
  readonly b: Uint8Array;
  readonly hist: Uint8Array;
  /** Key words (used by the archive; the table keeps keys in its KeyTable). */
  readonly keys: Uint32Array;

  constructor(readonly n: number, withKeys: boolean) {
    this.f = new Float64Array(n * FS);
    const words = new ArrayBuffer(n * US * 4);
    this.u = new Uint32Array(words);
    this.i = new Int32Array(words);
    this.b = new Uint8Array(words);
    this.hist = new Uint8Array(n * HIST);
    this.keys = new Uint32Array(withKeys ? n * KEY_WORDS : 0);
  }

  /** Copies record `from` of `src` into record `to` of this store. */
  copyFrom(src: FlowStore, from: number, to: number): void {
    for (let k = 0; k < FS; k++) this.f[to * FS + k] = src.f[from * FS + k];
    for (let k = 0; k < US; k++) this.u[to * US + k] = src.u[from * US + k];
    for (let k = 0; k < HIST; k++) this.hist[to * HIST + k] = src.hist[from * HIST + k];
  }

  clear(id: number): void {
    // plain stores: TypedArray.fill is a call into the runtime, slower for ten elements
    const f = this.f;
    const u = this.u;
    for (let k = id * FS, e = k + FS; k < e; k++) f[k] = 0;
    for (let k = id * US, e = k + US; k < e; k++) u[k] = 0;
    this.i[id * US + U_HOSTO] = -1;
    this.i[id * US + U_HOSTR] = -1;
  }

  totalIp(id: number): number {
    return this.f[id * FS + O_IP] + this.f[id * FS + R_IP];
  }
}

/** Zeek's conn_state() for a record. */
function connStateOf(s: FlowStore, id: number, proto: number): number {
  const os = s.b[id * UB + B_ORIG];
  const rs = s.b[id * UB + B_RESP];
  if (proto === 6) {
    const oInactive = os === E.INACTIVE || os === E.PARTIAL;
    const rInactive = rs === E.INACTIVE || rs === E.PARTIAL;
    if (rs === E.RESET) {
      if (os === E.SYN_SENT || os === E.SYN_ACK_SENT || (os === E.RESET && s.f[id * FS + O_PAY] === 0 && s.f[id * FS + R_PAY] === 0)) return C.REJ;
      return oInactive ? C.RSTRH : C.RSTR;
    }
    if (os === E.RESET) {
      if (rInactive) return historyIsRstos0(s, id) ? C.RSTOS0 : C.OTH;
      return C.RSTO;
    }
    if (rs === E.CLOSED && os === E.CLOSED) return C.SF;
    if (os === E.CLOSED) return rInactive ? C.SH : C.S2;
    if (rs === E.CLOSED) return oInactive ? C.SHR : C.S3;
    if (os === E.SYN_SENT && rs === E.INACTIVE) return C.S0;
    if (os === E.ESTABLISHED && rs === E.ESTABLISHED) return C.S1;
    return C.OTH;
  }
  if (proto === 17) {
    if (os === E.ESTABLISHED) return rs === E.ESTABLISHED ? C.SF : C.S0;
    return rs === E.ESTABLISHED ? C.SHR : C.OTH;
  }
  return C.OTH;
}

/** Zeek's /\^?S[^HAFGIQ]*R.* / on the history. */
function historyIsRstos0(s: FlowStore, id: number): boolean {
  const n = s.b[id * UB + B_HLEN];
  const b = id * HIST;
  let i = 0;
  if (i < n && s.hist[b] === 94) i++; // '^'
  if (i >= n || s.hist[b + i] !== 83) return false; // 'S'
  for (i++; i < n; i++) {
    const c = s.hist[b + i];
    if (c === 82) return true; // 'R'
    if (c === 72 || c === 65 || c === 70 || c === 71 || c === 73 || c === 81) return false;
  }
  return false;
}

function histText(s: FlowStore, id: number): string {
  let t = '';
  for (let i = 0; i < s.b[id * UB + B_HLEN]; i++) t += String.fromCharCode(s.hist[id * HIST + i]);
  return t;
}

function protoName(p: number, fam: number): string {
  return p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 1 ? 'icmp' : p === 58 ? (fam === 6 ? 'icmp6' : 'icmp') : `ip-proto-${p}`;
}

/**
 * Midstream TCP and UDP: the first packet seen goes from a server to a client when its source
 * port looks like a service and its destination port does not (a stand-in for Zeek's
 * likely_server_ports): well-known source and higher destination, or a destination in the
 * ephemeral range (>= 32768, Linux and IANA dynamic) from a source below it.
 */
function looksLikeReply(sp: number, dp: number): boolean {
  return (sp < 1024 && dp >= 1024) || (dp >= 32768 && sp < 32768);
}

// slots of FlowTable.clock
const NOW = 0, TCP_TIMEOUT = 1, TCP_CLOSED_TIMEOUT = 2, UDP_TIMEOUT = 3, OTHER_TIMEOUT = 4;
/** The time of the packet in add(). */
const PACKET = 5;

/** Timeout slot of a TCP flow by its endpoint states [orig * 8 + resp]: short once either end reset or both closed. */
const TCP_TIMEOUT_OF = new Uint8Array(64);
for (let o = 0; o < 8; o++) {
  for (let r = 0; r < 8; r++) {
    const closed = o === E.RESET || r === E.RESET || (o === E.CLOSED && r === E.CLOSED);
    TCP_TIMEOUT_OF[o * 8 + r] = closed ? TCP_CLOSED_TIMEOUT : TCP_TIMEOUT;
  }
}

/** netstat-style TCP state after a packet, from the state before and the flow's flags after it. */
function wireNext(ns: number, fl: number, syn: boolean, ack: boolean, rst: boolean, fo: number): number {
  if (rst || ns === T.RESET) return T.RESET;
  if ((fl & (F_FIN_O | F_FIN_R)) !== 0) {
    if ((fl & (F_FIN_O | F_FIN_R)) !== (F_FIN_O | F_FIN_R)) return T.FIN_WAIT;
    return (fl & (F_FINACK_O | F_FINACK_R)) === (F_FINACK_O | F_FINACK_R) ? T.TIME_WAIT : T.CLOSING;
  }
  if (syn) return ack ? (ns <= T.SYN_SENT ? T.SYN_RECEIVED : ns) : ns === T.NONE ? T.SYN_SENT : ns;
  if (ns === T.SYN_RECEIVED) return fo === 1 && ack ? T.ESTABLISHED : ns;
  if (ns === T.NONE || (ns === T.SYN_SENT && fo === 0)) return T.ESTABLISHED;
  return ns;
}

/** log2 of the entries of FlowTable's lookup cache (64 KB). */
const CACHE_BITS = 14;

export class FlowTable {
  readonly table: KeyTable;
  private readonly s: FlowStore;
  private readonly top: FlowStore;
  private topCount = 0;
  /** Slot of the smallest flow in the full top list (see finish). */
  private topMin = 0;
  private readonly topN: number;
  /** [now, timeouts...] in µs: doubles kept in a typed array (see add()). */
  private readonly clock = new Float64Array(6);
  total = 0;
  expired = 0;
  reused = 0;
  /** Completed flows by conn_state index, and by protocol class (tcp, udp, icmp, other). */
  readonly doneByState = new Float64Array(CONN_STATES.length);
  readonly doneByProto = new Float64Array(4);
  /** Latest packet time seen (epoch µs). */
  get nowUs(): number {
    return this.clock[NOW];
  }
  /**
   * A small cache in front of the table, indexed by a hash of the key as the packet carries it
   * (source first), two-way set associative (entries 2s and 2s + 1, most recent first): entries
   * hold the id, a tag from the hash and 1 if the source is endpoint A (see idShift). A packet of
   * a flow seen recently in the same direction skips canonical ordering, the probe key and the
   * table's hash probe. An entry is only a hint: add() accepts it when its tag matches and the key
   * of the entry it names equals the packet's; a removed entry's key is cleared (word 9 = 0
   * matches no packet).
   */
  private readonly cache = new Int32Array(1 << CACHE_BITS);
  /** Cache entries: id << idShift | tag << 1 | srcIsA, the tag (tagMask) being bits of the key's hash. */
  private readonly idShift: number;
  private readonly tagMask: number;
  /** Set by add(): the packet went from the originator (1) or the responder (0). */
  lastFromOrig = 0;
  /** Set by add(): the packet's source / destination host ids (-1 unknown). */
  srcHost = -1;
  dstHost = -1;

  constructor(
    opts: FlowOptions = {},
    private readonly hosts: HostStats | null = null,
    private readonly ports: PortStats | null = null,
  ) {
    const cap = opts.maxFlows ?? DEFAULT_MAX_FLOWS;
    this.table = new KeyTable(cap, KEY_WORDS, true);
    let idBits = 1;
    while (idBits < 32 && cap > 2 ** idBits) idBits++;
    const tagBits = Math.max(0, Math.min(12, 31 - idBits));
    this.tagMask = (1 << tagBits) - 1;
    this.idShift = tagBits + 1;
    this.s = new FlowStore(cap, false);
    this.topN = opts.top ?? 20;
    this.top = new FlowStore(Math.max(1, this.topN), true);
    this.clock[TCP_TIMEOUT] = (opts.tcpTimeout ?? 300) * 1e6;
    this.clock[TCP_CLOSED_TIMEOUT] = (opts.tcpClosedTimeout ?? 5) * 1e6;
    this.clock[UDP_TIMEOUT] = (opts.udpTimeout ?? 60) * 1e6;
    this.clock[OTHER_TIMEOUT] = (opts.otherTimeout ?? 60) * 1e6;
    this.table.onEvict = (id) => {
      this.finish(id, FlowEnd.Evicted);
      this.table.keys[id * KEY_WORDS + 9] = 0; // no longer a flow: the cache must not find it
    };
  }

  get evicted(): number {
    return this.table.evictions;
  }

  /**
   * Counts one decoded packet. Returns the flow id, or -1 when the packet belongs to no flow
   * (not IP, or a non-first fragment of TCP/UDP).
   */
  add(p: PacketInfo, data: Uint8Array): number {
    const fam = p.ipVersion;
    if (fam === 0) return -1;
    const proto = p.ipProto;
    let sp = 0;
    let dp = 0;
    let echoId = 0;
    let echo = false;
    if (proto === 6 || proto === 17) {
      if (p.srcPort < 0) return -1;
      sp = p.srcPort;
      dp = p.dstPort;
    } else if (proto === 1 || proto === 58) {
      const t = p.icmpType;
      if (t < 0) {
        if (p.ipFragOffset !== 0) return -1;
      } else if (proto === 1 ? t === 8 || t === 0 : t === 128 || t === 129) {
        echo = true;
        echoId = p.icmpId < 0 ? 0 : p.icmpId;
      } else {
        sp = t;
        dp = p.icmpCode < 0 ? 0 : p.icmpCode;
      }
    } else if (proto < 0) return -1;
    else if (p.ipFragOffset !== 0) return -1;

    let s0: number, s1: number, s2: number, s3: number, d0: number, d1: number, d2: number, d3: number;
    if (fam === 4) {
      s0 = p.src4;
      d0 = p.dst4;
      s1 = s2 = s3 = d1 = d2 = d3 = 0;
    } else {
      const a = p.src6Off;
      const b = p.dst6Off;
      if (a < 0 || b < 0) return -1;
      s0 = ((data[a] << 24) | (data[a + 1] << 16) | (data[a + 2] << 8) | data[a + 3]) >>> 0;
      s1 = ((data[a + 4] << 24) | (data[a + 5] << 16) | (data[a + 6] << 8) | data[a + 7]) >>> 0;
      s2 = ((data[a + 8] << 24) | (data[a + 9] << 16) | (data[a + 10] << 8) | data[a + 11]) >>> 0;
      s3 = ((data[a + 12] << 24) | (data[a + 13] << 16) | (data[a + 14] << 8) | data[a + 15]) >>> 0;
      d0 = ((data[b] << 24) | (data[b + 1] << 16) | (data[b + 2] << 8) | data[b + 3]) >>> 0;
      d1 = ((data[b + 4] << 24) | (data[b + 5] << 16) | (data[b + 6] << 8) | data[b + 7]) >>> 0;
      d2 = ((data[b + 8] << 24) | (data[b + 9] << 16) | (data[b + 10] << 8) | data[b + 11]) >>> 0;
      d3 = ((data[b + 12] << 24) | (data[b + 13] << 16) | (data[b + 14] << 8) | data[b + 15]) >>> 0;
    }
    const w9 = ((echoId << 16) | (fam << 8) | (echo ? 0x80 : 0) | (proto & 0x7f)) >>> 0;
    const ports = ((sp << 16) | dp) >>> 0;

    // Times are doubles above the small-integer range: they stay in locals and typed arrays and
    // are never passed to or returned from calls (which would allocate a heap number each time).
    const ts = p.tsSec * 1e6 + Math.floor(p.tsNsec / 1000);
    const clock = this.clock;
    clock[PACKET] = ts;
    if (ts > clock[NOW]) clock[NOW] = ts;

    // The lookup cache (see `cache`): its entry for the key as sent, checked against the key of
    // the entry it names. Direction selects word offsets (no branch on it): the source's address
    // is key word 0 when it is endpoint A, else word 4; the ports word is (sp, dp) or (dp, sp).
    const t = this.table;
    const keys = t.keys;
    const x = Math.imul(s0 ^ s3 ^ w9, 0x9e3779b1) ^ Math.imul(d0 ^ d3, 0x85ebca6b) ^ ports;
    const hx = Math.imul(x ^ (x >>> 15), 0xc2b2ae35);
    const c = (hx >>> (33 - CACHE_BITS)) << 1; // even
    const tagMask = this.tagMask;
    const tag = (hx >>> 7) & tagMask; // (hash bits 7-18; the set takes 19-31)
    const idShift = this.idShift;
    const cache = this.cache;
    let id = -1;
    let srcIsA = 0;
    // two ways, c (the most recent) then c + 1; a hit in the second moves to the first
    for (let j = 0; j < 2; j++) {
      const e = cache[c + j];
      // the tag first: a table with many flows mostly misses, and then reads no key
      if (((e >>> 1) & tagMask) !== tag) continue;
      const a = e & 1;
      const base = (e >>> idShift) * KEY_WORDS;
      const sa = base + ((a ^ 1) << 2);
      const da = base + (a << 2);
      const rot = (a ^ 1) << 4;
      if (
        keys[base + 9] === w9 && keys[sa] === s0 && keys[da] === d0 &&
        keys[base + 8] === (((ports << rot) | (ports >>> (32 - rot))) >>> 0) &&
        (fam === 4 || (keys[sa + 1] === s1 && keys[sa + 2] === s2 && keys[sa + 3] === s3 && keys[da + 1] === d1 && keys[da + 2] === d2 && keys[da + 3] === d3))
      ) {
        id = e >>> idShift;
        srcIsA = a;
        if (j === 1) {
          cache[c + 1] = cache[c];
          cache[c] = e;
        }
        break;
      }
    }
    if (id >= 0) this.revisit(id, p, srcIsA === 1, proto, sp, dp, echo);
    else {
      const r = this.raw;
      r[0] = s0; r[1] = s1; r[2] = s2; r[3] = s3; r[4] = d0; r[5] = d1; r[6] = d2; r[7] = d3;
      id = this.lookup(p, fam, proto, sp, dp, echo, echoId);
      srcIsA = this.rawSrcIsA;
      cache[c + 1] = cache[c];
      cache[c] = (id << idShift) | (tag << 1) | srcIsA;
    }

    // fo: 1 when the packet went from the originator. The originator's and the responder's
    // fields are adjacent (counters, host ids, endpoint states): fo picks one by offset.
    const st = this.s;
    const w = id * US;
    const fo = 1 ^ (st.u[w + U_FLAGS] & F_ORIG_IS_A) ^ srcIsA; // (F_ORIG_IS_A is bit 0)
    this.lastFromOrig = fo;
    const f = st.f;
    const base = id * FS;
    // first and last packet time as min and max (captures are not always in time order)
    if (ts > f[base + LAST]) f[base + LAST] = ts;
    if (ts < f[base + START]) f[base + START] = ts;
    // O_x and R_x are adjacent: the sender's counters start at o
    const o = base + (fo ^ 1);
    f[o + O_PKTS]++;
    f[o + O_IP] += p.ipTotalLen;
    f[o + O_PAY] += p.payloadLen;
    f[o + O_FRAME] += p.wireLen;
    const hosts = st.i;
    this.srcHost = hosts[w + U_HOSTR - fo];
    this.dstHost = hosts[w + U_HOSTO + fo];
    if (proto === 6) {
      const pay = p.payloadLen;
      if ((p.tcpFlags & 0x17) !== 0x10 || !this.tcpAck(id, p, fo, pay)) this.tcp(id, p, fo, pay);
    } else {
      if (proto === 17 && p.payloadLen > 0) this.letter(id, HL.D, fo);
      st.b[id * UB + B_RESP - fo] = E.ESTABLISHED;
      if ((st.u[w + U_FLAGS] & F_SERVED) === 0 && fo === 0) this.served(id, proto);
    }
    return id;
  }

  /** Source and destination address words of the packet in add() (IPv4: words 0 and 4), for lookup(). */
  private readonly raw = new Uint32Array(8);
  /** Set by lookup(): 1 when the source is endpoint A of the canonical key. */
  private rawSrcIsA = 0;

  /**
   * add() without the cache: the flow of the packet whose addresses are in `raw`, from the table
   * (with add()'s checks of a found flow) or new. Kept out of add() so that the compiler spends its
   * inlining budget on the path every packet takes.
   */
  private lookup(p: PacketInfo, fam: number, proto: number, sp: number, dp: number, echo: boolean, echoId: number): number {
    const r = this.raw;
    const t = this.table;
    // canonical order: source first when (src, sp) <= (dst, dp)
    let a: boolean;
    if (r[0] !== r[4]) a = r[0] < r[4];
    else if (r[1] !== r[5]) a = r[1] < r[5];
    else if (r[2] !== r[6]) a = r[2] < r[6];
    else if (r[3] !== r[7]) a = r[3] < r[7];
    else a = sp <= dp;
    this.rawSrcIsA = a ? 1 : 0;
    const k = t.probe;
    const sa = a ? 0 : 4;
    for (let i = 0; i < 4; i++) {
      k[i] = r[sa + i];
      k[4 + i] = r[(sa ^ 4) + i];
    }
    k[8] = a ? ((sp << 16) | dp) >>> 0 : ((dp << 16) | sp) >>> 0;
    k[9] = ((echoId << 16) | (fam << 8) | (echo ? 0x80 : 0) | (proto & 0x7f)) >>> 0;
    // Words 1-3 and 5-7 of an IPv4 key are always zero: hash only the others (any function of
    // the key is fine as long as equal keys hash equally).
    let h: number;
    if (fam === 4) h = mix32((Math.imul(k[0] ^ Math.imul(k[4], 0x9e3779b1), 0x85ebca6b) ^ Math.imul(k[8], 0xc2b2ae35) ^ k[9]) >>> 0);
    else {
      h = 0x811c9dc5;
      for (let i = 0; i < KEY_WORDS; i++) h = Math.imul(((h << 5) | (h >>> 27)) ^ k[i], 0x9e3779b1);
      h = mix32(h >>> 0);
    }
    // (IPv4: words 1-3 and 5-7 are zero in every IPv4 key, and word 9 holds the family)
    let id = fam === 4 ? t.findBy(h, 0, 4, 8, 9) : t.find(h);
    if (id >= 0) this.revisit(id, p, a, proto, sp, dp, echo);
    else {
      id = t.insert(h);
      this.total++;
      this.init(id, p, a, proto, sp, dp, echo);
      this.created(id, fam, proto, k);
    }
    return id;
  }

  /**
   * A packet of the existing flow `id` (time in clock[PACKET]): the flow ends first and starts
   * again under the same key when it was idle past its timeout, or when a SYN reuses the ports of
   * a closed connection; then it becomes the most recently used.
   */
  private revisit(id: number, p: PacketInfo, srcIsA: boolean, proto: number, sp: number, dp: number, echo: boolean): void {
    const st = this.s;
    const clock = this.clock;
    if (clock[PACKET] - st.f[id * FS + LAST] > clock[this.timeoutOf(id, proto)]) {
      this.expired++;
      this.restart(id, p, srcIsA, proto, sp, dp, echo, FlowEnd.Idle);
    } else if (
      proto === 6 && (p.tcpFlags & 0x12) === 0x02 &&
      (st.b[id * UB + B_ORIG] >= E.CLOSED || st.b[id * UB + B_RESP] >= E.CLOSED)
    ) {
      this.reused++;
      this.restart(id, p, srcIsA, proto, sp, dp, echo, FlowEnd.Reused);
    }
    this.table.touch(id);
  }

  /** Index in `clock` of the flow's idle timeout. */
  private timeoutOf(id: number, proto: number): number {
    if (proto !== 6) return proto === 17 ? UDP_TIMEOUT : OTHER_TIMEOUT;
    const b = this.s.b;
    return TCP_TIMEOUT_OF[b[id * UB + B_ORIG] * 8 + b[id * UB + B_RESP]];
  }

  /** Ends the flow in `id` and starts a new one under the same key. */
  private restart(id: number, p: PacketInfo, srcIsA: boolean, proto: number, sp: number, dp: number, echo: boolean, reason: number): void {
    this.finish(id, reason);
    this.total++;
    const hostO = this.s.i[id * US + U_HOSTO];
    const hostR = this.s.i[id * US + U_HOSTR];
    const wasOrigA = (this.s.u[id * US + U_FLAGS] & F_ORIG_IS_A) !== 0;
    this.init(id, p, srcIsA, proto, sp, dp, echo);
    // same key, same two hosts (swapped if the new originator is the other end)
    const nowOrigA = (this.s.u[id * US + U_FLAGS] & F_ORIG_IS_A) !== 0;
    this.s.i[id * US + U_HOSTO] = wasOrigA === nowOrigA ? hostO : hostR;
    this.s.i[id * US + U_HOSTR] = wasOrigA === nowOrigA ? hostR : hostO;
  }

  private init(id: number, p: PacketInfo, srcIsA: boolean, proto: number, sp: number, dp: number, echo: boolean): void {
    const s = this.s;
    const ts = p.tsSec * 1e6 + Math.floor(p.tsNsec / 1000);
    s.clear(id);
    let flip = false;
    if (proto === 6) {
      const f = p.tcpFlags;
      if ((f & 0x12) === 0x12) flip = true;
      else if ((f & 0x02) === 0) flip = looksLikeReply(sp, dp);
    } else if (proto === 17) flip = looksLikeReply(sp, dp);
    else if (echo) flip = p.icmpType === 0 || p.icmpType === 129;
    const origIsA = srcIsA !== flip;
    let fl = origIsA ? F_ORIG_IS_A : 0;
    if (echo) fl |= F_ECHO;
    s.u[id * US + U_FLAGS] = fl;
    s.f[id * FS + START] = ts;
    s.f[id * FS + LAST] = ts;
    if (flip) {
      s.u[id * US + U_FLAGS] |= F_FLIPPED;
      s.hist[id * HIST] = 94; // '^'
      s.b[id * UB + B_HLEN] = 1;
      s.u[id * US + U_HMASK] = 1 << HIST_FLIP;
    }
  }

  /** A new key: look its hosts up, record peers and the originator's port as used. */
  private created(id: number, fam: number, proto: number, k: Uint32Array): void {
    const hosts = this.hosts;
    const s = this.s;
    const hA = fam === 4 ? hashIpv4(k[0]) : hashIpv6(k[0], k[1], k[2], k[3]);
    const hB = fam === 4 ? hashIpv4(k[4]) : hashIpv6(k[4], k[5], k[6], k[7]);
    const origIsA = (s.u[id * US + U_FLAGS] & F_ORIG_IS_A) !== 0;
    if (hosts !== null) {
      const a = hosts.idAt(fam, k, 0);
      const b = hosts.idAt(fam, k, 4);
      s.i[id * US + U_HOSTO] = origIsA ? a : b;
      s.i[id * US + U_HOSTR] = origIsA ? b : a;
      if (a >= 0) hosts.peers.add(a, hB);
      if (b >= 0) hosts.peers.add(b, hA);
      const pi = proto === 6 ? 0 : proto === 17 ? 1 : -1;
      if (pi >= 0) {
        const o = s.i[id * US + U_HOSTO];
        if (o >= 0) hosts.used.add(o, portHash(pi, origIsA ? k[8] >>> 16 : k[8] & 0xffff));
      }
    }
    const ports = this.ports;
    if (ports !== null && (proto === 6 || proto === 17)) {
      const pi = proto === 6 ? 0 : 1;
      ports.addPeer(pi, k[8] >>> 16, hB);
      ports.addPeer(pi, k[8] & 0xffff, hA);
    }
  }

  /** The responder answered: its port counts as served (Zeek's known_services rule). */
  private served(id: number, proto: number): void {
    const s = this.s;
    s.u[id * US + U_FLAGS] |= F_SERVED;
    const r = s.i[id * US + U_HOSTR];
    if (this.hosts === null || r < 0 || (proto !== 6 && proto !== 17)) return;
    const k8 = this.table.keys[id * KEY_WORDS + 8];
    const respPort = (s.u[id * US + U_FLAGS] & F_ORIG_IS_A) !== 0 ? k8 & 0xffff : k8 >>> 16;
    this.hosts.served.add(r, portHash(proto === 6 ? 0 : 1, respPort));
  }

  /** Records history letter `l` (HL) of the originator (fo 1) or the responder (fo 0), once. */
  private letter(id: number, l: number, fo: number): void {
    const s = this.s;
    const ro = fo ^ 1;
    const bit = 1 << (l + (ro << 4));
    const m = s.u[id * US + U_HMASK];
    if ((m & bit) !== 0) return;
    s.u[id * US + U_HMASK] = m | bit;
    const n = s.b[id * UB + B_HLEN];
    if (n >= HIST) return;
    s.hist[id * HIST + n] = HL_CHARS.charCodeAt(l) + (ro << 5); // lower case for the responder
    s.b[id * UB + B_HLEN] = n + 1;
  }

  /**
   * History, Zeek endpoint states and wire state of a TCP packet; fo = 1 from the originator.
   * The sender's and the peer's fields are picked by offset from fo, not by branches (which the
   * CPU cannot predict on a link carrying both directions); SYN, FIN and RST (rare) are handled in
   * blocks the common ACK / PSH-ACK packet skips.
   */
  private tcp(id: number, p: PacketInfo, fo: number, pay: number): void {
    const s = this.s;
    const u = s.u;
    const bs = s.b;
    const w = id * US;
    const f = p.tcpFlags;
    const ctl = (f & 0x07) !== 0;
    const syn = (f & 0x02) !== 0;
    const ack = (f & 0x10) !== 0;
    const fin = (f & 0x01) !== 0;
    const rst = (f & 0x04) !== 0;
    u[w + U_TCPFL] |= (f & 0xffff) << ((fo ^ 1) << 4);
    // history
    if (ctl) {
      if (syn) this.letter(id, fin || rst ? HL.Q : ack ? HL.H : HL.S, fo);
      if (fin) this.letter(id, HL.F, fo);
      if (rst) this.letter(id, HL.R, fo);
    }
    if (pay > 0) this.letter(id, HL.D, fo);
    else if (ack && !ctl) this.letter(id, HL.A, fo);
    if (!ctl && p.tcpWindow === 0) this.letter(id, HL.W, fo);
    if (pay > 0) this.seqData(id, p, fo, pay);

    // Zeek endpoint states: es = the sender's byte, ps = the peer's
    const es = id * UB + B_RESP - fo;
    const e = bs[es];
    if (syn && e !== E.RESET) {
      const ps = id * UB + B_ORIG + fo;
      if (!ack) {
        if (e === E.INACTIVE || e === E.PARTIAL) bs[es] = E.SYN_SENT;
      } else if (e === E.INACTIVE || e === E.SYN_SENT || e === E.PARTIAL || e === E.SYN_ACK_SENT) {
        if (bs[ps] === E.SYN_SENT) {
          bs[es] = E.ESTABLISHED;
          bs[ps] = E.ESTABLISHED;
        } else bs[es] = E.SYN_ACK_SENT;
      }
      if (fo === 0 && (u[w + U_FLAGS] & F_SERVED) === 0 && ack) this.served(id, 6);
    } else if (e === E.INACTIVE && (ack || pay > 0)) bs[es] = E.PARTIAL;
    if (ctl) {
      if (fin && bs[es] !== E.RESET) bs[es] = E.CLOSED;
      if (rst) bs[es] = E.RESET;
    }
    if (pay > 0 && !rst && (u[w + U_FLAGS] & F_SERVED) === 0 && fo === 0) this.served(id, 6);

    // netstat-style state on the wire
    if (fin) {
      u[w + U_FLAGS] |= F_FIN_R >>> fo; // F_FIN_O from the originator
      u[w + U_FINR - fo] = (p.tcpSeq + pay + (syn ? 1 : 0) + 1) >>> 0;
    }
    let fl = u[w + U_FLAGS];
    // an ACK at or past the peer's FIN acknowledges it (F_FIN_O << 1 = F_FIN_R, and so on)
    // (sequence comparisons inline: 32-bit numbers passed to a call would allocate)
    if (ack && (fl & (F_FIN_O << fo)) !== 0 && (((p.tcpAck >>> 0) - u[w + U_FINO + fo]) | 0) >= 0) u[w + U_FLAGS] = fl |= F_FINACK_O << fo;
    const nb = id * UB + B_NET;
    const ns = bs[nb];
    const next = wireNext(ns, fl, syn, ack, rst, fo);
    if (next !== ns) bs[nb] = next;
  }

  /**
   * tcp() for the commonest packet: an ACK without SYN, FIN or RST, from a sender whose endpoint
   * is active and whose history already has the packet's letter (A, or D with payload), window
   * not zero. Returns false, having changed nothing, for any other packet (then call tcp()).
   * Small enough for the compiler to inline into add().
   */
  private tcpAck(id: number, p: PacketInfo, fo: number, pay: number): boolean {
    const s = this.s;
    const u = s.u;
    const w = id * US;
    const ro = fo ^ 1;
    if (
      (u[w + U_HMASK] & (1 << ((pay > 0 ? HL.D : HL.A) + (ro << 4)))) === 0 ||
      p.tcpWindow === 0 || s.b[id * UB + B_RESP - fo] === E.INACTIVE
    ) return false;
    u[w + U_TCPFL] |= (p.tcpFlags & 0xffff) << (ro << 4);
    if (pay > 0) {
      this.seqData(id, p, fo, pay);
      if ((u[w + U_FLAGS] & F_SERVED) === 0 && fo === 0) this.served(id, 6);
    }
    let fl = u[w + U_FLAGS];
    // (the peer's FIN acknowledged: as in tcp())
    if ((fl & (F_FIN_O << fo)) !== 0 && (((p.tcpAck >>> 0) - u[w + U_FINO + fo]) | 0) >= 0) u[w + U_FLAGS] = fl |= F_FINACK_O << fo;
    const nb = id * UB + B_NET;
    const ns = s.b[nb];
    if (ns !== T.ESTABLISHED || (fl & (F_FIN_O | F_FIN_R)) !== 0) {
      const next = wireNext(ns, fl, false, true, false, fo);
      if (next !== ns) s.b[nb] = next;
    }
    return true;
  }

  /** `pay` bytes of payload: the retransmission letter and the sender's highest sequence number. */
  private seqData(id: number, p: PacketInfo, fo: number, pay: number): void {
    const u = this.s.u;
    const w = id * US;
    const end = (p.tcpSeq + pay) >>> 0;
    const seqBit = F_SEQ_R >>> fo; // F_SEQ_O from the originator
    const se = w + U_SEQR - fo; // U_SEQO from the originator
    if ((u[w + U_FLAGS] & seqBit) !== 0 && ((u[se] - end) | 0) >= 0) this.letter(id, HL.T, fo);
    if ((u[w + U_FLAGS] & seqBit) === 0 || ((end - u[se]) | 0) >= 0) u[se] = end;
    u[w + U_FLAGS] |= seqBit;
  }

  /**
   * Whether ports and hosts are counted per flow (folded in when a flow ends, live flows added
   * at snapshot time) instead of per packet by the caller. TrafficStats turns it on.
   */
  private foldCounts = false;
  private readonly foldBuf = new Float64Array(6);

  /** Count ports and hosts per flow from now on (see PortStats.foldFlow); call before any packet. */
  countPortsAndHostsPerFlow(): void {
    this.foldCounts = true;
    if (this.ports !== null) this.ports.liveFold = (v) => this.table.forEach((id) => this.foldPorts(id, v));
    if (this.hosts !== null) this.hosts.liveFold = (v) => this.table.forEach((id) => this.foldHosts(id, v));
  }

  /** [origPkts, respPkts, origFrameBytes, respFrameBytes, startUs, lastUs] of a flow, in foldBuf. */
  private foldValues(id: number): Float64Array {
    const f = this.s.f;
    const x = this.foldBuf;
    x[0] = f[id * FS + O_PKTS];
    x[1] = f[id * FS + R_PKTS];
    x[2] = f[id * FS + O_FRAME];
    x[3] = f[id * FS + R_FRAME];
    x[4] = f[id * FS + START];
    x[5] = f[id * FS + LAST];
    return x;
  }

  private foldPorts(id: number, v: Float64Array): void {
    const w = id * KEY_WORDS;
    const k = this.table.keys;
    const proto = k[w + 9] & 0x7f;
    if (this.ports === null || (proto !== 6 && proto !== 17)) return;
    const origIsA = (this.s.u[id * US + U_FLAGS] & F_ORIG_IS_A) !== 0;
    const a = k[w + 8] >>> 16;
    const b = k[w + 8] & 0xffff;
    this.ports.foldFlow(v, proto === 6 ? 0 : 1, origIsA ? a : b, origIsA ? b : a, this.foldValues(id));
  }

  private foldHosts(id: number, v: Float64Array): void {
    if (this.hosts === null) return;
    const i = this.s.i;
    this.hosts.foldFlow(v, i[id * US + U_HOSTO], i[id * US + U_HOSTR], this.foldValues(id));
  }

  /** A flow leaves the table (or restarts): count its verdict, keep it if it is among the largest. */
  private finish(id: number, reason: number): void {
    if (this.onFlowEndMonitor !== null) this.onFlowEndMonitor(id, reason);
    if (this.onFlowEnd !== null) this.onFlowEnd(id, reason);
    if (this.foldCounts) {
      if (this.ports !== null) this.foldPorts(id, this.ports.v);
      if (this.hosts !== null) this.foldHosts(id, this.hosts.v);
    }
    const s = this.s;
    const proto = this.table.keys[id * KEY_WORDS + 9] & 0x7f;
    this.doneByState[connStateOf(s, id, proto)]++;
    this.doneByProto[proto === 6 ? 0 : proto === 17 ? 1 : proto === 1 || proto === 58 ? 2 : 3]++;
    if (this.topN === 0) return;
    const top = this.top;
    const tf = top.f;
    let slot: number;
    if (this.topCount < this.topN) slot = this.topCount++;
    else {
      // replace the smallest kept flow (found when the list last changed: most ending flows are
      // smaller, and a flood of evictions then costs one compare each)
      slot = this.topMin;
      if (tf[slot * FS + O_IP] + tf[slot * FS + R_IP] >= s.f[id * FS + O_IP] + s.f[id * FS + R_IP]) return;
    }
    top.copyFrom(s, id, slot);
    const k = this.table.keys;
    for (let i = 0; i < KEY_WORDS; i++) top.keys[slot * KEY_WORDS + i] = k[id * KEY_WORDS + i];
    if (this.topCount === this.topN) {
      // the smallest kept flow (linear scan: topN is small), the first one on ties
      let m = 0;
      for (let i = 1; i < this.topCount; i++) {
        if (tf[i * FS + O_IP] + tf[i * FS + R_IP] < tf[m * FS + O_IP] + tf[m * FS + R_IP]) m = i;
      }
      this.topMin = m;
    }
  }

  /** Ends flows idle past their timeout, idlest first (call between batches). */
  expire(): void {
    const t = this.table;
    const s = this.s;
    for (;;) {
      const id = t.tail;
      if (id < 0) return;
      const proto = t.keys[id * KEY_WORDS + 9] & 0x7f;
      if (this.clock[NOW] - s.f[id * FS + LAST] <= this.clock[this.timeoutOf(id, proto)]) return;
      this.expired++;
      this.finish(id, FlowEnd.Idle);
      t.remove(id);
      t.keys[id * KEY_WORDS + 9] = 0; // (see cache)
    }
  }

  private row(st: FlowStore, keys: Uint32Array, id: number): FlowRow {
    const b = id * KEY_WORDS;
    const w9 = keys[b + 9];
    const proto = w9 & 0x7f;
    const fam = (w9 >>> 8) & 0xff;
    const origIsA = (st.u[id * US + U_FLAGS] & F_ORIG_IS_A) !== 0;
    const ao = origIsA ? b : b + 4;
    const ro = origIsA ? b + 4 : b;
    let op = origIsA ? keys[b + 8] >>> 16 : keys[b + 8] & 0xffff;
    let rp = origIsA ? keys[b + 8] & 0xffff : keys[b + 8] >>> 16;
    if ((st.u[id * US + U_FLAGS] & F_ECHO) !== 0) {
      // Zeek's ICMP convention: orig_p = type, resp_p = code... of the request/reply pair
      op = fam === 6 ? 128 : 8;
      rp = fam === 6 ? 129 : 0;
    }
    return {
      proto: protoName(proto, fam),
      ipProto: proto,
      origH: addrText(fam, keys[ao], keys[ao + 1], keys[ao + 2], keys[ao + 3]),
      origP: op,
      respH: addrText(fam, keys[ro], keys[ro + 1], keys[ro + 2], keys[ro + 3]),
      respP: rp,
      connState: CONN_STATES[connStateOf(st, id, proto)],
      history: histText(st, id),
      tcpState: proto === 6 ? TCP_STATES[this.wireState(st, id)] : null,
      origPkts: st.f[id * FS + O_PKTS],
      respPkts: st.f[id * FS + R_PKTS],
      origIpBytes: st.f[id * FS + O_IP],
      respIpBytes: st.f[id * FS + R_IP],
      origBytes: st.f[id * FS + O_PAY],
      respBytes: st.f[id * FS + R_PAY],
      origFrameBytes: st.f[id * FS + O_FRAME],
      respFrameBytes: st.f[id * FS + R_FRAME],
      startUs: st.f[id * FS + START],
      durationUs: st.f[id * FS + LAST] - st.f[id * FS + START],
    };
  }

  /** netstat state; TIME_WAIT turns CLOSED after 2 MSL (60 s) without packets. */
  private wireState(st: FlowStore, id: number): number {
    const n = st.b[id * UB + B_NET];
    if (n === T.TIME_WAIT && this.clock[NOW] - st.f[id * FS + LAST] > 60e6) return T.CLOSED;
    return n;
  }

  /** Called when a flow ends (see FlowEndHook); set by exporters. */
  onFlowEnd: FlowEndHook | null = null;
  /** Called when a flow ends, before onFlowEnd; set by the security monitor (src/detect), which folds per-flow counts. */
  onFlowEndMonitor: FlowEndHook | null = null;

  /** Fills `rec` with the numbers of the flow in table entry `id` (no allocation). */
  readFlow(id: number, rec: FlowRecord): void {
    const st = this.s;
    const keys = this.table.keys;
    const b = id * KEY_WORDS;
    const w9 = keys[b + 9];
    const fl = st.u[id * US + U_FLAGS];
    const origIsA = (fl & F_ORIG_IS_A) !== 0;
    const ao = origIsA ? b : b + 4;
    const ro = origIsA ? b + 4 : b;
    rec.family = (w9 >>> 8) & 0xff;
    rec.ipProto = w9 & 0x7f;
    for (let i = 0; i < 4; i++) {
      rec.origAddr[i] = keys[ao + i];
      rec.respAddr[i] = keys[ro + i];
    }
    if ((fl & F_ECHO) !== 0) {
      rec.origPort = rec.family === 6 ? 128 : 8;
      rec.respPort = rec.family === 6 ? 129 : 0;
    } else {
      rec.origPort = origIsA ? keys[b + 8] >>> 16 : keys[b + 8] & 0xffff;
      rec.respPort = origIsA ? keys[b + 8] & 0xffff : keys[b + 8] >>> 16;
    }
    const f = st.f;
    const o = id * FS;
    rec.origPkts = f[o + O_PKTS];
    rec.respPkts = f[o + R_PKTS];
    rec.origIpBytes = f[o + O_IP];
    rec.respIpBytes = f[o + R_IP];
    rec.origBytes = f[o + O_PAY];
    rec.respBytes = f[o + R_PAY];
    rec.origFrameBytes = f[o + O_FRAME];
    rec.respFrameBytes = f[o + R_FRAME];
    rec.startUs = f[o + START];
    rec.lastUs = f[o + LAST];
    const tf = st.u[id * US + U_TCPFL];
    rec.origTcpFlags = tf & 0xffff;
    rec.respTcpFlags = tf >>> 16;
    rec.connState = connStateOf(st, id, rec.ipProto);
  }

  /** The Zeek-style row of the flow in table entry `id` (allocates: per flow, not per packet). */
  rowOf(id: number): FlowRow {
    return this.row(this.s, this.table.keys, id);
  }

  /**
   * The first `n` flows in the table by `key`: 'bytes' or 'packets' (both ways, descending),
   * 'idle' (latest packet first) or 'age' (oldest first); ties by start time, originator address
   * text, originator port. Rows are built for those n only.
   */
  topActive(n: number, key: 'bytes' | 'packets' | 'idle' | 'age'): FlowRow[] {
    const f = this.s.f;
    const t = this.table;
    const tie = (a: number, b: number): boolean => {
      const d = f[a * FS + START] - f[b * FS + START];
      if (d !== 0) return d < 0;
      const x = this.row(this.s, t.keys, a);
      const y = this.row(this.s, t.keys, b);
      return x.origH < y.origH || (x.origH === y.origH && (x.origP < y.origP || (x.origP === y.origP && a < b)));
    };
    let score: (id: number) => number;
    if (key === 'packets') score = (id) => f[id * FS + O_PKTS] + f[id * FS + R_PKTS];
    else if (key === 'idle') score = (id) => f[id * FS + LAST];
    else if (key === 'age') score = () => 0;
    else score = (id) => f[id * FS + O_FRAME] + f[id * FS + R_FRAME];
    const before = (a: number, b: number): boolean => {
      const d = score(b) - score(a);
      return d < 0 || (d === 0 && tie(a, b));
    };
    return selectTop(n, (visit) => t.forEach(visit), before).map((id) => this.row(this.s, t.keys, id));
  }

  /** Flows in the table by protocol class: [tcp, udp, icmp (and ICMPv6), other]. */
  activeByProto(): number[] {
    const c = [0, 0, 0, 0];
    const k = this.table.keys;
    this.table.forEach((id) => {
      const proto = k[id * KEY_WORDS + 9] & 0x7f;
      c[proto === 6 ? 0 : proto === 17 ? 1 : proto === 1 || proto === 58 ? 2 : 3]++;
    });
    return c;
  }

  /** Every flow in the table (tests, exports). */
  activeRows(): FlowRow[] {
    const rows: FlowRow[] = [];
    this.table.forEach(id => rows.push(this.row(this.s, this.table.keys, id)));
    return rows;
  }

  snapshot(): FlowSummary {
    const byState = new Float64Array(this.doneByState);
    const byProto = new Float64Array(this.doneByProto);
    const byTcp = new Float64Array(TCP_STATES.length);
    const t = this.table;
    const s = this.s;
    // candidates for the top list: kept completed flows + the largest active ones
    const n = this.topN;
    const topIds: number[] = [];
    t.forEach(id => {
      const proto = t.keys[id * KEY_WORDS + 9] & 0x7f;
      byState[connStateOf(s, id, proto)]++;
      byProto[proto === 6 ? 0 : proto === 17 ? 1 : proto === 1 || proto === 58 ? 2 : 3]++;
      if (proto === 6) byTcp[this.wireState(s, id)]++;
      if (n > 0) {
        if (topIds.length < n) topIds.push(id);
        else {
          let min = 0;
          for (let i = 1; i < n; i++) if (s.totalIp(topIds[i]) < s.totalIp(topIds[min])) min = i;
          if (s.totalIp(id) > s.totalIp(topIds[min])) topIds[min] = id;
        }
      }
    });
    const rows: FlowRow[] = topIds.map(id => this.row(s, t.keys, id));
    for (let i = 0; i < this.topCount; i++) rows.push(this.row(this.top, this.top.keys, i));
    rows.sort((a, b) => b.origIpBytes + b.respIpBytes - (a.origIpBytes + a.respIpBytes) || a.startUs - b.startUs);
    const rec = (names: readonly string[], v: Float64Array) => {
      const o: Record<string, number> = {};
      names.forEach((nm, i) => (o[nm] = v[i]));
      return o;
    };
    const evicted = this.evicted;
    return {
      capacity: t.capacity,
      total: this.total,
      active: t.size,
      completed: evicted + this.expired + this.reused,
      evicted,
      expired: this.expired,
      reused: this.reused,
      byProto: rec(['tcp', 'udp', 'icmp', 'other'], byProto),
      byConnState: rec(CONN_STATES, byState),
      byTcpState: rec(TCP_STATES, byTcp),
      top: rows.slice(0, n),
    };
  }
}
