// A bounded hash table of fixed-width keys over typed arrays: the index behind the flow, host and
// station tables. No object per entry and no allocation after construction.
//
//  - Entries are numbered 0 .. capacity-1 (record ids); callers keep their values in their own
//    typed arrays indexed by id (struct of arrays).
//  - Keys are `keyWords` 32-bit words per id in `keys`; a lookup compares the caller-filled
//    `probe` words. The caller supplies the hash (the flow table's is symmetric).
//  - Open addressing with linear probing over a power-of-two slot array at most half full;
//    deletion by backward shift (no tombstones, so lookups never degrade). A slot holds the id
//    and the hash side by side, so a probe reads one cache line before it compares a key.
//  - A doubly linked LRU list over ids (most recent at the head): `touch` on every use, the
//    tail is the idlest entry. When the table is full, `insert` evicts the tail (calling
//    `onEvict(id)` first) unless the table was built without eviction (then it returns -1).

// KeyTable.link record layout
const LINK = 4;
const L_PREV = 0, L_NEXT = 1, L_HASH = 2;

export type EvictHook = (id: number) => void;

export class KeyTable {
  readonly keys: Uint32Array;
  readonly probe: Uint32Array;
  private index: Int32Array; // slot s: [2s] = id + 1 (0 = empty), [2s + 1] = hash
  private mask: number;
  private readonly maxSlots: number;
  /**
   * Per id, one 16-byte record: [4id] LRU previous, [4id + 1] LRU next (-1 = none), [4id + 2]
   * the key's hash. Side by side, so touching, linking or removing an entry in a large table
   * costs one cache miss per entry instead of one per array.
   */
  private readonly link: Int32Array;
  head = -1;
  tail = -1;
  /** Ids never used yet are fresh .. capacity-1; removed ids form a list through `next`. */
  private fresh = 0;
  private freeHead = -1;
  size = 0;
  /** Entries pushed out because the table was full. */
  evictions = 0;
  /** Called before an entry is evicted or removed to make room (set by the owner). */
  onEvict: EvictHook | null = null;

  constructor(
    readonly capacity: number,
    readonly keyWords: number,
    readonly evict = true,
  ) {
    if (capacity < 1) throw new RangeError('KeyTable capacity must be at least 1');
    let slots = 2;
    while (slots < capacity * 2) slots *= 2;
    this.maxSlots = slots;
    // The index starts small and doubles as entries arrive (a compact index stays in the CPU
    // caches when there are few entries); it never exceeds half full.
    const initial = Math.min(slots, 4096);
    this.mask = initial - 1;
    this.index = new Int32Array(initial * 2);
    this.keys = new Uint32Array(capacity * keyWords);
    this.probe = new Uint32Array(keyWords);
    this.link = new Int32Array(capacity * LINK);
  }

  /** Id of the entry whose key equals `probe`, or -1. */
  find(hash: number): number {
    const index = this.index;
    const mask = this.mask;
    const keys = this.keys;
    const probe = this.probe;
    const w = this.keyWords;
    hash = hash & 0x3fffffff; // hashes are 30-bit (small integers in V8)
    let s = hash & mask;
    for (;;) {
      const e = index[2 * s];
      if (e === 0) return -1;
      if (index[2 * s + 1] === hash) {
        const base = (e - 1) * w;
        let k = 0;
        while (k < w && keys[base + k] === probe[k]) k++;
        if (k === w) return e - 1;
      }
      s = (s + 1) & mask;
    }
  }

  /**
   * find() comparing only the key words at positions i0 .. i3: for keys whose other words are
   * equal whenever these four are (the flow table's IPv4 keys: address words 1-3 and 5-7 are
   * zero when the family, in word 9, is 4). Four compares instead of a loop over every word.
   */
  findBy(hash: number, i0: number, i1: number, i2: number, i3: number): number {
    const index = this.index;
    const mask = this.mask;
    const keys = this.keys;
    const probe = this.probe;
    const w = this.keyWords;
    hash = hash & 0x3fffffff;
    const p0 = probe[i0], p1 = probe[i1], p2 = probe[i2], p3 = probe[i3];
    let s = hash & mask;
    for (;;) {
      const e = index[2 * s];
      if (e === 0) return -1;
      if (index[2 * s + 1] === hash) {
        const base = (e - 1) * w;
        if (keys[base + i0] === p0 && keys[base + i1] === p1 && keys[base + i2] === p2 && keys[base + i3] === p3) return e - 1;
      }
      s = (s + 1) & mask;
    }
  }

