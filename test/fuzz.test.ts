// Fuzzing (sample): property tests with fast-check over the decoders, the filter compiler and the
// profile reader, a sample of scripts/fuzz.ts (mutated real captures, random packets, garbled
// filters, random BPF, garbled profiles), and the CLI's answer to damaged input: one line on
// stderr, tcpdump's exit status, never a stack trace. The full run is `node dist/scripts/fuzz.js 100000`.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { runFuzz, badTerminalByte, DEFAULT_CORPUS } from '../scripts/fuzz';
import { decodeFrame } from '../decoders/frame';
import { PacketInfo, DecodeStatus } from '../decoders/packet-info';
import { compileFilterProvider, FilterError } from '../src/filter/index';
import { readProfileFile } from '../src/cli/profile';
import { ProfileError } from '../src/report/profile';
import { OutBuf } from '../src/print/out';
import { createLinePrinter } from '../src/print/tcpdump';
import { createFieldsPrinter, FIELD_NAMES } from '../src/print/fields';
import type { PacketSource } from '../src/capture/batch';
import { nativeAvailable } from '../native/index';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/src/cli/main.js');
const CORPUS = path.resolve(__dirname, '../../../shared/corpus');
const corpusPresent = fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv'));
const SAMPLE = Number(process.env.FUZZ_CASES ?? 2500);
const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 105, 9];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-fuzz-test-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'latin1', timeout: 30000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function haveTool(t: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;
}

describe('fuzz sample (scripts/fuzz.ts)', () => {
  test(`${SAMPLE} mutated captures, packets, filters, BPF programs and profiles: no crash, no hang`, { timeout: 120000 }, async (t) => {
    if (!corpusPresent) t.diagnostic(`corpus absent (${CORPUS}): mutating fixtures/ only`);
    const r = await runFuzz({ cases: SAMPLE, seed: SEED, corpus: corpusPresent ? CORPUS : undefined });
    t.diagnostic(`${r.cases} cases in ${r.ms} ms: ${JSON.stringify(r.perTarget)}, rejected ${JSON.stringify(r.errors)}`);
    assert.equal(r.cases, SAMPLE);
    assert.deepEqual(r.failures.map((f) => `case ${f.caseIndex} (${f.target}, seed ${SEED}): ${f.detail}`), []);
    // the sample really exercises every target, and both outcomes of the parsers
    for (const k of ['reader', 'decode', 'filter', 'bpf', 'profile'] as const) assert.ok(r.perTarget[k] > SAMPLE / 20, k);
    assert.ok(r.errors.reader > 0 && r.errors.reader < r.perTarget.reader, 'some mutated captures read, some rejected');
    assert.ok(r.errors.profile > 0 && r.errors.profile < r.perTarget.profile, 'some garbled profiles merge, some rejected');
    assert.equal(DEFAULT_CORPUS, CORPUS);
  });

  test('the fuzzer catches a printer that leaks a control byte', () => {
    const b = new Uint8Array([0x41, 0x0a, 0x09, 0x1b, 0x42]);
    assert.equal(badTerminalByte(b, 0, b.length), 3);
    assert.equal(badTerminalByte(new Uint8Array([0x9b]), 0, 1), 0);
    assert.equal(badTerminalByte(new Uint8Array([0x7f]), 0, 1), 0);
    assert.equal(badTerminalByte(new Uint8Array([0x09]), 0, 1, false), 0);
    assert.equal(badTerminalByte(new Uint8Array([0x20, 0x7e, 0xa0, 0xff]), 0, 4), -1);
  });
});

