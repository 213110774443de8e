// Capture-file readers and the pcap writer: hand-built files in both byte orders, pcapng corner
// cases checked against tshark, every-prefix truncation sweeps, stdin, chunk boundaries, the
// writer against tcpdump -w, rotation. Scratch files go to a temporary directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, spawn } from 'node:child_process';
import { openCaptureFile } from '../src/capture/open';
import { CaptureError, type PacketSource } from '../src/capture/batch';
import { tsConvert, tsConvertResult } from '../src/capture/pcapng-reader';
import { PcapWriter, strftime, type PcapWriterOptions } from '../src/capture/pcap-writer';
import { runPipeline } from '../src/pipeline';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-capture-'));
if (!process.env.PORTSCOPE_KEEP_TMP) process.on('exit', () => fs.rmSync(TMP, { recursive: true, force: true }));
const CORPUS = path.resolve(__dirname, '../../../shared/corpus');
const HAVE_CORPUS = fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv'));
const MAIN = path.resolve(__dirname, '../src/cli/main.js');

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}
const HAVE_TCPDUMP = which('tcpdump');
const HAVE_TSHARK = which('tshark');

let seq = 0;
function tmp(name: string, data?: Uint8Array): string {
  const p = path.join(TMP, `${seq++}-${name}`);
  if (data) fs.writeFileSync(p, data);
  return p;
}

// ---------------------------------------------------------------- builders

function u32(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}
function u16(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
}

interface Rec {
  sec: number;
  frac: number;
  data: Buffer;
  orig?: number;
}

/** A classic pcap file. */
function pcapFile(le: boolean, nano: boolean, linkTypeField: number, snaplen: number, recs: Rec[]): Buffer {
  const parts = [
    u32(nano ? 0xa1b23c4d : 0xa1b2c3d4, le), u16(2, le), u16(4, le), u32(0, le), u32(0, le),
    u32(snaplen, le), u32(linkTypeField, le),
  ];
  for (const r of recs) {
    parts.push(u32(r.sec, le), u32(r.frac, le), u32(r.data.length, le), u32(r.orig ?? r.data.length, le), r.data);
  }
  return Buffer.concat(parts);
}

function pad4(b: Buffer): Buffer {
  return b.length % 4 === 0 ? b : Buffer.concat([b, Buffer.alloc(4 - (b.length % 4))]);
}
function block(le: boolean, type: number, body: Buffer): Buffer {
  const bodyP = pad4(body);
  const total = 12 + bodyP.length;
  return Buffer.concat([u32(type, le), u32(total, le), bodyP, u32(total, le)]);
}
function option(le: boolean, code: number, value: Buffer): Buffer {
  return Buffer.concat([u16(code, le), u16(value.length, le), pad4(value)]);
}
function optEnd(le: boolean): Buffer {
  return Buffer.concat([u16(0, le), u16(0, le)]);
}
function shb(le: boolean): Buffer {
  const body = Buffer.concat([u32(0x1a2b3c4d, le), u16(1, le), u16(0, le), u32(0xffffffff, le), u32(0xffffffff, le)]);
  return block(le, 0x0a0d0d0a, body);
}
function idb(le: boolean, linkType: number, snaplen: number, opts: Buffer[] = []): Buffer {
  const o = opts.length > 0 ? Buffer.concat([...opts, optEnd(le)]) : Buffer.alloc(0);
  return block(le, 1, Buffer.concat([u16(linkType, le), u16(0, le), u32(snaplen, le), o]));
}
function epb(le: boolean, ifId: number, hi: number, lo: number, data: Buffer, orig = data.length): Buffer {
  return block(le, 6, Buffer.concat([u32(ifId, le), u32(hi, le), u32(lo, le), u32(data.length, le), u32(orig, le), data]));
}
function pb(le: boolean, ifId: number, hi: number, lo: number, data: Buffer, orig = data.length): Buffer {
  return block(le, 2, Buffer.concat([u16(ifId, le), u16(0, le), u32(hi, le), u32(lo, le), u32(data.length, le), u32(orig, le), data]));
}
function spb(le: boolean, orig: number, data: Buffer): Buffer {
  return block(le, 3, Buffer.concat([u32(orig, le), data]));
}
/** A 64-bit timestamp count as [hi, lo]. */
function split64(v: bigint): [number, number] {
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

/** An Ethernet/IPv4/UDP frame of `len` bytes (>= 42), distinct per `n`. */
function frame(n: number, len = 60): Buffer {
  const b = Buffer.alloc(len);
  Buffer.from('ffffffffffff001122334455', 'hex').copy(b, 0);
  b.writeUInt16BE(0x0800, 12);
  b[14] = 0x45;
  b.writeUInt16BE(len - 14, 16);
  b[22] = 64;
  b[23] = 17;
  b.writeUInt32BE(0x0a000001, 26);
  b.writeUInt32BE(0x0a000002, 30);
  b.writeUInt16BE(1000 + n, 34);
  b.writeUInt16BE(53, 36);
  b.writeUInt16BE(len - 34, 38);
  for (let i = 42; i < len; i++) b[i] = (n + i) & 0xff;
  return b;
}

// ---------------------------------------------------------------- reading helpers

interface Pkt {
  sec: number;
  nsec: number;
  cap: number;
  wire: number;
  lt: number;
  ifIndex: number;
  fileOffset: number;
  bytes: string;
}

async function drain(src: PacketSource): Promise<Pkt[]> {
  const out: Pkt[] = [];
  for await (const b of src.batches()) {
    for (let i = 0; i < b.count; i++) {
      const o = b.offset[i];
      out.push({
        sec: b.tsSec[i], nsec: b.tsNsec[i], cap: b.capLen[i], wire: b.wireLen[i], lt: b.linkType[i],
        ifIndex: b.ifIndex[i], fileOffset: b.fileOffset[i],
        bytes: Buffer.from(b.data.subarray(o, o + b.capLen[i])).toString('hex'),
      });
    }
  }
  return out;
}

async function readFile(file: string, chunkSize?: number): Promise<{ src: PacketSource; pkts: Pkt[] }> {
  const src = await openCaptureFile(file, chunkSize);
  return { src, pkts: await drain(src) };
}

async function captureError(p: Promise<unknown>): Promise<CaptureError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CaptureError, `not a CaptureError: ${(e as Error).stack}`);
    return e;
  }
  assert.fail('expected a CaptureError');
}

