// Signals while reading a file, for profile and top (text mode), as dump does (test/signals.test.ts):
// SIGINT/SIGTERM stop at the next batch, the report of what was read is written whole, exit 0;
// a second signal exits 1. The capture is large enough (2M packets) that the run outlasts 300 ms.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/src/cli/main.js');
const GEN = path.join(ROOT, 'dist/scripts/gen-capture.js');
const PACKETS = 2_000_000;
let tmp = '';
let big = '';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts portscope ARGS, sends `sigs` ~300 ms after the banner (the file is open), waits for the end. */
async function interrupt(args: string[], sigs: NodeJS.Signals[]): Promise<Run> {
  const c: ChildProcess = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  c.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  c.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    c.on('exit', (code, signal) => r({ code, signal })),
  );
  for (let i = 0; i < 400 && !stderr.includes('reading from file'); i++) await sleep(5);
  await sleep(300);
  for (const s of sigs) c.kill(s);
  const r = await done;
  // let the pipes drain
  await new Promise<void>((res) => (c.stdout!.readableEnded ? res() : c.stdout!.on('end', () => res())));
  return { ...r, stdout, stderr };
}

describe('signals while reading a file: profile and top', () => {
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pssigprof-'));
    big = path.join(tmp, 'big.pcap');
    const g = spawnSync(process.execPath, [GEN, big, '--count', String(PACKETS)], { encoding: 'latin1' });
    assert.equal(g.status, 0, g.stderr);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    test(`${sig} during profile -r big: the profile of what was read, status 0`, { timeout: 60000 }, async (t) => {
      const out = path.join(tmp, `profile-${sig}.json`);
      const r = await interrupt(['profile', '-r', big, '--format', 'json', '-o', out], [sig]);
      assert.equal(r.signal, null, 'not killed by the signal');
      assert.equal(r.code, 0, `exit status 0 (stderr: ${r.stderr})`);
      assert.ok(fs.existsSync(out), 'the report was written');
      const doc = JSON.parse(fs.readFileSync(out, 'utf8')) as { sources: { packetsRead: number }[] };
      const n = doc.sources[0].packetsRead;
      t.diagnostic(`packets read: ${n} of ${PACKETS}`);
      assert.ok(n > 0 && n < PACKETS, `stopped mid-way (${n} of ${PACKETS})`);
    });
  }

  test('a second signal during profile -r big: status 1', { timeout: 60000 }, async () => {
    const out = path.join(tmp, 'profile-twice.json');
    const r = await interrupt(['profile', '-r', big, '--format', 'json', '-o', out], ['SIGINT', 'SIGTERM']);
    assert.equal(r.signal, null, 'not killed by the signal');
    assert.equal(r.code, 1);
  });

  test('without a signal, profile -r big reads every packet (the control)', { timeout: 60000 }, () => {
    const out = path.join(tmp, 'profile-all.json');
    const r = spawnSync(process.execPath, [MAIN, 'profile', '-r', big, '--format', 'json', '-o', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(fs.readFileSync(out, 'utf8')) as { sources: { packetsRead: number }[] };
    assert.equal(doc.sources[0].packetsRead, PACKETS);
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    test(`${sig} during top -r big (text mode): a final snapshot, status 0`, { timeout: 60000 }, async (t) => {
      // paced at the file's timestamps and a long interval: the only snapshot is the final one
      const r = await interrupt(['top', '-r', big, '--interval', '600'], [sig]);
      assert.equal(r.signal, null, 'not killed by the signal');
      assert.equal(r.code, 0, `exit status 0 (stderr: ${r.stderr})`);
      assert.match(r.stdout, /^portscope top \| big\.pcap /, 'the snapshot header');
      // the header shows how far the file was read, not 100 %
      const pct = /^portscope top \| big\.pcap (\d+)% .*\[STOPPED\]/m.exec(r.stdout);
      assert.ok(pct, `a percentage and [STOPPED] in the header:\n${r.stdout.slice(0, 300)}`);
      assert.ok(Number(pct[1]) < 100, `stopped part-way: ${pct[1]}%`);
      assert.match(r.stdout, /== 1 Overview ==/);
      const m = /^([\d,]+) pkts /m.exec(r.stdout);
      assert.ok(m, `a packet count in:\n${r.stdout.slice(0, 400)}`);
      const n = Number(m[1].replace(/,/g, ''));
      t.diagnostic(`packets in the final snapshot: ${n} of ${PACKETS}`);
      assert.ok(n > 0 && n < PACKETS, `stopped mid-way (${n} of ${PACKETS})`);
      assert.equal(r.stdout.split('== 1 Overview ==').length, 2, 'exactly one snapshot');
    });
  }
});
