// Streaming input for the capture-file readers: one reusable chunk buffer filled with fs.read.
//
// The readers parse complete records in place (the batch's offsets point into `buf`: zero-copy);
// a record cut by the end of the chunk is moved to the front before the next read. Memory stays
// constant whatever the file size: the chunk grows only for a single record larger than it, and
// callers check a record's length against the format's legal maximum before asking for it.
import * as fs from 'node:fs';
import { CaptureError } from './batch';

/** Default chunk size: 4 MiB. */
export const CHUNK_SIZE = 4 << 20;

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EIO: 'Input/output error',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EEXIST: 'File exists',
  EBADF: 'Bad file descriptor',
  EINVAL: 'Invalid argument',
  ENXIO: 'No such device or address',
  ETXTBSY: 'Text file busy',
  EFBIG: 'File too large',
  EDQUOT: 'Disk quota exceeded',
};

/** strerror()-like text for a Node.js system error (the C library's wording, as tcpdump prints it). */
export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const code = err && typeof err.code === 'string' ? err.code : '';
  const text = ERRNO_TEXT[code];
  if (text !== undefined) return text;
  const msg = err && typeof err.message === 'string' ? err.message : String(e);
  // Node's messages look like "EXXX: description, syscall 'path'": keep the description.
  const m = /^[A-Z0-9]+: ([^,]+)/.exec(msg);
  return m ? m[1].charAt(0).toUpperCase() + m[1].slice(1) : msg;
}

/** One fs.read call; retries EAGAIN (a non-blocking stdin) after a short pause. */
function readOnce(fd: number, buf: Uint8Array, off: number, len: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      fs.read(fd, buf, off, len, null, (err, n) => {
        if (err) {
          if (err.code === 'EAGAIN' || err.code === 'EINTR') setTimeout(attempt, 2);
          else reject(err);
        } else resolve(n);
      });
    };
    attempt();
  });
}

/** Room kept in front of a read-ahead buffer for the record cut by the end of the previous one. */
const CARRY_ROOM = 262144 + 64;

export class ChunkReader {
  /** The chunk; bytes [pos, end) are read but not yet consumed. */
  buf: Uint8Array;
  /** A DataView over `buf` (header fields: DataView.getUint32 measured 2x faster than byte math). */
  view: DataView;
  /** First unconsumed byte in `buf`. */
  pos = 0;
  /** One past the last valid byte in `buf`. */
  end = 0;
  /** File offset of buf[0]. */
  base = 0;
  /** The input has no more bytes. */
  eof = false;
  private closed = false;
  /**
   * Read-ahead (regular files only): while the records of `buf` are parsed and consumed, the
   * next read fills `spare` from CARRY_ROOM on; fill() then copies the cut record in front of
   * it and swaps the buffers, so reading overlaps parsing. Not used for pipes: a read pending
   * on a pipe that never delivers would keep the process alive after a stop.
   */
  private spare: Uint8Array | null = null;
  private pending: Promise<number> | null = null;

