// `portscope dump`: tcpdump's reading, filtering, printing and writing.
import * as fs from 'node:fs';
import { getopt, count, last, all, intArg, UsageError, type ParsedArgs } from './getopt';
import { openCaptureFile } from '../capture/open';
import { CaptureError, type PacketSource } from '../capture/batch';
import { PcapWriter } from '../capture/pcap-writer';
import { runPipeline, type PacketSink, type FilterProvider } from '../pipeline';
import { compileFilterProvider, FilterError } from '../filter/index';
import { OutBuf, OutputClosed } from '../print/out';
import { createLinePrinter, type LinePrinterOptions } from '../print/tcpdump';
import { createFieldsPrinter } from '../print/fields';
import { PcapReader } from '../capture/pcap-reader';
import { linkTypeDescription } from '../../decoders/link-types';

export const DUMP_SPEC = {
  short: {
    r: 'arg', w: 'arg', c: 'arg', F: 'arg', i: 'arg', s: 'arg', B: 'arg', C: 'arg', G: 'arg',
    W: 'arg', Z: 'arg', T: 'arg', E: 'arg',
    n: 'flag', q: 'flag', t: 'flag', e: 'flag', x: 'flag', X: 'flag', S: 'flag', p: 'flag',
    D: 'flag', h: 'flag', v: 'flag', l: 'flag', U: 'flag',
  },
  long: {
    count: 'flag', 'immediate-mode': 'flag', 'time-stamp-precision': 'arg', help: 'flag',
    'no-promiscuous-mode': 'flag', 'list-interfaces': 'flag', 'buffer-size': 'arg',
    'snapshot-length': 'arg', 'print': 'flag', 'packet-buffered': 'flag',
  },
} as const satisfies { short: Record<string, 'flag' | 'arg'>; long: Record<string, 'flag' | 'arg'> };

export const DUMP_USAGE = `Usage: portscope dump [-DenpqStUvxX] [-c count] [--count] [-r file | -i interface] [-w file]
                      [-s snaplen] [-B KiB] [--immediate-mode] [-C MB] [-G sec] [-W n]
                      [--time-stamp-precision micro|nano] [-Z user] [-F file]
                      [-T fields -e FIELD ... [-E header=y|separator=/t]] [expression]`;

/** Parses dump's arguments. `-e` takes a field name after `-T fields`, as in tshark. */
export function parseDumpArgs(argv: readonly string[]): ParsedArgs {
  const fieldsMode = argv.some((w, i) => (w === '-T' && argv[i + 1] === 'fields') || w === '-Tfields');
  const spec = { short: { ...DUMP_SPEC.short, e: fieldsMode ? 'arg' : 'flag' }, long: DUMP_SPEC.long } as const;
  return getopt(argv, spec as { short: Record<string, 'flag' | 'arg'>; long: Record<string, 'flag' | 'arg'> });
}

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

