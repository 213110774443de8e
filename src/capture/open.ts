// Opens a capture file (classic pcap or pcapng, detected by magic) or standard input ("-").
import { CaptureError, type PacketSource } from './batch';

/** TODO(capture): implement. Throws CaptureError with a one-line, tcpdump-like message. */
export async function openCaptureFile(path: string): Promise<PacketSource> {
  throw new CaptureError(`${path}: reading capture files is not implemented yet`);
}
