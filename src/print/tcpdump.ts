// tcpdump's one-line-per-packet format.
import type { PacketSink } from '../pipeline';
import type { PacketSource } from '../capture/batch';
import type { OutBuf } from './out';

export interface LinePrinterOptions {
  /** -n: no name resolution (portscope never resolves names; kept for tcpdump compatibility). */
  numeric: boolean;
  /** -q: quick (less protocol detail). */
  quick: boolean;
  /** 0 default HH:MM:SS.frac (local time), 1 -t none, 2 -tt epoch, 3 -ttt delta from previous, 4 -tttt date, 5 -ttttt since first. */
  tsFormat: 0 | 1 | 2 | 3 | 4 | 5;
  /** -e: print the link-level header. */
  linkHeader: boolean;
  /** -x count (1: hex of the packet without link header, 2: -xx with link header). */
  hex: number;
  /** -X count (hex and ASCII; 2: with link header). */
  hexAscii: number;
  /** -S: absolute TCP sequence numbers. */
  absoluteSeq: boolean;
  verbose: number;
  /** Print nanosecond fractions (9 digits) instead of microseconds. */
  nano: boolean;
}

/** TODO(print): implement. */
export function createLinePrinter(out: OutBuf, opts: LinePrinterOptions, source: PacketSource): PacketSink {
  void opts; void source;
  return {
    onPacket(p) {
      out.dec(p.frameNumber);
      out.byte(10);
      out.maybeFlush();
    },
  };
}
