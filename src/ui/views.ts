// The seven views and the full-screen composition (header, body, footer) shared by the blessed
// screen and the plain-text mode.
import type { DashSnapshot, ViewState } from './model';
import { line, clip, type Glyphs, type Line } from './text';
import type { Rendered } from './render-table';
import { renderOverview } from './render-overview';
import { renderPorts } from './render-ports';
import { renderFlows } from './render-flows';
import { renderHosts } from './render-hosts';
import { renderInterface } from './render-iface';
import { renderSizes } from './render-sizes';
import { renderAlerts } from './render-alerts';
import { renderHeader, renderFooter, renderHelp } from './render-header';
import { VIEW_TITLES } from './views-meta';

export const CONNECTIONS_VIEW = 2;

/** Renders view `v` of the snapshot into `h` body lines (0: natural length, for the text mode). */
export function renderView(v: number, s: DashSnapshot, st: ViewState, w: number, h: number, g: Glyphs, chart = false): Rendered {
  switch (v) {
    case 0:
      return renderOverview(s, w, h, g, !chart);
    case 1:
      return renderPorts(s, st, w, h);
    case 2:
      return renderFlows(s, st, w, h);
    case 3:
      return renderHosts(s, st, w, h);
    case 4:
      return renderInterface(s, st, w, h);
    case 5:
      return renderSizes(s, st, w, h, g);
    default:
      return renderAlerts(s, st, w, h);
  }
}

/** Header and footer heights around the body. */
export const HEADER_LINES = 2;
export const FOOTER_LINES = 1;

export interface Composed {
  header: Line[];
  body: Line[];
  footer: Line;
  /** Scrollable rows of the body (for clamping). */
  total: number;
}

/** Rows of the overview's throughput chart (blessed-contrib line) on a w x h terminal, 0 for none. */
export function chartRows(st: ViewState, w: number, h: number): number {
  return st.view === 0 && !st.help && w >= 120 && h >= 40 ? 12 : 0;
}

/**
 * The whole screen for a terminal of w x h cells; `chart` rows below the header are left to the
 * throughput chart (the overview then omits its sparklines).
 */
export function composeScreen(s: DashSnapshot, st: ViewState, w: number, h: number, g: Glyphs, note = '', chart = 0): Composed {
  const bodyH = Math.max(1, h - HEADER_LINES - FOOTER_LINES - chart);
  const header = renderHeader(s, w);
  let body: Line[];
  let total = 0;
  if (st.help) body = renderHelp(w).slice(0, bodyH);
  else {
    const r = renderView(st.view, s, st, w, bodyH, g, chart > 0);
    body = r.lines.slice(0, bodyH);
    total = r.total;
  }
  if (s.meta.displayFilterError !== '') note = `display filter error: ${s.meta.displayFilterError}`;
  return { header, body, footer: renderFooter(st, w, note), total };
}

/** Plain text of a screen (text mode, the summary at exit, golden tests). */
export function screenText(c: Composed): string {
  return [...c.header, ...c.body, c.footer].map((l) => l.t.trimEnd()).join('\n') + '\n';
}

/** Text of the given views at natural length, under one header (the --interval snapshots). */
export function textSnapshot(s: DashSnapshot, st: ViewState, views: readonly number[], w: number, g: Glyphs): string {
  const out: Line[] = renderHeader(s, w);
  for (const v of views) {
    out.push(line(''));
    out.push(line(clip(`== ${v + 1} ${VIEW_TITLES[v]} ==`, w)));
    // (a loop, not push(...): a view of 500,000 flows has more lines than a call has arguments)
    for (const l of renderView(v, s, st, w, 0, g).lines) out.push(l);
  }
  return out.map((l) => l.t.trimEnd()).join('\n') + '\n';
}
