// Renders a profile document as JSON, CSV (the per-port table), Markdown or a plain-text table.
// The text formats share one section model (counters, rates, ports, hosts, stations, flows, sizes,
// the service inventory and the scan alerts); CSV is one table, the per-port one: services[] and
// alerts[] are in the JSON, Markdown and table formats. Every string is sanitised: control
// characters are escaped by ui/text safe() (\xNN), other non-ASCII characters as \uNNNN (the
// output is written as ASCII), '|' is escaped in Markdown, CSV fields are quoted.
import { type ProfileDoc } from './profile';
import { COUNTER_NAMES } from '../stats/counters';
import { safe } from '../ui/text';
import type { ScanAlert } from '../detect/scan';
import type { ServiceRow } from '../detect/services';

export const FORMATS = ['json', 'csv', 'md', 'table'] as const;
export type ProfileFormat = (typeof FORMATS)[number];

export interface RenderOptions {
  /** Rows per table in the md/table formats. */
  top: number;
}

interface Section {
  title: string;
  headers: string[];
  /** Right-align these columns (numbers). */
  numeric: boolean[];
  rows: string[][];
  note?: string;
}

/** Printable ASCII: control characters as \xNN (safe()), the rest of non-ASCII as \uNNNN. */
function clean(s: unknown): string {
  // String(): a hand-edited profile may hold anything
  return safe(String(s ?? '')).replace(/[^\x00-\x7e]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function n(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return digits > 0 ? v.toFixed(digits) : String(Math.round(v));
}

function time(sec: number | null): string {
  if (sec === null || !(sec > 0) || !(sec < 8.64e12)) return '-'; // Date's range
  const ms = Math.floor(sec * 1000);
  const us = Math.round(sec * 1e6) - ms * 1000;
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, (_, m) => `.${m}${String(us).padStart(3, '0')}Z`);
}

function endpoint(h: string, p: number): string {
  return String(h).includes(':') ? `[${clean(h)}]:${p}` : `${clean(h)}:${p}`;
}

/** The passive service inventory, largest by bytes first (the JSON lists every row, by host). */
function servicesSection(services: ServiceRow[] | undefined, top: number): Section {
  const all = Array.isArray(services) ? services : [];
  const rows = all
    .map((v, i) => ({ v, i }))
    .sort((a, b) => (Number(b.v.bytes) || 0) - (Number(a.v.bytes) || 0) || a.i - b.i)
    .slice(0, top)
    .map(({ v }) => [
      clean(v.host), clean(v.proto), n(v.port), clean(v.service || '-'), (v.clientsExact === false ? '~' : '') + n(v.clients),
      n(v.packets), n(v.bytes), time(v.firstSeen), time(v.lastSeen),
    ]);
  return {
    title: `Services seen serving, by bytes (${rows.length} of ${all.length})`,
    headers: ['host', 'proto', 'port', 'service', 'clients', 'packets', 'bytes', 'first seen', 'last seen'],
    numeric: [false, false, true, false, true, true, true, false, false],
    rows,
    note: services === undefined ? 'not recorded in this profile' : undefined,
  };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);

/** One scan alert (src/detect/scan.ts ScanAlert; any JSON in a hand-edited profile) as a row. */
function alertRow(x: unknown): string[] {
  const a = (x !== null && typeof x === 'object' ? x : { type: x }) as Partial<Record<keyof ScanAlert, unknown>>;
  let target = str(a.target);
  if (target === '') {
    const sample = strs(a.targets);
    const count = num(a.targetCount) ?? sample.length;
    target = `${n(count)} hosts` + (sample.length > 0 ? `: ${sample.slice(0, 4).join(' ')}${count > 4 || sample.length > 4 ? ' ...' : ''}` : '');
  }
  const techniques = a.techniques !== null && typeof a.techniques === 'object' ? Object.entries(a.techniques) : [];
  const technique = str(a.technique) + (techniques.length > 1 ? ` (${techniques.map(([k, v]) => `${k} ${n(num(v))}`).join(', ')})` : '');
  const sample = strs(a.portSample);
  const failed = num(a.failedPorts);
  const approx = a.portsExact === false ? '~' : '';
  return [
    str(a.type) + (a.final === false ? ' (ongoing)' : ''), str(a.scanner), target, technique,
    approx + n(num(a.ports)), approx + n(failed), sample.join(' ') + (failed !== null && failed > sample.length ? ' ...' : ''),
    time(num(a.first)), time(num(a.last)),
  ];
}

function alertsSection(alerts: unknown, top: number): Section {
  const all: unknown[] = Array.isArray(alerts) ? alerts : [];
  return {
    title: `Scan alerts (${Math.min(top, all.length)} of ${all.length})`,
    headers: ['type', 'scanner', 'target(s)', 'technique', 'ports probed', 'ports failed', 'failed ports (sample)', 'first', 'last'],
    numeric: [false, false, false, false, true, true, false, false, false],
    rows: all.slice(0, top).map(alertRow),
  };
}

function sections(doc: ProfileDoc, top: number): Section[] {
  const out: Section[] = [];
  const c = doc.counters;
  out.push({
    title: 'Interface counters',
    headers: ['class', 'packets', 'bytes'],
    numeric: [false, true, true],
    rows: COUNTER_NAMES.map((k) => [k, n(c.packets[k]), n(c.bytes[k])]),
  });
  const rates: string[][] = [['average', n(c.average.packetsPerSec, 1), n(c.average.bitsPerSec, 0)]];
  for (const r of c.rates ?? []) rates.push([`last ${r.windowSec} s`, n(r.packetsPerSec, 1), n(r.bitsPerSec, 0)]);
  out.push({ title: 'Rates (packet time)', headers: ['window', 'packets/s', 'bits/s'], numeric: [false, true, true], rows: rates });
  out.push({
    title: `Top ports by bytes (${Math.min(top, doc.ports.length)} of ${doc.ports.length})`,
    headers: ['proto', 'port', 'service', 'class', 'packets', 'bytes', 'pkts to', 'pkts from', 'bytes to', 'bytes from', 'peers', 'first seen', 'last seen'],
    numeric: [false, true, false, false, true, true, true, true, true, true, true, false, false],
    rows: doc.ports.slice(0, top).map((p) => [
      p.proto, String(p.port), clean(p.service || '-'), p.class, n(p.packets), n(p.bytes), n(p.packetsTo), n(p.packetsFrom),
      n(p.bytesTo), n(p.bytesFrom), (p.peersExact ? '' : '~') + n(p.peers), time(p.firstSeen), time(p.lastSeen),
    ]),
  });
  out.push({
    title: `Top hosts by bytes (${Math.min(top, doc.hosts.length)} of ${doc.hosts.length})`,
    headers: ['address', 'pkts in', 'pkts out', 'bytes in', 'bytes out', 'peers', 'ports served', 'ports used'],
    numeric: [false, true, true, true, true, true, true, true],
    rows: doc.hosts.slice(0, top).map((h) => [
      clean(h.address), n(h.packetsIn), n(h.packetsOut), n(h.bytesIn), n(h.bytesOut), n(h.peers), n(h.portsServed), n(h.portsUsed),
    ]),
    note: doc.hostsUntrackedPackets > 0 ? `${doc.hostsUntrackedPackets} packet directions of untracked hosts (host table full)` : undefined,
  });
  out.push({
    title: `LAN stations (${Math.min(top, doc.stations.length)} of ${doc.stations.length})`,
    headers: ['MAC', 'pkts in', 'pkts out', 'IP in', 'IP out', 'bytes in', 'bytes out'],
    numeric: [false, true, true, true, true, true, true],
    rows: doc.stations.slice(0, top).map((s) => [clean(s.mac), n(s.packetsIn), n(s.packetsOut), n(s.ipPacketsIn), n(s.ipPacketsOut), n(s.bytesIn), n(s.bytesOut)]),
  });
  out.push(servicesSection(doc.services, top));
  out.push(alertsSection(doc.alerts, top));
  const f = doc.flows;
  out.push({
    title: 'Flows',
    headers: ['measure', 'count'],
    numeric: [false, true],
    rows: [
      ['total', n(f.total)], ['active', n(f.active)], ['completed', n(f.completed)], ['evicted (table full)', n(f.evicted)],
      ['expired (idle)', n(f.expired)], ['ended by port reuse', n(f.reused)], ['table capacity', n(f.capacity)],
      ...Object.entries(f.byProto).map(([k, v]) => [`proto ${k}`, n(v)]),
    ],
  });
  out.push({
    title: 'Flows by conn_state',
    headers: ['conn_state', 'flows'],
    numeric: [false, true],
    rows: Object.entries(f.byConnState).filter(([, v]) => v > 0).map(([k, v]) => [k, n(v)]),
  });
  out.push({
    title: 'Active TCP flows by state on the wire',
    headers: ['state', 'flows'],
    numeric: [false, true],
    rows: Object.entries(f.byTcpState).filter(([, v]) => v > 0).map(([k, v]) => [k, n(v)]),
  });
  out.push({
    title: `Top flows by IP bytes (${f.top.length})`,
    headers: ['proto', 'orig', 'resp', 'state', 'history', 'orig pkts', 'resp pkts', 'orig IP bytes', 'resp IP bytes', 'start', 'duration s'],
    numeric: [false, false, false, false, false, true, true, true, true, false, true],
    rows: f.top.slice(0, top).map((x) => [
      x.proto, endpoint(x.orig_h, x.orig_p), endpoint(x.resp_h, x.resp_p), x.conn_state, clean(x.history),
      n(x.orig_pkts), n(x.resp_pkts), n(x.orig_ip_bytes), n(x.resp_ip_bytes), time(x.ts), n(x.duration, 3),
    ]),
  });
  const s = doc.sizes;
  out.push({
    title: `Packet sizes (MTU ${s.mtu}, brackets of ${s.bucketWidth} bytes)`,
    headers: ['length', 'packets'],
    numeric: [false, true],
    rows: s.mtuBuckets.filter((b) => b.packets > 0).map((b) => [b.max === null ? `${b.min}+` : `${b.min}-${b.max}`, n(b.packets)]),
  });
  for (const s of out) {
    // hand-edited profiles: no undefined cells, no control bytes
    s.title = clean(s.title);
    s.rows = s.rows.map((r) => r.map(clean));
    if (s.note !== undefined) s.note = clean(s.note);
  }
  return out;
}

function header(doc: ProfileDoc): string[] {
  const src = doc.sources.map((s) => clean(s.name) + (s.filter ? ` (${clean(s.filter)})` : '')).join(', ');
  return [
    `portscope profile of ${src || '-'}`,
    `${n(doc.counters.packets.total)} packets, ${n(doc.counters.bytes.total)} bytes, ${time(doc.start)} .. ${time(doc.end)} (${n(doc.duration, 3)} s)`,
  ];
}

function renderTable(doc: ProfileDoc, top: number): string {
  const lines = header(doc);
  for (const s of sections(doc, top)) {
    lines.push('', s.title);
    const w = s.headers.map((h, i) => Math.max(h.length, ...s.rows.map((r) => r[i].length)));
    const fmt = (r: string[]) => r.map((v, i) => (s.numeric[i] ? v.padStart(w[i]) : v.padEnd(w[i]))).join('  ').trimEnd();
    lines.push('  ' + fmt(s.headers));
    for (const r of s.rows) lines.push('  ' + fmt(r));
    if (s.rows.length === 0) lines.push('  (none)');
    if (s.note) lines.push('  ' + s.note);
  }
  return lines.join('\n') + '\n';
}

function renderMarkdown(doc: ProfileDoc, top: number): string {
  const esc = (v: string) => String(v ?? '').replace(/\|/g, '\\|');
  const [h1, h2] = header(doc);
  const lines = [`# ${esc(h1)}`, '', esc(h2)];
  for (const s of sections(doc, top)) {
    lines.push('', `## ${s.title}`, '');
    if (s.rows.length === 0) {
      lines.push('(none)');
      if (s.note) lines.push('', esc(s.note));
      continue;
    }
    lines.push(`| ${s.headers.map(esc).join(' | ')} |`);
    lines.push(`| ${s.numeric.map((r) => (r ? '---:' : '---')).join(' | ')} |`);
    for (const r of s.rows) lines.push(`| ${r.map(esc).join(' | ')} |`);
    if (s.note) lines.push('', esc(s.note));
  }
  return lines.join('\n') + '\n';
}

export const CSV_COLUMNS = [
  'proto', 'port', 'service', 'description', 'class', 'packets', 'bytes', 'packetsTo', 'packetsFrom', 'bytesTo', 'bytesFrom',
  'peers', 'peersExact', 'firstSeen', 'lastSeen',
] as const;

function csvField(v: string): string {
  v = clean(v);
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * CSV: the per-port table, every port that saw traffic, one row each. CSV stays one table: the
 * service inventory and the scan alerts are in the json, md and table formats.
 */
function renderCsv(doc: ProfileDoc): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const p of doc.ports) lines.push(CSV_COLUMNS.map((k) => csvField(String(p[k]))).join(','));
  return lines.join('\n') + '\n';
}

