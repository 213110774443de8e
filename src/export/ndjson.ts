// NDJSON exporter: one JSON object a line for every finished flow, with Zeek conn.log field names
// (ts, uid, id.orig_h, id.orig_p, id.resp_h, id.resp_p, proto, service, duration, orig_bytes,
// resp_bytes, conn_state, missed_bytes, history, orig_pkts, orig_ip_bytes, resp_pkts,
// resp_ip_bytes), and one for every scan alert (Zeek notice.log names: note, msg, sub, src, dst, n).
// Zeek's JSON writer's `_path` ("conn", "notice") tells the two apart in one stream, and
// `_system_name` names the sensor. Extensions (not in Zeek): orig_frame_bytes / resp_frame_bytes
// (frame wire bytes, what the port profile counts), ip_proto, end_reason; `alert` holds the full
// portscope alert.
//
// Lines are printable ASCII (non-ASCII escaped as \uXXXX). Written through one OutBuf; flushed
// after every batch and at the end. Runs per finished flow, never per packet.
import * as fs from 'node:fs';
import { OutBuf } from '../print/out';
import { FlowEnd, type FlowTable, type FlowRow } from '../stats/flows';
import type { ScanAlert } from '../detect/index';
import { serviceOf } from '../report/services';

const REASONS: Record<number, string> = {
  [FlowEnd.Idle]: 'idle',
  [FlowEnd.Reused]: 'reused',
  [FlowEnd.Forced]: 'end-of-input',
  [FlowEnd.Evicted]: 'evicted',
};

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function base62(n: number, width: number): string {
  let t = '';
  for (let i = 0; i < width; i++) {
    t = B62[n % 62] + t;
    n = Math.floor(n / 62);
  }
  return t;
}

/** JSON text with every character outside printable ASCII escaped. */
export function asciiJson(v: unknown): string {
  return JSON.stringify(v).replace(/[^\x20-\x7e]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Zeek's transport_proto names. */
function zeekProto(r: FlowRow): string {
  return r.ipProto === 6 ? 'tcp' : r.ipProto === 17 ? 'udp' : r.ipProto === 1 || r.ipProto === 58 ? 'icmp' : 'unknown_transport';
}

/** The conn.log object of one flow row. `uid`: Zeek-style connection id. */
export function connObject(r: FlowRow, uid: string, sensor: string, reason: number): Record<string, unknown> {
  const o: Record<string, unknown> = {
    _path: 'conn',
    _system_name: sensor,
    ts: Math.round(r.startUs) / 1e6,
    uid,
    'id.orig_h': r.origH,
    'id.orig_p': r.origP,
    'id.resp_h': r.respH,
    'id.resp_p': r.respP,
    proto: zeekProto(r),
  };
  // Zeek's service comes from protocol analysis; ours is the IANA name of the responder's port.
  if (r.ipProto === 6 || r.ipProto === 17) {
    const s = serviceOf(r.ipProto === 6 ? 'tcp' : 'udp', r.respP).service;
    if (s !== '') o.service = s;
  }
  o.duration = Math.round(r.durationUs) / 1e6;
  o.orig_bytes = r.origBytes;
  o.resp_bytes = r.respBytes;
  o.conn_state = r.connState;
  o.missed_bytes = 0;
  o.history = r.history;
  o.orig_pkts = r.origPkts;
  o.orig_ip_bytes = r.origIpBytes;
  o.resp_pkts = r.respPkts;
  o.resp_ip_bytes = r.respIpBytes;
  o.orig_frame_bytes = r.origFrameBytes;
  o.resp_frame_bytes = r.respFrameBytes;
  o.ip_proto = r.ipProto;
  o.end_reason = REASONS[reason] ?? 'unknown';
  return o;
}

/** The notice.log-style object of one alert. */
export function alertObject(a: ScanAlert, sensor: string): Record<string, unknown> {
  const o: Record<string, unknown> = {
    _path: 'notice',
    _system_name: sensor,
    ts: a.first,
    note: a.type === 'port-scan' ? 'Scan::Port_Scan' : 'Scan::Address_Scan',
    msg: a.message,
    sub: a.technique,
    src: a.scanner,
  };
  if (a.target !== null) o.dst = a.target;
  o.n = a.type === 'port-scan' ? a.ports : a.targetCount;
  o.alert = a;
  return o;
}

export class NdjsonExporter {
  flowsWritten = 0;
  alertsWritten = 0;
  private readonly out: OutBuf;
  private readonly seed: number;
  private closed = false;

  /** `fd`: an open descriptor (1 for "-"); closed by close() unless it is standard output. */
  constructor(
    private readonly fd: number,
    private readonly flows: FlowTable,
    private readonly sensor: string,
  ) {
    this.out = new OutBuf(fd, 1 << 18);
    this.seed = Math.floor(Math.random() * 62 ** 5);
  }

  /** Opens FILE for writing (or standard output for "-"). */
  static open(file: string, flows: FlowTable, sensor: string): NdjsonExporter {
    let fd = 1;
    if (file !== '-') {
      try {
        fd = fs.openSync(file, 'w');
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        const why = err.code === 'ENOENT' ? 'No such file or directory' : err.code === 'EACCES' ? 'Permission denied' : err.code === 'EISDIR' ? 'Is a directory' : err.message;
        throw new Error(`${file}: ${why}`);
      }
    }
    return new NdjsonExporter(fd, flows, sensor);
  }

  private line(o: Record<string, unknown>): void {
    this.out.ascii(asciiJson(o));
    this.out.byte(10);
    this.out.maybeFlush();
  }

  /** The flow table's end hook: one conn line for flow `id`. */
  flowEnded(id: number, reason: number): void {
    const uid = 'C' + base62(this.seed, 5) + base62(this.flowsWritten, 12);
    this.line(connObject(this.flows.rowOf(id), uid, this.sensor, reason));
    this.flowsWritten++;
  }

  /** One notice line (called when an alert's episode is final). */
  alert(a: ScanAlert): void {
    this.line(alertObject(a, this.sensor));
    this.alertsWritten++;
  }

  onBatchEnd(): void {
    this.out.flush();
  }

  /** End of input: a line for every flow still in the table, then flush and close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.flows.table.forEach((id) => this.flowEnded(id, FlowEnd.Forced));
    this.out.flush();
    if (this.fd !== 1) fs.closeSync(this.fd);
  }
}
