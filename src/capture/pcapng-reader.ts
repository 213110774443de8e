// pcapng reader (draft-ietf-opsawg-pcapng), streaming from a ChunkReader.
//
// Block: type u32 | total length u32 | body | total length u32, in the section's byte order.
//   SHB 0x0A0D0D0A: byte-order magic 0x1A2B3C4D | major u16 | minor u16 | section length i64 | options
//   IDB 1: linktype u16 | reserved u16 | snaplen u32 | options (if_name 2, if_tsresol 9, if_tsoffset 14)
//   EPB 6: interface id u32 | ts high u32 | ts low u32 | caplen u32 | origlen u32 | data | options
//   SPB 3: origlen u32 | data (captured = min(origlen, snaplen of interface 0))
//   PB  2 (obsolete): interface id u16 | drops u16 | ts high | ts low | caplen | origlen | data
// Other blocks are skipped. Every section starts its interface ids at 0; the reader keeps one
// global interface list (source.interfaces, batch.ifIndex) and a per-section map into it.
// Timestamps are converted exactly to (seconds, nanoseconds) without BigInt: 64-bit counts are
// split into 16-bit limbs for long division when they do not fit a double's 53 bits.
import { CaptureError, type PacketBatch } from './batch';
import { ChunkReader, adjustSnaplen, maxSnaplenForLinkType } from './chunk-reader';
import { FileSource } from './file-source';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 1;
export const BT_PB = 2;
export const BT_SPB = 3;
export const BT_EPB = 6;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** libpcap 1.10: INITIAL_MAX_BLOCKSIZE. */
const MIN_MAX_BLOCK = 16 * 1024 * 1024;

/** Timestamps that do not fit: results of tsConvert(). */
let outSec = 0;
let outNsec = 0;
/** Scratch 16-bit limbs of a 64-bit count, most significant first. */
const LIMB = new Float64Array(4);

/** Divides the 64-bit number in LIMB by d (< 2^37) in place; returns the remainder. */
function divLimbs(d: number): number {
  let r = 0;
  for (let i = 0; i < 4; i++) {
    const cur = r * 65536 + LIMB[i];
    let q = Math.floor(cur / d);
    let rr = cur - q * d;
    if (rr < 0) {
      q--;
      rr += d;
    } else if (rr >= d) {
      q++;
      rr -= d;
    }
    LIMB[i] = q;
    r = rr;
  }
  return r;
}

/**
 * Converts a timestamp of (hi * 2^32 + lo) units to outSec/outNsec.
 * pow2 = false: units of 10^-exp s; pow2 = true: units of 2^-exp s.
 */
export function tsConvert(hi: number, lo: number, pow2: boolean, exp: number): void {
  if (!pow2) {
    if (exp <= 9) {
      // hi * 2^32 + lo = ((hi * 2^16) + lo_hi) * 2^16 + lo_lo: three divisions whose dividends
      // stay below unit * 2^16 < 2^53, so Math.floor of each quotient is exact
      const unit = DEC[exp];
      const q1 = Math.floor(hi / unit);
      const c2 = (hi - q1 * unit) * 65536 + (lo >>> 16);
      const q2 = Math.floor(c2 / unit);
      const c3 = (c2 - q2 * unit) * 65536 + (lo & 0xffff);
      const q3 = Math.floor(c3 / unit);
      outSec = q1 * 4294967296 + q2 * 65536 + q3;
      outNsec = (c3 - q3 * unit) * DEC[9 - exp];
      return;
    }
    // finer than nanoseconds: drop the sub-nanosecond digits, then split
    setLimbs(hi, lo);
    let k = exp - 9;
    while (k > 0) {
      const step = k > 9 ? 9 : k;
      divLimbs(DEC[step]);
      k -= step;
    }
    const rem = divLimbs(1e9);
    outSec = limbsValue();
    outNsec = rem;
    return;
  }
  if (exp <= 32) {
    const unit = POW2[exp];
    const loSec = Math.floor(lo / unit);
    const frac = lo - loSec * unit;
    outSec = hi * POW2[32 - exp] + loSec;
    // frac * 10^9 / 2^exp = frac * 5^9 / 2^(exp-9): exact below 2^53 for exp <= 32
    outNsec = exp >= 9 ? Math.floor((frac * 1953125) / POW2[exp - 9]) : frac * 1953125 * POW2[9 - exp];
    return;
  }
  if (exp >= 96) {
    outSec = 0;
    outNsec = 0;
    return;
  }
  const hiUnit = POW2[exp - 32];
  const s = Math.floor(hi / hiUnit);
  const fracHi = hi - s * hiUnit;
  outSec = s;
  // fracHi * 2^32 + lo < 2^exp; keep the top 32 bits for the nanoseconds
  const top = Math.floor((fracHi * 4294967296 + lo) / POW2[exp - 32]);
  const ns = Math.floor((top * 1953125) / POW2[23]);
  outNsec = ns > 999999999 ? 999999999 : ns;
}