  constructor(
    readonly fd: number,
    /** Name for messages (the path, or "-"). */
    readonly name: string,
    private readonly ownsFd: boolean,
    /** Bytes asked of one read. */
    private readonly size = CHUNK_SIZE,
    readAhead = false,
  ) {
    this.buf = new Uint8Array(readAhead ? CARRY_ROOM + size : size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    if (readAhead) this.spare = new Uint8Array(this.buf.length);
  }

  /** Bytes available at `pos`. */
  get avail(): number {
    return this.end - this.pos;
  }

  /** File offset of buf[i]. */
  offsetOf(i: number): number {
    return this.base + i;
  }

  private setBuf(b: Uint8Array): void {
    this.buf = b;
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  private async read(target: Uint8Array, off: number): Promise<number> {
    try {
      const room = target.length - off;
      return await readOnce(this.fd, target, off, room < this.size ? room : this.size);
    } catch (e) {
      throw new CaptureError(`${this.name}: error reading dump file: ${errnoText(e)}`);
    }
  }

  private startReadAhead(): void {
    const sp = this.spare;
    if (sp !== null && !this.eof && this.pending === null && !this.closed) {
      const p = this.read(sp, CARRY_ROOM);
      p.catch(() => undefined); // reported when awaited
      this.pending = p;
    }
  }

  /**
   * Reads more: the unconsumed bytes stay (moved, so offsets into `buf` are invalidated) and
   * what the next read returns follows them; sets `eof` when it returns nothing.
   */
  async fill(): Promise<void> {
    if (this.eof) return;
    if (this.pending !== null) {
      await this.swap();
      return;
    }
    const pos = this.pos;
    if (pos > 0) {
      if (this.end > pos) this.buf.copyWithin(0, pos, this.end);
      this.base += pos;
      this.end -= pos;
      this.pos = 0;
    }
    if (this.end === this.buf.length) return;
    const n = await this.read(this.buf, this.end);
    if (n === 0) this.eof = true;
    else {
      this.end += n;
      this.startReadAhead();
    }
  }

  /** Takes the read-ahead buffer: the cut record goes in front of its data. */
  private async swap(): Promise<void> {
    const pending = this.pending!;
    this.pending = null;
    const n = await pending;
    const sp = this.spare!;
    const carry = this.end - this.pos;
    if (carry <= CARRY_ROOM && sp.length === this.buf.length) {
      const start = CARRY_ROOM - carry;
      if (carry > 0) sp.set(this.buf.subarray(this.pos, this.end), start);
      this.base += this.pos - start;
      this.spare = this.buf;
      this.setBuf(sp);
      this.pos = start;
      this.end = CARRY_ROOM + n;
    } else {
      // a record larger than the carry room: one buffer holding both parts
      const nb = new Uint8Array(Math.max(this.buf.length, carry + n));
      nb.set(this.buf.subarray(this.pos, this.end), 0);
      nb.set(sp.subarray(CARRY_ROOM, CARRY_ROOM + n), carry);
      this.base += this.pos;
      this.pos = 0;
      this.end = carry + n;
      this.setBuf(nb);
      this.spare = new Uint8Array(nb.length);
    }
    if (n === 0) this.eof = true;
    else this.startReadAhead();
  }

  /**
   * Makes `n` bytes available at `pos` unless the input ends first; grows the chunk when `n` is
   * larger than it (callers bound `n` by the format's maximum record size). Returns `avail`.
   */
  async need(n: number): Promise<number> {
    while (this.end - this.pos < n && !this.eof) {
      if (n > this.buf.length - (this.spare !== null ? CARRY_ROOM : 0)) this.grow(n);
      await this.fill();
    }
    return this.end - this.pos;
  }

  /** Replaces the chunk with a larger one holding the unconsumed bytes at its front. */
  grow(n: number): void {
    let size = this.buf.length;
    while (size < n + CARRY_ROOM) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(this.pos, this.end));
    this.base += this.pos;
    this.end -= this.pos;
    this.pos = 0;
    this.setBuf(nb);
  }

  /** Closes the file (after any read still in flight). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pending !== null) {
      await this.pending.catch(() => undefined);
      this.pending = null;
    }
    if (this.ownsFd) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // nothing useful to do
      }
    }
  }
}

/** Largest legal captured length for a link type: libpcap 1.10's max_snaplen_for_dlt(). */
export function maxSnaplenForLinkType(linkType: number): number {
  switch (linkType) {
    case 231: // DBUS
      return 128 * 1024 * 1024;
    case 279: // EBHSCR
      return 8 * 1024 * 1024;
    case 249: // USBPCAP
      return 1024 * 1024;
    default:
      return 262144;
  }
}

/**
 * libpcap 1.10's pcap_adjust_snapshot() for savefiles: 0 or a negative (as a C int) snaplen
 * becomes the link type's maximum; other values stay as written (tcpdump prints and writes them).
 */
export function adjustSnaplen(linkType: number, snaplen: number): number {
  return snaplen === 0 || snaplen > 0x7fffffff ? maxSnaplenForLinkType(linkType) : snaplen;
}
