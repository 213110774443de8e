// The dashboard's model: what the views read (DashSnapshot, taken about once a second), the view
// state the keys change (ViewState), and the engine that owns the statistics sinks, the display
// filter and the per-port rates. Statistics never draw and views never count: the engine's
// sinks run in the capture pipeline; snapshot() is the only thing the views call.
import type { PacketSink, FilterProvider } from '../pipeline';
import type { PacketInfo } from '../../decoders/packet-info';
import type { FilterFn } from '../filter/types';
import { TrafficStats, type StatsOptions, type StatsSnapshot } from '../stats/index';
import type { FlowRow, FlowSummary } from '../stats/flows';
import { PORT_STRIDE, PortField, type PortRow } from '../stats/ports';
import type { HostRow } from '../stats/hosts';
import { VIEW_SORTS, OVERVIEW_TEXT_ROWS } from './views-meta';
import type { SizesSnapshot } from '../stats/counters';
import type { ServiceRow } from '../detect/index';

const EMPTY_SIZES: SizesSnapshot = { mtu: 0, bucketWidth: 0, mtuBuckets: [], pow2Buckets: [] };
const EMPTY_FLOWS: FlowSummary = {
  capacity: 0, total: 0, active: 0, completed: 0, evicted: 0, expired: 0, reused: 0,
  byProto: {}, byConnState: {}, byTcpState: {}, top: [],
};

/** Seconds of history in the throughput chart. */
export const SERIES_SECONDS = 60;

export interface AlertRow {
  /** Epoch microseconds, 0 unknown. */
  timeUs: number;
  kind: string;
  text: string;
}

export interface DashMeta {
  /** File path or interface name. */
  source: string;
  live: boolean;
  /** Capture filter (command line). */
  filter: string;
  /** Display filter ('' none). */
  displayFilter: string;
  /** Last display-filter compile error ('' none). */
  displayFilterError: string;
  /** Wall-clock time since the dashboard started. */
  elapsedMs: number;
  /** pcap_stats drops (live), null for files. */
  kernelDrops: number | null;
  /** Replay position: bytes read of the file's size; null live or unknown. */
  position: { offset: number; size: number } | null;
  /** "1x", "2.5x", "max", or "" live. */
  speed: string;
  /** The file has been read to its end (or the capture stopped). */
  finished: boolean;
  paused: boolean;
}

export interface DashSnapshot {
  meta: DashMeta;
  stats: StatsSnapshot;
  /** Packets and bytes of each of the last SERIES_SECONDS seconds (packet time), oldest first. */
  seriesPkts: Float64Array;
  seriesBytes: Float64Array;
  /** Bits per second of each port over the last refresh, key protoIndex * 65536 + port. */
  portRates: Map<number, number>;
  /** Active flows (connections view), null when not requested. */
  flows: FlowRow[] | null;
  /**
   * Windowed snapshots (see TopEngine.snapshot): stats.ports, stats.hosts and flows hold only the
   * first rows of the view's order; the full counts are here (null: the lists are complete).
   * Active TCP and UDP ports; active flows by [tcp, udp, icmp, other].
   */
  portCounts: { tcp: number; udp: number } | null;
  flowCounts: number[] | null;
  /** Hosts and LAN stations tracked (also when their rows were not gathered). */
  hostCount: number;
  stationCount: number;
  /** Latest packet time, epoch microseconds (0 before the first packet). */
  nowUs: number;
  /** Scan alerts, oldest first. */
  alerts: AlertRow[];
  /** Services seen serving, oldest first (alerts view only; [] otherwise). */
  newServices: AlertRow[];
}

export const VIEW_COUNT = 7;

/** What a dashboard snapshot must hold rows for: the view state and the body height in rows. */
export interface SnapshotWindow {
  state: ViewState;
  rows: number;
}
export type PortProtoFilter = 'all' | 'tcp' | 'udp';