  /**
   * Adds the key in `probe` (which must not be present) and returns its id at the head of the
   * LRU list; evicts the idlest entry when full, or returns -1 when full and not evicting.
   */
  insert(hash: number): number {
    const l = this.link;
    hash = hash & 0x3fffffff; // hashes are 30-bit (small integers in V8)
    if (this.freeHead < 0 && this.fresh === this.capacity) {
      if (!this.evict || this.tail < 0) return -1;
      const victim = this.tail;
      this.evictions++;
      if (this.onEvict !== null) this.onEvict(victim);
      this.remove(victim);
    }
    if ((this.size + 1) * 4 > this.index.length && this.index.length < 2 * this.maxSlots) this.grow();
    let id: number;
    if (this.freeHead >= 0) {
      id = this.freeHead;
      this.freeHead = l[LINK * id + L_NEXT];
    } else id = this.fresh++;
    const w = this.keyWords;
    const base = id * w;
    for (let k = 0; k < w; k++) this.keys[base + k] = this.probe[k];
    l[LINK * id + L_HASH] = hash;
    const index = this.index;
    let s = hash & this.mask;
    while (index[2 * s] !== 0) s = (s + 1) & this.mask;
    index[2 * s] = id + 1;
    index[2 * s + 1] = hash;
    this.size++;
    // link at head
    l[LINK * id + L_PREV] = -1;
    l[LINK * id + L_NEXT] = this.head;
    if (this.head >= 0) l[LINK * this.head + L_PREV] = id;
    this.head = id;
    if (this.tail < 0) this.tail = id;
    return id;
  }

  /** Doubles the slot array and re-inserts every entry (amortised: O(1) per insert). */
  private grow(): void {
    const l = this.link;
    const slots = this.index.length; // twice the old slot count
    const index = new Int32Array(slots * 2);
    const mask = slots - 1;
    for (let id = this.head; id >= 0; id = l[LINK * id + L_NEXT]) {
      const h = l[LINK * id + L_HASH];
      let s = h & mask;
      while (index[2 * s] !== 0) s = (s + 1) & mask;
      index[2 * s] = id + 1;
      index[2 * s + 1] = h;
    }
    this.index = index;
    this.mask = mask;
  }

  /** Marks an entry as just used (moves it to the head of the LRU list). */
  touch(id: number): void {
    const l = this.link;
    if (this.head === id) return;
    const p = l[LINK * id + L_PREV];
    const n = l[LINK * id + L_NEXT];
    // unlink (id is not the head, so p >= 0)
    l[LINK * p + L_NEXT] = n;
    if (n >= 0) l[LINK * n + L_PREV] = p;
    else this.tail = p;
    l[LINK * id + L_PREV] = -1;
    l[LINK * id + L_NEXT] = this.head;
    l[LINK * this.head + L_PREV] = id;
    this.head = id;
  }

  /** Removes an entry (its id becomes free). */
  remove(id: number): void {
    const l = this.link;
    const mask = this.mask;
    const index = this.index;
    let i = l[LINK * id + L_HASH] & mask;
    while (index[2 * i] !== id + 1) i = (i + 1) & mask;
    // backward-shift deletion
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = index[2 * j];
      if (e === 0) break;
      const home = index[2 * j + 1] & mask;
      // Move e back to i unless its home lies cyclically in (i, j].
      const inRange = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!inRange) {
        index[2 * i] = e;
        index[2 * i + 1] = index[2 * j + 1];
        i = j;
      }
    }
    index[2 * i] = 0;
    index[2 * i + 1] = 0;
    const p = l[LINK * id + L_PREV];
    const n = l[LINK * id + L_NEXT];
    if (p >= 0) l[LINK * p + L_NEXT] = n;
    else this.head = n;
    if (n >= 0) l[LINK * n + L_PREV] = p;
    else this.tail = p;
    l[LINK * id + L_NEXT] = this.freeHead;
    this.freeHead = id;
    this.size--;
  }

  /** Calls fn(id) for every entry, most recently used first. */
  forEach(fn: (id: number) => void): void {
    const l = this.link;
    for (let id = this.head; id >= 0; ) {
      const n = l[LINK * id + L_NEXT];
      fn(id);
      id = n;
    }
  }
}
