// The batch loop shared by the classic pcap and pcapng readers: parse complete records in the
// chunk, yield them, read more when the next record is incomplete, warn when the input ends
// inside a record (every complete packet has been delivered by then, as with tcpdump).
import { PacketBatch, type InterfaceInfo, type PacketSource, type SourceWarning, type TsPrecision } from './batch';
import type { ChunkReader } from './chunk-reader';

/**
 * What a consumer reads of the batches: everything; the packets' bytes, lengths, link types and
 * interfaces (not tsSec, tsNsec, fileOffset); or only `count`.
 */
export type BatchFields = 'all' | 'bounds' | 'count';

export abstract class FileSource implements PacketSource {
  readonly interfaces: InterfaceInfo[] = [];
  precision: TsPrecision = 'micro';
  warning: SourceWarning | null = null;
  protected readonly batch = new PacketBatch();
  private stopped = false;
  /** What the batches carry (see setBatchFields). */
  protected fields: BatchFields = 'all';

  constructor(protected readonly r: ChunkReader) {}

  get name(): string {
    return this.r.name;
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * For a consumer that reads less of each batch: 'bounds' leaves the timestamps and the file
   * offsets stale (a filter that only counts), 'count' every per-packet array (dump --count).
   * Every record is still walked and checked exactly as with 'all' (the same errors at the same
   * offsets, the same truncation warning).
   */
  setBatchFields(fields: BatchFields): void {
    this.fields = fields;
  }

  /**
   * Parses complete records from r.pos into `b` (b.count is 0 on entry) and advances r.pos.
   * Returns -1 when it stopped with packets to deliver (the batch is full, or a damaged record
   * follows: it throws on the next call, once the packets before it are out); otherwise the
   * number of bytes from r.pos the next record needs (more than r.avail).
   */
  protected abstract parse(b: PacketBatch): number;

  /** Message for input that ends inside the record at r.pos, which needs `need` bytes. */
  protected abstract truncatedMessage(need: number): string;

  async *batches(): AsyncGenerator<PacketBatch, void, undefined> {
    const r = this.r;
    const b = this.batch;
    try {
      while (!this.stopped) {
        b.count = 0;
        b.data = r.buf;
        const need = this.parse(b);
        if (b.count > 0) {
          yield b;
          continue;
        }
        if (need < 0) continue;
        if (r.avail >= need) continue; // consumed non-packet blocks only
        if (r.eof) {
          if (r.avail > 0) this.warning = { message: this.truncatedMessage(need), exitCode: 1 };
          return;
        }
        // Let the event loop run once per chunk: a read-ahead that is always ready resolves in
        // microtasks only, which would starve signal handlers and timers for the whole file.
        await new Promise<void>((resolve) => setImmediate(resolve));
        await r.need(need);
      }
    } finally {
      await r.close();
    }
  }
}