/** What the keys change: the current view, its sort and scroll, and per-view toggles. */
export class ViewState {
  view = 0;
  readonly sort = new Array<number>(VIEW_COUNT).fill(0);
  readonly scroll = new Array<number>(VIEW_COUNT).fill(0);
  portProto: PortProtoFilter = 'all';
  /** Hosts view: by IP address or by MAC address (LAN stations). */
  hostsByMac = false;
  /** Text mode (--rows N): at most this many rows per table, the first of the view's order. */
  rowLimit = Infinity;
  help = false;
}

/** Scan alerts (src/detect ScanAlert, or any object with a message) as rows, oldest first. */
export function alertsOf(raw: readonly unknown[] | undefined): AlertRow[] {
  if (!Array.isArray(raw)) return [];
  const out: AlertRow[] = [];
  for (const a of raw) {
    if (a === null || typeof a !== 'object') {
      out.push({ timeUs: 0, kind: 'alert', text: String(a) });
      continue;
    }
    const o = a as Record<string, unknown>;
    const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
    const timeUs = num(o.timeUs) || num(o.last) * 1e6 || num(o.first) * 1e6 || num(o.ts) * 1e6;
    const kind = String(o.kind ?? o.type ?? o.name ?? 'alert');
    const textV = o.message ?? o.text ?? o.summary ?? o.description;
    let text = typeof textV === 'string' ? textV : JSON.stringify(o);
    if (text.startsWith(kind + ': ')) text = text.slice(kind.length + 2);
    if (o.final === false) text += ' (ongoing)';
    out.push({ timeUs, kind, text });
  }
  return out;
}

/** Services first seen serving (src/detect ServiceRow) as "new service" rows, oldest first. */
export function newServicesOf(rows: readonly ServiceRow[] | undefined): AlertRow[] {
  if (!rows) return [];
  return rows
    .slice()
    .sort((a, b) => a.firstSeen - b.firstSeen || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0) || a.port - b.port)
    .map((r) => {
      const ep = r.host.includes(':') ? `[${r.host}]:${r.port}` : `${r.host}:${r.port}`;
      const clients = `${r.clientsExact ? '' : '~'}${r.clients} client${r.clients === 1 ? '' : 's'}`;
      return { timeUs: r.firstSeen * 1e6, kind: 'new service', text: `${ep}/${r.proto} ${r.service || '(unassigned)'} (${r.evidence}, ${clients})` };
    });
}

/** Runs the display filter (one FilterFn per link type) on each packet and feeds its own statistics. */
class DisplaySink implements PacketSink {
  private readonly filters: (FilterFn | null | undefined)[] = [];
  constructor(
    readonly provider: FilterProvider,
    readonly stats: TrafficStats,
    private readonly snaplen: number,
  ) {}

  onPacket(p: PacketInfo, data: Uint8Array): void {
    const lt = p.linkType;
    let f = this.filters[lt];
    if (f === undefined) {
      try {
        f = this.provider(lt, this.snaplen);
      } catch {
        f = () => 0; // this link type cannot match the expression: nothing of it is shown
      }
      this.filters[lt] = f;
    }
    if (f !== null && f(data, p.frameStart, p.capLen, p.wireLen) === 0) return;
    this.stats.onPacket(p, data);
  }

  onBatchEnd(): void {
    this.stats.onBatchEnd();
  }
}

export interface EngineOptions {
  stats?: StatsOptions;
  /** Compiles a display filter; throws FilterError with libpcap's message. */
  compile: (expr: string) => FilterProvider;
  /** Link type and snaplen of the first interface (display filters compile eagerly for them). */
  linkType: number;
  snaplen: number;
  /** Flow capacity of the display-filter statistics (default min(max-flows, 100,000)). */
  displayMaxFlows?: number;
}

/** Owns the capture's statistics, the display-filter statistics and the per-port rate tracker. */
export class TopEngine implements PacketSink {
  readonly all: TrafficStats;
  private display: DisplaySink | null = null;
  displayFilter = '';
  displayFilterError = '';
  private readonly prevPortBytes = new Float64Array(2 * 65536);
  private readonly portRate = new Float64Array(2 * 65536);
  /** Reused buffers for the port and host counters with the open flows folded in. */
  private readonly scratchBufs: (Float64Array | null)[] = [null, null];

