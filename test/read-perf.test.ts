// The fast paths of file reading: batches with fewer fields (dump --count, filtered counts) must
// check every record exactly as full batches do, the chunk layout keeps reads page-aligned, and
// counting runs do not load the decoders, printers or (without an expression) the filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { openCaptureFile } from '../src/capture/open';
import { CaptureError, type PacketSource } from '../src/capture/batch';
import { ChunkReader } from '../src/capture/chunk-reader';
import type { BatchFields, FileSource } from '../src/capture/file-source';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/src/cli/main.js');
const FIXTURES = path.join(ROOT, 'fixtures');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-read-perf-'));
process.on('exit', () => fs.rmSync(TMP, { recursive: true, force: true }));
const HAVE_TCPDUMP = spawnSync('sh', ['-c', 'command -v tcpdump']).status === 0;

/** What a reading run shows: the count, the bounds of every packet when asked, the end. */
interface Outcome {
  count: number;
  bounds: string[];
  warning: string | null;
  error: string | null;
}

async function readAs(file: string, fields: BatchFields, chunk?: number): Promise<Outcome> {
  const out: Outcome = { count: 0, bounds: [], warning: null, error: null };
  let src: PacketSource | null = null;
  try {
    src = await openCaptureFile(file, chunk);
    (src as FileSource).setBatchFields(fields);
    for await (const b of src.batches()) {
      out.count += b.count;
      if (fields !== 'count') {
        for (let i = 0; i < b.count; i++) {
          const o = b.offset[i];
          const bytes = Buffer.from(b.data.subarray(o, o + b.capLen[i])).toString('hex');
          out.bounds.push(`${b.capLen[i]}/${b.wireLen[i]}/${b.linkType[i]}/${b.ifIndex[i]}/${bytes}`);
        }
      }
    }
    out.warning = src.warning ? src.warning.message : null;
  } catch (e) {
    assert.ok(e instanceof CaptureError, `not a CaptureError: ${(e as Error).stack}`);
    out.error = e.message;
  }
  return out;
}

/** Every fixture, and damaged copies: cut mid-record, a caplen above the maximum in record 3. */
function inputs(): string[] {
  const files = fs.readdirSync(FIXTURES).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(FIXTURES, f));
  const http = fs.readFileSync(path.join(FIXTURES, 'http.pcap'));
  const cut = path.join(TMP, 'cut.pcap');
  fs.writeFileSync(cut, http.subarray(0, http.length - 7));
  const bad = Buffer.from(http);
  let p = 24;
  for (let i = 0; i < 2; i++) p += 16 + bad.readUInt32LE(p + 8);
  bad.writeUInt32LE(0x7fffffff, p + 8);
  const badFile = path.join(TMP, 'bad-caplen.pcap');
  fs.writeFileSync(badFile, bad);
  const ng = fs.readFileSync(path.join(FIXTURES, 'multi.pcapng'));
  const ngCut = path.join(TMP, 'cut.pcapng');
  fs.writeFileSync(ngCut, ng.subarray(0, ng.length - 5));
  return [...files, cut, badFile, ngCut];
}

test("batch fields 'count' and 'bounds' give the same packets, warnings and errors as 'all'", async () => {
  const files = inputs();
  assert.ok(files.length >= 8);
  let damaged = 0;
  for (const f of files) {
    for (const chunk of [undefined, 100, 4096]) {
      const all = await readAs(f, 'all', chunk);
      const bounds = await readAs(f, 'bounds', chunk);
      const count = await readAs(f, 'count', chunk);
      assert.deepEqual(bounds, all, `${f} chunk ${chunk}: bounds`);
      assert.deepEqual({ ...count, bounds: all.bounds }, all, `${f} chunk ${chunk}: count`);
      if (all.error !== null || all.warning !== null) damaged++;
    }
  }
  assert.ok(damaged >= 9, 'the damaged inputs were read as damaged');
});