export async function dumpMain(argv: readonly string[]): Promise<number> {
  const a = parseDumpArgs(argv);
  if (count(a, 'h') || count(a, 'help')) {
    process.stdout.write(DUMP_USAGE + '\n');
    return 0;
  }
  if (count(a, 'D') || count(a, 'list-interfaces')) {
    const { interfacesMain } = await import('./interfaces');
    return interfacesMain(['--tcpdump']);
  }
  const readFile = last(a, 'r');
  const iface = last(a, 'i');
  if (readFile === undefined && iface === undefined) {
    throw new UsageError('give a capture file with -r FILE (or - for standard input), or an interface with -i IFACE');
  }
  if (readFile !== undefined && iface !== undefined) throw new UsageError('-r and -i are mutually exclusive');
  const expr = filterExpression(a);
  const maxPackets = last(a, 'c') !== undefined ? intArg(last(a, 'c')!, 'packet count -c', 1) : 0;

  let source: PacketSource;
  if (readFile !== undefined) {
    source = await openCaptureFile(readFile);
  } else {
    const { openLiveSource } = await import('../capture/live');
    source = await openLiveSource(iface!, a, expr);
  }
  const first = source.interfaces[0];
  const writeFile = last(a, 'w');
  const fieldsMode = last(a, 'T');
  if (fieldsMode !== undefined && fieldsMode !== 'fields') throw new UsageError(`-T ${fieldsMode}: only "-T fields" is supported`);

  // tcpdump's banner on stderr.
  if (readFile !== undefined && first) {
    process.stderr.write(
      `reading from file ${readFile}, link-type ${linkTypeDescription(first.linkType)}, snapshot length ${first.snaplen}\n`,
    );
  }
  if (iface !== undefined) {
    process.stderr.write((await import('../capture/live')).liveBanner(source, count(a, 'v') > 0, writeFile !== undefined));
  }

  // Live capture filters in the kernel (pcap_setfilter in openLiveSource), files in the pipeline.
  const filter: FilterProvider | null = expr === '' || iface !== undefined ? null : compileFilterProvider(expr);
  // Compile eagerly for the first link type so a bad expression fails before any output.
  if (filter !== null && first) filter(first.linkType, first.snaplen);

  const sinks: PacketSink[] = [];
  const out = new OutBuf(1);
  let decode = false;
  const countOnly = count(a, 'count') > 0;
  if (writeFile !== undefined) {
    sinks.push(
      await PcapWriter.open(writeFile, {
        linkType: first ? (first.linkTypeField ?? first.linkType) : 1,
        snaplen: first ? first.snaplen : 262144,
        precision: last(a, 'time-stamp-precision') === 'nano' ? 'nano' : 'micro',
        rotateMB: last(a, 'C') !== undefined ? intArg(last(a, 'C')!, 'file size -C', 1) : 0,
        rotateSec: last(a, 'G') !== undefined ? intArg(last(a, 'G')!, 'rotation time -G', 1) : 0,
        maxFiles: last(a, 'W') !== undefined ? intArg(last(a, 'W')!, 'file count -W', 1) : 0,
        packetBuffered: count(a, 'U') > 0,
      }),
    );
  } else if (countOnly) {
    // counting only: no decode, no sink
  } else if (fieldsMode === 'fields') {
    const fields = all(a, 'e');
    if (fields.length === 0) throw new UsageError('-T fields needs at least one -e FIELD');
    // frame.interface_id: tshark leaves it empty for classic pcap files (they have no interfaces).
    sinks.push(createFieldsPrinter(out, fields, all(a, 'E'), !(source instanceof PcapReader)));
    decode = true;
  } else {
    const opts: LinePrinterOptions = {
      numeric: count(a, 'n') > 0,
      quick: count(a, 'q') > 0,
      tsFormat: Math.min(count(a, 't'), 5) as LinePrinterOptions['tsFormat'],
      linkHeader: count(a, 'e') > 0,
      hex: count(a, 'x'),
      hexAscii: count(a, 'X'),
      absoluteSeq: count(a, 'S') > 0,
      verbose: count(a, 'v'),
      nano: source.precision === 'nano' || last(a, 'time-stamp-precision') === 'nano',
    };
    sinks.push(createLinePrinter(out, opts, source));
    decode = true;
  }

  let stats;
  try {
    stats = await runPipeline(source, { filter, decode, sinks, maxPackets });
    out.flush();
  } catch (e) {
    if (e instanceof OutputClosed) return 0;
    // a damaged record: show the packets before it first, as tcpdump does
    if (e instanceof CaptureError) {
      try {
        out.flush();
      } catch {
        // the reader went away: the error line still goes to stderr
      }
    }
    throw e;
  }
  if (iface !== undefined) process.stderr.write((await import('../capture/live')).liveSummary(source, stats.accepted));
  if (countOnly) process.stdout.write(`${stats.accepted} packet${stats.accepted === 1 ? '' : 's'}\n`);
  if (source.warning) {
    process.stderr.write(`portscope: ${source.warning.message}\n`);
    return source.warning.exitCode;
  }
  return 0;
}

export { FilterError };