function setLimbs(hi: number, lo: number): void {
  LIMB[0] = hi >>> 16;
  LIMB[1] = hi & 0xffff;
  LIMB[2] = lo >>> 16;
  LIMB[3] = lo & 0xffff;
}

function limbsValue(): number {
  return ((LIMB[0] * 65536 + LIMB[1]) * 65536 + LIMB[2]) * 65536 + LIMB[3];
}

const DEC: number[] = [];
for (let i = 0, v = 1; i <= 9; i++, v *= 10) DEC.push(v);
const POW2: number[] = [];
for (let i = 0; i <= 64; i++) POW2.push(2 ** i);

/** Results of PcapngReader.scan(). */
let scanPos = 0;
let scanCount = 0;

/** Test hook: the last tsConvert() result. */
export function tsConvertResult(): [number, number] {
  return [outSec, outNsec];
}

export class PcapngReader extends FileSource {
  /** Byte order of the current section. */
  private le = true;
  /** Section-local interface id -> global interface index. */
  private secMap: number[] = [];
  // Per global interface (parallel arrays).
  private readonly ifLink: number[] = [];
  private readonly ifSnap: number[] = [];
  private readonly ifPow2: boolean[] = [];
  private readonly ifExp: number[] = [];
  private readonly ifOffset: number[] = [];
  /** Decimal resolutions up to 10^-9: units per second (the hot loop's path); 0 otherwise. */
  private readonly ifUnit: number[] = [];
  /** Nanoseconds per unit for those. */
  private readonly ifScale: number[] = [];
  private maxBlock = MIN_MAX_BLOCK;

  /**
   * Reads the section header block and the blocks up to the first interface description, so
   * `interfaces` is known before the first batch. The caller has checked the block type.
   */
  static async open(r: ChunkReader): Promise<PcapngReader> {
    const got = await r.need(12);
    const b = r.buf;
    const o = r.pos;
    if (got < 12) throw new CaptureError(`${r.name}: unknown file format`);
    const le = rd32(b, o + 8, true) === BYTE_ORDER_MAGIC;
    if (!le && rd32(b, o + 8, false) !== BYTE_ORDER_MAGIC) throw new CaptureError(`${r.name}: unknown file format`);
    const len = rd32(b, o + 4, le);
    const src = new PcapngReader(r);
    src.checkLength(len, r.offsetOf(o));
    if (len < 28) {
      throw new CaptureError(`${r.name}: section header block at byte offset 0 has a length of ${len} < 28`);
    }
    const have = await r.need(len);
    if (have < len) {
      throw new CaptureError(
        `${r.name}: truncated pcapng dump file; tried to read ${len - 12} bytes, only got ${have - 12}`,
      );
    }
    src.parseOne();
    // Process blocks up to the first interface description (or the first packet block).
    while (src.interfaces.length === 0) {
      if ((await r.need(8)) < 8) break; // the batch loop reports a truncation
      const bt = rd32(r.buf, r.pos, src.le);
      if (bt === BT_EPB || bt === BT_SPB || bt === BT_PB) break;
      let ble = src.le;
      if (bt === BT_SHB) {
        if ((await r.need(12)) < 12) break;
        ble = rd32(r.buf, r.pos + 8, true) === BYTE_ORDER_MAGIC;
      }
      const blen = rd32(r.buf, r.pos + 4, ble);
      src.checkLength(blen, r.offsetOf(r.pos));
      if ((await r.need(blen)) < blen) break;
      src.parseOne();
    }
    if (src.interfaces.length === 0 && r.eof && r.avail === 0) {
      throw new CaptureError(`${r.name}: the capture file has no Interface Description Blocks`);
    }
    return src;
  }