  private scratch(i: number, n: number): Float64Array {
    let b = this.scratchBufs[i];
    if (b === null || b.length !== n) b = this.scratchBufs[i] = new Float64Array(n);
    return b;
  }
  private prevUs = 0;
  private prevStats: TrafficStats | null = null;
  private readonly seriesPkts = new Float64Array(SERIES_SECONDS);
  private readonly seriesBytes = new Float64Array(SERIES_SECONDS);

  constructor(private readonly opts: EngineOptions) {
    this.all = new TrafficStats(opts.stats ?? {});
  }

  /**
   * The display filter's sink alone (null without one): a finished file is read again into it,
   * so a display filter set after the end still shows the whole file.
   */
  get displaySink(): PacketSink | null {
    return this.display;
  }

  /** Statistics the views show: the display filter's when one is set. */
  get shown(): TrafficStats {
    return this.display !== null ? this.display.stats : this.all;
  }

  onPacket(p: PacketInfo, data: Uint8Array): void {
    this.all.onPacket(p, data);
    const d = this.display;
    if (d !== null) d.onPacket(p, data);
  }

  onBatchEnd(): void {
    this.all.onBatchEnd();
    const d = this.display;
    if (d !== null) d.onBatchEnd();
  }

  /**
   * Sets the display filter ('' clears it). Returns the compile error text (one line, the
   * filter unchanged) or '' on success; the display statistics restart from zero.
   */
  setDisplayFilter(expr: string): string {
    expr = expr.trim();
    if (expr === '') {
      this.display = null;
      this.displayFilter = '';
      this.displayFilterError = '';
      return '';
    }
    let provider: FilterProvider;
    try {
      provider = this.opts.compile(expr);
      provider(this.opts.linkType, this.opts.snaplen);
    } catch (e) {
      this.displayFilterError = `${expr}: ${(e as Error).message}`.replace(/\s*\n\s*/g, ' ');
      return this.displayFilterError;
    }
    const so = this.opts.stats ?? {};
    const maxFlows = this.opts.displayMaxFlows ?? Math.min(so.maxFlows ?? 100_000, 100_000);
    this.display = new DisplaySink(provider, new TrafficStats({ ...so, maxFlows }), this.opts.snaplen);
    this.displayFilter = expr;
    this.displayFilterError = '';
    return '';
  }

