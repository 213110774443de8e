// Alerts view: scans and new services (filled by the detectors when they add `alerts` to the
// statistics snapshot); an explicit empty state until then.
import type { DashSnapshot, AlertRow, ViewState } from './model';
import { line, clip, type Column } from './text';
import { renderTable, type Rendered } from './render-table';

function timeText(us: number): string {
  if (!(us > 0)) return '-';
  return new Date(Math.floor(us / 1000)).toISOString().slice(11, 19);
}

/** One alert as a line: "hh:mm:ss kind: text" (made safe by the caller's table or clip). */
export function alertLine(a: AlertRow): string {
  return `${timeText(a.timeUs)} ${a.kind}: ${a.text}`.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

const COLS: readonly Column[] = [
  { title: 'TIME', width: 8 },
  { title: 'KIND', width: 14 },
  { title: 'DETAIL', width: 20, flex: true },
];

export function renderAlerts(s: DashSnapshot, st: ViewState, w: number, h: number): Rendered {
  if (s.alerts.length === 0) {
    return {
      lines: [
        line(clip('Alerts: none', w), 'title'),
        line(''),
        line(clip('No scans or new services detected. Port-scan and new-service detection fills', w), 'dim'),
        line(clip('this view when it is enabled; nothing to show yet.', w), 'dim'),
      ],
      total: 0,
    };
  }
  const rows = s.alerts.slice().reverse();
  return renderTable(
    {
      title: `Alerts: ${s.alerts.length} (newest first)`,
      cols: COLS,
      count: rows.length,
      row: (i) => [timeText(rows[i].timeUs), rows[i].kind, rows[i].text],
      style: () => 'warn',
      empty: '',
    },
    w,
    h,
    st.scroll[6],
  );
}
