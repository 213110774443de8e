// Terminal safety: packet bytes full of escape sequences (ESC [ ..., OSC, BEL, backspace, CR,
// 0x9b CSI, DEL, every C0/C1 byte), in payloads, DNS names, HTTP lines and pcapng interface names
// and comments, through every output mode of dump (default, -q, -e, -v.., -x, -xx, -X, -XX,
// -T fields), top's text snapshots (all views), profile (table, md, csv, json) and scan alerts.
// Nothing that a terminal interprets may come out: no byte < 0x20 except \n (and \t where the
// format has one: tcpdump's hex lines, -T fields separators), no 0x7f..0x9f, and no UTF-8-encoded
// C1 character (U+0080..U+009F) either.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { FIELD_NAMES } from '../src/print/fields';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/src/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-term-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every byte a terminal may act on, and the usual attack sequences. */
const NASTY = Buffer.concat([
  Buffer.from('\x1b[2J\x1b[31mRED\x1b]0;owned\x07\x1bP+q\x1b\\\x07\x08\x08\r\x9b31m\x7f\x1bc'),
  Buffer.from(Array.from({ length: 32 }, (_, i) => i)),
  Buffer.from(Array.from({ length: 33 }, (_, i) => 0x7f + i)),
  Buffer.from('\u009b\u0085 utf8-C1', 'utf8'),
]);

function csum(b: Buffer, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[off + i] << 8) | (i + 1 < len ? b[off + i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function eth(type: number, payload: Buffer, src = '02:1b:5b:32:4a:07'): Buffer {
  const h = Buffer.alloc(14);
  Buffer.from('ff1b9b7f0d08', 'hex').copy(h, 0);
  Buffer.from(src.replace(/:/g, ''), 'hex').copy(h, 6);
  h.writeUInt16BE(type, 12);
  return Buffer.concat([h, payload]);
}

function ipv4(proto: number, payload: Buffer, src = 0x0a1b1b07, dst = 0x0a00009b): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(0x1b1b, 4);
  h[8] = 64;
  h[9] = proto;
  h.writeUInt32BE(src >>> 0, 12);
  h.writeUInt32BE(dst >>> 0, 16);
  h.writeUInt16BE(csum(h, 0, 20), 10);
  return Buffer.concat([h, payload]);
}

function ipv6(next: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x6000001b, 0);
  h.writeUInt16BE(payload.length, 4);
  h[6] = next;
  h[7] = 64;
  Buffer.from('fe80000000000000001b009b007f0007', 'hex').copy(h, 8);
  Buffer.from('20010db80000000000000000001b5b32', 'hex').copy(h, 24);
  return Buffer.concat([h, payload]);
}

function tcp(sport: number, dport: number, flags: number, payload: Buffer, seq = 0x1b5b324a): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq, 4);
  h.writeUInt32BE(flags & 0x10 ? 0x07080d9b : 0, 8);
  h[12] = 5 << 4;
  h[13] = flags;
  h.writeUInt16BE(0x1b1b, 14);
  return Buffer.concat([h, payload]);
}

