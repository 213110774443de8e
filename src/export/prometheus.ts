// Prometheus exporter: GET /metrics in the text exposition format (prom-client).
//
// Every value is kept by portscope's own statistics (TrafficStats, the capture's pcap_stats, the
// sensor's alert counts) and read when Prometheus scrapes, in collect() callbacks: nothing goes
// through the client library per packet. Every series carries the `sensor` label (the instance
// name); Prometheus adds its own `instance` (the scraped address) and `job`.
//
// Port series: labels (proto, port, service, direction). direction "to" counts packets whose
// destination port is the port (and not the source), "from" the reverse, "both" packets with
// source port = destination port = the port, so the sum over directions is the profile's
// per-port total (a packet counts once toward each distinct port it carries). Cardinality is
// bounded: at each scrape, while fewer than `topPorts` (proto, port) pairs have a series of their
// own, the busiest others (by bytes) are given one, and they keep it; every other port is summed
// into port="other" (service="other"). A port that gets its own series moves its past counts out
// of "other", so "other" can drop while the set is filling: query it with that in mind.
import * as http from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { TrafficStats } from '../stats/index';
import { COUNTER_NAMES } from '../stats/counters';
import { PORT_PROTO_NAMES, PORT_STRIDE, PortField } from '../stats/ports';
import { serviceOf } from '../report/services';

export const DEFAULT_TOP_PORTS = 100;

/** The capture's own counters (pcap_stats); null when reading a file. */
export type CaptureStatsFn = () => { received: number; dropped: number; ifDropped: number } | null;

export interface PrometheusOptions {
  /** Value of the `sensor` label on every series. */
  sensor: string;
  /** Most (proto, port) pairs with series of their own (default 100). */
  topPorts?: number;
  captureStats?: CaptureStatsFn;
  /** Extra counters read at scrape time (alerts by type, exporter records). */
  alertsByType?: () => Record<string, number>;
  exporterRecords?: () => Record<string, number>;
}

type PortLabels = 'proto' | 'port' | 'service' | 'direction';
const DIRECTIONS = ['to', 'from', 'both'] as const;

export class PrometheusExporter {
  readonly registry = new Registry();
  private readonly labeled = new Set<number>();
  private readonly topPorts: number;
  private server: http.Server | null = null;
  private scratch: Float64Array | null = null;
  scrapes = 0;

  constructor(
    private readonly stats: TrafficStats,
    opts: PrometheusOptions,
  ) {
    this.topPorts = opts.topPorts ?? DEFAULT_TOP_PORTS;
    const reg = this.registry;
    reg.setDefaultLabels({ sensor: opts.sensor });
    const self = this;
    // Registered first, so its collect() (which fills both port counters from one snapshot of
    // the port table) runs before the bytes counter is read.
    let portBytes: Counter<PortLabels> | null = null;
    new Counter<PortLabels>({
      name: 'portscope_port_packets_total',
      help: 'TCP/UDP packets by port; direction to/from/both (sum over directions = packets carrying the port)',
      labelNames: ['proto', 'port', 'service', 'direction'],
      registers: [reg],
      collect() {
        if (portBytes !== null) self.collectPorts(this, portBytes);
      },
    });
    portBytes = new Counter<PortLabels>({
      name: 'portscope_port_bytes_total',
      help: 'Frame bytes (wire length) of TCP/UDP packets by port, as portscope_port_packets_total',
      labelNames: ['proto', 'port', 'service', 'direction'],
      registers: [reg],
    });
    new Counter<'class'>({
      name: 'portscope_interface_packets_total',
      help: 'Packets by class (IPTraf detailed interface statistics)',
      labelNames: ['class'],
      registers: [reg],
      collect() {
        this.reset();
        COUNTER_NAMES.forEach((n, i) => this.inc({ class: n }, stats.counters.packets[i]));
      },
    });
    new Counter<'class'>({
      name: 'portscope_interface_bytes_total',
      help: 'Frame bytes by class (IPTraf detailed interface statistics)',
      labelNames: ['class'],
      registers: [reg],
      collect() {
        this.reset();
        COUNTER_NAMES.forEach((n, i) => this.inc({ class: n }, stats.counters.bytes[i]));
      },
    });
    const cap = opts.captureStats ?? (() => null);
    const capCounter = (name: string, help: string, key: 'received' | 'dropped' | 'ifDropped') =>
      new Counter({
        name,
        help,
        registers: [reg],
        collect() {
          this.reset();
          const s = cap();
          this.inc(s === null ? 0 : s[key]);
        },
      });
    capCounter('portscope_capture_received_packets_total', 'Packets received by the capture filter (pcap_stats ps_recv; 0 for files)', 'received');
    capCounter('portscope_kernel_dropped_packets_total', 'Packets dropped by the kernel (pcap_stats ps_drop; 0 for files)', 'dropped');
    capCounter('portscope_interface_dropped_packets_total', 'Packets dropped by the interface or driver (pcap_stats ps_ifdrop)', 'ifDropped');
    new Gauge({
      name: 'portscope_flows_active',
      help: 'Flows in the flow table',
      registers: [reg],
      collect() {
        this.set(stats.flows.table.size);
      },
    });
    new Gauge({
      name: 'portscope_flows_capacity',
      help: 'Flow table capacity (--max-flows)',
      registers: [reg],
      collect() {
        this.set(stats.flows.table.capacity);
      },
    });
    const flowCounter = (name: string, help: string, get: () => number) =>
      new Counter({
        name,
        help,
        registers: [reg],
        collect() {
          this.reset();
          this.inc(get());
        },
      });
    flowCounter('portscope_flows_total', 'Flows created', () => stats.flows.total);
    flowCounter('portscope_flow_evictions_total', 'Flows evicted from a full flow table', () => stats.flows.evicted);
    flowCounter('portscope_flows_expired_total', 'Flows ended by their idle timeout', () => stats.flows.expired);
    const alerts = opts.alertsByType ?? (() => ({}));
    new Counter<'type'>({
      name: 'portscope_alerts_total',
      help: 'Scan alerts raised, by type',
      labelNames: ['type'],
      registers: [reg],
      collect() {
        this.reset();
        for (const [type, n] of Object.entries(alerts()) as [string, number][]) this.inc({ type }, n);
      },
    });
    const exp = opts.exporterRecords ?? (() => ({}));
    new Counter<'exporter'>({
      name: 'portscope_export_records_total',
      help: 'Records sent by the flow exporters (ipfix data records, ndjson lines)',
      labelNames: ['exporter'],
      registers: [reg],
      collect() {
        this.reset();
        for (const [exporter, n] of Object.entries(exp()) as [string, number][]) this.inc({ exporter }, n);
      },
    });
  }

