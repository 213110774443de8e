// `-T fields`: every field name we know, on the fixed packets, against the installed tshark (the
// oracle; skipped when tshark is absent), plus the -E options and the command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { FIXTURES, fixtureBytes, pcapFile } from './decoders-fixtures';
import { OutBuf } from '../src/print/out';
import { FIELD_NAMES, FieldsPrinter, parseFieldsOptions, createFieldsPrinter } from '../src/print/fields';
import { UsageError } from '../src/cli/getopt';
import { decodeFrame } from '../decoders/frame';
import { PacketInfo } from '../decoders/packet-info';

const MAIN = path.resolve(__dirname, '../src/cli/main.js');
const HAVE_TSHARK = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-fields-'));

/** Our fields for packets of one link type, through the printer (frame fields set as the pipeline does). */
function ours(linkType: number, packets: Uint8Array[], fields: readonly string[], eOpts: string[] = []): string {
  const out = new OutBuf(-1, 1 << 20);
  const pr = new FieldsPrinter(out, fields, parseFieldsOptions(eOpts));
  const p = new PacketInfo();
  packets.forEach((b, i) => {
    p.frameNumber = i + 1;
    p.tsSec = 1700000000 + i;
    p.tsNsec = i * 1000 * 1000;
    p.capLen = b.length;
    p.wireLen = b.length;
    p.frameStart = 0;
    p.capEnd = b.length;
    p.linkType = linkType;
    p.ifIndex = 0;
    decodeFrame(b, 0, b.length, b.length, linkType, p);
    pr.onPacket(p, b);
  });
  pr.finish();
  return out.take();
}

function tshark(file: string, fields: readonly string[], eOpts: string[] = []): string {
  const args = ['-n', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-r', file, '-T', 'fields'];
  for (const f of fields) args.push('-e', f);
  for (const e of eOpts) args.push('-E', e);
  const r = spawnSync('tshark', args, { encoding: 'latin1' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

// frame.interface_id: tshark leaves it empty for classic pcap, which is what these files are.
const COMPARED = FIELD_NAMES.filter((f) => f !== 'frame.interface_id');

test('every field, every fixture: same text as tshark', { skip: HAVE_TSHARK ? false : 'tshark not installed' }, () => {
  // One capture per link type (one tshark run each), every fixture twice so frame.number and
  // frame.time_relative move.
  const byLink = new Map<number, { names: string[]; pkts: Uint8Array[] }>();
  for (const f of FIXTURES) {
    const g = byLink.get(f.linkType) ?? { names: [], pkts: [] };
    const b = fixtureBytes(f);
    g.names.push(f.name, f.name);
    g.pkts.push(b, b);
    byLink.set(f.linkType, g);
  }
  for (const [lt, g] of byLink) {
    const file = path.join(TMP, `linktype-${lt}.pcap`);
    fs.writeFileSync(file, pcapFile(lt, g.pkts));
    const want = tshark(file, COMPARED, ['header=y']);
    const got = ours(lt, g.pkts, COMPARED, ['header=y']);
    // Compare field by field for a readable message.
    const w = want.split('\n');
    const gl = got.split('\n');
    assert.equal(gl.length, w.length, `link type ${lt}`);
    for (let i = 1; i < w.length - 1; i++) {
      const wc = w[i].split('\t');
      const gc = gl[i].split('\t');
      COMPARED.forEach((name, j) => assert.equal(gc[j], wc[j], `${g.names[i - 1]} (packet ${i}) ${name}`));
    }
    assert.equal(got, want, `link type ${lt}`);
  }
});

test('-E options: header, separator, aggregator, occurrence, quote, bom (tshark as the oracle)', { skip: HAVE_TSHARK ? false : 'tshark not installed' }, () => {
  const gre = FIXTURES.find((x) => x.name === 'eth_ipv4_gre_ipv4')!;
  const arp = FIXTURES.find((x) => x.name === 'eth_arp_request')!;
  const pkts = [fixtureBytes(gre), fixtureBytes(arp)];
  const file = path.join(TMP, 'mixed.pcap');
  fs.writeFileSync(file, pcapFile(1, pkts));
  const fields = ['frame.number', 'ip.src', 'ip.proto', 'udp.dstport', 'arp.opcode'];
  const cases = [
    ['header=y'],
    ['separator=,', 'quote=d', 'header=y'],
    ['separator=/s', 'aggregator=/s'],
    ['occurrence=f', 'quote=s'],
    ['occurrence=l', 'aggregator=;'],
    ['separator=ab'],
    ['bom=y', 'header=y'],
  ];
  for (const e of cases) assert.equal(ours(1, pkts, fields, e), tshark(file, fields, e), e.join(' '));
});

test('bad fields and options are one-line usage errors', () => {
  assert.throws(() => createFieldsPrinter(new OutBuf(-1, 8192), ['ip.src', 'foo.bar'], []), (e: Error) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /^Some fields aren't valid: foo\.bar/);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
  for (const bad of ['header=x', 'foo=bar', 'occurrence=2', 'quote=x', 'separator=']) {
    assert.throws(() => parseFieldsOptions([bad]), UsageError, bad);
  }
});

test('the header is printed even when no packet is', () => {
  const out = new OutBuf(-1, 8192);
  const s = createFieldsPrinter(out, ['frame.number', 'ip.src'], ['header=y']);
  s.finish?.();
  assert.equal(out.take(), 'frame.number\tip.src\n');
});

test('no allocation per packet: the printer reuses its records', () => {
  const f = FIXTURES.find((x) => x.name === 'eth_ipv4_icmp_unreach')!;
  const b = fixtureBytes(f);
  const out = new OutBuf(-1, 1 << 16);
  const pr = new FieldsPrinter(out, ['ip.src', 'udp.srcport', 'icmp.type'], parseFieldsOptions([]));
  const p = new PacketInfo();
  p.capLen = p.wireLen = p.capEnd = b.length;
  decodeFrame(b, 0, b.length, b.length, 1, p);
  pr.onPacket(p, b);
  assert.equal(out.take(), '10.0.0.1,10.0.0.2\t5353\t3\n');
  // Warm up, then check the heap does not grow with the packet count.
  for (let i = 0; i < 20000; i++) {
    pr.onPacket(p, b);
    out.pos = 0;
  }
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 200000; i++) {
    pr.onPacket(p, b);
    out.pos = 0;
  }
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(grown < 2_000_000, `heap grew by ${grown} bytes over 200000 packets`);
});

test('command line: portscope dump -r F -T fields -e ... -E header=y', () => {
  const f = FIXTURES.find((x) => x.name === 'eth_ipv4_tcp_syn')!;
  const file = path.join(TMP, 'cli.pcap');
  fs.writeFileSync(file, pcapFile(1, [fixtureBytes(f)]));
  const r = spawnSync('node', [MAIN, 'dump', '-r', file, '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.flags', '-e', 'frame.interface_id', '-E', 'header=y'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'frame.number\ttcp.flags\tframe.interface_id\n1\t0x0002\t\n');
  const bad = spawnSync('node', [MAIN, 'dump', '-r', file, '-T', 'fields', '-e', 'nope'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /Some fields aren't valid: nope/);
  assert.ok(!/\n\s+at /.test(bad.stderr), 'no stack trace');
});

test.after(() => fs.rmSync(TMP, { recursive: true, force: true }));
