// The header (source, filters, elapsed, totals, current rates, drops, decode problems), the
// footer (view tabs and key hints) and the help screen: pure functions of a snapshot.
import type { DashSnapshot, ViewState } from './model';
import { line, clip, safe, count, bytes, bitRate, pktRate, duration, fit, type Line } from './text';
import { VIEW_NAMES, VIEW_SORTS } from './views-meta';

/** Decode problems: truncated + malformed + unsupported frames. */
export function decodeProblems(s: DashSnapshot): number {
  const p = s.stats.counters.packets;
  return p.truncated + p.malformed + p.unsupported;
}

/** Two header lines, cut to `w` columns. */
export function renderHeader(s: DashSnapshot, w: number): Line[] {
  const m = s.meta;
  const c = s.stats.counters;
  const r1 = c.rates[0];
  // a file by its base name (the interface view shows the path)
  let src = m.live ? `${safe(m.source)} (live)` : safe(m.source.replace(/^.*\//, ''));
  if (m.position !== null && m.position.size > 0) {
    const pct = Math.min(100, Math.floor((100 * m.position.offset) / m.position.size));
    src += ` ${pct}%`;
  }
  if (m.speed !== '') src += ` @${m.speed}`;
  // a file stopped before its end (signal, q, -c) says so, as live capture does
  const early = m.position !== null && m.position.offset < m.position.size;
  const state = m.paused ? ' [PAUSED]' : m.finished ? (m.live || early ? ' [STOPPED]' : ' [END]') : '';
  const right = ` ${duration(m.elapsedMs)}${state}`;
  let left = `${w >= 90 ? 'portscope top | ' : ''}${src} | filter: ${m.filter === '' ? '(none)' : safe(m.filter)}`;
  if (m.displayFilter !== '') left += ` | display: ${safe(m.displayFilter)}`;
  const l1 = w > right.length + 10 ? fit(clip(left, w - right.length), w - right.length) + right : clip(left + right, w);
  const drops = m.kernelDrops === null ? '' : ` | drops ${count(m.kernelDrops)}`;
  const l2 =
    `${count(c.packets.total)} pkts ${bytes(c.bytes.total)} | now ${pktRate(r1 ? r1.packetsPerSec : null)} ` +
    `${bitRate(r1 ? r1.bitsPerSec : null)}${drops} | decode problems ${count(decodeProblems(s))}`;
  return [line(l1, 'title'), line(clip(l2, w), 'title')];
}

/** The footer: view tabs with the current one marked, and the main keys. */
export function renderFooter(st: ViewState, w: number, note = ''): Line {
  const sorts = VIEW_SORTS[st.view];
  const hints = `|${sorts.length > 1 ? ` s:sort=${sorts[st.sort[st.view] % sorts.length]}` : ''} ?:help q:quit`;
  const tabs = (long: boolean) => {
    let t = '';
    for (let i = 0; i < VIEW_NAMES.length; i++) {
      if (i === st.view) t += `[${i + 1} ${VIEW_NAMES[i]}]`;
      else t += long ? ` ${i + 1} ${VIEW_NAMES[i]} ` : ` ${i + 1} `;
    }
    return t;
  };
  let t = `${tabs(true)} ${hints}`;
  if (t.length > w) t = `${tabs(false)} ${hints}`;
  if (note !== '') t = `${safe(note)} | ${t}`;
  return line(clip(t, w), 'head');
}

export const HELP_TEXT: readonly string[] = [
  'Keys',
  '  1..7, Tab, Shift-Tab  switch view (Overview, Ports, Connections, Hosts, Interface, Sizes, Alerts)',
  '  s                     cycle the sort of the current view',
  '  f                     Ports: protocol filter (all, tcp, udp)',
  '  m                     Hosts: by IP address / by MAC address (LAN stations)',
  '  Up/Down, PgUp/PgDn    scroll; Home/End: top/bottom',
  '  p or space            pause the display (capture and statistics go on)',
  '  /                     display filter in tcpdump\'s language (empty: none); Esc cancels',
  '  ?                     this help (any key closes it)',
  '  q or Ctrl-C           quit: the terminal is restored and a text summary printed',
  '',
  'The capture filter (command line) is never changed; the display filter selects which packets',
  'the views count, from the moment it is set. Rates are by packet time.',
];

export function renderHelp(w: number): Line[] {
  return HELP_TEXT.map((t, i) => line(clip(t, w), i === 0 ? 'head' : ''));
}
