// Allocation-free text output: printers write ASCII bytes into one reused buffer that is flushed
// to a file descriptor when full and at the end. Packet bytes only ever enter through
// `escaped()`, which never lets a control byte reach a terminal raw.
import * as fs from 'node:fs';

const HEX = '0123456789abcdef';
const HEXB = new Uint8Array(16);
for (let i = 0; i < 16; i++) HEXB[i] = HEX.charCodeAt(i);
/** "00".."99" as 200 bytes, for u32dec(). */
const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[2 * i] = 48 + Math.floor(i / 10);
  DIGIT_PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** Thrown (once) when the reader of our output went away (EPIPE): stop quietly, as tcpdump does. */
export class OutputClosed extends Error {
  constructor() {
    super('output closed');
  }
}

export class OutBuf {
  readonly buf: Uint8Array;
  pos = 0;
  private readonly limit: number;
  private readonly tmp = new Uint8Array(24);
  private readonly words = new Uint16Array(8);

  /** fd: where flush() writes; -1 keeps everything in memory (tests use take()). */
  constructor(readonly fd: number, size = 1 << 20) {
    this.buf = new Uint8Array(size);
    this.limit = size - 4096; // room for one line of any printer before the next check
  }

  /** Call between records: flushes when the buffer is nearly full. */
  maybeFlush(): void {
    if (this.pos >= this.limit) this.flush();
  }

  flush(): void {
    if (this.pos === 0 || this.fd < 0) return;
    let done = 0;
    while (done < this.pos) {
      try {
        done += fs.writeSync(this.fd, this.buf, done, this.pos - done);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue;
        if (code === 'EPIPE') {
          this.pos = 0;
          throw new OutputClosed();
        }
        throw e;
      }
    }
    this.pos = 0;
  }

