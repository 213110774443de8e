// The blessed layer: three boxes (header, body, footer) filled with the pure renderers' lines, a
// prompt for the display filter, and the keys. It reads a snapshot about once a second (or
// keeps the last one while paused); keys re-render the last snapshot at once. Nothing here
// counts packets: the capture pipeline runs beside it and never waits for drawing.
import * as blessed from 'blessed';
import * as contrib from 'blessed-contrib';
import type { DashSnapshot, SnapshotWindow } from './model';
import { ViewState, VIEW_COUNT } from './model';
import { composeScreen, chartRows, HEADER_LINES, FOOTER_LINES } from './views';
import { SERIES_SECONDS } from './model';
import { VIEW_SORTS } from './views-meta';
import type { Glyphs, Line } from './text';

export interface ScreenHooks {
  /**
   * A fresh snapshot of what view `view` reads; its large tables need only the first
   * `win.state.scroll[view] + win.rows` rows in the view's current order (see TopEngine.snapshot).
   */
  snapshot(view: number, win: SnapshotWindow): DashSnapshot;
  /** No more packets can come (the file ended, the capture stopped): snapshots stop changing. */
  idle(): boolean;
  /** The same snapshot with its wall-clock fields (elapsed, paused) brought up to date. */
  restamp(s: DashSnapshot): DashSnapshot;
  /** Sets the display filter; returns the error text or ''. */
  setDisplayFilter(expr: string): string;
  /** Current display filter text (to edit). */
  displayFilter(): string;
  /** The user asked to quit (q, Ctrl-C), or drawing failed (`error`). */
  quit(error?: unknown): void;
  setPaused(p: boolean): void;
}

export interface ScreenOptions {
  color: boolean;
  glyphs: Glyphs;
  /** Milliseconds between snapshots. */
  refreshMs: number;
  /** Measure the time spent rendering (process.cpuUsage around each draw). */
  onDrawCpu?: (micros: number) => void;
}

/** Blessed tags for a line: styles to attributes, text escaped ({ } can come from names). */
function tagged(l: Line, w: number, color: boolean): string {
  const t = blessed.escape(l.t);
  switch (l.s) {
    case 'title':
      return `{bold}${t}{/bold}`;
    case 'head':
      return `{inverse}${blessed.escape(l.t.padEnd(w))}{/inverse}`;
    case 'sel':
      return `{inverse}${t}{/inverse}`;
    case 'warn':
      return color ? `{red-fg}${t}{/red-fg}` : `{bold}${t}{/bold}`;
    case 'dim':
      return color ? `{blue-fg}${t}{/blue-fg}` : t;
    default:
      return t;
  }
}

export class Dashboard {
  readonly state = new ViewState();
  private readonly screen: blessed.Widgets.Screen;
  private readonly header: blessed.Widgets.BoxElement;
  private readonly body: blessed.Widgets.BoxElement;
  private readonly footer: blessed.Widgets.BoxElement;
  private prompt: blessed.Widgets.TextboxElement | null = null;
  private chart: contrib.LineElement | null = null;
  private chartH = 0;
  private snap: DashSnapshot | null = null;
  private timer: NodeJS.Timeout | null = null;
  private paused = false;
  private total = 0;
  private destroyed = false;
  /** The snapshot was taken when idle: it is final (only its clock needs updating). */
  private snapFinal = false;

  constructor(
    private readonly hooks: ScreenHooks,
    private readonly opts: ScreenOptions,
  ) {
    const utf8 = opts.glyphs.full !== '#';
    this.screen = blessed.screen({
      smartCSR: true,
      title: 'portscope top',
      fullUnicode: false,
      forceUnicode: utf8,
      warnings: false,
      autoPadding: false,
      dockBorders: false,
    });
    const box = (o: blessed.Widgets.BoxOptions) =>
      blessed.box({ parent: this.screen, left: 0, width: '100%', tags: true, wrap: false, ...o });
    this.header = box({ top: 0, height: HEADER_LINES });
    this.body = box({ top: HEADER_LINES, height: `100%-${HEADER_LINES + FOOTER_LINES}` });
    this.footer = box({ bottom: 0, height: FOOTER_LINES });
    this.bindKeys();
    this.screen.on('resize', () => this.draw());
  }

  start(): void {
    this.safely(() => this.refresh());
    this.timer = setInterval(() => this.safely(() => this.refresh()), this.opts.refreshMs);
  }

