// `portscope dump`: tcpdump's reading, filtering, printing and writing.
//
// Startup: the printers, the pcap writer and the decoders are loaded only by the runs that use
// them (`--count` loads neither), as compiling unused modules costs more than reading a small file.
import { getopt, count, last, all, intArg, UsageError, type ParsedArgs } from './getopt';
import { filterExpression, openSource, writeBanner, pipelineFilter, stopOnSignals } from './source';
import { CaptureError } from '../capture/batch';
import { runPipeline, type PacketSink, type FilterProvider } from '../pipeline';
import type { OutBuf } from '../print/out';
import type { LinePrinterOptions } from '../print/tcpdump';
import { PcapReader } from '../capture/pcap-reader';

export const DUMP_SPEC = {
  short: {
    r: 'arg', w: 'arg', c: 'arg', F: 'arg', i: 'arg', s: 'arg', B: 'arg', C: 'arg', G: 'arg',
    W: 'arg', Z: 'arg', T: 'arg', E: 'arg', y: 'arg',
    n: 'flag', q: 'flag', t: 'flag', e: 'flag', x: 'flag', X: 'flag', S: 'flag', p: 'flag',
    D: 'flag', h: 'flag', v: 'flag', l: 'flag', U: 'flag', d: 'flag', O: 'flag', L: 'flag',
  },
  long: {
    count: 'flag', 'immediate-mode': 'flag', 'time-stamp-precision': 'arg', help: 'flag',
    'no-promiscuous-mode': 'flag', 'list-interfaces': 'flag', 'buffer-size': 'arg',
    'snapshot-length': 'arg', 'print': 'flag', 'packet-buffered': 'flag',
    alerts: 'flag', 'alerts-json': 'arg', 'scan-window': 'arg', 'scan-ports': 'arg', 'scan-hosts': 'arg', 'scan-timeout': 'arg',
  },
} as const satisfies { short: Record<string, 'flag' | 'arg'>; long: Record<string, 'flag' | 'arg'> };

export const DUMP_USAGE = `Usage: portscope dump [-dDeLnOpqStUvxX] [-c count] [--count] [-r file | -i interface] [-w file]
                      [-s snaplen] [-B KiB] [--immediate-mode] [-C MB] [-G sec] [-W n]
                      [--time-stamp-precision micro|nano] [-Z user] [-F file]
                      [-T fields -e FIELD ... [-E header=y|separator=/t]]
                      [--alerts] [--alerts-json FILE] [-y linktype] [expression]
  -d / -dd / -ddd     print the compiled filter program (as tcpdump: bpf_image lines / C array /
                      decimal) for -r FILE's link type, -y LINKTYPE (EN10MB, LINUX_SLL, RAW, ...),
                      -i IFACE's, or else Ethernet (with a warning); then exit
  -O                  do not run libpcap's optimizer on the filter program (-d output, live kernel filter)
  -y LINKTYPE         live capture: capture with this link type (tcpdump -L lists them)
  -L                  list the link types of -i IFACE and exit
  --alerts            scan detection: one line on stderr per scan when it is detected
  --alerts-json FILE  scan detection: the final alerts as NDJSON (one object a line; - = stdout)
  --scan-ports N --scan-hosts N --scan-window SEC --scan-timeout SEC   detection thresholds`;

/** Parses dump's arguments. `-e` takes a field name after `-T fields`, as in tshark. */
export function parseDumpArgs(argv: readonly string[]): ParsedArgs {
  const fieldsMode = argv.some((w, i) => (w === '-T' && argv[i + 1] === 'fields') || w === '-Tfields');
  const spec = { short: { ...DUMP_SPEC.short, e: fieldsMode ? 'arg' : 'flag' }, long: DUMP_SPEC.long } as const;
  return getopt(argv, spec as { short: Record<string, 'flag' | 'arg'>; long: Record<string, 'flag' | 'arg'> });
}