  /** Fills both port counters from one pass over the port table's arrays (no rows built). */
  private collectPorts(packets: Counter<PortLabels>, bytes: Counter<PortLabels>): void {
    this.scrapes++;
    packets.reset();
    bytes.reset();
    // The port table may count per flow (flows still open are folded into a copy, as
    // PortStats.snapshot does); the copy goes into one scratch array reused across scrapes.
    const ports = this.stats.ports;
    let v: Float64Array = ports.v;
    if (ports.liveFold !== null) {
      if (this.scratch === null) this.scratch = new Float64Array(v.length);
      this.scratch.set(v);
      ports.liveFold(this.scratch);
      v = this.scratch;
    }
    const S = PORT_STRIDE;
    const F = PortField;
    const n = v.length / S;
    if (this.labeled.size < this.topPorts) {
      const cand: number[] = [];
      for (let i = 0; i < n; i++) if (v[i * S + F.packets] > 0 && !this.labeled.has(i)) cand.push(i);
      cand.sort((x, y) => v[y * S + F.bytes] - v[x * S + F.bytes] || x - y);
      for (let k = 0; k < cand.length && this.labeled.size < this.topPorts; k++) this.labeled.add(cand[k]);
    }
    // per (proto, direction): packets at [p * 6 + d], bytes at [p * 6 + 3 + d]
    const other = new Float64Array(12);
    const pk = new Float64Array(3);
    const by = new Float64Array(3);
    for (let i = 0; i < n; i++) {
      const o = i * S;
      const total = v[o + F.packets];
      if (total === 0) continue;
      // to only, from only, both (source port = destination port)
      pk[0] = total - v[o + F.packetsFrom];
      pk[1] = total - v[o + F.packetsTo];
      pk[2] = v[o + F.packetsTo] + v[o + F.packetsFrom] - total;
      by[0] = v[o + F.bytes] - v[o + F.bytesFrom];
      by[1] = v[o + F.bytes] - v[o + F.bytesTo];
      by[2] = v[o + F.bytesTo] + v[o + F.bytesFrom] - v[o + F.bytes];
      const proto = i >>> 16;
      if (!this.labeled.has(i)) {
        for (let d = 0; d < 3; d++) {
          other[proto * 6 + d] += pk[d];
          other[proto * 6 + 3 + d] += by[d];
        }
        continue;
      }
      const name = PORT_PROTO_NAMES[proto];
      const port = i & 0xffff;
      const service = serviceOf(name, port).service;
      for (let d = 0; d < 3; d++) {
        if (pk[d] === 0) continue;
        const labels = { proto: name, port: String(port), service, direction: DIRECTIONS[d] };
        packets.inc(labels, pk[d]);
        bytes.inc(labels, by[d]);
      }
    }
    for (let p = 0; p < 2; p++) {
      for (let d = 0; d < 3; d++) {
        if (other[p * 6 + d] === 0) continue;
        const labels = { proto: PORT_PROTO_NAMES[p], port: 'other', service: 'other', direction: DIRECTIONS[d] };
        packets.inc(labels, other[p * 6 + d]);
        bytes.inc(labels, other[p * 6 + 3 + d]);
      }
    }
  }

  /** Serves GET /metrics on [host:]port; resolves once listening, rejects with one line. */
  listen(host: string, port: number): Promise<void> {
    const server = http.createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { 'Content-Type': 'text/plain' }).end('method not allowed\n');
      } else if (url === '/metrics') {
        this.registry.metrics().then(
          (text) => res.writeHead(200, { 'Content-Type': this.registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
          () => res.writeHead(500, { 'Content-Type': 'text/plain' }).end('collect failed\n'),
        );
      } else if (url === '/') {
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<a href="/metrics">/metrics</a>\n');
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      }
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        const where = `${host === '' ? '' : host.includes(':') ? `[${host}]:` : `${host}:`}${port}`;
        reject(new Error(`--prometheus ${where}: ${e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.message}`));
      });
      server.listen(port, host === '' ? undefined : host, () => resolve());
    });
  }

  /** The port actually bound (useful with port 0). */
  get port(): number {
    const a = this.server?.address();
    return a !== null && typeof a === 'object' && a !== undefined ? a.port : 0;
  }

  close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s === null) return Promise.resolve();
    return new Promise((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}
