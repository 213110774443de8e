// Opening the packet source and its filter from command-line options, shared by the commands that
// read packets (profile; dump does the same steps inline): -r FILE | -i IFACE, the expression
// (or -F FILE), tcpdump's "reading from file" banner, and an eagerly compiled filter so a bad
// expression fails before any output. Live captures filter in the kernel (pcap_setfilter).
import { last, UsageError, type ParsedArgs } from './getopt';
import { openCaptureFile } from '../capture/open';
import type { PacketSource } from '../capture/batch';
import type { FilterProvider } from '../pipeline';
import { compileFilterProvider } from '../filter/index';
import { linkTypeDescription } from '../../decoders/link-types';
import { filterExpression } from './dump';

export interface OpenedSource {
  source: PacketSource;
  /** Pipeline filter (files), null for none or when the kernel filters (live). */
  filter: FilterProvider | null;
  expr: string;
  live: boolean;
}

export async function openSourceFromArgs(a: ParsedArgs, opts: { banner: boolean }): Promise<OpenedSource> {
  const readFile = last(a, 'r');
  const iface = last(a, 'i');
  if (readFile === undefined && iface === undefined) {
    throw new UsageError('give a capture file with -r FILE (or - for standard input), or an interface with -i IFACE');
  }
  if (readFile !== undefined && iface !== undefined) throw new UsageError('-r and -i are mutually exclusive');
  const expr = filterExpression(a);
  let source: PacketSource;
  if (readFile !== undefined) {
    source = await openCaptureFile(readFile);
  } else {
    const { openLiveSource } = await import('../capture/live');
    source = await openLiveSource(iface!, a, expr);
  }
  const first = source.interfaces[0];
  if (opts.banner) {
    if (readFile !== undefined && first) {
      process.stderr.write(`reading from file ${readFile}, link-type ${linkTypeDescription(first.linkType)}, snapshot length ${first.snaplen}\n`);
    } else if (iface !== undefined) {
      process.stderr.write((await import('../capture/live')).liveBanner(source, true, true));
    }
  }
  const filter: FilterProvider | null = expr === '' || iface !== undefined ? null : compileFilterProvider(expr);
  if (filter !== null && first) filter(first.linkType, first.snaplen);
  return { source, filter, expr, live: iface !== undefined };
}
