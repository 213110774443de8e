// IPFIX exporter (RFC 7011) over UDP: one uniflow Data Record per direction of a flow, with the
// IANA information elements below, sent when the flow ends (idle timeout, end of TCP connection,
// eviction, end of input) and every `activeTimeoutSec` of packet time while it lasts (delta counts).
//
// Message:  | version 10 | length | export time (s) | sequence number | observation domain id |
// Set:      | set id (2 template, >= 256 data) | set length | records ... |
// Templates 256 (IPv4) and 257 (IPv6) go out in the first message and again every
// `templateRefreshSec` (wall clock): over UDP a collector that restarts learns them again
// (RFC 7011 section 8.4). The sequence number counts the Data Records sent before the message.
//
// Records are encoded into one reused message buffer; a message is copied out and sent when the
// next record would not fit in `mtu` bytes, after every batch and at the end. Nothing here runs per
// packet: the flow table calls flowEnded() per finished flow, the sink calls onBatchEnd().
import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import * as net from 'node:net';
import { CONN_STATES, FlowEnd, FlowRecord, type FlowTable } from '../stats/flows';

/** IANA IPFIX information element ids (https://www.iana.org/assignments/ipfix). */
export const IE = {
  octetDeltaCount: 1,
  packetDeltaCount: 2,
  protocolIdentifier: 4,
  tcpControlBits: 6,
  sourceTransportPort: 7,
  sourceIPv4Address: 8,
  destinationTransportPort: 11,
  destinationIPv4Address: 12,
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  flowEndReason: 136,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
} as const;

/** flowEndReason values (IANA): the FlowEnd constants of the flow table plus active timeout. */
export const EndReason = { Idle: 1, Active: 2, EndOfFlow: 3, Forced: 4, LackOfResources: 5 } as const;

export const TEMPLATE_V4 = 256;
export const TEMPLATE_V6 = 257;

/** [IE id, length] of each field, in record order; the address fields depend on the family. */
function templateFields(v6: boolean): [number, number][] {
  return [
    [v6 ? IE.sourceIPv6Address : IE.sourceIPv4Address, v6 ? 16 : 4],
    [v6 ? IE.destinationIPv6Address : IE.destinationIPv4Address, v6 ? 16 : 4],
    [IE.sourceTransportPort, 2],
    [IE.destinationTransportPort, 2],
    [IE.protocolIdentifier, 1],
    [IE.tcpControlBits, 2],
    [IE.packetDeltaCount, 8],
    [IE.octetDeltaCount, 8],
    [IE.flowStartMilliseconds, 8],
    [IE.flowEndMilliseconds, 8],
    [IE.flowEndReason, 1],
  ];
}
const REC_LEN_V4 = templateFields(false).reduce((n, f) => n + f[1], 0); // 48
const REC_LEN_V6 = templateFields(true).reduce((n, f) => n + f[1], 0); // 72
const MSG_HEADER = 16;
const SET_HEADER = 4;

/** The template set announcing both templates (fixed bytes, built once). */
function templateSet(): Uint8Array {
  const parts: number[] = [];
  const u16 = (v: number) => parts.push(v >>> 8, v & 255);
  for (const [id, v6] of [[TEMPLATE_V4, false], [TEMPLATE_V6, true]] as const) {
    const f = templateFields(v6);
    u16(id);
    u16(f.length);
    for (const [ie, len] of f) {
      u16(ie);
      u16(len);
    }
  }
  const body = Uint8Array.from(parts);
  const set = new Uint8Array(SET_HEADER + body.length);
  set[0] = 0;
  set[1] = 2;
  set[2] = set.length >>> 8;
  set[3] = set.length & 255;
  set.set(body, SET_HEADER);
  return set;
}