/** JSON text with every non-ASCII character escaped (\\uXXXX): the output is pure ASCII. */
export function asciiJson(v: unknown, indent?: number): string {
  return JSON.stringify(v, null, indent).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/**
 * The JSON document in pieces (one per array element of the large arrays), so a profile of many
 * hosts and ports is written without building one huge string. Together the pieces are the
 * same value as JSON.stringify(doc); ASCII only.
 */
export function* jsonPieces(doc: ProfileDoc): Generator<string> {
  const keys = Object.keys(doc) as (keyof ProfileDoc)[];
  yield '{';
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k];
    const v = doc[key];
    yield `${k === 0 ? '' : ','}\n ${JSON.stringify(key)}: `;
    if (Array.isArray(v) && v.length > 0) {
      for (let i = 0; i < v.length; i++) yield (i === 0 ? '[\n  ' : ',\n  ') + asciiJson(v[i]);
      yield '\n ]';
    } else yield asciiJson(v);
  }
  yield '\n}\n';
}

/** The rendered profile as pieces of text (see jsonPieces); the text formats are one piece. */
export function* renderProfilePieces(doc: ProfileDoc, format: ProfileFormat, opts: RenderOptions): Generator<string> {
  if (format === 'json') yield* jsonPieces(doc);
  else yield renderProfile(doc, format, opts);
}

export function renderProfile(doc: ProfileDoc, format: ProfileFormat, opts: RenderOptions): string {
  switch (format) {
    case 'json':
      return [...jsonPieces(doc)].join('');
    case 'csv':
      return renderCsv(doc);
    case 'md':
      return renderMarkdown(doc, opts.top);
    case 'table':
      return renderTable(doc, opts.top);
  }
}
