// Classic pcap writer (tcpdump -w), a PacketSink.
import type { PacketSink } from '../pipeline';
import type { PacketInfo } from '../../decoders/packet-info';
import { CaptureError, type TsPrecision } from './batch';

export interface PcapWriterOptions {
  linkType: number;
  snaplen: number;
  precision: TsPrecision;
  /** -C: rotate after this many millions of bytes (0 = never). */
  rotateMB: number;
  /** -G: rotate every this many seconds (0 = never). */
  rotateSec: number;
  /** -W: limit on the number of files (0 = none). */
  maxFiles: number;
  /** -U: flush after every packet. */
  packetBuffered: boolean;
}

/** TODO(capture): implement. */
export class PcapWriter implements PacketSink {
  static async open(path: string, opts: PcapWriterOptions): Promise<PcapWriter> {
    void opts;
    throw new CaptureError(`${path}: writing is not implemented yet`);
  }
  onPacket(p: PacketInfo, data: Uint8Array): void {
    void p; void data;
  }
}