function tcpdumpTimes(file: string): string[] {
  const r = spawnSync('tcpdump', ['-r', file, '-tt', '-n', '--time-stamp-precision=nano', '-q'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l).map((l) => l.split(' ')[0]);
}

function tsharkFields(file: string): string[][] {
  const r = spawnSync(
    'tshark',
    ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.interface_id'],
    { encoding: 'utf8' },
  );
  return r.stdout.split('\n').filter((l) => l).map((l) => l.split('\t'));
}

const epoch = (sec: number, nsec: number): string => `${sec}.${String(nsec).padStart(9, '0')}`;

// ---------------------------------------------------------------- classic pcap

const RECS: Rec[] = [
  { sec: 1700000000, frac: 0, data: frame(1) },
  { sec: 1700000001, frac: 999999, data: frame(2, 90) },
  { sec: 4000000000, frac: 123456, data: frame(3, 42), orig: 1514 },
  { sec: 0, frac: 1, data: frame(4, 61) },
];

for (const le of [true, false]) {
  for (const nano of [false, true]) {
    test(`pcap ${le ? 'little' : 'big'}-endian ${nano ? 'nanosecond' : 'microsecond'}: fields, and tcpdump agrees`, async () => {
      const recs = RECS.map((r) => ({ ...r, frac: nano ? r.frac * 1000 + 7 : r.frac }));
      const file = tmp('a.pcap', pcapFile(le, nano, 1, 65535, recs));
      const { src, pkts } = await readFile(file);
      assert.equal(src.precision, nano ? 'nano' : 'micro');
      assert.deepEqual(src.interfaces, [{ linkType: 1, snaplen: 65535, linkTypeField: 1 }]);
      assert.equal(pkts.length, recs.length);
      let off = 24;
      pkts.forEach((p, i) => {
        const r = recs[i];
        assert.equal(p.sec, r.sec);
        assert.equal(p.nsec, nano ? r.frac : r.frac * 1000);
        assert.equal(p.cap, r.data.length);
        assert.equal(p.wire, r.orig ?? r.data.length);
        assert.equal(p.lt, 1);
        assert.equal(p.ifIndex, 0);
        assert.equal(p.fileOffset, off);
        assert.equal(p.bytes, r.data.toString('hex'));
        off += 16 + r.data.length;
      });
      if (HAVE_TCPDUMP) {
        // tcpdump cannot print times past 2^31 s ("[Error converting time]"): compare the others
        const times = tcpdumpTimes(file);
        assert.equal(times.length, pkts.length);
        times.forEach((t, i) => {
          if (!t.startsWith('[')) assert.equal(t, epoch(pkts[i].sec, pkts[i].nsec));
        });
      }
    });
  }
}

test('pcap: FCS bits of the link-type field are masked; reserved bits are an error', async () => {
  const file = tmp('fcs.pcap', pcapFile(true, false, 0x30000001, 262144, RECS.slice(0, 1)));
  const { src, pkts } = await readFile(file);
  assert.equal(src.interfaces[0].linkType, 1);
  assert.equal(src.interfaces[0].linkTypeField, 0x30000001);
  assert.equal(pkts[0].lt, 1);
  const bad = tmp('rsv.pcap', pcapFile(true, false, 0x00300000, 262144, []));
  const e = await captureError(openCaptureFile(bad));
  assert.equal(e.message, `${bad}: unknown data link type 3145728`);
});

test('pcap: snaplen 0 means the maximum; caplen above snaplen is cut; above the maximum is fatal after earlier packets', async () => {
  const f0 = tmp('s0.pcap', pcapFile(true, false, 1, 0, RECS));
  assert.equal((await readFile(f0)).src.interfaces[0].snaplen, 262144);
  const f1 = tmp('s50.pcap', pcapFile(false, false, 1, 50, RECS));
  const { pkts } = await readFile(f1);
  assert.deepEqual(pkts.map((p) => p.cap), [50, 50, 42, 50]);
  assert.equal(pkts[1].bytes, frame(2, 90).subarray(0, 50).toString('hex'));
  assert.equal(pkts[2].fileOffset, 24 + 16 + 60 + 16 + 90); // the next record follows the whole one
  // caplen 300000 > 262144 in the third record
  const buf = pcapFile(true, false, 1, 65535, RECS);
  const third = 24 + 16 + 60 + 16 + 90;
  buf.writeUInt32LE(300000, third + 8);
  const f2 = tmp('big.pcap', buf);
  const src = await openCaptureFile(f2);
  const seen: number[] = [];
  const e = await captureError(
    (async () => {
      for await (const b of src.batches()) for (let i = 0; i < b.count; i++) seen.push(b.wireLen[i]);
    })(),
  );
  assert.deepEqual(seen, [60, 90]);
  assert.equal(e.message, `${f2}: invalid packet capture length 300000, bigger than snaplen of 65535, at byte offset ${third}`);
});

test('pcap: header problems give tcpdump/libpcap messages prefixed with the path', async () => {
  const cases: [Buffer, string][] = [
    [Buffer.alloc(0), 'truncated dump file; tried to read 4 file header bytes, only got 0'],
    [Buffer.from([0xd4, 0xc3]), 'truncated dump file; tried to read 4 file header bytes, only got 2'],
    [pcapFile(true, false, 1, 100, []).subarray(0, 10), 'truncated dump file; tried to read 24 file header bytes, only got 6'],
    [Buffer.from('this is not a capture file at all\n'), 'unknown file format'],
    [(() => { const b = pcapFile(true, false, 1, 100, []); b.writeUInt16LE(1, 4); return b; })(), 'archaic pcap savefile format'],
    [(() => { const b = pcapFile(false, false, 1, 100, []); b.writeUInt16BE(5, 6); return b; })(), 'unsupported pcap savefile version 2.5'],
  ];
  for (const [bytes, msg] of cases) {
    const f = tmp('hdr', bytes);
    const e = await captureError(openCaptureFile(f));
    assert.equal(e.message, `${f}: ${msg}`);
    assert.equal(e.exitCode, 1);
  }
  const missing = path.join(TMP, 'no-such-file.pcap');
  assert.equal((await captureError(openCaptureFile(missing))).message, `${missing}: No such file or directory`);
  assert.equal((await captureError(openCaptureFile(TMP))).message, `${TMP}: error reading dump file: Is a directory`);
});

test('pcap: a file cut mid-record delivers every complete packet, then a warning naming the offset', async () => {
  const full = pcapFile(true, false, 1, 65535, RECS);
  const second = 24 + 16 + 60;
  const f1 = tmp('cut1', full.subarray(0, second + 16 + 30));
  const r1 = await readFile(f1);
  assert.equal(r1.pkts.length, 1);
  assert.deepEqual(r1.src.warning, {
    message: `${f1}: truncated dump file at byte offset ${second}; tried to read 90 captured bytes, only got 30`,
    exitCode: 1,
  });
  const f2 = tmp('cut2', full.subarray(0, second + 5));
  const r2 = await readFile(f2);
  assert.equal(r2.pkts.length, 1);
  assert.equal(r2.src.warning!.message, `${f2}: truncated dump file at byte offset ${second}; tried to read 16 header bytes, only got 5`);
});

// ---------------------------------------------------------------- pcapng

test('tsConvert: exact for decimal and power-of-two resolutions (BigInt oracle)', () => {
  let x = 0x2545f4914f6cdd1dn;
  const rnd = (): bigint => {
    x ^= (x << 13n) & 0xffffffffffffffffn;
    x ^= x >> 7n;
    x ^= (x << 17n) & 0xffffffffffffffffn;
    return x;
  };
  const samples: bigint[] = [0n, 1n, 999999999n, 1000000000n, (1n << 64n) - 1n, (1n << 53n) - 1n, 1n << 53n];
  for (let i = 0; i < 3000; i++) samples.push(rnd() >> BigInt(i % 40));
  for (const v of samples) {
    const [hi, lo] = split64(v);
    for (let k = 0; k <= 15; k++) {
      tsConvert(hi, lo, false, k);
      const unit = 10n ** BigInt(k);
      const sec = v / unit;
      const ns = k <= 9 ? (v % unit) * 10n ** BigInt(9 - k) : (v % unit) / 10n ** BigInt(k - 9);
      const [s, n] = tsConvertResult();
      if (sec < 1n << 53n) assert.equal(s, Number(sec), `dec ${k} ${v}`);
      assert.equal(n, Number(ns), `dec ${k} ${v} ns`);
    }
    for (let k = 0; k <= 32; k++) {
      tsConvert(hi, lo, true, k);
      const sec = v >> BigInt(k);
      const ns = ((v & ((1n << BigInt(k)) - 1n)) * 1000000000n) >> BigInt(k);
      const [s, n] = tsConvertResult();
      if (sec < 1n << 53n) assert.equal(s, Number(sec), `pow2 ${k} ${v}`);
      assert.equal(n, Number(ns), `pow2 ${k} ${v} ns`);
    }
  }
});

/**
 * A two-section pcapng: section 1 (byte order `le`) with an Ethernet interface at nanosecond
 * resolution plus if_tsoffset, a raw-IP interface at 2^-20 s, EPBs, an obsolete PB, an SPB, an
 * unknown block and a local-use block; section 2 (the other byte order) whose interface 0 is a new
 * global interface with the default microsecond resolution.
 */
function multiSection(le: boolean): { bytes: Buffer; expect: { time: string; wire: number; cap: number; ifIndex: number; lt: number; bytes: string }[] } {
  const s2 = !le;
  const ns = 1700000000123456789n;
  const p20 = (1700000001n << 20n) + 524288n; // .5 s
  const us = 1700000002654321n;
  const raw = frame(7, 80).subarray(14);
  const [h1, l1] = split64(ns);
  const [h2, l2] = split64(p20);
  const [h3, l3] = split64(us);
  const bytes = Buffer.concat([
    shb(le),
    idb(le, 1, 96, [option(le, 2, Buffer.from('eth0')), option(le, 9, Buffer.from([9])), option(le, 14, Buffer.concat(le ? [u32(100, le), u32(0, le)] : [u32(0, le), u32(100, le)]))]),
    idb(le, 101, 0, [option(le, 9, Buffer.from([0x80 | 20]))]),
    epb(le, 0, h1, l1, frame(1)),
    block(le, 0x99, Buffer.from('unknown block body')),
    block(le, 0x80000001, Buffer.from('local use')),
    epb(le, 1, h2, l2, raw),
    pb(le, 0, h1, l1 + 1000, frame(2, 70)),
    spb(le, 1514, frame(3, 120).subarray(0, 96)), // captured = min(1514, snaplen 96)
    shb(s2),
    idb(s2, 1, 65535),
    epb(s2, 0, h3, l3, frame(4, 64), 1000),
  ]);
  const expect = [
    { time: '1700000100.123456789', wire: 60, cap: 60, ifIndex: 0, lt: 1, bytes: frame(1).toString('hex') },
    { time: '1700000001.500000000', wire: raw.length, cap: raw.length, ifIndex: 1, lt: 101, bytes: raw.toString('hex') },
    { time: '1700000100.123457789', wire: 70, cap: 70, ifIndex: 0, lt: 1, bytes: frame(2, 70).toString('hex') },
    { time: '0.000000000', wire: 1514, cap: 96, ifIndex: 0, lt: 1, bytes: frame(3, 120).subarray(0, 96).toString('hex') },
    { time: '1700000002.654321000', wire: 1000, cap: 64, ifIndex: 2, lt: 1, bytes: frame(4, 64).toString('hex') },
  ];
  return { bytes, expect };
}

for (const le of [true, false]) {
  test(`pcapng ${le ? 'little' : 'big'}-endian first section: two sections, tsresol, tsoffset, EPB/PB/SPB, unknown blocks`, async () => {
    const { bytes, expect } = multiSection(le);
    const file = tmp('multi.pcapng', bytes);
    const { src, pkts } = await readFile(file);
    assert.equal(src.precision, 'nano');
    assert.deepEqual(src.interfaces, [
      { linkType: 1, snaplen: 96, name: 'eth0' },
      { linkType: 101, snaplen: 262144 },
      { linkType: 1, snaplen: 65535 },
    ]);
    assert.deepEqual(
      pkts.map((p) => ({ time: epoch(p.sec, p.nsec), wire: p.wire, cap: p.cap, ifIndex: p.ifIndex, lt: p.lt, bytes: p.bytes })),
      expect,
    );
    // small chunks: every record crosses a chunk boundary, some are larger than the chunk
    for (const chunk of [16, 64, 100]) {
      const again = await readFile(file, chunk);
      assert.deepEqual(again.pkts, pkts, `chunk ${chunk}`);
    }
    if (HAVE_TSHARK) {
      // tshark: the same times, lengths and interface ids (SPBs have no time; tshark shows 0)
      const t = tsharkFields(file);
      assert.equal(t.length, expect.length);
      t.forEach((row, i) => {
        // tshark leaves an SPB's time and interface empty; portscope gives 0 like libpcap
        if (row[0] !== '') assert.equal(row[0], expect[i].time, `tshark time ${i}`);
        else assert.equal(expect[i].time, '0.000000000');
        assert.equal(+row[1], expect[i].wire);
        assert.equal(+row[2], expect[i].cap);
        // tshark 4.0 shows the section-local interface id (0 for the second section's interface)
        if (row[3] !== '') assert.equal(+row[3], i === 4 ? 0 : expect[i].ifIndex);
      });
    }
  });
}

test('pcapng: microsecond first interface gives micro precision; an SHB-only file is an error', async () => {
  const f = tmp('us.pcapng', Buffer.concat([shb(true), idb(true, 1, 0), epb(true, 0, 0, 1500000, frame(1))]));
  const { src, pkts } = await readFile(f);
  assert.equal(src.precision, 'micro');
  assert.equal(epoch(pkts[0].sec, pkts[0].nsec), '1.500000000');
  const g = tmp('shb.pcapng', shb(true));
  assert.equal((await captureError(openCaptureFile(g))).message, `${g}: the capture file has no Interface Description Blocks`);
});

test('pcapng: damaged blocks are CaptureErrors naming the offset, after the packets before them', async () => {
  const good = Buffer.concat([shb(true), idb(true, 1, 0), epb(true, 0, 0, 1, frame(1))]);
  const at = good.length;
  const cases: [Buffer, string][] = [
    [Buffer.concat([u32(6, true), u32(30, true), Buffer.alloc(22)]), 'block in pcapng dump file has a length of 30 that is not a multiple of 4'],
    [Buffer.concat([u32(6, true), u32(8, true), Buffer.alloc(8)]), 'block in pcapng dump file has a length of 8 < 12'],
    [(() => { const b = epb(true, 0, 0, 1, frame(2)); b.writeUInt32LE(999, b.length - 4); return b; })(), "block total length in header and trailer don't match"],
    [(() => { const b = epb(true, 0, 0, 1, frame(2)); b.writeUInt32LE(7, 8); return b; })(), 'a packet block has interface ID 7, but there are only 1 interfaces'],
    [(() => { const b = epb(true, 0, 0, 1, frame(2)); b.writeUInt32LE(500, 20); return b; })(), 'invalid packet capture length 500, bigger than its block (92 bytes),'],
    [Buffer.concat([u32(6, true), u32(0x7ffffff0, true)]), 'pcapng block size 2147483632 > maximum 16777216'],
  ];
  for (const [tail, msg] of cases) {
    const f = tmp('dmg.pcapng', Buffer.concat([good, tail]));
    const src = await openCaptureFile(f);
    let n = 0;
    const e = await captureError(
      (async () => {
        for await (const b of src.batches()) n += b.count;
      })(),
    );
    assert.equal(n, 1, msg);
    assert.equal(e.message, `${f}: ${msg} at byte offset ${at}`);
  }
  // caplen above the interface's snaplen: libpcap rejects it in pcapng
  const f = tmp('snap.pcapng', Buffer.concat([shb(true), idb(true, 1, 50), epb(true, 0, 0, 1, frame(1))]));
  const src = await openCaptureFile(f);
  const e = await captureError(drain(src));
  assert.equal(e.message, `${f}: invalid packet capture length 60, bigger than snaplen of 50, at byte offset ${shb(true).length + 20}`);
});

// ---------------------------------------------------------------- truncation sweeps

/**
 * Reads every prefix of `full` (with a 64-byte chunk, so records cross chunk boundaries). Each
 * prefix gives a prefix of the whole file's packets, then either nothing more (the cut is on a
 * record boundary: `boundaries` lists them when known), a truncation warning, or a CaptureError.
 */
async function sweep(full: Buffer, name: string, boundaries?: Set<number>): Promise<void> {
  const whole = (await readFile(tmp(name, full))).pkts;
  const file = tmp(name);
  let prev = 0;
  let warnings = 0;
  for (let n = 0; n <= full.length; n++) {
    fs.writeFileSync(file, full.subarray(0, n));
    let pkts: Pkt[] = [];
    let src: PacketSource;
    try {
      src = await openCaptureFile(file, 64);
      pkts = await drain(src);
    } catch (e) {
      assert.ok(e instanceof CaptureError, `prefix ${n}: ${(e as Error).stack}`);
      assert.ok(e.message.startsWith(file + ': ') && !e.message.includes('\n'), e.message);
      assert.ok(n < 64, `prefix ${n}: only a cut header is fatal: ${e.message}`);
      continue;
    }
    assert.deepEqual(pkts, whole.slice(0, pkts.length), `prefix ${n}`);
    assert.ok(pkts.length >= prev, `prefix ${n}: fewer packets than a shorter prefix`);
    prev = pkts.length;
    if (src.warning) {
      warnings++;
      assert.match(src.warning.message, /truncated (pcapng )?dump file at byte offset \d+; tried to read \d+ (captured |header )?bytes, only got \d+$/);
      assert.equal(src.warning.exitCode, 1);
      assert.ok(n < full.length);
    } else if (boundaries) {
      assert.ok(boundaries.has(n), `prefix ${n}: no warning inside a record`);
    }
  }
  assert.equal(prev, whole.length);
  assert.ok(warnings > full.length / 2);
}

function pcapBoundaries(recs: Rec[]): Set<number> {
  const s = new Set<number>([24]);
  let o = 24;
  for (const r of recs) s.add((o += 16 + r.data.length));
  return s;
}

test('every prefix of a small pcap (both byte orders): packets so far, then a warning or a CaptureError', async () => {
  await sweep(pcapFile(true, false, 1, 65535, RECS), 'sweep-le.pcap', pcapBoundaries(RECS));
  await sweep(pcapFile(false, true, 1, 65535, RECS), 'sweep-be.pcap', pcapBoundaries(RECS));
});

test('every prefix of a small two-section pcapng: packets so far, then a warning or a CaptureError', async () => {
  await sweep(multiSection(true).bytes, 'sweep.pcapng');
});

test('prefix warnings match tcpdump for a pcap cut at every record boundary +/- 1', { skip: !HAVE_TCPDUMP && 'tcpdump not installed' }, async () => {
  const full = pcapFile(true, false, 1, 65535, RECS);
  const file = tmp('tcut.pcap');
  for (const n of [24 + 1, 24 + 15, 24 + 17, 24 + 16 + 59, 24 + 16 + 60 + 3]) {
    fs.writeFileSync(file, full.subarray(0, n));
    const { src } = await readFile(file);
    const r = spawnSync('tcpdump', ['-r', file, '-n'], { encoding: 'utf8' });
    const theirs = r.stderr.split('\n').find((l) => l.includes('truncated'))!;
    // tcpdump: "tcpdump: pcap_loop: truncated dump file; tried to read X ..., only got Y"
    const ours = src.warning!.message.replace(/ at byte offset \d+/, '').replace(file + ': ', '');
    assert.equal('tcpdump: pcap_loop: ' + ours, theirs);
    assert.equal(r.status, 1);
  }
});

// ---------------------------------------------------------------- stdin, CLI

function cli(args: string[], input?: Buffer): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

test('stdin: dump -r - --count reads a pipe, pcap and pcapng, also when it arrives in pieces', async () => {
  const pc = pcapFile(true, false, 1, 65535, RECS);
  const r1 = cli(['dump', '-r', '-', '--count'], pc);
  assert.equal(r1.stdout, '4 packets\n', r1.stderr);
  assert.equal(r1.status, 0);
  const ng = multiSection(false).bytes;
  assert.equal(cli(['dump', '-r', '-', '--count'], ng).stdout, '5 packets\n');
  const cut = cli(['dump', '-r', '-', '--count'], pc.subarray(0, pc.length - 3));
  assert.equal(cut.stdout, '3 packets\n');
  assert.equal(cut.status, 1);
  assert.match(cut.stderr, /^portscope: -: truncated dump file at byte offset \d+; tried to read 61 captured bytes, only got 58$/m);
  // a slow writer: the reader must wait for whole records, never report a truncation early
  const child = spawn(process.execPath, [MAIN, 'dump', '-r', '-', '--count'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const done = new Promise<number | null>((res) => child.on('close', res));
  for (let i = 0; i < pc.length; i += 7) {
    child.stdin.write(pc.subarray(i, i + 7));
    await new Promise((r) => setTimeout(r, 2));
  }
  child.stdin.end();
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  assert.equal(await done, 0, err);
  assert.equal(out, '4 packets\n', err);
});

test('CLI: bad files give one line and exit 1, never a stack trace', () => {
  const notCap = tmp('notcap.txt', Buffer.from('hello world, this is text\n'));
  const r = cli(['dump', '-r', notCap, '--count']);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `portscope: ${notCap}: unknown file format\n`);
  const missing = path.join(TMP, 'missing.pcap');
  assert.equal(cli(['dump', '-r', missing]).stderr, `portscope: ${missing}: No such file or directory\n`);
});

test('permission denied (as an unprivileged user)', { skip: process.getuid?.() !== 0 && 'needs root to switch users' }, () => {
  const f = tmp('secret.pcap', pcapFile(true, false, 1, 65535, RECS));
  fs.chmodSync(f, 0o600);
  fs.chmodSync(TMP, 0o755);
  const r = spawnSync(process.execPath, [MAIN, 'dump', '-r', f, '--count'], { encoding: 'utf8', uid: 65534, gid: 65534 });
  if (r.error || /Cannot find module|EACCES.*main/.test(r.stderr)) return; // the tree is not readable by nobody
  assert.equal(r.stderr, `portscope: ${f}: Permission denied\n`);
  assert.equal(r.status, 1);
});

// ---------------------------------------------------------------- writer

const WOPTS: PcapWriterOptions = {
  linkType: 1, snaplen: 65535, precision: 'micro', rotateMB: 0, rotateSec: 0, maxFiles: 0, packetBuffered: false,
};

async function copyFile(input: string, output: string, opts: Partial<PcapWriterOptions> = {}): Promise<PcapWriter> {
  const src = await openCaptureFile(input);
  const first = src.interfaces[0];
  const w = await PcapWriter.open(output, {
    ...WOPTS, linkType: first.linkTypeField ?? first.linkType, snaplen: first.snaplen, ...opts,
  });
  await runPipeline(src, { decode: false, sinks: [w] });
  return w;
}

test('writer: byte-identical to tcpdump -w on corpus microsecond captures', { skip: (!HAVE_CORPUS && 'corpus absent') || (!HAVE_TCPDUMP && 'no tcpdump') }, async () => {
  const names = [
    'tcpdump/tests/02-sunrise-sunset-esp.pcap', 'tcpdump/tests/aarp-heapoverflow-1.pcap',
    'tcpdump/tests/OSPFv2_Capture_FINAL.pcapng', 'tcpdump/tests/bgp_vpn_rt-oobr.pcap',
    'tcpdump/tests/802_15_4-data.pcap', 'tcpdump/tests/pim-packet-assortment.pcap',
  ];
  for (const n of names) {
    const input = path.join(CORPUS, n);
    if (!fs.existsSync(input)) continue;
    const ours = tmp('ours.pcap');
    const theirs = tmp('theirs.pcap');
    await copyFile(input, ours);
    const r = spawnSync('tcpdump', ['-Z', 'root', '-r', input, '-w', theirs]);
    assert.equal(r.status, 0, String(r.stderr));
    assert.ok(fs.readFileSync(ours).equals(fs.readFileSync(theirs)), n);
  }
});

test('writer: nanosecond output equals tcpdump --time-stamp-precision=nano -w; round trip is identical', { skip: !HAVE_TCPDUMP && 'no tcpdump' }, async () => {
  const input = tmp('in.pcap', pcapFile(false, true, 1, 65535, RECS.map((r) => ({ ...r, frac: r.frac * 1000 + 5 }))));
  const ours = tmp('ns.pcap');
  const theirs = tmp('ns-t.pcap');
  await copyFile(input, ours, { precision: 'nano' });
  spawnSync('tcpdump', ['-Z', 'root', '--time-stamp-precision=nano', '-r', input, '-w', theirs]);
  assert.ok(fs.readFileSync(ours).equals(fs.readFileSync(theirs)));
  const again = tmp('ns2.pcap');
  await copyFile(ours, again, { precision: 'nano' });
  assert.ok(fs.readFileSync(again).equals(fs.readFileSync(ours)));
  // nano -> micro truncates like tcpdump
  const micro = tmp('us.pcap');
  const microT = tmp('us-t.pcap');
  await copyFile(input, micro);
  spawnSync('tcpdump', ['-Z', 'root', '-r', input, '-w', microT]);
  assert.ok(fs.readFileSync(micro).equals(fs.readFileSync(microT)));
});

test('writer: round trip write -> read -> write of a pcapng is identical', async () => {
  const input = tmp('rt.pcapng', Buffer.concat([shb(true), idb(true, 1, 0), ...Array.from({ length: 50 }, (_, i) => epb(true, 0, 0, 1000 * i, frame(i, 60 + i * 7)))]));
  const a = tmp('rt1.pcap');
  const b = tmp('rt2.pcap');
  await copyFile(input, a);
  await copyFile(a, b);
  assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)));
  const { pkts } = await readFile(a);
  assert.equal(pkts.length, 50);
});

