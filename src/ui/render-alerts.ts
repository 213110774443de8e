// Alerts view: scan alerts and services first seen serving (src/detect), newest first, in one
// timeline; an explicit empty state when there are none (or detection is off).
import type { DashSnapshot, AlertRow, ViewState } from './model';
import { line, clip, safe, type Column } from './text';
import { renderTable, type Rendered } from './render-table';

function timeText(us: number): string {
  if (!(us > 0)) return '-';
  return new Date(Math.floor(us / 1000)).toISOString().slice(11, 19);
}

/** One alert as a line: "hh:mm:ss kind: text" (UTC, control characters escaped). */
export function alertLine(a: AlertRow): string {
  return safe(`${timeText(a.timeUs)} ${a.kind}: ${a.text}`);
}

const COLS: readonly Column[] = [
  { title: 'TIME (UTC)', width: 10 },
  { title: 'KIND', width: 12 },
  { title: 'DETAIL', width: 20, flex: true },
];

export function renderAlerts(s: DashSnapshot, st: ViewState, w: number, h: number): Rendered {
  const rows = [...s.alerts, ...s.newServices].sort((a, b) => b.timeUs - a.timeUs);
  if (rows.length === 0) {
    return {
      lines: [
        line(clip('Alerts: none', w), 'title'),
        line(''),
        line(clip('No port or address scans and no services seen serving yet. Scan detection and', w), 'dim'),
        line(clip('the service inventory fill this view as traffic arrives.', w), 'dim'),
      ],
      total: 0,
    };
  }
  return renderTable(
    {
      title: `Alerts: ${s.alerts.length} scan${s.alerts.length === 1 ? '' : 's'}, ${s.newServices.length} service${s.newServices.length === 1 ? '' : 's'} seen (newest first)`,
      cols: COLS,
      count: rows.length,
      row: (i) => [timeText(rows[i].timeUs), rows[i].kind, rows[i].text],
      style: (i) => (rows[i].kind === 'new service' ? '' : 'warn'),
      empty: '',
    },
    w,
    h,
    st.scroll[6],
    st.rowLimit,
  );
}
