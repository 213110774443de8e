// Security monitoring over the flow table: the passive service inventory and scan detection.
//
// SecurityMonitor runs after FlowTable.add() for each packet (TrafficStats calls it, sharing its
// flow table); SecuritySink is the standalone PacketSink with a flow table of its own (dump).
import type { PacketInfo } from '../../decoders/packet-info';
import type { PacketSink } from '../pipeline';
import { FlowTable } from '../stats/flows';
import { ServiceInventory, type ServiceRow } from './services';
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

  constructor(readonly flows: FlowTable, opts: DetectOptions = {}) {
    this.services = new ServiceInventory(opts.maxServices, flows.table.capacity);
    this.scans = new ScanDetector(flows.table.capacity, opts.scan);
    this.clock = this.scans.clock;
  }

  /** After flows.add(p) returned `flowId`; `created`: flows.total changed during that call. */
  observe(p: PacketInfo, data: Uint8Array, flowId: number, created: boolean): void {
    const ts = p.tsSec * 1e6 + Math.floor(p.tsNsec / 1000);
    if (ts > this.clock[0]) this.clock[0] = ts;
    const fromOrig = this.flows.lastFromOrig === 1;
    // addresses are loaded only when a flow starts or its service is not known yet
    let fam = -1;
    if (created) {
      fam = loadAddrs(p, data, this.a);
      if (fam === 0) return;
    }
    this.scans.observe(p, data, fam, this.a, flowId, created, fromOrig);
    if (flowId >= 0 && p.srcPort >= 0 && (p.ipProto === 6 || p.ipProto === 17)) {
      if (this.services.cached(p, flowId, created, fromOrig, this.clock)) return;
      if (fam < 0) fam = loadAddrs(p, data, this.a);
      if (fam !== 0) this.services.observe(p, fam, this.a, flowId, created, fromOrig, this.clock);
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
