// A scrollable table section: a title line, a column header and the visible window of rows.
import { line, clip, layoutColumns, tableHead, tableRow, type Column, type Line, type LineStyle } from './text';

export interface Rendered {
  lines: Line[];
  /** Rows that can scroll (for clamping the scroll position). */
  total: number;
}

export interface TableSpec {
  title: string;
  cols: readonly Column[];
  /** Number of rows; only the visible ones are formatted (by `row`). */
  count: number;
  row: (i: number) => readonly string[];
  /** Optional style of a row ('' default). */
  style?: (i: number) => LineStyle;
  /** Shown instead of rows when there are none. */
  empty: string;
}

/**
 * Renders a table into `h` lines (0: every row, up to `limit`), starting at row `scroll`.
 * The title line notes the visible range when the rows do not all fit.
 */
export function renderTable(t: TableSpec, w: number, h: number, scroll: number, limit = Infinity): Rendered {
  const widths = layoutColumns(t.cols, w);
  const room = h > 0 ? Math.max(1, h - 2) : Math.min(limit, t.count);
  const total = t.count;
  const first = Math.max(0, Math.min(scroll, total - room));
  const last = Math.min(total, first + room);
  let title = t.title;
  if (total > room || first > 0) title += ` | rows ${total === 0 ? 0 : first + 1}-${last} of ${total}`;
  const lines: Line[] = [line(clip(title, w), 'title'), line(clip(tableHead(t.cols, widths), w), 'head')];
  if (total === 0) lines.push(line(clip(t.empty, w), 'dim'));
  for (let i = first; i < last; i++) lines.push(line(clip(tableRow(t.cols, widths, t.row(i)), w), t.style ? t.style(i) : ''));
  return { lines, total };
}
