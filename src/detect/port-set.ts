// Distinct (protocol, port) keys per entry, exact where it matters: up to 16 keys in a small list,
// then a 128 Kibit bitmap (both protocols, every port) from a bounded pool, and only when the
// pool is exhausted (a flood of port scans) a HyperLogLog estimate, fed only from the moment an
// entry falls back to estimating (its 16 listed keys are replayed then). Bitmaps are allocated when an
// entry first passes 16 keys (rare: scanners) and reused after reset; nothing per packet.
import { DistinctSketches } from '../stats/sketch';
import { portHash } from '../stats/hosts';

const LIST = 16;
const BITMAP_BYTES = (2 * 65536) / 8;

export class PortSet {
  private readonly list: Uint32Array;
  private readonly n: Uint8Array;
  private readonly counts: Uint32Array;
  /** Pool index of the entry's bitmap, -1 none. */
  private readonly owner: Int32Array;
  private readonly bitmaps: Uint8Array[] = [];
  private readonly freeMaps: number[] = [];
  /** Estimates for entries that overflowed without a bitmap. */
  private readonly sketch: DistinctSketches;
  private readonly estimated: Uint8Array;

  constructor(capacity: number, private readonly maxBitmaps = 256) {
    this.list = new Uint32Array(capacity * LIST);
    this.n = new Uint8Array(capacity);
    this.counts = new Uint32Array(capacity);
    this.owner = new Int32Array(capacity).fill(-1);
    this.sketch = new DistinctSketches(capacity);
    this.estimated = new Uint8Array(capacity);
  }

  /** Adds key = protoIndex << 16 | port; true when it was not there (or when only estimated). */
  add(id: number, key: number): boolean {
    const o = this.owner[id];
    if (o >= 0) {
      const bm = this.bitmaps[o];
      const byte = key >>> 3;
      const bit = 1 << (key & 7);
      if ((bm[byte] & bit) !== 0) return false;
      bm[byte] |= bit;
      this.counts[id]++;
      return true;
    }
    if (this.estimated[id] === 1) {
      this.sketch.add(id, portHash(key >>> 16, key & 0xffff));
      return true;
    }
    const n = this.n[id];
    const base = id * LIST;
    for (let i = 0; i < n; i++) if (this.list[base + i] === key) return false;
    if (n < LIST) {
      this.list[base + n] = key;
      this.n[id] = n + 1;
      this.counts[id]++;
      return true;
    }
    const m = this.takeBitmap();
    if (m < 0) {
      // the sketch is fed only from here on: replay the listed keys (the same distinct set)
      this.estimated[id] = 1;
      for (let i = 0; i < LIST; i++) {
        const k = this.list[base + i];
        this.sketch.add(id, portHash(k >>> 16, k & 0xffff));
      }
      this.sketch.add(id, portHash(key >>> 16, key & 0xffff));
      return true;
    }
    this.owner[id] = m;
    const bm = this.bitmaps[m];
    for (let i = 0; i < LIST; i++) {
      const k = this.list[base + i];
      bm[k >>> 3] |= 1 << (k & 7);
    }
    bm[key >>> 3] |= 1 << (key & 7);
    this.counts[id]++;
    return true;
  }

  private takeBitmap(): number {
    if (this.freeMaps.length > 0) return this.freeMaps.pop()!;
    if (this.bitmaps.length >= this.maxBitmaps) return -1;
    this.bitmaps.push(new Uint8Array(BITMAP_BYTES));
    return this.bitmaps.length - 1;
  }

  count(id: number): number {
    return this.estimated[id] === 1 ? this.sketch.count(id) : this.counts[id];
  }

  isExact(id: number): boolean {
    return this.estimated[id] === 0;
  }

  /** The keys of an entry in ascending order, at most `max` (exact entries only). */
  sample(id: number, max: number): number[] {
    const out: number[] = [];
    const o = this.owner[id];
    if (o >= 0) {
      const bm = this.bitmaps[o];
      for (let byte = 0; byte < BITMAP_BYTES && out.length < max; byte++) {
        if (bm[byte] === 0) continue;
        for (let b = 0; b < 8 && out.length < max; b++) if ((bm[byte] & (1 << b)) !== 0) out.push(byte * 8 + b);
      }
      return out;
    }
    const base = id * LIST;
    for (let i = 0; i < this.n[id]; i++) out.push(this.list[base + i]);
    return out.sort((a, b) => a - b).slice(0, max);
  }

  reset(id: number): void {
    const o = this.owner[id];
    if (o >= 0) {
      this.bitmaps[o].fill(0);
      this.freeMaps.push(o);
      this.owner[id] = -1;
    }
    this.n[id] = 0;
    this.counts[id] = 0;
    if (this.estimated[id] === 1) {
      this.estimated[id] = 0;
      this.sketch.clear(id); // only estimating entries ever feed it
    }
  }
}
