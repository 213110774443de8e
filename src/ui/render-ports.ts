// Ports view: IPTraf's TCP/UDP service monitor for every active port, with IANA service names and
// port classes; sortable by packets, bytes, rate or port; filterable by protocol.
import type { DashSnapshot, ViewState, PortProtoFilter } from './model';
import type { PortRow } from '../stats/ports';
import { portClass } from '../stats/ports';
import { serviceOf } from '../report/services';
import { bitRate, bytes, shortCount, type Column } from './text';
import { renderTable, type Rendered } from './render-table';
import { VIEW_SORTS } from './views-meta';

/** Key of a port in DashSnapshot.portRates. */
export function portKey(r: PortRow): number {
  return (r.proto === 'tcp' ? 0 : 65536) + r.port;
}

/** IANA service name of a port, '-' when unassigned. */
export function serviceName(r: PortRow): string {
  return serviceOf(r.proto, r.port).service || '-';
}

/** Ports of the snapshot filtered by protocol and sorted by `sort` (packets, bytes, rate, port). */
export function sortedPorts(s: DashSnapshot, sort: string, proto: PortProtoFilter): PortRow[] {
  const rows = proto === 'all' ? s.stats.ports.slice() : s.stats.ports.filter((r) => r.proto === proto);
  const rate = (r: PortRow) => s.portRates.get(portKey(r)) ?? 0;
  const byPort = (a: PortRow, b: PortRow) => (a.proto === b.proto ? a.port - b.port : a.proto === 'tcp' ? -1 : 1);
  switch (sort) {
    case 'bytes':
      rows.sort((a, b) => b.bytes - a.bytes || byPort(a, b));
      break;
    case 'rate':
      rows.sort((a, b) => rate(b) - rate(a) || b.bytes - a.bytes || byPort(a, b));
      break;
    case 'port':
      rows.sort(byPort);
      break;
    default:
      rows.sort((a, b) => b.packets - a.packets || b.bytes - a.bytes || byPort(a, b));
  }
  return rows;
}

export function portLabel(r: PortRow): string {
  return `${r.proto}/${r.port}`;
}

export function rateText(s: DashSnapshot, r: PortRow): string {
  const v = s.portRates.get(portKey(r));
  return v === undefined ? '-' : bitRate(v);
}

const COLS: readonly Column[] = [
  { title: 'PORT', width: 9 },
  { title: 'SERVICE', width: 10, flex: true },
  { title: 'PACKETS', width: 7, right: true },
  { title: 'BYTES', width: 8, right: true },
  { title: 'RATE', width: 11, right: true },
  { title: 'CLASS', width: 10, drop: 1 },
  { title: 'PKTS IN', width: 7, right: true },
  { title: 'PKTS OUT', width: 8, right: true },
  { title: 'BYTES IN', width: 8, right: true },
  { title: 'BYTES OUT', width: 9, right: true },
  { title: 'PEERS', width: 6, right: true, drop: 2 },
];

export function renderPorts(s: DashSnapshot, st: ViewState, w: number, h: number): Rendered {
  const sorts = VIEW_SORTS[1];
  const sort = sorts[st.sort[1] % sorts.length];
  const rows = sortedPorts(s, sort, st.portProto);
  const tcp = s.portCounts !== null ? s.portCounts.tcp : s.stats.ports.filter((r) => r.proto === 'tcp').length;
  const udp = s.portCounts !== null ? s.portCounts.udp : s.stats.ports.length - tcp;
  const title = `Ports ${tcp + udp} (tcp ${tcp} udp ${udp}) | sort ${sort} | proto ${st.portProto} | IN: to the port`;
  // a windowed snapshot holds the first rows only: the count is the whole table's
  const count = s.portCounts === null ? rows.length : st.portProto === 'tcp' ? tcp : st.portProto === 'udp' ? udp : tcp + udp;
  return renderTable(
    {
      title,
      cols: COLS,
      count,
      row: (i) => portCells(s, rows[i]),
      empty: st.portProto === 'all' ? '(no TCP or UDP traffic yet)' : `(no ${st.portProto} traffic yet)`,
    },
    w,
    h,
    st.scroll[1],
    st.rowLimit,
  );
}

/** The cells of one port row. */
function portCells(s: DashSnapshot, r: PortRow): string[] {
  return [
    portLabel(r),
    serviceName(r),
    shortCount(r.packets),
    bytes(r.bytes),
    rateText(s, r),
    portClass(r.port),
    shortCount(r.packetsTo),
    shortCount(r.packetsFrom),
    bytes(r.bytesTo),
    bytes(r.bytesFrom),
    r.peersExact ? String(r.peers) : `~${r.peers}`,
  ];
}
