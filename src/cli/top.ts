// `portscope top -i IFACE | -r FILE [EXPR]`: the live dashboard (blessed) on a terminal, or
// plain-text snapshots every --interval seconds when standard output is not a terminal. Files
// are replayed at the pace of their timestamps (--speed X, --max-speed).
import * as fs from 'node:fs';
import { getopt, count, last, intArg, UsageError } from './getopt';
import { openSource, writeBanner, pipelineFilter, stopOnSignals } from './source';
import { statsOptions } from './profile';
import { scanOptions } from '../detect/cli';
import { runPipeline, type PipelineStats } from '../pipeline';
import { openCaptureFile } from '../capture/open';
import type { PacketSource } from '../capture/batch';
import { compileFilterProvider } from '../filter/index';
import { PacedSource } from '../ui/pace';
import { TopEngine, ViewState, type DashMeta, type DashSnapshot } from '../ui/model';
import { composeScreen, screenText, textSnapshot } from '../ui/views';
import { VIEW_IDS } from '../ui/views-meta';
import { glyphsForEnv } from '../ui/text';
import { OutBuf, OutputClosed } from '../print/out';

export const TOP_SPEC = {
  short: { r: 'arg', i: 'arg', c: 'arg', F: 'arg', s: 'arg', B: 'arg', Z: 'arg', p: 'flag', h: 'flag' },
  long: {
    speed: 'arg', 'max-speed': 'flag', interval: 'arg', 'no-color': 'flag', view: 'arg', width: 'arg', rows: 'arg',
    duration: 'arg', 'max-flows': 'arg', 'max-hosts': 'arg', mtu: 'arg', 'udp-timeout': 'arg',
    'tcp-timeout': 'arg', help: 'flag', 'immediate-mode': 'flag', 'time-stamp-precision': 'arg',
    'buffer-size': 'arg', 'snapshot-length': 'arg', 'no-promiscuous-mode': 'flag',
    'scan-window': 'arg', 'scan-ports': 'arg', 'scan-hosts': 'arg', 'scan-timeout': 'arg',
  },
} as const satisfies { short: Record<string, 'flag' | 'arg'>; long: Record<string, 'flag' | 'arg'> };

export const TOP_USAGE = `Usage: portscope top (-r FILE [--speed X | --max-speed] | -i IFACE [--duration SEC]) [-c count]
                     [-F file] [expression] [--interval SEC] [--no-color]
                     [--view overview,ports,connections,hosts,interface,sizes,alerts] [--width N] [--rows N]
                     [--max-flows N] [--max-hosts N] [--mtu N] [--udp-timeout SEC] [--tcp-timeout SEC]
                     [--scan-ports N] [--scan-hosts N] [--scan-window SEC] [--scan-timeout SEC]

On a terminal: a full-screen dashboard (keys: 1-7/Tab views, s sort, f protocol, m IP/MAC,
arrows/PgUp/PgDn scroll, / display filter, p pause, ? help, q quit). Otherwise: a text snapshot
of the --view list (default overview) every --interval seconds (default 1) and at the end;
--rows N prints at most N rows of each table (the first of the view's order: ports by packets,
connections by bytes, hosts by bytes, alerts oldest first), with the total in its title.
Files replay at their timestamps' pace times --speed (default 1); --max-speed reads at full speed.
Live capture options as in dump: -s -p -B --immediate-mode -Z. NO_COLOR is honoured.
Scan detection (alerts view), as in profile and dump: --scan-ports N (failed ports of one target,
default 10), --scan-hosts N (failed targets of one scanner, default 10), --scan-window SEC (60),
--scan-timeout SEC (5).`;

/** A positive decimal number option (--speed 2.5, --interval 0.5). */
function numArg(v: string, what: string, min: number, max: number): number {
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(v)) throw new UsageError(`invalid ${what} ${JSON.stringify(v)}`);
  const n = Number(v);
  if (!(n >= min && n <= max)) throw new UsageError(`invalid ${what} ${v} (must be ${min}..${max})`);
  return n;
}