test('chunk layout: every read lands at its file offset within a page, whatever the chunk size', async () => {
  const file = path.join(FIXTURES, 'http.pcap');
  const size = fs.statSync(file).size;
  for (const chunk of [64, 1000, 4096, 5000, 1 << 17, 4 << 20]) {
    const fd = fs.openSync(file, 'r');
    const r = new ChunkReader(fd, file, true, chunk, true);
    let want = 1;
    let total = 0;
    while (!r.eof) {
      const got = await r.need(want);
      assert.equal(r.base % 4096, 0, `chunk ${chunk}: base ${r.base}`);
      assert.equal(r.buf.length % 4096, 0);
      if (got < want) break;
      // consume an odd amount so the carried bytes start anywhere in a page
      const take = Math.min(got, 777);
      r.pos += take;
      total += take;
      want = 1 + ((want * 7919) % 3000);
    }
    total += r.avail;
    assert.equal(total, size, `chunk ${chunk}: every byte seen once`);
    await r.close();
  }
});

function run(args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'latin1', env, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function loadedModules(args: string[]): string[] {
  const r = run(args, { ...process.env, NODE_DEBUG: 'module' });
  assert.equal(r.status, 0, r.stderr.slice(-500));
  const seen = new Set<string>();
  for (const m of r.stderr.matchAll(/load "([^"]+)"/g)) seen.add(path.relative(path.join(ROOT, 'dist'), m[1]));
  return [...seen];
}

test('startup: counting loads neither decoders nor printers; no expression, no filter', () => {
  const pcap = path.join(FIXTURES, 'http.pcap');
  const plain = loadedModules(['dump', '-r', pcap, '--count']);
  assert.ok(plain.includes('src/capture/pcap-reader.js'), plain.join(' '));
  const heavy = /^(decoders\/(frame|packet-info|ipv4)|src\/print\/|src\/filter\/|src\/capture\/(pcap-writer|pcapng-reader|live)|native\/)/;
  assert.deepEqual(plain.filter((m) => heavy.test(m)), [], 'dump --count');
  const filtered = loadedModules(['dump', '-r', pcap, '--count', 'tcp']);
  assert.ok(filtered.includes('src/filter/jit.js'), filtered.join(' '));
  assert.deepEqual(filtered.filter((m) => /^(decoders\/(frame|packet-info)|src\/print\/)/.test(m)), [], 'dump --count tcp');
  // pcapng files load their reader on demand
  assert.ok(loadedModules(['dump', '-r', path.join(FIXTURES, 'multi.pcapng'), '--count']).includes('src/capture/pcapng-reader.js'));
});

test('filtered counts and -c N agree with tcpdump', { skip: !HAVE_TCPDUMP && 'tcpdump is not installed' }, () => {
  for (const f of ['http.pcap', 'dns.pcap', 'vlan.pcap', 'sll.pcap']) {
    const file = path.join(FIXTURES, f);
    for (const extra of [[], ['tcp'], ['udp port 53'], ['-c', '3', 'tcp'], ['-c', '2'], ['-c', '1000000', 'ip']]) {
      const args = ['-r', file, '--count', ...extra];
      const td = spawnSync('tcpdump', args, { encoding: 'latin1' });
      const ps = run(['dump', ...args]);
      assert.equal(ps.stdout, td.stdout, `${f} ${extra.join(' ')}`);
      assert.equal(ps.status, td.status, `${f} ${extra.join(' ')}: exit status`);
    }
  }
});

test('dump --count of damaged files: the same line and exit status with and without a filter', () => {
  for (const f of inputs().filter((x) => x.startsWith(TMP))) {
    const a = run(['dump', '-r', f, '--count']);
    const b = run(['dump', '-r', f, '--count', 'ip or not ip']);
    const c = run(['dump', '-r', f, '-w', path.join(TMP, 'o.pcap')]);
    assert.equal(a.status, 1, `${f}: ${a.stderr}`);
    assert.equal(b.status, a.status);
    assert.equal(c.status, a.status);
    assert.equal(b.stdout, a.stdout);
    const last = (s: string): string => s.trim().split('\n').pop()!;
    assert.equal(last(b.stderr), last(a.stderr));
    assert.equal(last(c.stderr), last(a.stderr));
    assert.ok(!/\n\s+at /.test(a.stderr), a.stderr);
  }
});