/** The filter expression (shared with profile; lives in ./source). */
export { filterExpression };

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
  if (count(a, 'd') > 0) return dumpProgram(a, count(a, 'd'));
  if (count(a, 'L') > 0 && last(a, 'r') === undefined) {
    // tcpdump -L: the link types the interface offers (it is opened, as tcpdump does, to ask libpcap)
    const iface = last(a, 'i');
    if (iface === undefined) throw new UsageError('-L lists the link types of an interface: give it with -i IFACE');
    const { openLiveSource, datalinkList } = await import('../capture/live');
    const src = await openLiveSource(iface, a, '');
    try {
      process.stderr.write(datalinkList(src)); // on stderr, as tcpdump 4.99 prints it
    } finally {
      src.close();
    }
    return 0;
  }
  if (last(a, 'r') === undefined && last(a, 'i') === undefined) {
    throw new UsageError('give a capture file with -r FILE (or - for standard input), or an interface with -i IFACE');
  }
  const expr = filterExpression(a);
  const maxPackets = last(a, 'c') !== undefined ? intArg(last(a, 'c')!, 'packet count -c', 1) : 0;

  // -T fields: bad field names and -E options fail before the capture is opened, as in tshark.
  const fieldsMod = last(a, 'T') === 'fields' ? await import('../print/fields') : null;
  if (fieldsMod !== null) {
    fieldsMod.compileFields(all(a, 'e'));
    fieldsMod.parseFieldsOptions(all(a, 'E'));
  }
  // scan detection (src/detect): options checked before the capture is opened
  const alerts = count(a, 'alerts') > 0 || last(a, 'alerts-json') !== undefined
    ? (await import('../detect/cli')).alertSink(a, count(a, 'alerts') > 0, last(a, 'alerts-json'))
    : null;
  const opened = await openSource(a, expr);
  const { source, readFile, iface } = opened;
  const first = source.interfaces[0];
  const writeFile = last(a, 'w');
  const fieldsMode = last(a, 'T');
  if (fieldsMode !== undefined && fieldsMode !== 'fields') throw new UsageError(`-T ${fieldsMode}: only "-T fields" is supported`);

  // tcpdump's banner on stderr; the filter compiled before any output (live: in the kernel).
  await writeBanner(opened, count(a, 'v') > 0, writeFile !== undefined);
  const filter: FilterProvider | null = pipelineFilter(opened, count(a, 'O') === 0);

  const sinks: PacketSink[] = [];
  let out: OutBuf | null = null;
  let decode = false;
  const countOnly = count(a, 'count') > 0;
  if (writeFile !== undefined) {
    const { PcapWriter } = await import('../capture/pcap-writer');
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
    out = new (await import('../print/out')).OutBuf(1);
    sinks.push(fieldsMod!.createFieldsPrinter(out, fields, all(a, 'E'), !(source instanceof PcapReader)));
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
      nano: last(a, 'time-stamp-precision') === 'nano',
    };
    out = new (await import('../print/out')).OutBuf(1);
    // The line printer walks the headers itself (it needs the IP-claimed lengths and where the
    // capture was cut), so the pipeline's decoding would be wasted work here.
    sinks.push((await import('../print/tcpdump')).createLinePrinter(out, opts, source));
  }

  if (alerts !== null) {
    sinks.push(alerts);
    decode = true;
  }

  // Reading a file, SIGINT/SIGTERM/SIGHUP stop at the next batch as in tcpdump (pcap_breakloop):
  // the packets read so far are printed / written whole, exit status 0. A second signal: exit 1.
  const unhookSignals = stopOnSignals(source, iface !== undefined);
  let stats;
  try {
    stats = await runPipeline(source, { filter, decode, sinks, maxPackets });
    out?.flush();
  } catch (e) {
    // the reader of our output went away
    // (tcpdump 4.99: quietly with -w -; after text output "Unable to write output: Broken pipe", status 14)
    if (e instanceof (await import('../print/out')).OutputClosed) {
      if (writeFile !== undefined) return 0;
      process.stderr.write('portscope: Unable to write output: Broken pipe\n');
      return 14;
    }
    // a damaged record: show the packets before it first, as tcpdump does
    if (e instanceof CaptureError) {
      try {
        out?.flush();
      } catch {
        // the reader went away: the error line still goes to stderr
      }
    }
    throw e;
  } finally {
    unhookSignals();
  }
  if (iface !== undefined) process.stderr.write((await import('../capture/live')).liveSummary(source, stats.accepted));
  if (countOnly) process.stdout.write(`${stats.accepted} packet${stats.accepted === 1 ? '' : 's'}\n`);
  if (source.warning) {
    process.stderr.write(`portscope: ${source.warning.message}\n`);
    return source.warning.exitCode;
  }
  return 0;
}


/**
 * -d / -dd / -ddd: prints the compiled program as tcpdump does and exits 0. The link type is -r
 * FILE's (compiled as `tcpdump -r FILE -d`: savefile handle, netmask 0, the file's snaplen), else
 * -y NAME's, else -i IFACE's (opened briefly), else Ethernet with tcpdump's "Warning: assuming
 * Ethernet" (tcpdump does the same when neither -r nor -i is given).
 */
async function dumpProgram(a: ParsedArgs, level: number): Promise<number> {
  const { loadNative } = await import('../../native/index');
  const { formatProgram, FilterError } = await import('../filter/index');
  const native = loadNative();
  if (!native.compileDead || !native.image || !native.datalinkNameToVal) {
    throw new CaptureError('the libpcap addon is out of date: npm run build:native');
  }
  const expr = filterExpression(a);
  const optimize = count(a, 'O') === 0;
  const sArg = last(a, 's');
  const snaplen = sArg !== undefined ? intArg(sArg, 'snaplen -s', 0) || 262144 : 262144;
  const yName = last(a, 'y');
  let dlt = -1;
  if (yName !== undefined) {
    dlt = native.datalinkNameToVal(yName);
    if (dlt < 0) throw new CaptureError(`invalid data link type ${yName}`);
  }
  let prog: Uint32Array;
  try {
    if (last(a, 'r') !== undefined || last(a, 'i') !== undefined) {
      if (last(a, 'i') !== undefined && dlt >= 0) {
        prog = native.compileDead(expr, dlt, snaplen, optimize);
      } else {
        const opened = await openSource(a, '');
        const first = opened.source.interfaces[0];
        (opened.source as { close?: () => void }).close?.();
        if (opened.readFile !== undefined) await writeBanner(opened, false, false);
        prog = opened.readFile !== undefined && native.compileSavefile
          ? native.compileSavefile(expr, first.linkType, first.snaplen, optimize)
          : native.compile(expr, first.linkType, sArg !== undefined ? snaplen : first.snaplen, optimize);
      }
    } else {
      if (dlt < 0) {
        process.stderr.write('Warning: assuming Ethernet\n');
        dlt = 1; // DLT_EN10MB
      }
      prog = native.compileDead(expr, dlt, snaplen, optimize);
    }
  } catch (e) {
    if (e instanceof CaptureError || e instanceof UsageError) throw e;
    throw new FilterError(String((e as Error).message ?? e).split('\n')[0]);
  }
  process.stdout.write(formatProgram(prog, level, native.image));
  return 0;
}