  private constructor(r: ChunkReader) {
    super(r);
  }

  /** Consumes exactly one complete non-packet block at r.pos (open()'s look-ahead). */
  private parseOne(): void {
    const r = this.r;
    const p = r.pos;
    const b = r.buf;
    const bt = rd32(b, p, this.le);
    let len: number;
    if (bt === BT_SHB) {
      this.section(p);
      len = rd32(b, p + 4, this.le);
    } else {
      len = rd32(b, p + 4, this.le);
      this.checkTrailer(p, len);
      if (bt === BT_IDB) this.idb(p, len);
    }
    r.pos = p + len;
  }

  private fail(msg: string, fileOffset: number): CaptureError {
    return new CaptureError(`${this.r.name}: ${msg} at byte offset ${fileOffset}`);
  }

  private checkLength(len: number, fileOffset: number): void {
    if (len < 12) throw this.fail(`block in pcapng dump file has a length of ${len} < 12`, fileOffset);
    if ((len & 3) !== 0) {
      throw this.fail(`block in pcapng dump file has a length of ${len} that is not a multiple of 4`, fileOffset);
    }
    if (len > this.maxBlock) throw this.fail(`pcapng block size ${len} > maximum ${this.maxBlock}`, fileOffset);
  }

  private checkTrailer(p: number, len: number): void {
    if (rd32(this.r.buf, p + len - 4, this.le) !== len) {
      throw this.fail("block total length in header and trailer don't match", this.r.offsetOf(p));
    }
  }

  /** A complete section header block at p: new byte order, interface ids restart. */
  private section(p: number): void {
    const b = this.r.buf;
    const at = this.r.offsetOf(p);
    let le: boolean;
    if (rd32(b, p + 8, true) === BYTE_ORDER_MAGIC) le = true;
    else if (rd32(b, p + 8, false) === BYTE_ORDER_MAGIC) le = false;
    else throw this.fail('section header block has an unknown byte-order magic', at);
    const len = rd32(b, p + 4, le);
    this.checkLength(len, at);
    if (len < 28) throw this.fail(`section header block has a length of ${len} < 28`, at);
    this.le = le;
    this.checkTrailer(p, len);
    const major = rd16(b, p + 12, le);
    const minor = rd16(b, p + 14, le);
    if (major !== 1 || (minor !== 0 && minor !== 2)) throw this.fail(`unsupported pcapng savefile version ${major}.${minor}`, at);
    this.secMap = [];
  }

  /** A complete interface description block at p. */
  private idb(p: number, len: number): void {
    const b = this.r.buf;
    const le = this.le;
    const at = this.r.offsetOf(p);
    if (len < 20) throw this.fail(`interface description block has a length of ${len} < 20`, at);
    const linkType = rd16(b, p + 8, le);
    const snaplen = adjustSnaplen(linkType, rd32(b, p + 12, le));
    let pow2 = false;
    let exp = 6;
    let offset = 0;
    let name: string | undefined;
    const optEnd = p + len - 4;
    let o = p + 16;
    while (o + 4 <= optEnd) {
      const code = rd16(b, o, le);
      const olen = rd16(b, o + 2, le);
      if (code === 0) break;
      const v = o + 4;
      if (v + olen > optEnd) break;
      if (code === 9 && olen >= 1) {
        pow2 = (b[v] & 0x80) !== 0;
        exp = b[v] & 0x7f;
      } else if (code === 14 && olen >= 8) {
        const first = rd32(b, v, le);
        const second = rd32(b, v + 4, le);
        const hi = le ? second : first;
        const lo = le ? first : second;
        offset = (hi | 0) * 4294967296 + lo;
      } else if (code === 2 && olen > 0) {
        name = printableUtf8(b, v, olen);
      }
      o = v + ((olen + 3) & ~3);
    }
    const g = this.ifLink.length;
    this.ifLink.push(linkType);
    this.ifSnap.push(snaplen);
    this.ifPow2.push(pow2);
    this.ifExp.push(exp);
    this.ifOffset.push(offset);
    this.ifUnit.push(!pow2 && exp <= 9 ? DEC[exp] : 0);
    this.ifScale.push(!pow2 && exp <= 9 ? DEC[9 - exp] : 0);
    this.secMap.push(g);
    const info: { linkType: number; snaplen: number; name?: string } = { linkType, snaplen };
    if (name !== undefined) info.name = name;
    this.interfaces.push(info);
    if (g === 0) this.precision = (pow2 ? exp >= 20 : exp > 6) ? 'nano' : 'micro';
    const mb = 8 + 20 + maxSnaplenForLinkType(linkType) + 131072 + 4;
    if (mb > this.maxBlock) this.maxBlock = mb;
  }

