// Security monitoring over the flow table: the passive service inventory and scan detection.
//
// SecurityMonitor runs after FlowTable.add() for each packet (TrafficStats calls it, sharing its
// flow table); SecuritySink is the standalone PacketSink with a flow table of its own (dump).
import type { PacketInfo } from '../../decoders/packet-info';
import type { PacketSink } from '../pipeline';
import { FlowTable } from '../stats/flows';
import { ServiceInventory, Fs, type ServiceRow } from './services';
import { ScanDetector, type ScanOptions, type ScanAlert } from './scan';
import { loadAddrs } from './addr';

export type { ServiceRow, ScanAlert, ScanOptions };

export interface DetectOptions {
  scan?: ScanOptions;
  maxServices?: number;
}

export class SecurityMonitor {
  readonly services: ServiceInventory;
  readonly scans: ScanDetector;
  private readonly a = new Uint32Array(8);
  private readonly clock: Float64Array;
  /** Per flow id: what its next packet needs (Fs bits, see ./services), shared by both parts. */
  private readonly fs: Uint8Array;

  constructor(readonly flows: FlowTable, opts: DetectOptions = {}) {
    this.fs = new Uint8Array(flows.table.capacity);
    this.services = new ServiceInventory(opts.maxServices, flows, this.fs);
    this.scans = new ScanDetector(flows.table.capacity, opts.scan, this.fs);
    this.clock = this.scans.clock;
    flows.onFlowEndMonitor = (id) => this.services.flowEnded(id);
  }

  /** After flows.add(p) returned `flowId`; `created`: flows.total changed during that call. */
  observe(p: PacketInfo, data: Uint8Array, flowId: number, created: boolean): void {
    // (small, so that it inlines into the caller: everything else is in slow())
    const ts = p.tsSec * 1e6 + Math.floor(p.tsNsec / 1000);
    const c = this.clock;
    if (flowId >= 0 && !created) {
      // most packets: a flow with nothing pending, bound to its service (counted per flow) or
      // known to have none
      const st = this.fs[flowId];
      if ((st & Fs.Slow) === 0) {
        if (ts >= c[0]) c[0] = ts;
        else if ((st & Fs.Bound) !== 0) this.services.late(flowId, c);
        return;
      }
    }
    if (ts > c[0]) c[0] = ts;
    this.slow(p, data, flowId, created);
  }

  /** A packet that starts a flow, has no flow, or whose flow has something to settle (Fs.Slow). */
  private slow(p: PacketInfo, data: Uint8Array, flowId: number, created: boolean): void {
    const proto = p.ipProto;
    const tcpUdp = p.srcPort >= 0 && (proto === 6 || proto === 17);
    if (created) {
      // a new flow (or a new one under the same key): keep only its pending probe (resolved below)
      this.fs[flowId] =
        (this.fs[flowId] & Fs.Pending) |
        (tcpUdp ? Fs.Lookup : 0) |
        ((proto === 1 && p.icmpType === 3) || (proto === 58 && p.icmpType === 1) ? Fs.IcmpErr : 0);
    }
    const fromOrig = this.flows.lastFromOrig === 1;
    // addresses are loaded only when a flow starts or its service is not known yet
    let fam = -1;
    if (created) {
      fam = loadAddrs(p, data, this.a);
      if (fam === 0) return;
    }
    this.scans.observe(p, data, fam, this.a, flowId, created, fromOrig);
    if (flowId >= 0 && tcpUdp) {
      const c = this.clock;
      if (this.services.cached(p, flowId, created, fromOrig, c)) return;
      if (fam < 0) fam = loadAddrs(p, data, this.a);
      if (fam !== 0) this.services.observe(p, fam, this.a, flowId, created, fromOrig, c);
    }
  }

  onBatchEnd(): void {
    this.scans.expire();
  }

  finish(): void {
    this.scans.finish();
  }

  alerts(): ScanAlert[] {
    return this.scans.alerts();
  }

  serviceRows(): ServiceRow[] {
    return this.services.snapshot();
  }
}

/** A PacketSink with its own flow table, for commands that do not keep statistics (dump). */
export class SecuritySink implements PacketSink {
  readonly flows: FlowTable;
  readonly monitor: SecurityMonitor;

  constructor(opts: DetectOptions & { maxFlows?: number } = {}) {
    this.flows = new FlowTable({ maxFlows: opts.maxFlows ?? 262144, top: 0 });
    this.monitor = new SecurityMonitor(this.flows, opts);
  }

  onPacket(p: PacketInfo, data: Uint8Array): void {
    if (p.ipVersion === 0) return;
    const before = this.flows.total;
    const id = this.flows.add(p, data);
    this.monitor.observe(p, data, id, this.flows.total !== before);
  }

  onBatchEnd(): void {
    this.flows.expire();
    this.monitor.onBatchEnd();
  }

  finish(): void {
    this.monitor.finish();
  }
}

/** One alert as an NDJSON line. */
export function alertJson(a: ScanAlert): string {
  return JSON.stringify(a) + '\n';
}

/** One alert as a stderr line (printable ASCII only: addresses and numbers). */
export function alertLine(a: ScanAlert): string {
  return `portscope: alert: ${a.message.replace(/[^\x20-\x7e]/g, '?')}\n`;
}
