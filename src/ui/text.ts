// Text building blocks of the dashboard renderers: safe text (no control characters ever reach a
// terminal), number/byte/rate formats, column tables, bars and sparklines. Pure functions only:
// the blessed screens and the plain-text mode print exactly what these produce.

/** Style of one rendered line; the text mode ignores it, the blessed layer maps it to attributes. */
export type LineStyle = '' | 'title' | 'head' | 'sel' | 'warn' | 'dim';

/** One line of a rendered view: plain text (already safe and fitted to the width) plus a style. */
export interface Line {
  t: string;
  s: LineStyle;
}

export function line(t: string, s: LineStyle = ''): Line {
  return { t, s };
}

/** Glyphs for bars and sparklines: Unicode blocks, or ASCII where the locale is not UTF-8. */
export interface Glyphs {
  full: string;
  empty: string;
  spark: readonly string[];
  vbar: string;
}

export const UNICODE_GLYPHS: Glyphs = {
  full: '\u2588',
  empty: '\u2591',
  spark: ['\u2581', '\u2582', '\u2583', '\u2584', '\u2585', '\u2586', '\u2587', '\u2588'],
  vbar: '\u2502',
};

export const ASCII_GLYPHS: Glyphs = {
  full: '#',
  empty: '.',
  spark: ['_', '.', '-', '-', '=', '+', '*', '#'],
  vbar: '|',
};

/** Unicode glyphs when the locale (LC_ALL, LC_CTYPE, LANG) says UTF-8. */
export function glyphsForEnv(env: NodeJS.ProcessEnv = process.env): Glyphs {
  const loc = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(loc) ? UNICODE_GLYPHS : ASCII_GLYPHS;
}

// C0, DEL, C1, and the Unicode line/paragraph separators and bidi controls.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Program data (host and service names, interface and file names, filter text) made printable:
 * every control character becomes \xNN (or \uNNNN), so nothing can move the cursor or change
 * the terminal.
 */