function bigInput(n: number): string {
  const recs: Rec[] = [];
  for (let i = 0; i < n; i++) recs.push({ sec: 1700000000 + Math.floor(i / 100), frac: (i % 100) * 10000, data: frame(i, 60 + (i % 50)) });
  return tmp('big.pcap', pcapFile(true, false, 1, 262144, recs));
}

test('writer: -C/-W rotation names and sizes equal tcpdump\'s; every file is readable by tcpdump', { skip: !HAVE_TCPDUMP && 'no tcpdump' }, async () => {
  const input = bigInput(40000); // ~3.6 MB
  for (const [C, W] of [[1, 0], [1, 3], [1, 12], [2, 1]]) {
    const dOurs = fs.mkdtempSync(path.join(TMP, 'rot-'));
    const dTheirs = fs.mkdtempSync(path.join(TMP, 'rott-'));
    const w = await copyFile(input, path.join(dOurs, 'out'), { rotateMB: C, maxFiles: W });
    const args = ['-Z', 'root', '-r', input, '-w', path.join(dTheirs, 'out'), '-C', String(C)];
    if (W) args.push('-W', String(W));
    assert.equal(spawnSync('tcpdump', args).status, 0);
    const ours = fs.readdirSync(dOurs).sort();
    assert.deepEqual(ours, fs.readdirSync(dTheirs).sort(), `-C ${C} -W ${W}`);
    for (const f of ours) {
      assert.ok(fs.readFileSync(path.join(dOurs, f)).equals(fs.readFileSync(path.join(dTheirs, f))), `${f} -C ${C} -W ${W}`);
      const r = spawnSync('tcpdump', ['-r', path.join(dOurs, f), '--count'], { encoding: 'utf8' });
      assert.equal(r.status, 0);
    }
    assert.ok(w.files.length >= ours.length);
  }
});