function udp(sport: number, dport: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** A DNS query whose name's labels are escape sequences. */
function dnsQuery(): Buffer {
  const labels = ['\x1b[2J', '\x07\x08\r', '\x9b31m\x7f', 'com'];
  const parts = [Buffer.from([0x1b, 0x1b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) {
    const b = Buffer.from(l, 'latin1');
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0, 0, 1, 0, 1]));
  return Buffer.concat(parts);
}

const HTTP = Buffer.concat([Buffer.from('GET /\x1b[2J'), NASTY, Buffer.from(' HTTP/1.1\r\nHost: \x1b]0;x\x07\r\nUser-Agent: \x9b1m\r\n\r\n')]);

function frames(): Buffer[] {
  return [
    eth(0x0800, ipv4(6, tcp(40000, 80, 0x02, Buffer.alloc(0)))),
    eth(0x0800, ipv4(6, tcp(80, 40000, 0x12, Buffer.alloc(0)), 0x0a00009b, 0x0a1b1b07)),
    eth(0x0800, ipv4(6, tcp(40000, 80, 0x18, HTTP))),
    eth(0x0800, ipv4(6, tcp(80, 40000, 0x18, Buffer.concat([Buffer.from('HTTP/1.1 200 \x1b[5mOK\r\nServer: '), NASTY, Buffer.from('\r\n\r\n')])), 0x0a00009b, 0x0a1b1b07)),
    eth(0x0800, ipv4(17, udp(5353, 53, dnsQuery()))),
    eth(0x0800, ipv4(17, udp(1900, 1900, NASTY))),
    eth(0x0800, ipv4(1, Buffer.concat([Buffer.from([8, 0, 0, 0, 0x1b, 0x1b, 0, 7]), NASTY]))),
    eth(0x86dd, ipv6(17, udp(547, 546, NASTY))),
    eth(0x86dd, ipv6(6, tcp(22, 50000, 0x18, Buffer.concat([Buffer.from('SSH-2.0-\x1b[2J'), NASTY, Buffer.from('\r\n')])))),
    eth(0x0806, Buffer.concat([Buffer.from('0001080006040001', 'hex'), Buffer.from('1b9b7f0d0807', 'hex'), Buffer.from([10, 27, 27, 7]), Buffer.alloc(6), Buffer.from([10, 0, 0, 0x9b])])),
    eth(0x1b9b, NASTY), // unknown EtherType: hex/ASCII dumps only
    eth(0x0026, Buffer.concat([Buffer.from([0x1b, 0x9b, 0x03]), NASTY])), // 802.3 length + LLC
    // a port scan's worth of SYNs so the scan detector has something to report
    ...Array.from({ length: 40 }, (_, i) => eth(0x0800, ipv4(6, tcp(41000, 1000 + i, 0x02, Buffer.alloc(0)), 0x0a1b1b07, 0x0a00009b))),
    Buffer.from(Array.from({ length: 256 }, (_, i) => i)), // every byte value as a frame
  ];
}

function pcap(fr: Buffer[]): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(262144, 16);
  h.writeUInt32LE(1, 20);
  const parts: Buffer[] = [h];
  fr.forEach((f, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1700000000 + i, 0);
    r.writeUInt32LE(1000 * i, 4);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    parts.push(r, f);
  });
  return Buffer.concat(parts);
}

function block(type: number, body: Buffer): Buffer {
  const pad = (4 - (body.length % 4)) % 4;
  const len = 12 + body.length + pad;
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}

function opt(code: number, v: Buffer): Buffer {
  const pad = (4 - (v.length % 4)) % 4;
  const b = Buffer.alloc(4 + v.length + pad);
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(v.length, 2);
  v.copy(b, 4);
  return b;
}

/** pcapng: Ethernet and Linux cooked v2 interfaces named and described with escape sequences. */
function pcapng(fr: Buffer[]): Buffer {
  const shbBody = Buffer.alloc(16);
  shbBody.writeUInt32LE(0x1a2b3c4d, 0);
  shbBody.writeUInt16LE(1, 4);
  shbBody.writeBigInt64LE(-1n, 8);
  const shb = block(0x0a0d0d0a, Buffer.concat([shbBody, opt(1, Buffer.concat([Buffer.from('comment '), NASTY])), opt(2, NASTY), opt(0, Buffer.alloc(0))]));
  const idb = (lt: number, name: Buffer) => {
    const b = Buffer.alloc(8);
    b.writeUInt16LE(lt, 0);
    b.writeUInt32LE(262144, 4);
    return block(1, Buffer.concat([b, opt(2, name), opt(3, NASTY), opt(0, Buffer.alloc(0))]));
  };
  const epb = (ifc: number, f: Buffer, i: number) => {
    const b = Buffer.alloc(20);
    b.writeUInt32LE(ifc, 0);
    const ts = BigInt(1700000000 + i) * 1000000n;
    b.writeUInt32LE(Number(ts >> 32n), 4);
    b.writeUInt32LE(Number(ts & 0xffffffffn), 8);
    b.writeUInt32LE(f.length, 12);
    b.writeUInt32LE(f.length, 16);
    return block(6, Buffer.concat([b, f, Buffer.alloc((4 - (f.length % 4)) % 4), opt(1, NASTY), opt(0, Buffer.alloc(0))]));
  };
  const sll2 = (f: Buffer) => {
    // protocol, reserved, ifindex, hatype, pkttype, addrlen, addr[8]
    const h = Buffer.alloc(20);
    h.writeUInt16BE(0x0800, 0);
    h.writeUInt32BE(0x1b, 4);
    h.writeUInt16BE(1, 8);
    h[10] = 4;
    h[11] = 6;
    Buffer.from('1b9b7f0d0807', 'hex').copy(h, 12);
    return Buffer.concat([h, f.subarray(14)]);
  };
  const blocks = [shb, idb(1, Buffer.concat([Buffer.from('eth\x1b[31m0\x07'), Buffer.from([0x9b])])), idb(276, Buffer.from('\x1b]0;sll\x07\x9b'))];
  fr.forEach((f, i) => {
    blocks.push(epb(0, f, i));
    if (f[12] === 0x08 && f[13] === 0x00) blocks.push(epb(1, sll2(f), i));
  });
  return Buffer.concat(blocks);
}

