// tshark's `-T fields -e FIELD ...` output.
import type { PacketSink } from '../pipeline';
import type { OutBuf } from './out';

/** TODO(decoders): implement. `options` are the -E values (header=y, separator=...). */
export function createFieldsPrinter(out: OutBuf, fields: string[], options: string[]): PacketSink {
  void fields; void options;
  return { onPacket() { out.maybeFlush(); } };
}
