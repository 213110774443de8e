// The packet source and its filter from command-line options, shared by the commands that read
// packets (dump, profile): -r FILE | -i IFACE, the expression (or -F FILE), tcpdump's banner,
// and a filter compiled eagerly so a bad expression fails before any output. Live captures
// filter in the kernel (pcap_setfilter in openLiveSource), files in the pipeline.
import * as fs from 'node:fs';
import { last, UsageError, type ParsedArgs } from './getopt';
import { openCaptureFile } from '../capture/open';
import { CaptureError, type PacketSource } from '../capture/batch';
import type { FilterProvider } from '../pipeline';
import type { compileFilterProvider as CompileFilterProvider } from '../filter/index';
import { linkTypeDescription } from '../../decoders/link-types';

/** The filter expression: trailing words, or the contents of -F FILE (then words are an error). */
export function filterExpression(a: ParsedArgs): string {
  const file = last(a, 'F');
  if (file !== undefined) {
    if (a.rest.length > 0) throw new UsageError('-F and an expression on the command line are mutually exclusive');
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch (e) {
      throw new CaptureError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
    }
    // tcpdump drops '#' comments from filter files.
    return text.split('\n').map((l) => l.replace(/#.*/, '')).join(' ').trim();
  }
  return a.rest.join(' ').trim();
}

export interface OpenedSource {
  source: PacketSource;
  expr: string;
  /** -r FILE, or undefined for a live capture. */
  readFile: string | undefined;
  /** -i IFACE, or undefined when reading a file. */
  iface: string | undefined;
}

/** Checks -r / -i, reads the expression and opens the file or the interface. */
export async function openSource(a: ParsedArgs, expr = filterExpression(a)): Promise<OpenedSource> {
  const readFile = last(a, 'r');
  const iface = last(a, 'i');
  if (readFile === undefined && iface === undefined) {
    throw new UsageError('give a capture file with -r FILE (or - for standard input), or an interface with -i IFACE');
  }
  if (readFile !== undefined && iface !== undefined) throw new UsageError('-r and -i are mutually exclusive');
  let source: PacketSource;
  if (readFile !== undefined) {
    source = await openCaptureFile(readFile);
  } else {
    const { openLiveSource } = await import('../capture/live');
    source = await openLiveSource(iface!, a, expr);
  }
  return { source, expr, readFile, iface };
}

/** tcpdump's banner on stderr: "reading from file ..." or the live "listening on ..." lines. */
export async function writeBanner(o: OpenedSource, verbose: boolean, writing: boolean): Promise<void> {
  const first = o.source.interfaces[0];
  if (o.readFile !== undefined && first) {
    process.stderr.write(`reading from file ${o.readFile}, link-type ${linkTypeDescription(first.linkType)}, snapshot length ${first.snaplen}\n`);
  }
  if (o.iface !== undefined) {
    process.stderr.write((await import('../capture/live')).liveBanner(o.source, verbose, writing));
  }
}

/**
 * The pipeline's filter (null: none, or the kernel filters), compiled now for the first link type.
 * `optimize` false: libpcap's optimizer off (-O).
 */
export function pipelineFilter(o: OpenedSource, optimize = true): FilterProvider | null {
  // src/filter (the JIT) is loaded only when there is an expression: startup of unfiltered reads
  const compile = (): typeof CompileFilterProvider =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('../filter/index') as typeof import('../filter/index')).compileFilterProvider;
  const filter: FilterProvider | null = o.expr === '' || o.iface !== undefined ? null : compile()(o.expr, { optimize });
  const first = o.source.interfaces[0];
  if (filter !== null && first) filter(first.linkType, first.snaplen);
  return filter;
}

/**
 * Reading a file (not a live capture, which installs its own handlers and prints its statistics):
 * SIGINT/SIGTERM/SIGHUP stop `source` at the next batch as tcpdump's pcap_breakloop does, so the
 * command finishes its output with the packets read so far and exits 0. A second signal exits 1.
 * Returns the function that removes the handlers (call it in a finally).
 */
export function stopOnSignals(source: Pick<PacketSource, 'stop'>, live: boolean): () => void {
  if (live) return () => undefined;
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  let signalled = 0;
  const onSignal = (): void => {
    if (++signalled > 1) process.exit(1);
    source.stop();
  };
  for (const sig of signals) process.on(sig, onSignal);
  return () => {
    for (const sig of signals) process.removeListener(sig, onSignal);
  };
}