  /**
   * Takes the snapshot the views render (about once a second). `view`: only what that view (or
   * list of views) reads is gathered (the other tables are left empty), or everything with 'all'.
   * `win` (the dashboard): the large tables (ports, hosts, flows) hold only the first
   * `state.scroll + rows` rows of the view's current order (top-N selections over the typed
   * arrays), with their full counts in portCounts / hostCount / flowCounts.
   */
  snapshot(meta: Omit<DashMeta, 'displayFilter' | 'displayFilterError'>, view: number | readonly number[] | 'all', win?: SnapshotWindow): DashSnapshot {
    const st = this.shown;
    const views = view === 'all' ? null : typeof view === 'number' ? [view] : view;
    // overview 0, ports 1, connections 2, hosts 3, interface 4, sizes 5, alerts 6
    const need = (...vs: number[]) => views === null || vs.some((v) => views.includes(v));
    const w = win !== undefined && typeof view === 'number' ? win : null;
    const sortOf = (v: number): string => {
      const sorts = VIEW_SORTS[v];
      return w !== null ? sorts[w.state.sort[v] % sorts.length] : sorts[0];
    };
    // rows a view needs: the window (the dashboard), or the overview's natural size (text mode)
    const want = (v: number): number => (w === null ? OVERVIEW_TEXT_ROWS : Math.max(1, w.rows) + (w.state.view === v ? w.state.scroll[v] : 0));
    // full lists only for the text mode's ports and hosts views (they print every row)
    const winPorts = w !== null || (views !== null && !views.includes(1));
    const winHosts = w !== null || (views !== null && !views.includes(3));
    const counters = st.counters.snapshot();
    const nowUs = counters.lastUs;
    // ports (overview, ports view): the counters with the open flows folded in, read once
    let ports: PortRow[] = [];
    let portCounts: { tcp: number; udp: number } | null = null;
    const rates = new Map<number, number>();
    if (this.prevStats !== st) {
      this.prevStats = st;
      this.prevPortBytes.fill(0);
      this.prevUs = 0;
    }
    if (need(0, 1)) {
      const pv = st.ports.folded(this.scratch(0, st.ports.v.length));
      // per-port bit rates: bytes since the previous port snapshot over the packet time between them
      const prev = this.prevPortBytes;
      const rate = this.portRate;
      const dt = (nowUs - this.prevUs) / 1e6;
      const had = this.prevUs > 0;
      let any = false;
      for (let i = 0; i < 2 * 65536; i++) {
        const o = i * PORT_STRIDE;
        if (pv[o + PortField.packets] === 0) {
          rate[i] = 0;
          continue;
        }
        any = true;
        const b = pv[o + PortField.bytes];
        rate[i] = had && dt > 0 ? ((b - prev[i]) * 8) / dt : 0;
        prev[i] = b;
      }
      if (any && nowUs > this.prevUs) this.prevUs = nowUs;
      if (!winPorts) {
        for (let i = 0; i < 2 * 65536; i++) if (pv[i * PORT_STRIDE + PortField.packets] !== 0) ports.push(st.ports.rowAt(pv, i));
      } else {
        portCounts = st.ports.activeCounts(pv);
        ports =
          w !== null && view === 1
            ? st.ports.topPorts(pv, want(1), sortOf(1) as 'packets', w.state.portProto, rate)
            : st.ports.topPorts(pv, want(0), 'bytes', 'all', rate);
      }
      if (had) for (const r of ports) rates.set((r.proto === 'tcp' ? 0 : 65536) + r.port, rate[(r.proto === 'tcp' ? 0 : 65536) + r.port]);
    }
    // hosts (overview's talkers, hosts view by IP)
    let hosts: HostRow[] = [];
    const byMac = w !== null && w.state.hostsByMac;
    if (need(0) || (need(3) && !byMac)) {
      if (!winHosts) hosts = st.hosts.snapshot(false);
      else {
        const hv = st.hosts.folded(this.scratch(1, st.hosts.v.length));
        hosts = w !== null && view === 3 ? st.hosts.topHosts(hv, want(3), sortOf(3) as 'bytes') : st.hosts.topHosts(hv, want(0), 'bytes');
      }
    }
    const stats: StatsSnapshot = {
      counters,
      sizes: need(5) ? st.sizes.snapshot() : EMPTY_SIZES,
      ports,
      hosts,
      hostsUntrackedPackets: st.hosts.untrackedPackets,
      hostsCapacity: st.hosts.capacity,
      stations: need(3) && (w === null || byMac) ? st.stations.snapshot() : [],
      stationsUntrackedPackets: st.stations.untrackedPackets,
      flows: need(2, 4) ? st.flows.snapshot() : EMPTY_FLOWS,
    };
    if (need(6) && st.security !== null) {
      stats.alerts = st.security.alerts();
      stats.services = st.security.serviceRows();
    }
    st.counters.perSecond(this.seriesPkts, this.seriesBytes);
    let flows: FlowRow[] | null = null;
    let flowCounts: number[] | null = null;
    if (need(2)) {
      if (w === null) flows = st.flows.activeRows();
      else {
        flows = st.flows.topActive(want(2), sortOf(2) as 'bytes');
        flowCounts = st.flows.activeByProto();
      }
    }
    return {
      meta: { ...meta, displayFilter: this.displayFilter, displayFilterError: this.displayFilterError },
      stats,
      seriesPkts: Float64Array.from(this.seriesPkts),
      seriesBytes: Float64Array.from(this.seriesBytes),
      portRates: rates,
      portCounts,
      flows,
      flowCounts,
      hostCount: st.hosts.table.size,
      stationCount: st.stations.table.size,
      nowUs,
      alerts: alertsOf(stats.alerts ?? (need(0) && st.security !== null ? st.security.alerts() : undefined)),
      newServices: newServicesOf(stats.services),
    };
  }
}
