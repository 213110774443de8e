// Overview: throughput of the last 60 s (bits/s and packets/s, packet time), protocol breakdown,
// top ports, top talkers and recent alerts, laid out to the available size.
import type { DashSnapshot } from './model';
import { SERIES_SECONDS } from './model';
import { line, clip, fit, sparkline, bar, bytes, bitRate, pktRate, percent, shortCount, sideBySide, safe, layoutColumns, tableHead, tableRow, fitRight, type Glyphs, type Line, type Column } from './text';
import { sortedPorts, portLabel, serviceName, rateText } from './render-ports';
import type { Rendered } from './render-table';
import { alertLine } from './render-alerts';
import { OVERVIEW_TALKERS, OVERVIEW_TEXT_PORTS } from './views-meta';

/** The two sparkline rows (bits/s, packets/s) with the latest whole-second value at the right. */
export function renderThroughput(s: DashSnapshot, w: number, g: Glyphs): Line[] {
  const bps = new Float64Array(SERIES_SECONDS);
  for (let i = 0; i < SERIES_SECONDS; i++) bps[i] = s.seriesBytes[i] * 8;
  const r1 = s.stats.counters.rates[0];
  const cur = (v: string) => fitRight(v, 12);
  const sw = Math.max(0, Math.min(SERIES_SECONDS, w - 8 - 13));
  return [
    line(clip(`Throughput, last ${SERIES_SECONDS} s (packet time)`, w), 'title'),
    line(clip(` bit/s ${sparkline(bps, sw, g)} ${cur(bitRate(r1 ? r1.bitsPerSec : null))}`, w)),
    line(clip(` pkt/s ${sparkline(s.seriesPkts, sw, g)} ${cur(pktRate(r1 ? r1.packetsPerSec : null))}`, w)),
  ];
}

const PROTOS = [
  ['TCP', 'tcp'],
  ['UDP', 'udp'],
  ['ICMP', 'icmp'],
  ['other IP', 'otherIp'],
  ['non-IP', 'nonIp'],
] as const;

/** Protocol breakdown by bytes: a bar per class. */
export function renderProtocols(s: DashSnapshot, w: number, g: Glyphs): Line[] {
  const by = s.stats.counters.bytes;
  const total = by.total;
  const bw = Math.max(3, w - 30);
  const out: Line[] = [line(clip('Protocols (bytes)', w), 'title')];
  for (const [label, k] of PROTOS) {
    out.push(line(clip(` ${fit(label, 8)} ${bar(by[k], total, bw, g)} ${fitRight(percent(by[k], total), 4)} ${fitRight(bytes(by[k]), 9)}`, w)));
  }
  return out;
}

/** Top talkers: hosts by bytes in + out. */
export function renderTalkers(s: DashSnapshot, w: number, n: number): Line[] {
  const hosts = s.stats.hosts.slice().sort((a, b) => b.bytesIn + b.bytesOut - (a.bytesIn + a.bytesOut) || (a.address < b.address ? -1 : 1));
  const total = s.stats.counters.bytes.total;
  const out: Line[] = [line(clip('Top talkers (bytes in + out)', w), 'title')];
  const aw = Math.max(8, w - 16);
  for (const h of hosts.slice(0, n)) {
    const b = h.bytesIn + h.bytesOut;
    out.push(line(clip(` ${fit(safe(h.address), aw - 1)} ${fitRight(bytes(b), 9)} ${fitRight(percent(b, total), 4)}`, w)));
  }
  if (hosts.length === 0) out.push(line(' (no IP traffic yet)', 'dim'));
  return out;
}

const PORT_COLS: readonly Column[] = [
  { title: 'PORT', width: 9 },
  { title: 'SERVICE', width: 10, flex: true },
  { title: 'PACKETS', width: 7, right: true },
  { title: 'BYTES', width: 8, right: true },
  { title: 'RATE', width: 11, right: true },
];

export function renderTopPorts(s: DashSnapshot, w: number, n: number): Line[] {
  const rows = sortedPorts(s, 'bytes', 'all');
  const widths = layoutColumns(PORT_COLS, w - 1);
  const out: Line[] = [
    line(clip(`Top ports by bytes (${Math.min(n, rows.length)} of ${s.portCounts !== null ? s.portCounts.tcp + s.portCounts.udp : rows.length})`, w), 'title'),
    line(clip(' ' + tableHead(PORT_COLS, widths), w), 'head'),
  ];
  for (const r of rows.slice(0, n)) {
    out.push(line(clip(' ' + tableRow(PORT_COLS, widths, [portLabel(r), serviceName(r), shortCount(r.packets), bytes(r.bytes), rateText(s, r)]), w)));
  }
  if (rows.length === 0) out.push(line(' (no TCP or UDP traffic yet)', 'dim'));
  return out;
}

export function renderRecentAlerts(s: DashSnapshot, w: number, n: number): Line[] {
  const out: Line[] = [line(clip(`Recent alerts (${s.alerts.length})`, w), 'title')];
  if (s.alerts.length === 0) out.push(line(' (none)', 'dim'));
  for (const a of s.alerts.slice(-n).reverse()) out.push(line(clip(' ' + alertLine(a), w), 'warn'));
  return out;
}

/**
 * The overview in `h` lines (0: natural size for the text mode). Two columns from 76 columns up
 * (protocols | talkers); the top ports get the rows that are left. `throughput` false: the
 * screen draws the throughput as a chart of its own (large terminals).
 */
export function renderOverview(s: DashSnapshot, w: number, h: number, g: Glyphs, throughput = true): Rendered {
  const lines: Line[] = throughput ? renderThroughput(s, w, g) : [];
  const twoCols = w >= 76;
  const alertRows = h === 0 ? 5 : h >= 24 ? 3 : 1;
  if (twoCols) {
    const lw = Math.floor((w - 2) / 2);
    lines.push(...sideBySide(renderProtocols(s, lw, g), renderTalkers(s, w - lw - 2, OVERVIEW_TALKERS), lw));
  } else {
    lines.push(...renderProtocols(s, w, g));
    if (h === 0 || h >= 30) lines.push(...renderTalkers(s, w, OVERVIEW_TALKERS));
  }
  const alerts = renderRecentAlerts(s, w, alertRows);
  const left = h === 0 ? OVERVIEW_TEXT_PORTS : h - lines.length - alerts.length - 2;
  if (left > 0) lines.push(...renderTopPorts(s, w, left));
  if (h === 0 || lines.length + alerts.length <= h) lines.push(...alerts);
  return { lines: h > 0 ? lines.slice(0, h) : lines, total: 0 };
}