export function safe(s: string): string {
  return s.replace(CONTROL, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

/** Cuts or right-pads `s` to exactly `w` columns (a cut string ends in '~'). */
export function fit(s: string, w: number): string {
  if (w <= 0) return '';
  if (s.length > w) return w === 1 ? '~' : s.slice(0, w - 1) + '~';
  return s.length === w ? s : s + ' '.repeat(w - s.length);
}

/** Right-aligns `s` in `w` columns (cut from the left when too long). */
export function fitRight(s: string, w: number): string {
  if (w <= 0) return '';
  if (s.length > w) return w === 1 ? '~' : '~' + s.slice(s.length - w + 1);
  return ' '.repeat(w - s.length) + s;
}

/** Cuts a line to `w` columns, without padding. */
export function clip(s: string, w: number): string {
  return s.length > w ? (w <= 1 ? s.slice(0, w) : s.slice(0, w - 1) + '~') : s;
}

/** An integer with thousands separators (1,234,567); '-' for not-a-number. */
export function count(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const s = String(Math.round(n));
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A count in at most 6 columns: 999999, 1.23M, 45.6G. */
export function shortCount(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (n < 1e6) return String(Math.round(n));
  if (n < 1e9) return (n / 1e6).toFixed(n < 1e8 ? 2 : 1) + 'M';
  return (n / 1e9).toFixed(n < 1e11 ? 2 : 1) + 'G';
}

const SI = ['', 'k', 'M', 'G', 'T', 'P'];

function si(v: number, unit: string): string {
  let i = 0;
  while (Math.abs(v) >= 999.95 && i < SI.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = i === 0 ? 0 : v >= 99.95 ? 0 : 1;
  return `${v.toFixed(digits)} ${SI[i]}${unit}`;
}

/** Bytes in SI units: "812 B", "1.2 kB", "34.5 MB". */
export function bytes(n: number): string {
  return Number.isFinite(n) ? si(n, 'B') : '-';
}

/** Bit rate: "12.3 kbit/s" ('-' when unknown). */
export function bitRate(bps: number | null): string {
  return bps === null || !Number.isFinite(bps) ? '-' : si(bps, 'bit/s');
}

/** Packet rate: "345 p/s", "1.2 kp/s" ('-' when unknown). */
export function pktRate(pps: number | null): string {
  if (pps === null || !Number.isFinite(pps)) return '-';
  return pps < 10 && pps > 0 && pps !== Math.round(pps) ? `${pps.toFixed(1)} p/s` : si(pps, 'p/s');
}

/** Wall-clock duration "hh:mm:ss" (days as "Nd hh:mm:ss"). */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const hh = String(Math.floor((s % 86400) / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return (d > 0 ? `${d}d ` : '') + `${hh}:${mm}:${ss}`;
}

/** Compact age: "12s", "3m04s", "2h05m". */
export function age(us: number): string {
  const s = Math.max(0, Math.floor(us / 1e6));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Percentage "42%" / "0.5%" of a part of a total. */
export function percent(part: number, total: number): string {
  if (!(total > 0)) return '-';
  const p = (100 * part) / total;
  return p > 0 && p < 1 ? `${p.toFixed(1)}%` : `${Math.round(p)}%`;
}

/** A horizontal bar of `w` cells filled in proportion to value / max. */
export function bar(value: number, max: number, w: number, g: Glyphs): string {
  if (w <= 0) return '';
  const n = max > 0 ? Math.min(w, Math.round((value / max) * w)) : 0;
  const shown = value > 0 && n === 0 ? 1 : n;
  return g.full.repeat(shown) + g.empty.repeat(w - shown);
}

/** A sparkline of the last `w` values (older values scroll off the left); blank when all zero. */
export function sparkline(values: ArrayLike<number>, w: number, g: Glyphs): string {
  if (w <= 0) return '';
  const start = Math.max(0, values.length - w);
  let max = 0;
  for (let i = start; i < values.length; i++) if (values[i] > max) max = values[i];
  let s = ' '.repeat(Math.max(0, w - (values.length - start)));
  const levels = g.spark.length;
  for (let i = start; i < values.length; i++) {
    const v = values[i];
    if (!(v > 0) || max === 0) s += ' ';
    else s += g.spark[Math.min(levels - 1, Math.floor((v / max) * (levels - 1) + 0.5))];
  }
  return s;
}

/** A column of a table: fixed width, or `flex` to share what is left of the line. */
export interface Column {
  title: string;
  width: number;
  right?: boolean;
  /** Takes the remaining width (at least `width`). */
  flex?: boolean;
  /** When the line is too narrow, columns with the highest `drop` go first (then from the right). */
  drop?: number;
}

/**
 * Column widths for a total width (0 = column hidden): columns that do not fit are hidden by
 * their `drop` priority, then from the right; flex columns share the rest.
 */
export function layoutColumns(cols: readonly Column[], total: number): number[] {
  const widths = cols.map((c) => c.width);
  const shown = cols.map(() => true);
  let n = cols.length;
  let used = widths.reduce((a, b) => a + b, 0) + Math.max(0, n - 1); // one space between columns
  const order = cols.map((c, i) => i).sort((a, b) => (cols[b].drop ?? 0) - (cols[a].drop ?? 0) || b - a);
  for (const i of order) {
    if (used <= total || n <= 1) break;
    shown[i] = false;
    used -= widths[i] + 1;
    n--;
  }
  for (let i = 0; i < cols.length; i++) if (!shown[i]) widths[i] = 0;
  const flex = cols.map((c, i) => (c.flex && shown[i] ? i : -1)).filter((i) => i >= 0);
  if (flex.length > 0 && used < total) {
    const extra = total - used;
    flex.forEach((i, k) => (widths[i] += Math.floor(extra / flex.length) + (k < extra % flex.length ? 1 : 0)));
  }
  return widths;
}

/** One table row from cell texts (cells are made safe here; hidden columns skipped). */
export function tableRow(cols: readonly Column[], widths: readonly number[], cells: readonly string[]): string {
  let s = '';
  let firstCol = true;
  for (let i = 0; i < widths.length; i++) {
    if (widths[i] === 0) continue;
    if (!firstCol) s += ' ';
    firstCol = false;
    const c = safe(cells[i] ?? '');
    s += cols[i].right ? fitRight(c, widths[i]) : fit(c, widths[i]);
  }
  return s.trimEnd();
}

export function tableHead(cols: readonly Column[], widths: readonly number[]): string {
  return tableRow(cols, widths, cols.map((c) => c.title));
}

/** Places two blocks of lines side by side (left padded to `lw`, a gap, then right). */
export function sideBySide(left: readonly Line[], right: readonly Line[], lw: number, gap = 2): Line[] {
  const n = Math.max(left.length, right.length);
  const out: Line[] = [];
  for (let i = 0; i < n; i++) {
    const l = left[i];
    const r = right[i];
    const t = r ? fit(l ? l.t : '', lw) + ' '.repeat(gap) + r.t : l ? l.t : '';
    out.push(line(t.trimEnd(), (l && l.s) || (r && r.s) || ''));
  }
  return out;
}