test('writer: -G names come from strftime of the packet times (local time), -W caps the count', async () => {
  const input = bigInput(1000); // 10 seconds of packets from 1700000000
  const d = fs.mkdtempSync(path.join(TMP, 'g-'));
  const w = await copyFile(input, path.join(d, 'cap-%Y%m%d-%H%M%S'), { rotateSec: 3 });
  const names = [1700000000, 1700000003, 1700000006, 1700000009].map((t) => strftime('cap-%Y%m%d-%H%M%S', new Date(t * 1000)));
  assert.deepEqual(w.files.map((f) => path.basename(f)), names);
  let total = 0;
  for (const f of w.files) total += (await readFile(f)).pkts.length;
  assert.equal(total, 1000);
  const d2 = fs.mkdtempSync(path.join(TMP, 'g2-'));
  const origWrite = process.stderr.write;
  let msg = '';
  process.stderr.write = ((s: string) => ((msg += s), true)) as typeof process.stderr.write;
  try {
    const w2 = await copyFile(input, path.join(d2, 'x_%S'), { rotateSec: 3, maxFiles: 2 });
    assert.equal(w2.files.length, 2);
  } finally {
    process.stderr.write = origWrite;
  }
  assert.equal(msg, 'Maximum file limit reached: 2\n');
});

