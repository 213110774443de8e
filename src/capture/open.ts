// Opens a capture file (classic pcap or pcapng, detected by magic) or standard input ("-").
import * as fs from 'node:fs';
import { CaptureError, type PacketSource } from './batch';
import { ChunkReader, errnoText } from './chunk-reader';
import { PcapReader, pcapMagic } from './pcap-reader';

/** pcapng's section header block type (pcapng-reader's BT_SHB; that module is loaded only for pcapng files). */
const PCAPNG_SHB = 0x0a0d0d0a;

function openFd(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.open(path, 'r', (err, fd) => {
      if (err) reject(new CaptureError(`${path}: ${errnoText(err)}`));
      else resolve(fd);
    });
  });
}

/**
 * Opens `path` ("-" = standard input) and reads its header. Throws CaptureError with a one-line,
 * tcpdump-like message (prefixed with the path) when the file cannot be opened or is not a capture.
 */
export async function openCaptureFile(path: string, chunkSize?: number): Promise<PacketSource> {
  const stdin = path === '-';
  const fd = stdin ? 0 : await openFd(path);
  let regular = false;
  try {
    regular = fs.fstatSync(fd).isFile();
  } catch {
    // unknown: read without read-ahead
  }
  const r = new ChunkReader(fd, path, !stdin, chunkSize, regular);
  try {
    const got = await r.need(4);
    if (got < 4) {
      throw new CaptureError(`${path}: truncated dump file; tried to read 4 file header bytes, only got ${got}`);
    }
    const b = r.buf;
    const o = r.pos;
    if (pcapMagic(b, o) !== null) return await PcapReader.open(r);
    if (((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0 === PCAPNG_SHB) {
      return await (await import('./pcapng-reader')).PcapngReader.open(r);
    }
    throw new CaptureError(`${path}: unknown file format`);
  } catch (e) {
    await r.close();
    throw e;
  }
}