  protected parse(bt: PacketBatch): number {
    const need = this.scan(bt);
    this.r.pos = scanPos;
    bt.count = scanCount;
    return need;
  }

  /**
   * parse()'s loop. It leaves its results in module variables, not in properties: V8 compiled
   * this loop on-stack before the code after it had run, and a property store there
   * deoptimized the loop on every batch (measured: 650 deopts and +60% CPU on 5M packets).
   */
  private scan(bt: PacketBatch): number {
    const r = this.r;
    const d = r.view;
    const end = r.end;
    const base = r.base;
    const slots = bt.slots;
    const secA = bt.tsSec;
    const nsA = bt.tsNsec;
    const capA = bt.capLen;
    const wireA = bt.wireLen;
    const offA = bt.offset;
    const ltA = bt.linkType;
    const ifA = bt.ifIndex;
    const foA = bt.fileOffset;
    const ifSnap = this.ifSnap;
    const ifLink = this.ifLink;
    const ifUnit = this.ifUnit;
    const ifScale = this.ifScale;
    const ifOffset = this.ifOffset;
    let map = this.secMap;
    let le = this.le;
    // timestamps and file offsets only for consumers that read them (FileSource.setBatchFields)
    const all = this.fields === 'all';
    // the second of the last decimal-resolution packet (interface, ts high word, low word at
    // its start, seconds); cG = -1: none
    let cG = -1;
    let cHi = 0;
    let cLo = 0;
    let cSec = 0;
    let p = r.pos;
    let n = 0;
    let need = -1;
    while (n < slots) {
      if (end - p < 8) {
        need = 8;
        break;
      }
      const type = d.getUint32(p, le);
      let len: number;
      if (type === BT_SHB) {
        if (end - p < 12) {
          need = 12;
          break;
        }
        len = d.getUint32(p + 4, d.getUint32(p + 8, true) === BYTE_ORDER_MAGIC);
      } else len = d.getUint32(p + 4, le);
      if (len < 12 || (len & 3) !== 0 || len > this.maxBlock) {
        if (n > 0) break;
        this.checkLength(len, base + p);
      }
      if (end - p < len) {
        need = len;
        break;
      }
      if (type === BT_EPB || type === BT_PB) {
        const id = type === BT_EPB ? d.getUint32(p + 8, le) : d.getUint16(p + 8, le);
        const g = id < map.length ? map[id] : -1;
        const cap = len >= 32 ? d.getUint32(p + 20, le) : 0;
        // libpcap rejects a caplen above the interface's snaplen in pcapng (it cuts it in pcap)
        if (len < 32 || g < 0 || cap > len - 32 || cap > ifSnap[g] || d.getUint32(p + len - 4, le) !== len) {
          if (n > 0) break;
          this.badPacketBlock(p, len, id, g, cap);
        }
        const hi = d.getUint32(p + 12, le);
        const lo = d.getUint32(p + 16, le);
        const unit = ifUnit[g];
        if (!all) {
          // bounds only: timestamps left stale
        } else if (g === cG && hi === cHi && lo >= cLo && lo - cLo < unit) {
          // same second as the previous packet of this interface: no division
          secA[n] = cSec;
          nsA[n] = (lo - cLo) * ifScale[g];
        } else if (unit > 0) {
          // decimal resolution up to nanoseconds: tsConvert()'s exact arithmetic, inlined
          const q1 = Math.floor(hi / unit);
          const c2 = (hi - q1 * unit) * 65536 + (lo >>> 16);
          const q2 = Math.floor(c2 / unit);
          const c3 = (c2 - q2 * unit) * 65536 + (lo & 0xffff);
          const q3 = Math.floor(c3 / unit);
          const rem = c3 - q3 * unit;
          const sec = q1 * 4294967296 + q2 * 65536 + q3 + ifOffset[g];
          secA[n] = sec;
          nsA[n] = rem * ifScale[g];
          // remember the second: lo values [lo - rem, lo - rem + unit) with this hi share it
          cG = g;
          cHi = hi;
          cLo = lo - rem;
          cSec = sec;
        } else {
          tsConvert(hi, lo, this.ifPow2[g], this.ifExp[g]);
          secA[n] = outSec + ifOffset[g];
          nsA[n] = outNsec;
        }
        capA[n] = cap;
        wireA[n] = d.getUint32(p + 24, le);
        offA[n] = p + 28;
        ltA[n] = ifLink[g];
        ifA[n] = g;
        if (all) foA[n] = base + p;
        n++;
      } else if (type === BT_SPB) {
        if (len < 16 || map.length === 0 || d.getUint32(p + len - 4, le) !== len) {
          if (n > 0) break;
          if (len < 16) throw this.fail(`simple packet block has a length of ${len} < 16`, base + p);
          this.checkTrailer(p, len);
          throw this.fail('a simple packet block precedes every interface description block', base + p);
        }
        const g = map[0];
        const orig = d.getUint32(p + 8, le);
        const snap = ifSnap[g];
        let cap = orig < snap ? orig : snap;
        if (cap > len - 16) cap = len - 16;
        secA[n] = 0;
        nsA[n] = 0;
        capA[n] = cap;
        wireA[n] = orig;
        offA[n] = p + 12;
        ltA[n] = ifLink[g];
        ifA[n] = g;
        foA[n] = base + p;
        n++;
      } else if (type === BT_SHB) {
        this.section(p);
        le = this.le;
        map = this.secMap;
      } else {
        this.checkTrailer(p, len);
        if (type === BT_IDB) this.idb(p, len);
      }
      p += len;
    }
    // (a CaptureError thrown above ends the source: no state to restore)
    scanPos = p;
    scanCount = n;
    return need;
  }

