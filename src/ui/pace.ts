// Replay pacing: a PacketSource wrapper that delivers a file's packets at the pace of their
// timestamps (times `speed`), by splitting each batch into the runs of packets that are due. The
// sub-batch shares the inner batch's data buffer and copies only the per-slot numbers, so
// nothing is allocated per packet. speed 0 = as fast as possible (only the position is tracked).
import { PacketBatch, type PacketSource, type InterfaceInfo, type SourceWarning, type TsPrecision } from '../capture/batch';

/** How early (ms) a packet may be delivered: packets due within this slack go in the same run. */
const SLACK_MS = 5;

export class PacedSource implements PacketSource {
  private stopped = false;
  private wake: (() => void) | null = null;
  private out: PacketBatch | null = null;
  /** File offset just past the last packet delivered (approximate for pcapng). */
  offset = 0;
  /** Packets delivered so far. */
  delivered = 0;
  /** The inner source was read to its end without a stop (then the whole file was read). */
  complete = false;

  constructor(
    readonly inner: PacketSource,
    readonly speed: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get name(): string {
    return this.inner.name;
  }
  get interfaces(): readonly InterfaceInfo[] {
    return this.inner.interfaces;
  }
  get precision(): TsPrecision {
    return this.inner.precision;
  }
  get warning(): SourceWarning | null {
    return this.inner.warning;
  }

  stop(): void {
    this.stopped = true;
    this.inner.stop();
    const w = this.wake;
    this.wake = null;
    if (w !== null) w();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private track(b: PacketBatch, last: number): void {
    const fo = b.fileOffset[last];
    if (fo >= 0) this.offset = fo + 16 + b.capLen[last];
  }

  async *batches(): AsyncGenerator<PacketBatch> {
    let t0 = -1; // wall ms of the first packet
    let ts0 = 0; // its timestamp, seconds
    const speed = this.speed;
    for await (const b of this.inner.batches()) {
      if (this.stopped) break;
      if (b.count === 0) continue;
      if (speed <= 0) {
        this.track(b, b.count - 1);
        this.delivered += b.count;
        yield b;
        continue;
      }
      if (this.out === null || this.out.slots < b.slots) this.out = new PacketBatch(b.slots);
      const out = this.out;
      if (t0 < 0) {
        t0 = this.now();
        ts0 = b.tsSec[0] + b.tsNsec[0] / 1e9;
      }
      let i = 0;
      while (i < b.count && !this.stopped) {
        const now = this.now();
        let j = i;
        while (j < b.count && t0 + ((b.tsSec[j] - ts0 + b.tsNsec[j] / 1e9) * 1000) / speed <= now + SLACK_MS) j++;
        if (j === i) {
          const due = t0 + ((b.tsSec[i] - ts0 + b.tsNsec[i] / 1e9) * 1000) / speed;
          await this.sleep(Math.min(1000, Math.max(1, due - now)));
          continue;
        }
        out.data = b.data;
        const n = j - i;
        out.offset.set(b.offset.subarray(i, j));
        out.capLen.set(b.capLen.subarray(i, j));
        out.wireLen.set(b.wireLen.subarray(i, j));
        out.tsSec.set(b.tsSec.subarray(i, j));
        out.tsNsec.set(b.tsNsec.subarray(i, j));
        out.linkType.set(b.linkType.subarray(i, j));
        out.ifIndex.set(b.ifIndex.subarray(i, j));
        out.fileOffset.set(b.fileOffset.subarray(i, j));
        out.count = n;
        this.track(b, j - 1);
        this.delivered += n;
        i = j;
        yield out;
      }
    }
    this.complete = !this.stopped;
  }
}
