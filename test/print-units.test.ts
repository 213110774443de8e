// Unit tests of the line printer's parts: timestamp formats (also in a zone with half-hour DST
// transitions, against tcpdump), the relative-sequence table, escaping of packet bytes.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OutBuf } from '../src/print/out';
import { TimestampPrinter } from '../src/print/timestamp';
import { TcpSeqTable } from '../src/print/tcp-seq';
import { TcpdumpLinePrinter } from '../src/print/tcpdump';
import { PacketInfo } from '../decoders/packet-info';
import { haveTcpdump, printWithPortscope, printWithTcpdump, writePcap, ipv4, tcpSeg, ether, DEFAULT_OPTS } from './print-support';

function withTz<T>(tz: string, f: () => T): T {
  const old = process.env.TZ;
  process.env.TZ = tz;
  try {
    return f();
  } finally {
    process.env.TZ = old;
  }
}

function ts(format: number, nano: boolean, sec: number, nsec: number, p?: TimestampPrinter): string {
  const out = new OutBuf(-1, 4096);
  (p ?? new TimestampPrinter(format, nano)).print(out, sec, nsec);
  return out.take();
}

test('timestamp formats (tcpdump 4.99 output of the corpus, TZ=UTC)', () => {
  withTz('UTC', () => {
    assert.equal(ts(0, false, 1418145369, 924505488), '17:16:09.924505 ');
    assert.equal(ts(0, true, 1418145369, 924505488), '17:16:09.924505488 ');
    assert.equal(ts(1, false, 1418145369, 924505488), '');
    assert.equal(ts(2, false, 1418145369, 924505488), '1418145369.924505 ');
    assert.equal(ts(2, true, 1418145369, 924505488), '1418145369.924505488 ');
    assert.equal(ts(4, false, 1418145369, 924505488), '2014-12-09 17:16:09.924505 ');
    assert.equal(ts(4, false, 2147483647, 0), '2038-01-19 03:14:07.000000 ');
    // time_2038_overflow / time_2106 / time_2106_overflow / time_2107 of tcpdump's tests
    assert.equal(ts(2, false, 2147483648, 0), '[Error converting time] ');
    assert.equal(ts(0, false, 4294967295, 0), '[Error converting time] ');
    assert.equal(ts(2, false, 4294967296, 0), '0.000000 ');
    assert.equal(ts(0, false, 4294967296, 0), '06:28:16.000000 ');
    assert.equal(ts(4, false, 4294967296, 0), '2106-02-07 06:28:16.000000 ');
    assert.equal(ts(2, false, 4294967296 + 28315904, 0), '28315904.000000 ');
    assert.equal(ts(4, false, 4294967296 + 28315904, 0), '2107-01-01 00:00:00.000000 ');
    // leap day and the epoch
    assert.equal(ts(4, false, 951782400, 1000), '2000-02-29 00:00:00.000001 ');
    assert.equal(ts(4, false, 0, 0), '1970-01-01 00:00:00.000000 ');
  });
});

test('-ttt and -ttttt deltas, negative deltas, days wrap like gmtime', () => {
  const d3 = new TimestampPrinter(3, false);
  assert.equal(ts(3, false, 1000, 500000000, d3), ' 00:00:00.000000 ');
  assert.equal(ts(3, false, 1001, 400000000, d3), ' 00:00:00.900000 ');
  assert.equal(ts(3, false, 1001, 300000000, d3), '-00:00:00.100000 ');
  assert.equal(ts(3, false, 1001 + 90061, 300000000, d3), ' 01:01:01.000000 ');
  const d5 = new TimestampPrinter(5, true);
  assert.equal(ts(5, true, 50, 1, d5), ' 00:00:00.000000000 ');
  assert.equal(ts(5, true, 3650, 2, d5), ' 01:00:00.000000001 ');
  assert.equal(ts(5, true, 40, 0, d5), '-00:00:10.000000001 ');
});