export interface IpfixOptions {
  host: string;
  port: number;
  /** Observation domain id (default 0). */
  domainId?: number;
  /** Seconds of packet time between interim records of a long flow; 0 = only at its end (default 60). */
  activeTimeoutSec?: number;
  /** Seconds (wall clock) between template retransmissions (default 60). */
  templateRefreshSec?: number;
  /** Largest message, bytes (default 1400: fits an Ethernet MTU with IP and UDP headers). */
  mtu?: number;
  /**
   * Most messages sent per second (default 5000, about 7 MB/s or 140,000 records/s): a collector's
   * socket buffer overflows when thousands of datagrams arrive at once (the flush at the end of a
   * file, a burst of evictions). Messages wait in a queue of at most `maxQueue` (default 20,000).
   */
  messagesPerSec?: number;
  maxQueue?: number;
}

const CLOSED_STATES = new Set(['SF', 'REJ', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR'].map((s) => CONN_STATES.indexOf(s as never)));

export class IpfixExporter {
  /** Data records, messages and bytes sent; send errors (no collector listening, ...). */
  records = 0;
  messages = 0;
  bytesSent = 0;
  sendErrors = 0;
  private readonly msg: Uint8Array;
  private readonly view: DataView;
  private pos = MSG_HEADER;
  /** Offset of the open data set's header, -1 none; its template id. */
  private setStart = -1;
  private setId = 0;
  private recsInMsg = 0;
  private readonly templates = templateSet();
  private lastTemplateMs = -Infinity;
  private readonly mtu: number;
  private readonly domainId: number;
  private readonly activeUs: number;
  private readonly refreshMs: number;
  /** Per flow entry: counts already exported (orig, resp) and the packet time of the last interim record. */
  private readonly expPkts: Float64Array;
  private readonly expOct: Float64Array;
  private readonly expAt: Float64Array;
  private lastScanUs = 0;
  private readonly rec = new FlowRecord();
  /** Messages waiting to be sent (paced), sends in flight, the pacing timer. */
  private readonly queue: Buffer[] = [];
  private queueHead = 0;
  private pending = 0;
  private pump: NodeJS.Timeout | null = null;
  private windowStart = 0;
  private sentInWindow = 0;
  private readonly perTick: number;
  private readonly maxQueue: number;
  /** Messages dropped because the queue was full (the collector sees a sequence-number gap). */
  messagesDropped = 0;
  private drained: (() => void) | null = null;
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly flows: FlowTable,
    opts: IpfixOptions,
  ) {
    this.mtu = Math.max(256, opts.mtu ?? 1400);
    this.msg = new Uint8Array(this.mtu);
    this.view = new DataView(this.msg.buffer);
    this.domainId = opts.domainId ?? 0;
    this.activeUs = (opts.activeTimeoutSec ?? 60) * 1e6;
    this.refreshMs = (opts.templateRefreshSec ?? 60) * 1000;
    this.perTick = Math.max(1, Math.ceil((opts.messagesPerSec ?? 5000) / 100));
    this.maxQueue = opts.maxQueue ?? 20000;
    const cap = flows.table.capacity;
    this.expPkts = new Float64Array(cap * 2);
    this.expOct = new Float64Array(cap * 2);
    this.expAt = new Float64Array(cap);
    socket.on('error', () => {
      this.sendErrors++;
    });
  }

  /** Resolves the collector and opens a connected UDP socket; rejects with one line on failure. */
  static async open(flows: FlowTable, opts: IpfixOptions): Promise<IpfixExporter> {
    let addr = opts.host;
    let family = net.isIP(addr);
    if (family === 0) {
      try {
        const r = await dns.promises.lookup(addr);
        addr = r.address;
        family = r.family;
      } catch {
        throw new Error(`--ipfix ${opts.host}:${opts.port}: cannot resolve ${JSON.stringify(opts.host)}`);
      }
    }
    const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      const onErr = (e: Error) => reject(new Error(`--ipfix ${opts.host}:${opts.port}: ${e.message}`));
      socket.once('error', onErr);
      socket.connect(opts.port, addr, () => {
        socket.removeListener('error', onErr);
        resolve();
      });
    });
    return new IpfixExporter(socket, flows, opts);
  }

  /** The flow table's end hook: exports what is left of flow `id` (reason: a FlowEnd value). */
  flowEnded(id: number, reason: number): void {
    const rec = this.rec;
    this.flows.readFlow(id, rec);
    let r = reason;
    if (reason === FlowEnd.Idle && rec.ipProto === 6 && CLOSED_STATES.has(rec.connState)) r = EndReason.EndOfFlow;
    this.emit(id, rec, r);
    this.expPkts[2 * id] = this.expPkts[2 * id + 1] = 0;
    this.expOct[2 * id] = this.expOct[2 * id + 1] = 0;
    this.expAt[id] = 0;
  }

  /** After every batch: interim records of long flows (active timeout), then send what is queued. */
  onBatchEnd(): void {
    const now = this.flows.nowUs;
    if (this.activeUs > 0 && now - this.lastScanUs >= 1e6) {
      this.lastScanUs = now;
      const rec = this.rec;
      this.flows.table.forEach((id) => {
        this.flows.readFlow(id, rec);
        const since = this.expAt[id] > 0 ? this.expAt[id] : rec.startUs;
        if (now - since < this.activeUs) return;
        this.emit(id, rec, EndReason.Active);
        this.expPkts[2 * id] = rec.origPkts;
        this.expPkts[2 * id + 1] = rec.respPkts;
        this.expOct[2 * id] = rec.origIpBytes;
        this.expOct[2 * id + 1] = rec.respIpBytes;
        this.expAt[id] = now;
      });
    }
    this.send();
  }

  /** End of input: every flow still in the table ends (forced end), everything is sent; closes the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flows.table.forEach((id) => {
      this.flows.readFlow(id, this.rec);
      this.emit(id, this.rec, EndReason.Forced);
      this.expPkts[2 * id] = this.rec.origPkts;
      this.expPkts[2 * id + 1] = this.rec.respPkts;
      this.expOct[2 * id] = this.rec.origIpBytes;
      this.expOct[2 * id + 1] = this.rec.respIpBytes;
    });
    this.send();
    this.closed = true;
    if (this.pending > 0 || this.queue.length > this.queueHead) await new Promise<void>((resolve) => (this.drained = resolve));
    this.socket.close();
  }

  private emit(id: number, rec: FlowRecord, reason: number): void {
    const start = this.expAt[id] > 0 ? this.expAt[id] : rec.startUs;
    const op = rec.origPkts - this.expPkts[2 * id];
    if (op > 0) this.record(rec, true, op, rec.origIpBytes - this.expOct[2 * id], start, reason);
    const rp = rec.respPkts - this.expPkts[2 * id + 1];
    if (rp > 0) this.record(rec, false, rp, rec.respIpBytes - this.expOct[2 * id + 1], start, reason);
  }

  /** Appends one Data Record (the originator's direction when `fromOrig`). */
  private record(rec: FlowRecord, fromOrig: boolean, pkts: number, octets: number, startUs: number, reason: number): void {
    const v6 = rec.family === 6;
    const len = v6 ? REC_LEN_V6 : REC_LEN_V4;
    const tid = v6 ? TEMPLATE_V6 : TEMPLATE_V4;
    if (this.pos + (this.setId === tid ? 0 : SET_HEADER) + len > this.mtu) this.send();
    if (this.pos === MSG_HEADER) this.maybeTemplates();
    if (this.setId !== tid) {
      this.closeSet();
      this.setStart = this.pos;
      this.setId = tid;
      this.view.setUint16(this.pos, tid);
      this.pos += SET_HEADER;
    }
    const v = this.view;
    let o = this.pos;
    const src = fromOrig ? rec.origAddr : rec.respAddr;
    const dst = fromOrig ? rec.respAddr : rec.origAddr;
    const words = v6 ? 4 : 1;
    for (let i = 0; i < words; i++, o += 4) v.setUint32(o, src[i]);
    for (let i = 0; i < words; i++, o += 4) v.setUint32(o, dst[i]);
    const proto = rec.ipProto;
    let sp = fromOrig ? rec.origPort : rec.respPort;
    let dp = fromOrig ? rec.respPort : rec.origPort;
    if (proto === 1 || proto === 58) {
      // ICMP has type and code, not ports: collectors (nfdump) read the destination port as
      // type * 256 + code. Echo flows (rows say 8/0 or 128/129): request one way, reply the other.
      const op = rec.origPort;
      const rp = rec.respPort;
      const echo = proto === 1 ? op === 8 && rp === 0 : op === 128 && rp === 129;
      dp = echo ? (fromOrig ? op : proto === 1 ? 0 : 129) * 256 : op * 256 + rp;
      sp = 0;
    }
    v.setUint16(o, sp);
    v.setUint16(o + 2, dp);
    v.setUint8(o + 4, proto);
    v.setUint16(o + 5, proto === 6 ? (fromOrig ? rec.origTcpFlags : rec.respTcpFlags) & 0xfff : 0);
    o += 7;
    o = u64(v, o, pkts);
    o = u64(v, o, octets);
    o = u64(v, o, Math.floor(startUs / 1000));
    o = u64(v, o, Math.floor(rec.lastUs / 1000));
    v.setUint8(o, reason);
    this.pos = o + 1;
    this.recsInMsg++;
  }

  private maybeTemplates(): void {
    const now = Date.now();
    if (now - this.lastTemplateMs < this.refreshMs) return;
    this.lastTemplateMs = now;
    this.msg.set(this.templates, this.pos);
    this.pos += this.templates.length;
  }

  private closeSet(): void {
    if (this.setStart >= 0) this.view.setUint16(this.setStart + 2, this.pos - this.setStart);
    this.setStart = -1;
    this.setId = 0;
  }

  /** Sends the message being built (if it holds records) and starts the next. */
  private send(): void {
    if (this.recsInMsg === 0) return;
    this.closeSet();
    const v = this.view;
    v.setUint16(0, 10);
    v.setUint16(2, this.pos);
    v.setUint32(4, Math.floor(Date.now() / 1000));
    v.setUint32(8, this.records % 0x100000000);
    v.setUint32(12, this.domainId);
    this.records += this.recsInMsg;
    this.messages++;
    this.bytesSent += this.pos;
    const out = Buffer.from(this.msg.subarray(0, this.pos)); // a copy: the buffer is reused
    this.pos = MSG_HEADER;
    this.recsInMsg = 0;
    if (this.queue.length - this.queueHead >= this.maxQueue) {
      this.messagesDropped++;
      return;
    }
    this.queue.push(out);
    if (this.pump === null) this.sendSome();
  }

  /** Sends queued messages, at most perTick per 10 ms window; the rest when the next window opens. */
  private sendSome(): void {
    this.pump = null;
    const now = Date.now();
    if (now - this.windowStart >= 10) {
      this.windowStart = now;
      this.sentInWindow = 0;
    }
    const q = this.queue;
    while (this.sentInWindow < this.perTick && this.queueHead < q.length) {
      const out = q[this.queueHead++];
      this.sentInWindow++;
      this.pending++;
      this.socket.send(out, (err) => {
        if (err) this.sendErrors++;
        this.pending--;
        this.checkDrained();
      });
    }
    if (this.queueHead === q.length) {
      q.length = 0;
      this.queueHead = 0;
    } else {
      this.pump = setTimeout(() => this.sendSome(), Math.max(1, 10 - (Date.now() - this.windowStart)));
    }
  }

  private checkDrained(): void {
    if (this.pending === 0 && this.queue.length === this.queueHead && this.drained !== null) this.drained();
  }
}

/** Writes a non-negative integer below 2^53 as an unsigned 64-bit big-endian field. */
function u64(v: DataView, o: number, n: number): number {
  const hi = Math.floor(n / 0x100000000);
  v.setUint32(o, hi);
  v.setUint32(o + 4, n - hi * 0x100000000);
  return o + 8;
}