describe('properties (fast-check)', () => {
  const src = { name: 'prop', interfaces: [], precision: 'micro', warning: null } as unknown as PacketSource;

  test('decodeFrame over arbitrary bytes of every link type: a status, offsets inside the frame, safe printing', () => {
    const p = new PacketInfo();
    const out = new OutBuf(-1);
    const line = createLinePrinter(out, { numeric: true, quick: false, tsFormat: 2, linkHeader: true, hex: 0, hexAscii: 1, absoluteSeq: false, verbose: 2, nano: false }, src);
    const fields = createFieldsPrinter(out, [...FIELD_NAMES], []);
    fc.assert(
      fc.property(fc.constantFrom(...LINK_TYPES), fc.uint8Array({ maxLength: 200 }), fc.nat(16), fc.nat(100), (lt, bytes, pad, extra) => {
        const data = new Uint8Array(pad + bytes.length + 8).fill(0x1b);
        data.set(bytes, pad);
        p.frameStart = pad;
        p.capEnd = pad + bytes.length;
        p.capLen = bytes.length;
        p.wireLen = bytes.length + extra;
        p.linkType = lt;
        p.frameNumber = 1;
        p.tsSec = 1700000000;
        p.tsNsec = 0;
        const st = decodeFrame(data, pad, bytes.length, bytes.length + extra, lt, p);
        assert.ok(st >= DecodeStatus.Ok && st <= DecodeStatus.Unsupported);
        for (const v of [p.l3Offset, p.l4Offset, p.payloadOffset, p.ethDstOff, p.src6Off, p.ipEnd, p.encapOffset]) {
          assert.ok(v === -1 || (v >= pad && v <= pad + bytes.length), `offset ${v} outside [${pad}, ${pad + bytes.length}]`);
        }
        out.pos = 0;
        line.onPacket(p, data);
        fields.onPacket(p, data);
        assert.equal(badTerminalByte(out.buf, 0, out.pos), -1, Buffer.from(out.buf.subarray(0, out.pos)).toString('latin1'));
      }),
      { numRuns: 3000, seed: SEED },
    );
  });

  test('filter expressions: a working filter or FilterError with one line, never another exception', (t) => {
    if (!nativeAvailable()) return t.skip('native addon not built (npm run build:native)');
    const words = fc.constantFrom('tcp', 'udp', 'port', 'host', 'and', 'or', 'not', '(', ')', '[', ']', '80', '10.0.0.1', 'ip[0]', '&', '>', 'vlan', 'ether', 'src', '\u001b', ':', '-', '/', '0x');
    const expr = fc.oneof(fc.string({ maxLength: 30 }), fc.array(words, { maxLength: 8 }).map((w) => w.join(' ')));
    fc.assert(
      fc.property(expr, fc.constantFrom(1, 113, 101, 276, 0), (e, lt) => {
        try {
          const f = compileFilterProvider(e)(lt, 262144);
          if (f !== null) assert.equal(typeof f(new Uint8Array(60), 0, 60, 60), 'number');
        } catch (err) {
          assert.ok(err instanceof FilterError, `${JSON.stringify(e)}: ${(err as Error).stack}`);
          assert.ok(!err.message.includes('\n'), err.message);
        }
      }),
      { numRuns: 1500, seed: SEED },
    );
  });

  test('profile reader: any JSON value or text is a profile or one ProfileError line naming the file', () => {
    const file = path.join(tmp, 'prop.json');
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string({ maxLength: 60 }), fc.jsonValue().map((v) => JSON.stringify({ schema: 'portscope.profile/1', sources: v, ports: v, hosts: [], stations: [], counters: v, sizes: {}, flows: {} }))), (text) => {
        fs.writeFileSync(file, text);
        try {
          readProfileFile(file);
        } catch (err) {
          assert.ok(err instanceof ProfileError, `${JSON.stringify(text)}: ${(err as Error).stack}`);
          assert.ok(err.message.startsWith(file + ': ') && !err.message.includes('\n'), err.message);
        }
      }),
      { numRuns: 1000, seed: SEED },
    );
  });
});

describe('CLI on damaged input: one line, tcpdump exit statuses', () => {
  const good = path.join(ROOT, 'fixtures/http.pcap');
  const bytes = fs.readFileSync(good);

  test('a caplen too large mid-file: the packets before it, then one line naming the offset (as tcpdump)', () => {
    const b = Buffer.from(bytes);
    // second record's caplen -> 0x7fffffff
    const cap0 = b.readUInt32LE(24 + 8);
    const second = 24 + 16 + cap0;
    b.writeUInt32LE(0x7fffffff, second + 8);
    const f = path.join(tmp, 'badcap.pcap');
    fs.writeFileSync(f, b);
    const r = run(['dump', '-n', '-r', f]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout.split('\n').filter(Boolean).length, 1, r.stdout);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 2, r.stderr); // banner + error
    assert.match(lines[1], new RegExp(`^portscope: ${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*byte offset ${second}`));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    if (haveTool('tcpdump')) {
      const t = spawnSync('tcpdump', ['-n', '-r', f], { encoding: 'latin1' });
      assert.equal(t.status, r.status, 'exit status as tcpdump');
      assert.equal(t.stdout.split('\n').filter(Boolean).length, 1);
    }
  });

  test('a file cut mid-record: every whole packet, one warning, exit 1 (as tcpdump)', () => {
    const f = path.join(tmp, 'cut.pcap');
    fs.writeFileSync(f, bytes.subarray(0, bytes.length - 7));
    const r = run(['dump', '-n', '-r', f]);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[1], /truncated dump file/);
    if (haveTool('tcpdump')) {
      const t = spawnSync('tcpdump', ['-n', '-r', f], { encoding: 'latin1' });
      assert.equal(r.status, t.status);
      assert.equal(r.stdout.split('\n').length, t.stdout.split('\n').length);
    }
  });

  test('profile merge of garbled JSON: one line with the byte offset, exit 1', () => {
    const f = path.join(tmp, 'garbled.json');
    fs.writeFileSync(f, '{"schema": "portscope.profile/1", "sources": [1,,2]}');
    const r = run(['profile', 'merge', f]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`garbled\\.json: .*byte offset ${'{"schema": "portscope.profile/1", "sources": [1,,2]}'.indexOf(',,') + 1}`));
    fs.writeFileSync(f, '{"schema": "\u009b31m\u001b[2J"}');
    const r2 = run(['profile', 'merge', f]);
    assert.equal(r2.status, 1);
    assert.equal(badTerminalByte(Buffer.from(r2.stderr, 'latin1'), 0, r2.stderr.length), -1, r2.stderr);
  });
});