  /** New data outside the 1 Hz tick (the capture ended, a re-read finished): snapshot and redraw now. */
  update(): void {
    this.safely(() => this.refresh(true));
  }

  /** Runs a timer or key action; an error ends the dashboard (reported once the terminal is restored). */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (this.timer !== null) clearInterval(this.timer);
      this.timer = null;
      this.hooks.quit(e);
    }
  }

  /** A fresh snapshot (unless paused, or final already) and a redraw. */
  refresh(force = false): void {
    if (this.destroyed) return;
    if (this.snap !== null && ((this.paused && !force) || (this.snapFinal && !force))) {
      this.snap = this.hooks.restamp(this.snap);
    } else this.takeSnapshot();
    this.draw();
  }

  private takeSnapshot(): void {
    const idle = this.hooks.idle();
    // rows for the body and one page more, so scrolling rarely needs a new snapshot
    const rows = 2 * Math.max(1, this.screen.height as number);
    this.snap = this.hooks.snapshot(this.state.view, { state: this.state, rows });
    this.held = this.state.scroll[this.state.view] + rows;
    this.snapFinal = idle;
  }

  /** The last snapshot shown (for the summary at exit). */
  lastSnapshot(): DashSnapshot | null {
    return this.snap;
  }

  private draw(): void {
    if (this.destroyed || this.snap === null) return;
    const t0 = this.opts.onDrawCpu ? process.cpuUsage() : null;
    const w = Math.max(20, this.screen.width as number);
    const h = Math.max(HEADER_LINES + FOOTER_LINES + 1, this.screen.height as number);
    const ch = chartRows(this.state, w, h);
    this.layoutChart(ch);
    const c = composeScreen(this.snap, this.state, w, h, this.opts.glyphs, this.note(), ch);
    this.total = c.total;
    if (ch > 0) this.drawChart(this.snap);
    const col = this.opts.color;
    this.header.setContent(c.header.map((l) => tagged(l, w, col)).join('\n'));
    this.body.setContent(c.body.map((l) => tagged(l, w, col)).join('\n'));
    if (this.prompt === null) this.footer.setContent(tagged(c.footer, w, col));
    this.screen.render();
    if (t0 !== null) {
      const d = process.cpuUsage(t0);
      this.opts.onDrawCpu!(d.user + d.system);
    }
  }

  /** Shows the throughput chart in `rows` rows under the header (0 hides it) and moves the body. */
  private layoutChart(rows: number): void {
    if (rows === this.chartH) return;
    this.chartH = rows;
    if (rows > 0 && this.chart === null) {
      const col = this.opts.color;
      // appended after construction: the chart makes its canvas on 'attach'
      this.chart = contrib.line({
        top: HEADER_LINES,
        left: 0,
        width: '100%',
        height: rows,
        showLegend: true,
        legend: { width: 14 },
        showNthLabel: 10,
        xPadding: 4,
        xLabelPadding: 3,
        style: { line: col ? 'yellow' : 'white', text: col ? 'green' : 'white', baseline: col ? 'black' : 'white' },
      });
      this.screen.append(this.chart);
    }
    if (this.chart !== null) {
      if (rows > 0) this.chart.show();
      else this.chart.hide();
    }
    this.body.top = HEADER_LINES + rows;
    this.body.height = `100%-${HEADER_LINES + FOOTER_LINES + rows}`;
  }

  /** The last 60 s of bit rate (packet time) in the chart, scaled to a readable unit. */
  private drawChart(s: DashSnapshot): void {
    const bps = Array.from(s.seriesBytes, (b) => b * 8);
    const max = Math.max(0, ...bps);
    const [div, unit] = max >= 1e9 ? [1e9, 'Gbit/s'] : max >= 1e6 ? [1e6, 'Mbit/s'] : max >= 1e3 ? [1e3, 'kbit/s'] : [1, 'bit/s'];
    const x = bps.map((_, i) => `${i - SERIES_SECONDS + 1}s`);
    this.chart!.setData([{ title: unit, x, y: bps.map((v) => Math.round((v / div) * 10) / 10) }]);
  }

  private note(): string {
    return this.paused ? 'PAUSED (p: resume)' : '';
  }

  /** Rows of the current view the last snapshot holds (a window from the top; see takeSnapshot). */
  private held = 0;

  /** The view's order or filter changed, or it scrolled past the rows held: a new window. */
  private rewindow(force: boolean): void {
    const st = this.state;
    if (force || st.scroll[st.view] + (this.screen.height as number) > this.held) this.takeSnapshot();
  }

  private bodyRows(): number {
    return Math.max(1, (this.screen.height as number) - HEADER_LINES - FOOTER_LINES - 2);
  }

  private scrollBy(d: number): void {
    const st = this.state;
    const max = Math.max(0, this.total - this.bodyRows());
    st.scroll[st.view] = Math.max(0, Math.min(max, st.scroll[st.view] + d));
    this.rewindow(false);
    this.draw();
  }

  private setView(v: number): void {
    const st = this.state;
    st.help = false;
    const was = st.view;
    st.view = ((v % VIEW_COUNT) + VIEW_COUNT) % VIEW_COUNT;
    // each view's snapshot holds only what it reads: take one for the new view (also when paused)
    if (st.view !== was) this.takeSnapshot();
    this.draw();
  }

  private bindKeys(): void {
    const s = this.screen;
    const st = this.state;
    // any key closes the help (and does nothing else); 'keypress' comes before the key events
    let swallow = false;
    s.on('keypress', () => {
      if (this.prompt !== null || !st.help) return;
      st.help = false;
      swallow = true;
      setImmediate(() => (swallow = false));
      this.draw();
    });
    const when = (keys: string[], fn: () => void) =>
      s.key(keys, () => {
        if (this.prompt !== null || swallow) return;
        this.safely(fn);
      });
    when(['q', 'C-c'], () => this.hooks.quit());
    for (let i = 1; i <= VIEW_COUNT; i++) when([String(i)], () => this.setView(i - 1));
    when(['tab'], () => this.setView(st.view + 1));
    when(['S-tab'], () => this.setView(st.view - 1));
    when(['?'], () => {
      st.help = true;
      this.draw();
    });
    when(['p', 'space'], () => {
      this.paused = !this.paused;
      this.hooks.setPaused(this.paused);
      this.refresh(!this.paused);
    });
    when(['s'], () => {
      const n = VIEW_SORTS[st.view].length;
      if (n > 1) {
        st.sort[st.view] = (st.sort[st.view] + 1) % n;
        st.scroll[st.view] = 0;
        this.rewindow(true);
      }
      this.draw();
    });
    when(['f'], () => {
      if (st.view !== 1) return;
      st.portProto = st.portProto === 'all' ? 'tcp' : st.portProto === 'tcp' ? 'udp' : 'all';
      st.scroll[1] = 0;
      this.rewindow(true);
      this.draw();
    });
    when(['m'], () => {
      if (st.view !== 3) return;
      st.hostsByMac = !st.hostsByMac;
      st.scroll[3] = 0;
      this.rewindow(true);
      this.draw();
    });
    when(['up', 'k'], () => this.scrollBy(-1));
    when(['down', 'j'], () => this.scrollBy(1));
    when(['pageup'], () => this.scrollBy(-this.bodyRows()));
    when(['pagedown'], () => this.scrollBy(this.bodyRows()));
    when(['home'], () => this.scrollBy(-Infinity));
    when(['end'], () => this.scrollBy(Infinity));
    when(['/'], () => this.editFilter());
  }

  /** `/`: a one-line prompt over the footer; Enter applies (errors shown inline), Esc cancels. */
  private editFilter(): void {
    const p = blessed.textbox({
      parent: this.screen,
      bottom: 0,
      left: 0,
      height: 1,
      width: '100%',
      inputOnFocus: false,
      tags: false,
      style: { fg: 'default', bg: 'default' },
    });
    this.prompt = p;
    this.footer.setContent('');
    this.footer.setContent(blessed.escape('display filter (Enter applies, empty clears, Esc cancels): '));
    p.left = 0;
    p.top = (this.screen.height as number) - 1;
    const label = 'filter> ';
    this.footer.setContent(`{bold}${blessed.escape(label)}{/bold}`);
    p.left = label.length;
    p.width = Math.max(10, (this.screen.width as number) - label.length);
    p.setValue(this.hooks.displayFilter());
    const done = (value: string | null) => {
      p.destroy();
      this.prompt = null;
      if (value !== null) {
        this.hooks.setDisplayFilter(value);
        for (let i = 0; i < VIEW_COUNT; i++) this.state.scroll[i] = 0;
        this.refresh(true);
      } else this.draw();
    };
    p.once('submit', (v: string) => done(String(v ?? '')));
    p.once('cancel', () => done(null));
    this.screen.render();
    p.readInput(() => undefined);
  }

  /** Restores the terminal (idempotent). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.screen.destroy();
  }
}