const PCAP = path.join(tmp, 'nasty.pcap');
const PCAPNG = path.join(tmp, 'nasty.pcapng');
fs.writeFileSync(PCAP, new Uint8Array(pcap(frames())));
fs.writeFileSync(PCAPNG, new Uint8Array(pcapng(frames())));

type Tabs = 'none' | 'lead' | 'any';

/**
 * Index of the first byte a terminal would interpret, or -1. Bytes 0x80..0x9f are fine only inside
 * a well-formed UTF-8 sequence of a character other than a C1 control (U+0080..U+009F). `tabs`:
 * where \t may appear (nowhere, at line starts as in tcpdump's hex lines, anywhere).
 */
function firstBad(b: Buffer, tabs: Tabs): number {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 0x0a) continue;
    if (c === 0x09 && (tabs === 'any' || (tabs === 'lead' && (i === 0 || b[i - 1] === 0x0a || b[i - 1] === 0x09)))) continue;
    if (c < 0x20 || c === 0x7f) return i;
    if (c < 0x80) continue;
    const n = c >= 0xf0 && c <= 0xf4 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 && c < 0xe0 ? 1 : -1;
    if (n < 0 || i + n >= b.length) return i;
    let cp = n === 1 ? c & 0x1f : n === 2 ? c & 0x0f : c & 0x07;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp >= 0x80 && cp <= 0x9f) return i;
    i += n;
  }
  return -1;
}

function assertSafe(what: string, b: Buffer, tabs: Tabs): void {
  const i = firstBad(b, tabs);
  assert.equal(i, -1, `${what}: byte 0x${i >= 0 ? b[i].toString(16) : ''} at ${i}: ${JSON.stringify(b.subarray(Math.max(0, i - 60), i + 10).toString('latin1'))}`);
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: Buffer; stderr: Buffer } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { timeout: 60000, env: { ...process.env, TZ: 'UTC', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const DUMP_MODES: string[][] = [
  [], ['-q'], ['-e'], ['-v'], ['-vv'], ['-vvv', '-e'], ['-x'], ['-xx'], ['-X'], ['-XX'], ['-e', '-vv', '-XX', '-S'],
  ['-tttt', '-n', '-X'], ['-T', 'fields', ...FIELD_NAMES.flatMap((f) => ['-e', f])],
  ['-T', 'fields', '-E', 'header=y', ...FIELD_NAMES.flatMap((f) => ['-e', f])],
  ['--alerts', '-q'],
];

describe('terminal safety: escape sequences in packets never reach the terminal raw', () => {
  for (const file of [PCAP, PCAPNG]) {
    const kind = path.extname(file);
    for (const mode of DUMP_MODES) {
      const name = mode.length > 6 ? mode.slice(0, 4).join(' ') + ' ...' : mode.join(' ');
      test(`dump ${name || '(default)'} ${kind}`, () => {
        const r = run(['dump', '-r', file, ...mode]);
        assert.equal(r.status, 0, r.stderr.toString());
        assert.ok(r.stdout.length > 200, 'prints something');
        // tcpdump's hex lines start with a tab; -T fields separates with tabs
        assertSafe('stdout', r.stdout, mode.includes('fields') ? 'any' : 'lead');
        assertSafe('stderr', r.stderr, 'none');
      });
    }
    test(`top text snapshots, every view ${kind}`, () => {
      const r = run(['top', '-r', file, '--max-speed', '--view', 'all', '--width', '200']);
      assert.equal(r.status, 0, r.stderr.toString());
      assert.ok(r.stdout.length > 200);
      assertSafe('stdout', r.stdout, 'none');
      assertSafe('stderr', r.stderr, 'none');
    });
    for (const format of ['table', 'md', 'csv', 'json']) {
      test(`profile --format ${format} ${kind}`, () => {
        const r = run(['profile', '-r', file, '--format', format]);
        assert.equal(r.status, 0, r.stderr.toString());
        assertSafe('stdout', r.stdout, 'none');
        assertSafe('stderr', r.stderr, 'none');
        if (format === 'json') assert.ok(r.stdout.every((c) => c < 0x80), 'JSON is pure ASCII');
      });
    }
  }

  test('the check can fail: the raw capture itself is full of such bytes', () => {
    assert.notEqual(firstBad(fs.readFileSync(PCAP), 'any'), -1);
    assert.notEqual(firstBad(Buffer.from('a\u009b', 'utf8'), 'any'), -1);
    assert.notEqual(firstBad(Buffer.from([0x41, 0x9b]), 'any'), -1);
    assert.notEqual(firstBad(Buffer.from('x\ty'), 'lead'), -1);
    assert.equal(firstBad(Buffer.from('\u2581\u00e9\n\tx'), 'lead'), -1);
  });
});