  /** Everything written so far as a string (fd -1 only, for tests). */
  take(): string {
    const s = Buffer.from(this.buf.buffer, this.buf.byteOffset, this.pos).toString('latin1');
    this.pos = 0;
    return s;
  }

  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.flush();
  }

  byte(c: number): void {
    if (this.pos >= this.buf.length) this.flush();
    this.buf[this.pos++] = c;
  }

  /** Writes a string that the program itself produced (ASCII only; never packet bytes). */
  ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i) & 0xff;
    this.pos = p;
  }

  /** Writes a non-negative integer (up to 2^53) in decimal. */
  dec(v: number): void {
    this.ensure(24);
    if (v < 10) {
      this.buf[this.pos++] = 48 + v;
      return;
    }
    const t = this.tmp;
    let n = 0;
    while (v > 0) {
      const q = Math.floor(v / 10);
      t[n++] = 48 + (v - q * 10);
      v = q;
    }
    const b = this.buf;
    let p = this.pos;
    while (n > 0) b[p++] = t[--n];
    this.pos = p;
  }

  /** Writes a signed integer in decimal. */
  int(v: number): void {
    if (v < 0) {
      this.byte(45);
      v = -v;
    }
    this.dec(v);
  }

  /** Writes v in decimal, left-padded with zeros to `width` digits. */
  decPad(v: number, width: number): void {
    this.ensure(24 + width);
    const t = this.tmp;
    let n = 0;
    do {
      const q = Math.floor(v / 10);
      t[n++] = 48 + (v - q * 10);
      v = q;
    } while (v > 0);
    const b = this.buf;
    let p = this.pos;
    for (let i = n; i < width; i++) b[p++] = 48;
    while (n > 0) b[p++] = t[--n];
    this.pos = p;
  }

  /** Two lower-case hex digits. */
  hex2(v: number): void {
    this.ensure(2);
    this.buf[this.pos++] = HEXB[(v >> 4) & 15];
    this.buf[this.pos++] = HEXB[v & 15];
  }

  /** Lower-case hex without leading zeros (0 -> "0"). */
  hex(v: number): void {
    this.ensure(16);
    if (v === 0) {
      this.buf[this.pos++] = 48;
      return;
    }
    const t = this.tmp;
    let n = 0;
    while (v > 0) {
      t[n++] = HEXB[v % 16];
      v = Math.floor(v / 16);
    }
    while (n > 0) this.buf[this.pos++] = t[--n];
  }

  /** Dotted-quad IPv4 address from an unsigned 32-bit number. */
  ipv4(a: number): void {
    this.dec(a >>> 24);
    this.byte(46);
    this.dec((a >>> 16) & 255);
    this.byte(46);
    this.dec((a >>> 8) & 255);
    this.byte(46);
    this.dec(a & 255);
  }

  /**
   * IPv6 address from 16 bytes at `off`, as inet_ntop (RFC 5952) writes it: lower-case hex, the
   * longest run of two or more zero groups (the first on a tie) as "::", and the embedded IPv4
   * forms ::a.b.c.d and ::ffff:a.b.c.d. tcpdump and tshark print the same text.
   */
  ipv6(b: Uint8Array, off: number): void {
    const w = this.words;
    for (let i = 0; i < 8; i++) w[i] = (b[off + 2 * i] << 8) | b[off + 2 * i + 1];
    let bestBase = -1;
    let bestLen = 0;
    let curBase = -1;
    let curLen = 0;
    for (let i = 0; i < 8; i++) {
      if (w[i] === 0) {
        if (curBase < 0) {
          curBase = i;
          curLen = 1;
        } else curLen++;
      } else if (curBase >= 0) {
        if (curLen > bestLen) {
          bestBase = curBase;
          bestLen = curLen;
        }
        curBase = -1;
      }
    }
    if (curBase >= 0 && curLen > bestLen) {
      bestBase = curBase;
      bestLen = curLen;
    }
    if (bestLen < 2) bestBase = -1;
    for (let i = 0; i < 8; i++) {
      if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
        if (i === bestBase) this.byte(58);
        continue;
      }
      if (i !== 0) this.byte(58);
      if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
        const a = off + 12;
        this.ipv4(((b[a] << 24) | (b[a + 1] << 16) | (b[a + 2] << 8) | b[a + 3]) >>> 0);
        return;
      }
      this.hex(w[i]);
    }
    if (bestBase >= 0 && bestBase + bestLen === 8) this.byte(58);
  }

  /** MAC address aa:bb:cc:dd:ee:ff from 6 bytes at `off`. */
  mac(b: Uint8Array, off: number): void {
    for (let i = 0; i < 6; i++) {
      if (i > 0) this.byte(58);
      this.hex2(b[off + i]);
    }
  }

  /**
   * Packet bytes as text: printable ASCII (0x20-0x7e) as is, anything else as tcpdump's
   * `-A`/`-X` dot. Use for every byte that came from a packet.
   */
  escaped(b: Uint8Array, off: number, len: number): void {
    this.ensure(len);
    const o = this.buf;
    let p = this.pos;
    for (let i = 0; i < len; i++) {
      const c = b[off + i];
      o[p++] = c >= 0x20 && c < 0x7f ? c : 46;
    }
    this.pos = p;
  }

  /**
   * Writes an unsigned 32-bit integer (0 .. 2^32-1) in decimal, two digits per step from a
   * table: the printers' hot path (ports, lengths, sequence numbers, address octets).
   */
  u32dec(v: number): void {
    if (this.pos + 10 > this.buf.length) this.flush();
    const b = this.buf;
    let p = this.pos;
    if (v < 10) {
      b[p] = 48 + v;
      this.pos = p + 1;
      return;
    }
    const n =
      v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
    p += n;
    this.pos = p;
    if (v >= 0x80000000) {
      const q = Math.floor(v / 100);
      const r = (v - q * 100) * 2;
      b[--p] = DIGIT_PAIRS[r + 1];
      b[--p] = DIGIT_PAIRS[r];
      v = q;
    }
    while (v >= 100) {
      const q = (v / 100) | 0;
      const r = (v - q * 100) * 2;
      b[--p] = DIGIT_PAIRS[r + 1];
      b[--p] = DIGIT_PAIRS[r];
      v = q;
    }
    if (v >= 10) {
      b[--p] = DIGIT_PAIRS[v * 2 + 1];
      b[--p] = DIGIT_PAIRS[v * 2];
    } else b[--p] = 48 + v;
  }

  /** Writes v (0 .. 2^32-1) in decimal, left-padded with zeros to `width` (at most 10) digits. */
  u32pad(v: number, width: number): void {
    if (this.pos + 10 > this.buf.length) this.flush();
    const b = this.buf;
    const start = this.pos;
    this.u32dec(v);
    const n = this.pos - start;
    if (n >= width) return;
    const shift = width - n;
    for (let i = n - 1; i >= 0; i--) b[start + shift + i] = b[start + i];
    for (let i = 0; i < shift; i++) b[start + i] = 48;
    this.pos = start + width;
  }

  /**
   * Packet bytes as tcpdump's -X / -A column: graphic ASCII (0x21-0x7e) as is, anything else,
   * the space included, as a dot.
   */
  graphic(b: Uint8Array, off: number, len: number): void {
    this.ensure(len);
    const o = this.buf;
    let p = this.pos;
    for (let i = 0; i < len; i++) {
      const c = b[off + i];
      o[p++] = c > 0x20 && c < 0x7f ? c : 46;
    }
    this.pos = p;
  }
}