function viewList(s: string | undefined): number[] {
  if (s === undefined) return [0];
  const out: number[] = [];
  for (const w of s.split(',').map((x) => x.trim().toLowerCase())) {
    if (w === 'all') return VIEW_IDS.map((_, i) => i);
    const i = (VIEW_IDS as readonly string[]).findIndex((id) => id === w || id.startsWith(w) && w.length >= 2);
    if (i < 0 && /^[1-7]$/.test(w)) out.push(Number(w) - 1);
    else if (i < 0) throw new UsageError(`invalid --view ${JSON.stringify(w)} (${VIEW_IDS.join(', ')}, all)`);
    else out.push(i);
  }
  return out;
}

export async function topMain(argv: readonly string[]): Promise<number> {
  const a = getopt(argv, TOP_SPEC);
  if (count(a, 'h') || count(a, 'help')) {
    process.stdout.write(TOP_USAGE + '\n');
    return 0;
  }
  const sopts = statsOptions(a);
  sopts.detect = { scan: scanOptions(a) }; // the alerts view (src/detect), also under a display filter
  const maxPackets = last(a, 'c') !== undefined ? intArg(last(a, 'c')!, 'packet count -c', 1) : 0;
  const maxSpeed = count(a, 'max-speed') > 0;
  const speedS = last(a, 'speed');
  if (maxSpeed && speedS !== undefined) throw new UsageError('--speed and --max-speed are mutually exclusive');
  const speed = maxSpeed ? 0 : speedS === undefined ? 1 : numArg(speedS, '--speed', 0.001, 1e6);
  const intervalS = last(a, 'interval');
  const intervalMs = intervalS === undefined ? 1000 : Math.round(numArg(intervalS, '--interval', 0.05, 86400) * 1000);
  const views = viewList(last(a, 'view'));
  const durS = last(a, 'duration');
  const duration = durS === undefined ? 0 : intArg(durS, '--duration', 1, 1 << 30);
  const live = last(a, 'i') !== undefined;
  if (duration > 0 && !live) throw new UsageError('--duration applies to live capture (-i IFACE)');
  if (live && (speedS !== undefined || maxSpeed)) throw new UsageError('--speed and --max-speed apply to files (-r FILE)');
  const tty = process.stdout.isTTY === true && process.stdin.isTTY === true;
  const color = count(a, 'no-color') === 0 && !(process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '');
  const glyphs = glyphsForEnv();
  const widthS = last(a, 'width');
  const textWidth = widthS !== undefined ? intArg(widthS, '--width', 40, 1000) : process.stdout.columns || 100;
  const rowsS = last(a, 'rows');
  const rowLimit = rowsS !== undefined ? intArg(rowsS, '--rows', 1, 1 << 30) : Infinity;

  const opened = await openSource(a);
  if (!tty) await writeBanner(opened, true, true);
  const filter = pipelineFilter(opened);
  const inner = opened.source;
  const first = inner.interfaces[0];
  let fileSize = 0;
  if (opened.readFile !== undefined && opened.readFile !== '-') {
    try {
      fileSize = fs.statSync(opened.readFile).size;
    } catch {
      fileSize = 0;
    }
  }
  const paced = live ? null : new PacedSource(inner, speed);
  const source = paced ?? inner;
  const engine = new TopEngine({
    stats: sopts,
    compile: (e) => compileFilterProvider(e),
    linkType: first ? first.linkType : 1,
    snaplen: first ? first.snaplen : 262144,
  });
  const liveDrops = live ? () => (inner as unknown as { stats(): { dropped: number } }).stats().dropped : null;

  const t0 = Date.now();
  let finished = false;
  let paused = false;
  let failure: unknown = null;
  const meta = (): Omit<DashMeta, 'displayFilter' | 'displayFilterError'> => ({
    source: inner.name,
    live,
    filter: opened.expr,
    elapsedMs: Date.now() - t0,
    kernelDrops: liveDrops ? liveDrops() : null,
    // (a stop before the end, by a signal, q or -c, shows how far the file was read)
    position: paced !== null && fileSize > 0 ? { offset: paced.complete ? fileSize : paced.offset, size: fileSize } : null,
    speed: live ? '' : speed === 0 ? 'max' : `${speed}x`,
    finished,
    paused,
  });

  const timer = duration > 0 ? setTimeout(() => source.stop(), duration * 1000) : null;
  const run: Promise<PipelineStats | null> = runPipeline(source, { filter, decode: true, sinks: [engine], maxPackets }).then(
    (ps) => {
      finished = true;
      return ps;
    },
    (e) => {
      finished = true;
      failure = e;
      return null;
    },
  );

  // A display filter set after the end of a file: read the file again (capture filter, then the
  // display filter) into the new display statistics, so the views show the whole file.
  let reread: PacketSource | null = null;
  let onReread: () => void = () => undefined;
  const rereadForDisplay = async (): Promise<void> => {
    if (reread !== null) reread.stop();
    const sink = engine.displaySink;
    if (live || opened.readFile === undefined || opened.readFile === '-' || sink === null) return;
    let src: PacketSource;
    try {
      src = await openCaptureFile(opened.readFile);
    } catch {
      return; // the file went away: the display statistics count from now on (nothing more comes)
    }
    reread = src;
    try {
      await runPipeline(src, { filter, decode: true, sinks: [sink], maxPackets });
    } catch {
      // a damaged record: the packets before it were counted, as in the first pass
    }
    if (reread === src) {
      reread = null;
      onReread();
    }
  };

  let ps: PipelineStats | null;
  if (tty) {
    const { Dashboard } = await import('../ui/screen');
    let quit!: () => void;
    const quitP = new Promise<void>((resolve) => (quit = resolve));
    // SIGTERM / SIGHUP end the dashboard like q (the terminal is restored); live capture also
    // stops on them by itself
    const onSignal = (): void => quit();
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
    const dash = new Dashboard(
      {
        snapshot: (view, win) => engine.snapshot(meta(), view, win),
        idle: () => finished && reread === null,
        restamp: (s) => ({ ...s, meta: { ...s.meta, elapsedMs: Date.now() - t0, paused } }),
        setDisplayFilter: (e) => {
          const err = engine.setDisplayFilter(e);
          if (err === '' && finished && failure === null) void rereadForDisplay();
          return err;
        },
        displayFilter: () => engine.displayFilter,
        quit: (e) => {
          if (e !== undefined && failure === null) failure = e;
          quit();
        },
        setPaused: (p) => (paused = p),
      },
      { color, glyphs, refreshMs: intervalMs },
    );
    onReread = () => dash.update();
    // a capture error ends the dashboard at once (the error is reported after the terminal is restored)
    void run.then(() => {
      if (failure !== null) quit();
      else dash.update();
    });
    dash.start();
    await quitP;
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGHUP', onSignal);
    source.stop();
    if (reread !== null) (reread as PacketSource).stop();
    ps = await run;
    if (timer !== null) clearTimeout(timer);
    const cols = process.stdout.columns || 80;
    const rows = Math.min(process.stdout.rows || 24, 40);
    dash.destroy();
    if (failure !== null) throw failure;
    // the one-screen summary left on the restored terminal: the overview, final numbers
    const st = new ViewState();
    const snap: DashSnapshot = engine.snapshot(meta(), 0, { state: st, rows });
    process.stdout.write(screenText(composeScreen(snap, st, cols, rows - 1, glyphs)));
  } else {
    const out = new OutBuf(1, 1 << 16);
    const st = new ViewState();
    st.rowLimit = rowLimit;
    const print = (): void => {
      // only what the listed views read
      const text = textSnapshot(engine.snapshot(meta(), views), st, views, textWidth, glyphs);
      // UTF-8 (block glyphs); everything in it was made safe by the renderers
      const b = Buffer.from(text, 'utf8');
      for (let i = 0; i < b.length; i += 32768) {
        const part = b.subarray(i, i + 32768);
        out.buf.set(part, out.pos);
        out.pos += part.length;
        out.flush();
      }
    };
    const tick = setInterval(() => {
      try {
        print();
      } catch (e) {
        if (e instanceof OutputClosed) source.stop();
        else throw e;
      }
    }, intervalMs);
    // Reading a file, a signal stops at the next batch and the final snapshot is printed (exit 0;
    // a second signal exits 1). The handlers stay until it is written.
    const unhookSignals = stopOnSignals(source, live);
    try {
      ps = await run;
      clearInterval(tick);
      if (timer !== null) clearTimeout(timer);
      if (failure !== null) throw failure;
      try {
        print();
      } catch (e) {
        if (!(e instanceof OutputClosed)) throw e;
      }
    } finally {
      unhookSignals();
    }
  }
  if (live && ps !== null) process.stderr.write((await import('../capture/live')).liveSummary(inner, ps.accepted));
  if (inner.warning) {
    process.stderr.write(`portscope: ${inner.warning.message}\n`);
    return inner.warning.exitCode;
  }
  return 0;
}
