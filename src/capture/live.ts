// Live capture through the native libpcap addon (native/src/portscope.cc).
//
// The source allocates one PacketBatch (arrays + an 8 MiB data buffer) and hands its arrays to the
// addon at open. batches() alternates two steps, neither of which blocks the event loop:
//   fill()  drains libpcap (non-blocking pcap_dispatch until it returns 0 or the batch is full)
//           straight into the batch arrays, and returns the packet count;
//   wait()  when nothing was ready: arms a uv_poll on libpcap's selectable descriptor and
//           resolves on the single JavaScript callback made when it becomes readable.
// The addon writes into the batch only during fill(), i.e. never while the pipeline is reading it.
import * as fs from 'node:fs';
import { CaptureError, PacketBatch, BATCH_SLOTS, type InterfaceInfo, type PacketSource, type SourceWarning, type TsPrecision } from './batch';
import { count, last, intArg, UsageError, type ParsedArgs } from '../cli/getopt';
import { loadNative, type NativeCapture, type NativeCaptureError, type NativeCaptureOptions, type NativeStats } from '../../native/index';

/** libpcap's (and tcpdump's) largest snapshot length; -s 0 means this. */
export const MAXIMUM_SNAPLEN = 262144;
/** Bytes of packet data per batch: at least 32 packets of the largest snapshot length. */
export const LIVE_DATA_BYTES = 8 << 20;
/** tcpdump's read timeout (ms): how long the kernel may hold packets to fill a block. */
export const DEFAULT_TIMEOUT_MS = 1000;

export interface LiveOptions extends NativeCaptureOptions {
  /** -Z USER: drop root to this user once the device is open. */
  user?: string;
  /** Install SIGINT/SIGTERM (stop) and SIGUSR1 (statistics) handlers while capturing. */
  signals?: boolean;
}

/** Capture statistics (pcap_stats) plus the packets this source delivered. */
export interface LiveStats extends NativeStats {
  /** Packets handed to the pipeline so far. */
  delivered: number;
}

export class LiveSource implements PacketSource {
  readonly interfaces: InterfaceInfo[];
  readonly precision: TsPrecision;
  /** Set when the capture failed mid-way (interface gone): packets so far stand, exit status 1. */
  warning: SourceWarning | null = null;
  /** libpcap's activation warning (promiscuous mode not supported, ...), or null. */
  readonly openWarning: string | null;
  /** The link type was chosen (-y, or LINUX_SLL2 for `any`): the banner names it, as tcpdump's. */
  readonly linkTypeChosen: boolean;
  private readonly batch: PacketBatch;
  private cap: NativeCapture | null;
  private stopped = false;
  private wake: ((err: string | null) => void) | null = null;
  private delivered = 0;
  private lastStats: NativeStats = { received: 0, dropped: 0, ifDropped: 0 };
  private readonly sigHandlers: [NodeJS.Signals, () => void][] = [];

  constructor(readonly name: string, opts: LiveOptions) {
    const native = loadNative();
    this.batch = new PacketBatch(BATCH_SLOTS, new Uint8Array(LIVE_DATA_BYTES));
    this.batch.fileOffset.fill(-1);
    try {
      this.cap = new native.Capture(name, opts, this.batch);
    } catch (e) {
      throw openError(e as NativeCaptureError);
    }
    this.interfaces = [{ linkType: this.cap.linkType, snaplen: this.cap.snaplen, name }];
    this.precision = this.cap.nano ? 'nano' : 'micro';
    this.openWarning = this.cap.warning;
    this.linkTypeChosen = opts.linkType !== undefined && opts.linkType >= 0;
    if (opts.user !== undefined) {
      try {
        dropPrivileges(opts.user);
      } catch (e) {
        this.close();
        throw e;
      }
    }
    if (opts.signals) this.installSignals();
  }

  /** The LINKTYPE_* values the device offers (tcpdump -L). */
  datalinks(): number[] {
    if (this.cap === null) throw new CaptureError(`${this.name}: capture is closed`);
    return this.cap.datalinks();
  }

  get linkType(): number {
    return this.interfaces[0].linkType;
  }

  get snaplen(): number {
    return this.interfaces[0].snaplen;
  }

  async *batches(): AsyncGenerator<PacketBatch> {
    const b = this.batch;
    try {
      while (!this.stopped && this.cap !== null) {
        const n = this.fillOrFail();
        if (n < 0) return;
        if (n > 0) {
          b.count = n;
          this.delivered += n;
          yield b;
          continue;
        }
        b.count = 0;
        const err = await new Promise<string | null>((resolve) => {
          this.wake = resolve;
          this.cap!.wait(resolve);
        });
        this.wake = null;
        if (err !== null && !this.stopped) {
          // POLLERR: libpcap says what happened ("The interface disappeared") on the next read.
          if (this.fillOrFail() < 0) return;
          this.fail(`${this.name}: poll: ${err}`);
          return;
        }
      }
    } finally {
      this.close();
    }
  }

