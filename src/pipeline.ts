// Source -> decode -> filter -> sinks. A capture file and a live interface run exactly this loop.
//
// Runs that only count take shorter loops: no filter and no sinks (dump --count) asks a file
// source for batches carrying only their count (every record is still checked); a filter without
// sinks (dump --count EXPR) runs the filter and counts. The decoders are loaded only by runs that
// decode, PacketInfo only by runs with sinks (startup time of the counting runs).
import type { PacketBatch, PacketSource } from './capture/batch';
import type { BatchFields } from './capture/file-source';
import type { decodeFrame as DecodeFrame } from '../decoders/frame';
import type { PacketInfo } from '../decoders/packet-info';
import type { FilterFn } from './filter/types';
import type { BatchCounter } from './filter/jit';

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

/** A source that can leave out what the consumer does not read (the file readers: FileSource). */
interface LeanSource {
  setBatchFields(fields: BatchFields): void;
}

function isLean(s: PacketSource): s is PacketSource & LeanSource {
  return typeof (s as Partial<LeanSource>).setBatchFields === 'function';
}

export async function runPipeline(source: PacketSource, opts: PipelineOptions): Promise<PipelineStats> {
  const stats = new PipelineStats();
  const nSinks = opts.sinks.length;
  const provider = opts.filter ?? null;
  const max = opts.maxPackets ?? 0;
  if (nSinks === 0 && !opts.decode) {
    if (provider === null && max === 0) {
      // counting only (dump --count without a filter): nothing looks at the packets
      if (isLean(source)) source.setBatchFields('count');
      let seen = 0;
      for await (const b of source.batches()) seen += b.count;
      stats.seen = seen;
      stats.accepted = seen;
      return stats;
    }
    if (provider !== null) return countFiltered(source, provider, max, stats);
  }
  return runFull(source, opts, stats);
}

/** The filter of packet i's link type (compiled once per link type, cached by index in `cache`). */
function filterFor(
  source: PacketSource,
  provider: FilterProvider,
  cache: (FilterFn | null | undefined)[],
  b: PacketBatch,
  i: number,
): FilterFn | null {
  const lt = b.linkType[i];
  let f = cache[lt];
  if (f === undefined) {
    const ifc = source.interfaces[b.ifIndex[i]];
    f = provider(lt, ifc ? ifc.snaplen : 262144);
    cache[lt] = f;
  }
  return f;
}

/**
 * Filter and count, no sinks, no decoding (dump --count EXPR). Each run of packets with one link
 * type goes to that filter's BatchCounter in one call: for the JIT, the program fused into a loop
 * over the batch's arrays. A source with one interface has one link type (every packet has its
 * interface's), so its batches are one run each and nobody looks at the link types per packet.
 */
async function countFiltered(
  source: PacketSource,
  provider: FilterProvider,
  max: number,
  stats: PipelineStats,
): Promise<PipelineStats> {
  if (isLean(source)) source.setBatchFields('bounds');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { batchCounter } = require('./filter/jit') as typeof import('./filter/jit');
  const filters: (FilterFn | null | undefined)[] = [];
  const res = new Float64Array(1);
  let lastLink = -1;
  let counter: BatchCounter | null = null;
  let seen = 0;
  let accepted = 0;
  outer: for await (const b of source.batches()) {
    const n = b.count;
    const ltA = b.linkType;
    const oneLink = source.interfaces.length === 1;
    let i = 0;
    while (i < n) {
      const lt = ltA[i];
      if (lt !== lastLink || counter === null) {
        counter = batchCounter(filterFor(source, provider, filters, b, i));
        lastLink = lt;
      }
      let end = n;
      if (!oneLink) {
        end = i + 1;
        while (end < n && ltA[end] === lt) end++;
      }
      const j = counter(b.data, b.offset, b.capLen, b.wireLen, i, end, max === 0 ? 0 : max - accepted, res);
      accepted += res[0];
      if (max !== 0 && accepted === max) {
        seen += j;
        source.stop();
        break outer;
      }
      i = j;
    }
    seen += n;
  }
  stats.seen = seen;
  stats.accepted = accepted;
  return stats;
}

async function runFull(source: PacketSource, opts: PipelineOptions, stats: PipelineStats): Promise<PipelineStats> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const p = new (require('../decoders/packet-info') as typeof import('../decoders/packet-info')).PacketInfo();
  const decodeFrame: typeof DecodeFrame | null = opts.decode
    ? // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require('../decoders/frame') as typeof import('../decoders/frame')).decodeFrame
    : null;
  const sinks = opts.sinks;
  const nSinks = sinks.length;
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
    const data = b.data;
    const n = b.count;
    // the arrays in locals: the sink calls would otherwise make V8 reload them for every packet
    const offA = b.offset;
    const capA = b.capLen;
    const wireA = b.wireLen;
    const ltA = b.linkType;
    for (let i = 0; i < n; i++) {
      seen++;
      const off = offA[i];
      const capLen = capA[i];
      const wireLen = wireA[i];
      const lt = ltA[i];
      if (provider !== null) {
        if (lt !== lastLink) {
          filter = filterFor(source, provider, filters, b, i);
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
      if (decodeFrame !== null) {
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