test('strftime: common conversions in UTC', () => {
  const prev = process.env.TZ;
  process.env.TZ = 'UTC';
  try {
    const d = new Date(Date.UTC(2024, 1, 29, 13, 5, 9));
    assert.equal(strftime('%Y-%m-%d %H:%M:%S %j %a %b %e %y %I%p %s %% %F %T %z', d), '2024-02-29 13:05:09 060 Thu Feb 29 24 01PM 1709211909 % 2024-02-29 13:05:09 +0000');
  } finally {
    if (prev === undefined) delete process.env.TZ;
    else process.env.TZ = prev;
  }
});

test('writer: output errors are one-line CaptureErrors', async () => {
  const bad = path.join(TMP, 'no-dir', 'out.pcap');
  const e = await captureError(PcapWriter.open(bad, WOPTS));
  assert.equal(e.message, `${bad}: No such file or directory`);
});

test('chunk sizes from 100 bytes to 4 MiB (read-ahead swaps, cut records, growth) give the same packets', async () => {
  const input = bigInput(20000);
  const ref = (await readFile(input)).pkts;
  assert.equal(ref.length, 20000);
  for (const chunk of [100, 1000, 65536]) {
    const { pkts } = await readFile(input, chunk);
    assert.equal(pkts.length, ref.length);
    assert.deepEqual(pkts, ref, `chunk ${chunk}`);
  }
  // the same through a pipe (no read-ahead)
  const r = cli(['dump', '-r', '-', '--count'], fs.readFileSync(input));
  assert.equal(r.stdout, '20000 packets\n');
});