  /** fill(), or -1 after recording a read error as the source's warning (tcpdump: "pcap_loop: ..."). */
  private fillOrFail(): number {
    try {
      return this.cap!.fill();
    } catch (e) {
      this.fail(`pcap_loop: ${(e as Error).message}`);
      return -1;
    }
  }

  /** Ends the capture with an error that still lets the packets so far and the summary stand. */
  private fail(message: string): void {
    this.warning = { message, exitCode: 1 };
    this.stopped = true;
  }

  /** Stops at the next batch boundary (signals, -c N); a pending wait ends at once. */
  stop(): void {
    this.stopped = true;
    if (this.cap !== null) this.cap.cancel();
    const w = this.wake;
    this.wake = null;
    if (w !== null) w(null);
  }

  /** pcap_stats now (or as they were when the handle closed). */
  stats(): LiveStats {
    if (this.cap !== null) {
      try {
        this.lastStats = this.cap.stats();
      } catch {
        /* keep the last good numbers */
      }
    }
    return { ...this.lastStats, delivered: this.delivered };
  }

  /** Releases the handle and the signal handlers (idempotent; batches() does it at its end). */
  close(): void {
    if (this.cap !== null) {
      this.stats();
      this.cap.close();
      this.cap = null;
    }
    for (const [sig, h] of this.sigHandlers) process.removeListener(sig, h);
    this.sigHandlers.length = 0;
  }