test('local time across half-hour DST transitions (Australia/Adelaide) matches tcpdump', { skip: !haveTcpdump() ? 'tcpdump not installed' : false }, async () => {
  // every 7 minutes for two days around both 2024 transitions (16:30 UTC)
  const recs = [];
  for (const start of [Date.UTC(2024, 3, 5, 12) / 1000, Date.UTC(2024, 9, 4, 12) / 1000]) {
    for (let t = start; t < start + 2 * 86400; t += 7 * 60 + 1) {
      recs.push({ sec: t, usec: 123, bytes: ether(0x0800, ipv4(0x0a000001, 0x0a000002, 17, Uint8Array.from([0, 53, 0, 53, 0, 8, 0, 0]))) });
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-ts-'));
  const file = path.join(dir, 'dst.pcap');
  writePcap(file, 1, recs);
  for (const tsFormat of [0, 4] as const) {
    const old = process.env.TZ;
    process.env.TZ = 'Australia/Adelaide';
    let ours: string;
    try {
      ours = await printWithPortscope(file, { quick: true, tsFormat });
    } finally {
      process.env.TZ = old;
    }
    const theirs = withTz('Australia/Adelaide', () => {
      // printWithTcpdump pins TZ=UTC; run it under the zone instead
      const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
      const r = spawnSync('tcpdump', ['-n', '-q', ...(tsFormat === 4 ? ['-tttt'] : []), '-r', file], {
        env: { ...process.env, TZ: 'Australia/Adelaide' },
        encoding: 'latin1',
      });
      return r.stdout;
    });
    assert.equal(ours, theirs);
  }
  fs.rmSync(dir, { recursive: true });
});

test('relative-sequence table: grows, finds both directions, starts over when full', () => {
  const t = new TcpSeqTable(16, 64);
  for (let i = 0; i < 40; i++) {
    t.setKey4(i, 1000 + i, (i << 16) | 80);
    assert.equal(t.lookup(), false);
    t.store(i * 10, i * 20);
  }
  assert.equal(t.size, 40);
  for (let i = 0; i < 40; i++) {
    t.setKey4(i, 1000 + i, (i << 16) | 80);
    assert.equal(t.lookup(), true, `key ${i}`);
    assert.equal(t.seq, i * 10);
    assert.equal(t.ack, i * 20);
  }
  // IPv6 keys do not collide with IPv4 keys of the same words
  const a = new Uint8Array(32);
  a[3] = 5;
  a[19] = 6;
  t.setKey6(a, 0, 16, 7);
  assert.equal(t.lookup(), false);
  // more than 3/4 of the maximum: the table starts over rather than growing without bound
  for (let i = 40; i < 200; i++) {
    t.setKey4(i, 5000 + i, 1);
    if (!t.lookup()) t.store(1, 2);
  }
  assert.ok(t.size <= 48, `size ${t.size}`);
});

test('packet bytes never reach the output raw (-X, unknown payloads)', () => {
  const out = new OutBuf(-1, 1 << 16);
  const pr = new TcpdumpLinePrinter(out, { ...DEFAULT_OPTS, hexAscii: 1 });
  const nasty = new Uint8Array(64);
  for (let i = 0; i < 64; i++) nasty[i] = [0x1b, 0x5b, 0x32, 0x4a, 0x07, 0x0d, 0x0a, 0x9b, 0x00, 0x7f][i % 10];
  const frames = [
    ether(0x0800, ipv4(1, 2, 6, tcpSeg(1, 2, 3, 4, 0x18, 5, [], 0))),
    ether(0x0800, ipv4(1, 2, 17, Uint8Array.from([0, 1, 0, 2, 0, 72, 0, 0, ...nasty]))),
    ether(0x1b1b, nasty),
  ];
  const p = new PacketInfo();
  const data = new Uint8Array(4096);
  let off = 0;
  for (const f of frames) {
    data.set(f, off);
    p.frameStart = off;
    p.capLen = f.length;
    p.capEnd = off + f.length;
    p.wireLen = f.length;
    p.linkType = 1;
    pr.onPacket(p, data);
    off += f.length;
  }
  const text = out.take();
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    assert.ok((c >= 0x20 && c < 0x7f) || c === 10 || c === 9, `byte 0x${c.toString(16)} at ${i}`);
  }
  assert.match(text, /\.\[2J\.\.\.\.\.\.\./);
});

test('-q -n -tt: synthetic edge cases match tcpdump (bad lengths, truncation, options)', { skip: !haveTcpdump() ? 'tcpdump not installed' : false }, async () => {
  const tcp = (opts: number[], flags = 0x18, data = 10): Uint8Array => ether(0x0800, ipv4(0x0a000001, 0x0a000002, 6, tcpSeg(1234, 5678, 100, 200, flags, 512, opts, data)));
  const frames: Uint8Array[] = [
    tcp([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]),
    tcp([5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 1, 1]), // sack
    tcp([3, 3, 7, 0]), // wscale + eol
    tcp([2, 3, 1, 0]), // bad mss length
    tcp([34, 2, 1, 1]), // tfo cookie request
    tcp([28, 4, 0, 131]), // uto
    tcp([99, 6, 1, 2, 3, 4]), // unknown option
    tcp([254, 6, 0xf9, 0x89, 1, 2]), // experimental tfo
    tcp([], 0x00, 0), // no flags
    tcp([], 0x29, 3), // FIN PSH URG
    tcp([], 0xc2, 0), // SYN ECE CWR
  ];
  // truncated copies of the first frame at every length
  const recs = frames.map((bytes, i) => ({ sec: 1700000000, usec: i, bytes }));
  const full = frames[0];
  for (let cut = 1; cut < full.length; cut++) recs.push({ sec: 1700000001, usec: cut, bytes: full.slice(0, cut), wireLen: full.length } as never);
  // IPv4 total length larger than the frame, and smaller than the header
  const big = tcp([]).slice();
  big[14 + 2] = 0x05;
  big[14 + 3] = 0xdc;
  recs.push({ sec: 1700000002, usec: 0, bytes: big });
  const small = tcp([]).slice();
  small[14 + 2] = 0;
  small[14 + 3] = 10;
  recs.push({ sec: 1700000002, usec: 1, bytes: small });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-edge-'));
  const file = path.join(dir, 'edge.pcap');
  writePcap(file, 1, recs);
  for (const opts of [{ quick: true, tsFormat: 2 }, { tsFormat: 2 }, { tsFormat: 2, hexAscii: 1 }, { tsFormat: 2, hex: 1, linkHeader: true }] as const) {
    assert.equal(await printWithPortscope(file, opts), printWithTcpdump(file, opts), JSON.stringify(opts));
  }
  fs.rmSync(dir, { recursive: true });
});

test('never throws: random and cut frames on every link type, every option set', () => {
  const out = new OutBuf(-1, 1 << 20);
  const optionSets = [
    { ...DEFAULT_OPTS, quick: true, tsFormat: 2 as const },
    { ...DEFAULT_OPTS, tsFormat: 1 as const, linkHeader: true, hexAscii: 1, absoluteSeq: true },
    { ...DEFAULT_OPTS, tsFormat: 4 as const, hex: 2, ifNames: new Map([[1, 'lo']]), absoluteSeq: true },
  ];
  let seed = 12345;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 16;
  };
  // Seeds: valid-looking headers so the walk goes deep before the random bytes.
  const seeds = [
    ether(0x0800, ipv4(1, 2, 6, tcpSeg(1, 2, 3, 4, 0x12, 5, [2, 4, 5, 180, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 30, 12, 0x21], 4))),
    ether(0x86dd, Uint8Array.from([0x60, 0, 0, 0, 0, 40, 0, 64, ...new Array(32).fill(1), 0, 0, 44, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0])),
    ether(0x8100, Uint8Array.from([0, 5, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])),
    ether(0x88e5, Uint8Array.from([0x20, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0x08, 0x00, 0x45])),
  ];
  const p = new PacketInfo();
  for (const opts of optionSets) {
    const pr = new TcpdumpLinePrinter(out, opts);
    for (const lt of [0, 1, 101, 108, 113, 228, 229, 276, 12, 14, 147]) {
      for (let n = 0; n < 1500; n++) {
        const s = seeds[n % seeds.length];
        const len = n < 400 ? n % (s.length + 1) : rnd() % 200;
        // Bytes after the captured ones must not matter: the same frame followed by 0x00s and
        // by 0xffs prints the same text (and no NaN, undefined or control bytes).
        const frame = new Uint8Array(len);
        for (let i = 0; i < len; i++) frame[i] = n < 400 ? s[i] : n % 3 === 0 && i < s.length ? s[i] ^ (rnd() & 1 ? rnd() & 255 : 0) : rnd() & 255;
        p.tsSec = rnd();
        p.tsNsec = rnd() * 1000;
        p.frameStart = 0;
        p.capLen = len;
        p.capEnd = len;
        p.wireLen = n % 7 === 0 ? len + (rnd() % 3000) : len;
        p.linkType = lt;
        const texts: string[] = [];
        for (const fill of [0x00, 0xff]) {
          const data = new Uint8Array(len + 64).fill(fill);
          data.set(frame);
          pr.onPacket(p, data);
          texts.push(out.take());
        }
        assert.equal(texts[0], texts[1], `link type ${lt} frame ${n}: read past the capture`);
        assert.ok(!/NaN|undefined|[\x00-\x08\x0b-\x1f\x7f-\xff]/.test(texts[0]), `link type ${lt} frame ${n}: ${JSON.stringify(texts[0])}`);
      }
    }
  }
});

test('OutBuf additions: u32dec, u32pad, graphic', () => {
  const o = new OutBuf(-1, 4096);
  for (const v of [0, 9, 10, 99, 100, 101, 65535, 999999, 1000000, 2147483647, 2147483648, 4294967295]) {
    o.u32dec(v);
    assert.equal(o.take(), String(v));
  }
  o.u32pad(42, 6);
  o.byte(32);
  o.u32pad(924505488, 9);
  o.byte(32);
  o.u32pad(1000000, 6);
  o.byte(32);
  o.graphic(Uint8Array.from([0x20, 0x41, 0x7e, 0x7f, 0x0a, 0xff]), 0, 6);
  assert.equal(o.take(), '000042 924505488 1000000 .A~...');
});
