// Streaming input for the capture-file readers: one reusable chunk buffer filled with fs.read
// (fs.readSync for regular files).
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

/**
 * Page size for the chunk layout: buf[i] holds the byte at file offset base + i with base a
 * multiple of PAGE, so every read copies page-aligned file data to a page-aligned address.
 * (Measured here, AMD EPYC: read() into a destination 8-24 bytes past the source's page offset,
 * which is where glibc puts a large malloc'ed buffer, costs 4x the system time of an aligned one.)
 */
const PAGE = 4096;

/**
 * Regular files are read synchronously; the reader lets the event loop run (signals, timers,
 * dashboards) at the first read after this many milliseconds since it last did.
 */
const YIELD_MS = 50;

/** The part of the WebAssembly API allocChunk uses (not in the ES2022 lib typings). */
interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number }) => { buffer: ArrayBuffer };
}

/**
 * A chunk buffer of at least `n` bytes. Large ones come from a WebAssembly memory, whose start is
 * page-aligned (a malloc'ed one starts 16 bytes into a page); a plain array when that fails (no
 * WebAssembly, address-space limits) or the chunk is small (tests).
 */
function allocChunk(n: number): Uint8Array {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (n >= 1 << 17 && wasm !== undefined) {
    try {
      const pages = Math.ceil(n / 65536);
      return new Uint8Array(new wasm.Memory({ initial: pages, maximum: pages }).buffer);
    } catch {
      // fall back to an ordinary buffer
    }
  }
  return new Uint8Array(Math.ceil(n / PAGE) * PAGE);
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class ChunkReader {
  /** The chunk; bytes [pos, end) are read but not yet consumed. */
  buf: Uint8Array;
  /** A DataView over `buf` (header fields: DataView.getUint32 measured 2x faster than byte math). */
  view: DataView;
  /** First unconsumed byte in `buf`. */
  pos = 0;
  /** One past the last valid byte in `buf`. */
  end = 0;
  /** File offset of buf[0] (a multiple of PAGE). */
  base = 0;
  /** The input has no more bytes. */
  eof = false;
  private closed = false;
  /**
   * Regular files are read with fs.readSync: a read of a regular file does not block for long,
   * and under load a thread-pool read costs two context switches per chunk (measured: the main
   * thread idle for most of the wall time of a 5M-packet count). Pipes and terminals are read
   * asynchronously (a read that never returns must not stop timers and signals).
   */
  private readonly sync: boolean;
  /** Date.now() when the event loop last ran (synchronous reads). */
  private lastYield = Date.now();

  constructor(
    readonly fd: number,
    /** Name for messages (the path, or "-"). */
    readonly name: string,
    private readonly ownsFd: boolean,
    /** Bytes asked of one read. */
    private readonly size = CHUNK_SIZE,
    /** `fd` is a regular file. */
    regular = false,
  ) {
    this.sync = regular;
    this.buf = allocChunk(size + PAGE);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
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

  /**
   * Moves the unconsumed bytes to the front of `to` (offsets into `buf` are invalidated), at
   * their file offset's position within a page.
   */
  private compact(to: Uint8Array): void {
    const pos = this.pos;
    const keep = this.end - pos;
    const k = (this.base + pos) % PAGE;
    if (to !== this.buf) to.set(this.buf.subarray(pos, this.end), k);
    else if (k !== pos && keep > 0) to.copyWithin(k, pos, this.end);
    this.base += pos - k;
    this.pos = k;
    this.end = k + keep;
  }

  /**
   * Reads more: the unconsumed bytes stay (moved, so offsets into `buf` are invalidated) and
   * what the next read returns follows them; sets `eof` when it returns nothing.
   */
  async fill(): Promise<void> {
    if (this.eof) return;
    this.compact(this.buf);
    const room = this.buf.length - this.end;
    if (room === 0) return;
    const len = room < this.size ? room : this.size;
    let n: number;
    try {
      if (this.sync) {
        n = fs.readSync(this.fd, this.buf, this.end, len, null);
        const now = Date.now();
        if (now - this.lastYield >= YIELD_MS) {
          await yieldToLoop();
          this.lastYield = Date.now();
        }
      } else {
        n = await readOnce(this.fd, this.buf, this.end, len);
      }
    } catch (e) {
      throw new CaptureError(`${this.name}: error reading dump file: ${errnoText(e)}`);
    }
    if (n === 0) this.eof = true;
    else this.end += n;
  }

  /**
   * Makes `n` bytes available at `pos` unless the input ends first; grows the chunk when `n` is
   * larger than it (callers bound `n` by the format's maximum record size). Returns `avail`.
   */
  async need(n: number): Promise<number> {
    while (this.end - this.pos < n && !this.eof) {
      if (n + PAGE > this.buf.length) this.grow(n);
      await this.fill();
    }
    return this.end - this.pos;
  }

  /** Replaces the chunk with a larger one holding the unconsumed bytes at its front. */
  grow(n: number): void {
    let size = this.buf.length;
    while (size < n + PAGE) size *= 2;
    const nb = allocChunk(size);
    this.compact(nb);
    this.setBuf(nb);
  }

  /** Closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
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
