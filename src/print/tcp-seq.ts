// tcpdump's relative TCP sequence numbers: the first ACK-carrying packet of a connection (or any
// SYN with ACK) records both initial sequence numbers; later packets print seq/ack relative to
// them. tcpdump (print-tcp.c, tcp_seq_hash) keeps a chained hash that never forgets and slows down
// with many flows; this is an open-addressing table in typed arrays: no allocation per packet,
// lookups stay O(1), memory is bounded (it grows by doubling up to `maxSlots`; when that is full
// it starts over empty, so only captures with more live connections than that differ).
//
// The key is tcpdump's: both addresses and ports in a canonical order (the side with the lower
// port first; equal ports: the lower address first, bytewise), so one entry serves both directions.

/** Words of a key: IPv6 source (4), destination (4), ports (1). IPv4 keys use the first word of each address. */
const KEY_WORDS = 9;

export class TcpSeqTable {
  private slots: number;
  private mask: number;
  private used = 0;
  private keys: Int32Array;
  private seqs: Uint32Array;
  private acks: Uint32Array;
  /** 0 empty, 4 IPv4 entry, 6 IPv6 entry. */
  private kinds: Uint8Array;
  /** The key being looked up, filled by the caller through setKey*(). */
  private readonly key = new Int32Array(KEY_WORDS);
  private keyKind = 4;
  private slot = -1;

  /** Base seq / ack of the entry found or stored by the last lookup(). */
  seq = 0;
  ack = 0;

  constructor(
    initialSlots = 1 << 12,
    private readonly maxSlots = 1 << 20,
  ) {
    this.slots = initialSlots;
    this.mask = initialSlots - 1;
    this.keys = new Int32Array(initialSlots * KEY_WORDS);
    this.seqs = new Uint32Array(initialSlots);
    this.acks = new Uint32Array(initialSlots);
    this.kinds = new Uint8Array(initialSlots);
  }

  /** Number of connections remembered. */
  get size(): number {
    return this.used;
  }

  /** IPv4 key: addresses as unsigned 32-bit numbers, already in canonical order. */
  setKey4(a: number, b: number, ports: number): void {
    const k = this.key;
    k[0] = a | 0;
    k[1] = 0;
    k[2] = 0;
    k[3] = 0;
    k[4] = b | 0;
    k[5] = 0;
    k[6] = 0;
    k[7] = 0;
    k[8] = ports | 0;
    this.keyKind = 4;
  }

  /** IPv6 key: 16-byte addresses at data[aOff] and data[bOff], already in canonical order. */
  setKey6(data: Uint8Array, aOff: number, bOff: number, ports: number): void {
    const k = this.key;
    for (let i = 0; i < 4; i++) {
      const o = aOff + 4 * i;
      k[i] = (data[o] << 24) | (data[o + 1] << 16) | (data[o + 2] << 8) | data[o + 3];
      const p = bOff + 4 * i;
      k[4 + i] = (data[p] << 24) | (data[p + 1] << 16) | (data[p + 2] << 8) | data[p + 3];
    }
    k[8] = ports | 0;
    this.keyKind = 6;
  }

  private hash(): number {
    const k = this.key;
    let h = 0x811c9dc5 ^ this.keyKind;
    for (let i = 0; i < KEY_WORDS; i++) {
      h = Math.imul(h ^ k[i], 0x01000193);
      h ^= h >>> 15;
    }
    h = Math.imul(h, 0x2c1b3c6d);
    return (h ^ (h >>> 12)) >>> 0;
  }

  /**
   * Finds the current key. Returns true (and sets seq/ack) when present; otherwise remembers the
   * free slot for store().
   */
  lookup(): boolean {
    const keys = this.keys;
    const k = this.key;
    const kinds = this.kinds;
    const kind = this.keyKind;
    let i = this.hash() & this.mask;
    for (;;) {
      const kd = kinds[i];
      if (kd === 0) {
        this.slot = i;
        return false;
      }
      if (kd === kind) {
        const base = i * KEY_WORDS;
        let same = true;
        for (let w = 0; w < KEY_WORDS; w++) {
          if (keys[base + w] !== k[w]) {
            same = false;
            break;
          }
        }
        if (same) {
          this.slot = i;
          this.seq = this.seqs[i];
          this.ack = this.acks[i];
          return true;
        }
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Stores base seq/ack for the key of the last lookup() (found or not). */
  store(seq: number, ack: number): void {
    let i = this.slot;
    if (this.kinds[i] === 0) {
      if ((this.used + 1) * 4 > this.slots * 3) {
        this.grow();
        this.lookup();
        i = this.slot;
      }
      this.used++;
      this.kinds[i] = this.keyKind;
      const base = i * KEY_WORDS;
      const k = this.key;
      for (let w = 0; w < KEY_WORDS; w++) this.keys[base + w] = k[w];
    }
    this.seqs[i] = seq >>> 0;
    this.acks[i] = ack >>> 0;
    this.seq = seq >>> 0;
    this.ack = ack >>> 0;
  }

  /** Doubles the table (rehashing), or empties it when it is at its maximum size. */
  private grow(): void {
    const oldSlots = this.slots;
    if (oldSlots >= this.maxSlots) {
      this.kinds.fill(0);
      this.used = 0;
      return;
    }
    const oldKeys = this.keys;
    const oldSeqs = this.seqs;
    const oldAcks = this.acks;
    const oldKinds = this.kinds;
    const saveKey = Int32Array.from(this.key);
    const saveKind = this.keyKind;
    const n = oldSlots * 2;
    this.slots = n;
    this.mask = n - 1;
    this.keys = new Int32Array(n * KEY_WORDS);
    this.seqs = new Uint32Array(n);
    this.acks = new Uint32Array(n);
    this.kinds = new Uint8Array(n);
    const k = this.key;
    for (let i = 0; i < oldSlots; i++) {
      if (oldKinds[i] === 0) continue;
      for (let w = 0; w < KEY_WORDS; w++) k[w] = oldKeys[i * KEY_WORDS + w];
      this.keyKind = oldKinds[i];
      this.lookup();
      const j = this.slot;
      this.kinds[j] = oldKinds[i];
      for (let w = 0; w < KEY_WORDS; w++) this.keys[j * KEY_WORDS + w] = k[w];
      this.seqs[j] = oldSeqs[i];
      this.acks[j] = oldAcks[i];
    }
    k.set(saveKey);
    this.keyKind = saveKind;
  }
}