test('pcapng reader: random 64-bit timestamps at 10^-9, 10^-6, 10^-3 and 2^-10 s match BigInt arithmetic', async () => {
  let x = 0x9e3779b97f4a7c15n;
  const rnd = (): bigint => {
    x ^= (x << 13n) & 0xffffffffffffffffn;
    x ^= x >> 7n;
    x ^= (x << 17n) & 0xffffffffffffffffn;
    return x;
  };
  const res: [number, boolean][] = [[9, false], [6, false], [3, false], [10, true]];
  const parts: Buffer[] = [shb(true)];
  for (const [k, p2] of res) parts.push(idb(true, 1, 0, [option(true, 9, Buffer.from([(p2 ? 0x80 : 0) | k]))]));
  const want: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const g = i % res.length;
    const [k, p2] = res[g];
    const v = rnd() >> BigInt(i % 12); // up to 2^64 - 1
    const [hi, lo] = split64(v);
    parts.push(epb(true, g, hi, lo, frame(i)));
    const unit = p2 ? 1n << BigInt(k) : 10n ** BigInt(k);
    const sec = v / unit;
    const ns = ((v % unit) * 1000000000n) / unit;
    want.push(sec < 1n << 53n ? `${sec}.${String(ns).padStart(9, '0')}` : `big.${String(ns).padStart(9, '0')}`);
  }
  const { pkts } = await readFile(tmp('rand.pcapng', Buffer.concat(parts)));
  assert.deepEqual(
    pkts.map((p, i) => (want[i].startsWith('big.') ? `big.${String(p.nsec).padStart(9, '0')}` : epoch(p.sec, p.nsec))),
    want,
  );
});

