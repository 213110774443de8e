// Traffic statistics: one PacketSink that feeds every table (ports, hosts, stations, flows,
// interface counters, packet sizes). Identical for live capture and files. Views (the profile
// report, the dashboard at ~1 Hz) read snapshot(); nothing here draws or formats.
import { type PacketInfo } from '../../decoders/packet-info';
import type { PacketSink } from '../pipeline';
import { PortStats, type PortRow } from './ports';
import { HostStats, StationStats, DEFAULT_MAX_HOSTS, DEFAULT_MAX_STATIONS, type HostRow, type StationRow } from './hosts';
import { FlowTable, type FlowOptions, type FlowSummary } from './flows';
import { InterfaceCounters, PacketSizes, DEFAULT_MTU, type CountersSnapshot, type SizesSnapshot } from './counters';
import { SecurityMonitor, type DetectOptions, type ScanAlert, type ServiceRow } from '../detect/index';

export interface StatsOptions extends FlowOptions {
  maxHosts?: number;
  maxStations?: number;
  mtu?: number;
  /** Service inventory and scan detection (src/detect): on unless false. */
  detect?: DetectOptions | false;
}

export interface StatsSnapshot {
  counters: CountersSnapshot;
  sizes: SizesSnapshot;
  ports: PortRow[];
  hosts: HostRow[];
  /** Packets whose host (or station) was not tracked because its table was full. */
  hostsUntrackedPackets: number;
  hostsCapacity: number;
  stations: StationRow[];
  stationsUntrackedPackets: number;
  flows: FlowSummary;
  /** Scan alerts so far (src/detect); absent when detection is off. */
  alerts?: ScanAlert[];
  /** Passive service inventory (src/detect); absent when detection is off. */
  services?: ServiceRow[];
}

export class TrafficStats implements PacketSink {
  readonly ports = new PortStats();
  readonly hosts: HostStats;
  readonly stations: StationStats;
  readonly flows: FlowTable;
  readonly counters = new InterfaceCounters();
  readonly sizes: PacketSizes;
  /** Services and scans, sharing the flow table (null when opts.detect is false). */
  readonly security: SecurityMonitor | null;

  constructor(opts: StatsOptions = {}) {
    this.hosts = new HostStats(opts.maxHosts ?? DEFAULT_MAX_HOSTS);
    this.stations = new StationStats(opts.maxStations ?? DEFAULT_MAX_STATIONS);
    this.flows = new FlowTable(opts, this.hosts, this.ports);
    this.flows.countPortsAndHostsPerFlow();
    this.sizes = new PacketSizes(opts.mtu ?? DEFAULT_MTU);
    this.security = opts.detect === false ? null : new SecurityMonitor(this.flows, opts.detect ?? {});
  }

  onPacket(p: PacketInfo, data: Uint8Array): void {
    this.counters.onPacket(p, data);
    this.sizes.add(p.wireLen);
    this.stations.onPacket(p, data);
    if (p.ipVersion === 0) return;
    // Ports and hosts are counted per flow (folded in when the flow ends, live flows at snapshot
    // time): the same totals as per packet, without more random memory writes per packet.
    const flows = this.flows;
    const before = flows.total;
    const id = flows.add(p, data);
    if (this.security !== null) this.security.observe(p, data, id, flows.total !== before);
    if (id < 0) {
      this.hosts.addUnflowed(p, data); // (a packet without a flow has no ports)
      return;
    }
    if (flows.srcHost < 0) this.hosts.untrackedPackets++;
    if (flows.dstHost < 0) this.hosts.untrackedPackets++;
  }

  onBatchEnd(): void {
    this.flows.expire();
    this.security?.onBatchEnd();
  }

  /** End of input: unanswered probes fail, open scan episodes become final. */
  finish(): void {
    this.security?.finish();
  }

  /**
   * Everything the views read. `sketches`: include the serialised distinct-count sketches that
   * merging needs (the profile report does; a 1 Hz dashboard can pass false and save the work).
   */
  snapshot(sketches = true): StatsSnapshot {
    return {
      counters: this.counters.snapshot(),
      sizes: this.sizes.snapshot(),
      ports: this.ports.snapshot(sketches),
      hosts: this.hosts.snapshot(sketches),
      hostsUntrackedPackets: this.hosts.untrackedPackets,
      hostsCapacity: this.hosts.capacity,
      stations: this.stations.snapshot(),
      stationsUntrackedPackets: this.stations.untrackedPackets,
      flows: this.flows.snapshot(),
      ...(this.security !== null ? { alerts: this.security.alerts(), services: this.security.serviceRows() } : {}),
    };
  }
}