  /** Throws the CaptureError for a packet block that failed the hot loop's checks. */
  private badPacketBlock(p: number, len: number, id: number, g: number, cap: number): never {
    const at = this.r.offsetOf(p);
    if (len < 32) throw this.fail(`packet block has a length of ${len} < 32`, at);
    this.checkTrailer(p, len);
    if (g < 0) throw this.fail(`a packet block has interface ID ${id}, but there are only ${this.secMap.length} interfaces`, at);
    if (cap > len - 32) throw this.fail(`invalid packet capture length ${cap}, bigger than its block (${len} bytes),`, at);
    throw this.fail(`invalid packet capture length ${cap}, bigger than snaplen of ${this.ifSnap[g]},`, at);
  }

  protected truncatedMessage(need: number): string {
    const r = this.r;
    const have = r.avail;
    const at = r.offsetOf(r.pos);
    if (need === 8) {
      return `${r.name}: truncated pcapng dump file at byte offset ${at}; tried to read 8 bytes, only got ${have}`;
    }
    return `${r.name}: truncated pcapng dump file at byte offset ${at}; tried to read ${need - 8} bytes, only got ${have - 8}`;
  }
}

function rd32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
    : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function rd16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

/** An option string for messages: UTF-8, control characters replaced, trailing NULs dropped. */
function printableUtf8(b: Uint8Array, o: number, len: number): string {
  let e = o + len;
  while (e > o && b[e - 1] === 0) e--;
  // eslint-disable-next-line no-control-regex
  return Buffer.from(b.buffer, b.byteOffset + o, e - o).toString('utf8').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