  private installSignals(): void {
    let signalled = 0;
    const onStop = (): void => {
      // First signal: stop cleanly (the caller prints the summary). A second one: give up now.
      if (++signalled > 1) process.exit(1);
      this.stop();
    };
    const onInfo = (): void => {
      const s = this.stats();
      process.stderr.write(`portscope: ${infoLine(s.delivered, s)}\n`);
    };
    const add = (sig: NodeJS.Signals, h: () => void): void => {
      process.on(sig, h);
      this.sigHandlers.push([sig, h]);
    };
    add('SIGINT', onStop);
    add('SIGTERM', onStop);
    add('SIGHUP', onStop);
    add('SIGUSR1', onInfo);
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** tcpdump's one-line statistics (SIGUSR1): "N packets captured, N packets received by filter, ...". */
export function infoLine(captured: number, s: NativeStats): string {
  let t = `${plural(captured, 'packet')} captured, ${plural(s.received, 'packet')} received by filter, ${plural(s.dropped, 'packet')} dropped by kernel`;
  if (s.ifDropped !== 0) t += `, ${plural(s.ifDropped, 'packet')} dropped by interface`;
  return t;
}

/** tcpdump's summary at the end of a live capture (stderr), newline-terminated. */
export function summaryText(captured: number, s: NativeStats): string {
  let t = `${plural(captured, 'packet')} captured\n${plural(s.received, 'packet')} received by filter\n${plural(s.dropped, 'packet')} dropped by kernel\n`;
  if (s.ifDropped !== 0) t += `${plural(s.ifDropped, 'packet')} dropped by interface\n`;
  return t;
}

/** tcpdump's "listening on" line (without the program-name prefix or newline). */
export function listeningLine(src: LiveSource): string {
  const names = loadNative().datalinkName(src.linkType);
  const lt = names ? `${names[0]} (${names[1]})` : `${src.linkType}`;
  return `listening on ${src.name}, link-type ${lt}, snapshot length ${src.snaplen} bytes`;
}

/** The node binary itself (setcap does not follow symbolic links). */
function realNodePath(): string {
  try {
    return fs.realpathSync(process.execPath);
  } catch {
    return process.execPath;
  }
}

/** One line for an open failure, with a hint where tcpdump's own text leaves the user stuck. */
function openError(e: NativeCaptureError): CaptureError {
  if (e.status === -100) return new CaptureError(e.message); // filter: libpcap's text, as tcpdump
  let msg = String(e.message).replace(/\s*\n\s*/g, ' ');
  if (e.code === 'EPERM') {
    msg += '; run as root, or grant the capture capabilities: setcap cap_net_raw,cap_net_admin=eip ' + realNodePath();
  } else if (e.code === 'ENODEV') {
    msg += ` (portscope interfaces lists the capture devices)`;
  }
  return new CaptureError(msg, 1);
}

/** -Z USER, as tcpdump's droproot: initgroups, setgid, setuid to the user's ids. */
export function dropPrivileges(user: string): void {
  const pw = loadNative().getpwnam(user);
  if (pw === null) throw new CaptureError(`Couldn't find user '${user}'`);
  if (process.getuid?.() !== 0 && process.geteuid?.() !== 0) return; // tcpdump only drops root
  try {
    (process as unknown as { initgroups?: (u: string, g: number) => void }).initgroups?.(user, pw.gid);
    process.setgid?.(pw.gid);
    process.setuid?.(pw.uid);
  } catch (e) {
    throw new CaptureError(`Couldn't change to '${user}' uid=${pw.uid} gid=${pw.gid}: ${(e as Error).message}`);
  }
}

/** Capture options from dump's parsed arguments (tcpdump's flags and messages). */
export function liveOptions(args: ParsedArgs, expr: string): LiveOptions {
  const s = last(args, 's') ?? last(args, 'snapshot-length');
  let snaplen = MAXIMUM_SNAPLEN;
  if (s !== undefined) {
    if (!/^\d+$/.test(s) || Number(s) > MAXIMUM_SNAPLEN) {
      throw new UsageError(`invalid snaplen ${s} (must be >= 0 and <= ${MAXIMUM_SNAPLEN})`);
    }
    snaplen = Number(s) === 0 ? MAXIMUM_SNAPLEN : Number(s);
  }
  const bs = last(args, 'B') ?? last(args, 'buffer-size');
  let bufferSize = 0;
  if (bs !== undefined) {
    if (!/^\d+$/.test(bs) || Number(bs) <= 0) throw new UsageError(`invalid packet buffer size ${bs}`);
    bufferSize = intArg(bs, 'packet buffer size', 1, 0x1fffff) * 1024; // KiB, below 2 GiB
  }
  const prec = last(args, 'time-stamp-precision');
  if (prec !== undefined && prec !== 'micro' && prec !== 'nano') throw new UsageError('unsupported time stamp precision');
  return {
    snaplen,
    promisc: count(args, 'p') === 0 && count(args, 'no-promiscuous-mode') === 0,
    immediate: count(args, 'immediate-mode') > 0,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    bufferSize,
    nano: prec === 'nano',
    filter: expr,
    optimize: count(args, 'O') === 0,
    user: last(args, 'Z'),
    signals: true,
  };
}

/**
 * Opens IFACE with dump's options (-s, -p, -B, --immediate-mode, --time-stamp-precision, -Z) and
 * the kernel filter EXPR. `-i any` gets LINUX_SLL2 as in tcpdump 4.99.
 */
export async function openLiveSource(iface: string, args: ParsedArgs, expr: string): Promise<LiveSource> {
  const opts = liveOptions(args, expr);
  iface = resolveDeviceNumber(iface);
  const y = last(args, 'y');
  if (y !== undefined) opts.linkType = linkTypeByName(y);
  else if (iface === 'any') opts.linkType = 276; // DLT_LINUX_SLL2, as tcpdump selects for "any"
  return new LiveSource(iface, opts);
}

/** -y NAME: the LINKTYPE_* value of a libpcap link-type name (EN10MB, LINUX_SLL, ...), as tcpdump takes it. */
export function linkTypeByName(name: string): number {
  const native = loadNative();
  const v = native.datalinkNameToVal ? native.datalinkNameToVal(name) : -1;
  if (v < 0) throw new CaptureError(`invalid data link type ${name}`);
  return v;
}

/** tcpdump -L: the link types IFACE offers, one per line as tcpdump prints them. */
export function datalinkList(src: LiveSource): string {
  const native = loadNative();
  // (lazily: the decoders are not needed otherwise)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { isSupportedLinkType } = require('../../decoders/frame') as typeof import('../../decoders/frame');
  let t = `Data link types for ${src.name} (use option -y to set):\n`;
  for (const lt of src.datalinks()) {
    const n = native.datalinkName(lt);
    if (n === null) t += `  DLT ${lt} (printing not supported)\n`;
    else t += `  ${n[0]} (${n[1]})${isSupportedLinkType(lt) ? '' : ' (printing not supported)'}\n`;
  }
  return t;
}

/**
 * tcpdump's stderr banner for a live capture: activation warning, the "data link type" note for
 * `-i any`, the "verbose output suppressed" hint (when printing without -v) and "listening on".
 */
export function liveBanner(src: PacketSource, verbose: boolean, writing: boolean): string {
  if (!(src instanceof LiveSource)) return '';
  let t = '';
  if (src.openWarning !== null) t += `portscope: WARNING: ${src.openWarning}\n`;
  if (src.linkTypeChosen) {
    const n = loadNative().datalinkName(src.linkType);
    t += `portscope: data link type ${n ? n[0] : src.linkType}\n`;
  }
  t += !verbose && !writing ? 'portscope: verbose output suppressed, use -v[v]... for full protocol decode\n' : 'portscope: ';
  return t + listeningLine(src) + '\n';
}

/** tcpdump's summary at exit for a live source ('' for files). `captured`: packets the pipeline accepted. */
export function liveSummary(src: PacketSource, captured: number): string {
  return src instanceof LiveSource ? summaryText(captured, src.stats()) : '';
}

/** tcpdump's `-i N`: a number is an index into the `-D` list (1-based). */
export function resolveDeviceNumber(iface: string): string {
  if (!/^\d+$/.test(iface)) return iface;
  const n = Number(iface);
  const devs = loadNative().findAllDevs();
  if (n < 1 || n > devs.length) throw new CaptureError('Invalid adapter index');
  return devs[n - 1].name;
}
