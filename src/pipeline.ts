// Source -> decode -> filter -> sinks. A capture file and a live interface run exactly this loop.
import type { PacketSource } from './capture/batch';
import { decodeFrame } from '../decoders/frame';
import { PacketInfo } from '../decoders/packet-info';
import type { FilterFn } from './filter/types';

/** A consumer of accepted packets: statistics, writers, printers, detectors. */
export interface PacketSink {
  /**
   * Called for every accepted packet. `p` is the pipeline's one reused record (decoded when the
   * pipeline decodes, otherwise only its frame fields are set); `data` is the batch data. Both are
   * valid only during the call: copy what you keep.
   */
  onPacket(p: PacketInfo, data: Uint8Array): void;
  /** Called after every batch (flush points, rate timers). */
  onBatchEnd?(): void;
  /** Called once after the last packet (also after a stop). */
  finish?(): void | Promise<void>;
}

/** Returns the filter for a link type (compiled once per link type), null for "accept all". */
export type FilterProvider = (linkType: number, snaplen: number) => FilterFn | null;

export interface PipelineOptions {
  filter?: FilterProvider | null;
  /** Decode accepted packets (printers and statistics need it; counting and copying do not). */
  decode: boolean;
  sinks: PacketSink[];
  /** Stop after this many accepted packets (-c N); 0 = no limit. */
  maxPackets?: number;
}

/** Counters of one pipeline run. */
export class PipelineStats {
  /** Packets read from the source. */
  seen = 0;
  /** Packets the filter accepted (all, without a filter). */
  accepted = 0;
  /** Accepted packets by DecodeStatus (ok, truncated, malformed, unsupported); decoding runs only. */
  readonly decodeStatus = new Float64Array(4);
}

export async function runPipeline(source: PacketSource, opts: PipelineOptions): Promise<PipelineStats> {
  const stats = new PipelineStats();
  const p = new PacketInfo();
  const sinks = opts.sinks;
  const nSinks = sinks.length;
  const decode = opts.decode;
  const max = opts.maxPackets ?? 0;
  const provider = opts.filter ?? null;
  // One compiled filter per link type, looked up by array index.
  const filters: (FilterFn | null | undefined)[] = [];
  let lastLink = -1;
  let filter: FilterFn | null = null;
  let seen = 0;
  let accepted = 0;
  const status = stats.decodeStatus;

  outer: for await (const b of source.batches()) {
    if (provider === null && nSinks === 0 && !decode && max === 0) {
      // counting only (dump --count without a filter): nothing looks at the packets
      seen += b.count;
      accepted += b.count;
      continue;
    }
    const data = b.data;
    for (let i = 0; i < b.count; i++) {
      seen++;
      const off = b.offset[i];
      const capLen = b.capLen[i];
      const wireLen = b.wireLen[i];
      const lt = b.linkType[i];
      if (provider !== null) {
        if (lt !== lastLink) {
          let f = filters[lt];
          if (f === undefined) {
            const ifc = source.interfaces[b.ifIndex[i]];
            f = provider(lt, ifc ? ifc.snaplen : 262144);
            filters[lt] = f;
          }
          filter = f;
          lastLink = lt;
        }
        if (filter !== null && filter(data, off, capLen, wireLen) === 0) continue;
      }
      accepted++;
      p.frameNumber = seen;
      p.tsSec = b.tsSec[i];
      p.tsNsec = b.tsNsec[i];
      p.capLen = capLen;
      p.wireLen = wireLen;
      p.frameStart = off;
      p.capEnd = off + capLen;
      p.linkType = lt;
      p.ifIndex = b.ifIndex[i];
      if (decode) {
        status[decodeFrame(data, off, capLen, wireLen, lt, p)]++;
      }
      for (let s = 0; s < nSinks; s++) sinks[s].onPacket(p, data);
      if (accepted === max) {
        source.stop();
        break outer;
      }
    }
    for (let s = 0; s < nSinks; s++) sinks[s].onBatchEnd?.();
  }
  for (let s = 0; s < nSinks; s++) await sinks[s].finish?.();
  stats.seen = seen;
  stats.accepted = accepted;
  return stats;
}
