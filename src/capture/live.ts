// Live capture through the native libpcap addon.
import { CaptureError, type PacketSource } from './batch';
import type { ParsedArgs } from '../cli/getopt';

/** TODO(live): implement. */
export async function openLiveSource(iface: string, args: ParsedArgs, expr: string): Promise<PacketSource> {
  void args; void expr;
  throw new CaptureError(`${iface}: live capture is not implemented yet`);
}
