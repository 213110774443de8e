// Connections view: IPTraf's IP traffic monitor over the flow table: each flow with its TCP state
// (or Zeek conn_state for other protocols), packets and bytes each way, the flags seen (Zeek
// history letters: upper case from the originator), age and idle time. Closed and idle flows
// leave the table by the flow table's timeouts.
import type { DashSnapshot, ViewState } from './model';
import type { FlowRow } from '../stats/flows';
import { age, bytes, shortCount, safe, type Column } from './text';
import { renderTable, type Rendered } from './render-table';
import { VIEW_SORTS } from './views-meta';

export function endpoint(h: string, p: number, proto: string): string {
  const host = safe(h);
  if (proto !== 'tcp' && proto !== 'udp') return host;
  return h.includes(':') ? `[${host}]:${p}` : `${host}:${p}`;
}

function flowBytes(f: FlowRow): number {
  return f.origFrameBytes + f.respFrameBytes;
}

/** Flows sorted by bytes (both ways), packets, idle (most recent first) or age (oldest first). */
export function sortedFlows(rows: FlowRow[], sort: string): FlowRow[] {
  const lastUs = (f: FlowRow) => f.startUs + f.durationUs;
  const tie = (a: FlowRow, b: FlowRow) => a.startUs - b.startUs || (a.origH < b.origH ? -1 : a.origH > b.origH ? 1 : a.origP - b.origP);
  switch (sort) {
    case 'packets':
      return rows.sort((a, b) => b.origPkts + b.respPkts - (a.origPkts + a.respPkts) || tie(a, b));
    case 'idle':
      return rows.sort((a, b) => lastUs(b) - lastUs(a) || tie(a, b));
    case 'age':
      return rows.sort((a, b) => tie(a, b));
    default:
      return rows.sort((a, b) => flowBytes(b) - flowBytes(a) || tie(a, b));
  }
}

const COLS: readonly Column[] = [
  { title: 'PROTO', width: 5, drop: 2 },
  { title: 'ORIGINATOR', width: 18, flex: true },
  { title: 'RESPONDER', width: 18, flex: true },
  { title: 'STATE', width: 11 },
  { title: 'PKTS>', width: 5, right: true },
  { title: 'BYTES>', width: 8, right: true },
  { title: 'PKTS<', width: 5, right: true },
  { title: 'BYTES<', width: 8, right: true },
  { title: 'FLAGS', width: 8, drop: 3 },
  { title: 'AGE', width: 5, right: true, drop: 4 },
  { title: 'IDLE', width: 5, right: true, drop: 1 },
];

export function renderFlows(s: DashSnapshot, st: ViewState, w: number, h: number): Rendered {
  const sorts = VIEW_SORTS[2];
  const sort = sorts[st.sort[2] % sorts.length];
  const rows = sortedFlows(s.flows ? s.flows.slice() : [], sort);
  const f = s.stats.flows;
  const fc = s.flowCounts;
  const byP = (k: string) => fc !== null ? fc[['tcp', 'udp', 'icmp', 'other'].indexOf(k)] : rows.filter((r) => (k === 'other' ? !['tcp', 'udp', 'icmp', 'icmp6'].includes(r.proto) : k === 'icmp' ? r.proto === 'icmp' || r.proto === 'icmp6' : r.proto === k)).length;
  const count = fc !== null ? fc[0] + fc[1] + fc[2] + fc[3] : rows.length;
  const parts = ['tcp', 'udp', 'icmp', 'other'].map((k) => [k, byP(k)] as const).filter(([, n]) => n > 0);
  const title =
    `Connections ${count}${parts.length > 0 ? ` (${parts.map(([k, n]) => `${k} ${n}`).join(', ')})` : ''} | ` +
    `seen ${f.total} ended ${f.completed} | sort ${sort}`;
  const now = s.nowUs;
  return renderTable(
    {
      title,
      cols: COLS,
      count,
      row: (i) => {
        const r = rows[i];
        return [
          r.proto,
          endpoint(r.origH, r.origP, r.proto),
          endpoint(r.respH, r.respP, r.proto),
          r.tcpState ?? r.connState,
          shortCount(r.origPkts),
          bytes(r.origFrameBytes),
          shortCount(r.respPkts),
          bytes(r.respFrameBytes),
          r.history,
          age(now - r.startUs),
          age(now - (r.startUs + r.durationUs)),
        ];
      },
      empty: '(no flows)',
    },
    w,
    h,
    st.scroll[2],
    st.rowLimit,
  );
}
