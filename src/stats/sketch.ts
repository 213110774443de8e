// Bounded distinct counters ("how many different peers did this port see?") for many keys at once.
//
// One slot per key, 64 bytes each, all slots in one ArrayBuffer (no object per key):
//  - exact mode: up to 16 distinct 30-bit hashes, kept as a small set; the count is exact
//    (up to hash collisions, ~1 in 10^7 for 16 values);
//  - when a 17th distinct hash arrives the slot turns into a HyperLogLog of 64 one-byte registers
//    in the same 64 bytes (standard error 1.04/sqrt(64) = 13%, linear counting below 160).
// Merging two slots is exact when both are exact and the union has at most 16 values, otherwise
// the union's HyperLogLog (registers max'd), which is what a single sensor would have computed.

export const SKETCH_WORDS = 16;
const SLOT_BYTES = SKETCH_WORDS * 4;
const HLL_M = 64;
const HLL_ALPHA = 0.709; // alpha_64 (Flajolet et al.)
/** mode byte: 0..16 = exact count, HLL = registers. */
const MODE_HLL = 255;
/** 2^-v for every register value (a rank is at most 25; registers merged from text up to 255). */
const POW2_NEG = Float64Array.from({ length: 256 }, (_, v) => 2 ** -v);

/**
 * murmur3's 32-bit finalizer, kept to 30 bits: a well-mixed hash that is always a small integer
 * in V8 (31-bit Smi), so passing it to a function never allocates a heap number.
 */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & HASH_MASK;
}

/** Hashes are 30-bit. */
export const HASH_MASK = 0x3fffffff;

/** Hash of an IPv4 address (family-tagged so it never equals an IPv6 hash by construction). */
export function hashIpv4(a: number): number {
  return mix32((a ^ 0x5bd1e995) >>> 0);
}

/** Hash of an IPv6 address given as four 32-bit words. */
export function hashIpv6(w0: number, w1: number, w2: number, w3: number): number {
  let h = mix32(w0 ^ 0x3c6ef372);
  h = mix32((h ^ w1) >>> 0);
  h = mix32((h ^ w2) >>> 0);
  return mix32((h ^ w3 ^ 0x6) >>> 0);
}

export class DistinctSketches {
  /** 16 words per slot: hashes (exact mode) or, through `regs`, 64 registers (HLL mode). */
  readonly words: Uint32Array;
  readonly regs: Uint8Array;
  /** Per slot: number of exact hashes, or MODE_HLL. */
  readonly mode: Uint8Array;
  private readonly scratch = new Uint32Array(SKETCH_WORDS);
  private readonly text = Buffer.alloc(SLOT_BYTES);

  constructor(readonly slots: number) {
    const buf = new ArrayBuffer(slots * SLOT_BYTES);
    this.words = new Uint32Array(buf);
    this.regs = new Uint8Array(buf);
    this.mode = new Uint8Array(slots);
  }

  /** Adds a (well-mixed) 30-bit hash to a slot. */
  add(slot: number, h: number): void {
    h = h & HASH_MASK;
    const n = this.mode[slot];
    if (n === MODE_HLL) {
      this.hllAdd(slot, h);
      return;
    }
    const w = this.words;
    const base = slot * SKETCH_WORDS;
    for (let i = 0; i < n; i++) if (w[base + i] === h) return;
    if (n < SKETCH_WORDS) {
      w[base + n] = h;
      this.mode[slot] = n + 1;
      return;
    }
    this.toHll(slot);
    this.hllAdd(slot, h);
  }

  private toHll(slot: number): void {
    const w = this.words;
    const base = slot * SKETCH_WORDS;
    const s = this.scratch;
    const n = this.mode[slot];
    for (let i = 0; i < n; i++) s[i] = w[base + i];
    for (let i = 0; i < SKETCH_WORDS; i++) w[base + i] = 0;
    this.mode[slot] = MODE_HLL;
    for (let i = 0; i < n; i++) this.hllAdd(slot, s[i]);
  }

  private hllAdd(slot: number, h: number): void {
    const idx = (h >>> 24) & 63; // the top 6 of the 30 bits pick the register
    const rank = Math.clz32((h << 8) | 0x80) + 1; // leading zeros of the remaining 24 bits, + 1
    const o = slot * SLOT_BYTES + idx;
    if (rank > this.regs[o]) this.regs[o] = rank;
  }

  /** True while the slot's count is exact. */
  isExact(slot: number): boolean {
    return this.mode[slot] !== MODE_HLL;
  }

  /** Distinct values added to the slot: exact up to 16, a HyperLogLog estimate beyond. */
  count(slot: number): number {
    const n = this.mode[slot];
    if (n !== MODE_HLL) return n;
    const r = this.regs;
    const o = slot * SLOT_BYTES;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < HLL_M; i++) {
      const v = r[o + i];
      sum += POW2_NEG[v];
      if (v === 0) zeros++;
    }
    let e = (HLL_ALPHA * HLL_M * HLL_M) / sum;
    if (e <= 2.5 * HLL_M && zeros > 0) e = HLL_M * Math.log(HLL_M / zeros);
    // An HLL slot held more than 16 values when it was created.
    return Math.max(SKETCH_WORDS + 1, Math.round(e));
  }

  /** Serialises a slot: "x" + hex hashes (exact) or "h" + hex registers (HyperLogLog). */
  export(slot: number): string {
    const n = this.mode[slot];
    const t = this.text;
    if (n !== MODE_HLL) {
      const base = slot * SKETCH_WORDS;
      for (let i = 0; i < n; i++) t.writeUInt32BE(this.words[base + i], 4 * i);
      return 'x' + t.toString('hex', 0, 4 * n);
    }
    const o = slot * SLOT_BYTES;
    for (let i = 0; i < HLL_M; i++) t[i] = this.regs[o + i];
    return 'h' + t.toString('hex', 0, HLL_M);
  }

  /**
   * Merges a serialised slot (see export) into `slot`. Returns false when the text is not a
   * sketch (the caller then falls back to an upper bound).
   */
  mergeExported(slot: number, text: string): boolean {
    if (text.length > 0 && text[0] === 'x' && (text.length - 1) % 8 === 0 && /^x[0-9a-f]*$/.test(text)) {
      for (let i = 1; i < text.length; i += 8) this.add(slot, parseInt(text.slice(i, i + 8), 16));
      return true;
    }
    if (text.length === 1 + 2 * HLL_M && /^h[0-9a-f]*$/.test(text)) {
      if (this.mode[slot] !== MODE_HLL) this.toHll(slot);
      const o = slot * SLOT_BYTES;
      for (let i = 0; i < HLL_M; i++) {
        const v = parseInt(text.slice(1 + 2 * i, 3 + 2 * i), 16);
        if (v > this.regs[o + i]) this.regs[o + i] = v;
      }
      return true;
    }
    return false;
  }

  clear(slot: number): void {
    this.mode[slot] = 0;
    this.words.fill(0, slot * SKETCH_WORDS, (slot + 1) * SKETCH_WORDS);
  }
}