test('stdin: a non-blocking pipe (EAGAIN) that delivers late is read to the end', { skip: !which('python3') && 'python3 not installed' }, () => {
  const f = tmp('nb.pcap', pcapFile(true, false, 1, 65535, RECS));
  const script = [
    'import os, fcntl, sys',
    'fl = fcntl.fcntl(0, fcntl.F_GETFL)',
    'fcntl.fcntl(0, fcntl.F_SETFL, fl | os.O_NONBLOCK)',
    'os.execv(sys.argv[1], sys.argv[1:])',
  ].join('\n');
  const r = spawnSync(
    'sh',
    ['-c', `(sleep 0.3; head -c 100 "$1"; sleep 0.3; tail -c +101 "$1") | python3 -c "$2" "$3" "$4" dump -r - --count`, 'sh', f, script, process.execPath, MAIN],
    { encoding: 'utf8' },
  );
  assert.equal(r.stdout, '4 packets\n', r.stderr);
  assert.equal(r.status, 0);
});

test('pcapng reader: consecutive timestamps (same-second shortcut) across second and 2^32 boundaries match BigInt', async () => {
  for (const k of [9, 6, 0]) {
    const unit = 10n ** BigInt(k);
    const parts: Buffer[] = [shb(false), idb(false, 1, 0, [option(false, 9, Buffer.from([k]))])];
    const want: string[] = [];
    // start just below a 2^32 boundary of the count and just below a whole second
    let v = (1n << 34n) - unit / 3n - 5n;
    const step = unit / 7n + 1n;
    for (let i = 0; i < 300; i++) {
      const [hi, lo] = split64(v);
      parts.push(epb(false, 0, hi, lo, frame(i)));
      want.push(`${v / unit}.${String(((v % unit) * 1000000000n) / unit).padStart(9, '0')}`);
      v += i % 50 === 49 ? unit * 3n : step;
    }
    const { pkts } = await readFile(tmp('seq.pcapng', Buffer.concat(parts)));
    assert.deepEqual(pkts.map((p) => epoch(p.sec, p.nsec)), want, `10^-${k}`);
  }
});
