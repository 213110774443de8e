// Packet sizes: IPTraf's breakdown of frame lengths into 20 brackets of the MTU (plus longer
// frames), with a bar per bracket.
import type { DashSnapshot, ViewState } from './model';
import { line, clip, fit, fitRight, bar, count, percent, type Glyphs, type Line } from './text';
import type { Rendered } from './render-table';

const EMPTY_TAIL = [/\u2591+$/, /\.+$/];

export function renderSizes(s: DashSnapshot, st: ViewState, w: number, h: number, g: Glyphs): Rendered {
  const z = s.stats.sizes;
  const total = z.mtuBuckets.reduce((a, b) => a + b.packets, 0);
  const max = z.mtuBuckets.reduce((a, b) => Math.max(a, b.packets), 0);
  const head = `${fit('SIZE (bytes)', 12)} ${fitRight('PACKETS', 10)} ${fitRight('%', 5)}  MTU ${z.mtu}, ${z.bucketWidth}-byte brackets`;
  const bw = Math.max(0, w - 32);
  const rows: Line[] = z.mtuBuckets.map((b) =>
    line(clip(`${fit(b.max === null ? `${b.min}+` : `${b.min}-${b.max}`, 12)} ${fitRight(count(b.packets), 10)} ${fitRight(percent(b.packets, total), 5)}  ${bar(b.packets, max, bw, g).replace(EMPTY_TAIL[g.empty === '.' ? 1 : 0], '')}`, w)),
  );
  const room = h > 0 ? Math.max(1, h - 1) : rows.length;
  const first = Math.max(0, Math.min(st.scroll[5], rows.length - room));
  return { lines: [line(clip(head, w), 'head'), ...rows.slice(first, first + room)], total: rows.length };
}
