// Signals and pipes, with the real tcpdump as the oracle in the same test: `dump -r big.pcap -w out`
// stopped mid-way by SIGINT, SIGTERM, SIGHUP (tcpdump: pcap_breakloop, the file closed whole,
// status 0) and SIGKILL (no chance to flush: what is on disk is a prefix of the input), and
// `dump -r big.pcap | head -1` (tcpdump 4.99: "Unable to write output: Broken pipe", status 14;
// with -w - quietly, status 0).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/src/cli/main.js');
const GEN = path.join(ROOT, 'dist/scripts/gen-capture.js');
const haveTcpdump = spawnSync('sh', ['-c', 'command -v tcpdump']).status === 0;
const PACKETS = 3_000_000;
let tmp = '';
let big = '';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function exited(c: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((r) => c.on('exit', (code, signal) => r({ code, signal })));
}

/** Packets in a capture as tcpdump reads it, and its complaint (if any). */
function tcpdumpRead(file: string): { packets: number; error: string } {
  const r = spawnSync('tcpdump', ['-r', file, '-w', '/dev/null', '--count'], { encoding: 'latin1' });
  const m = /(\d+) packets?/.exec(r.stdout + r.stderr);
  const err = r.stderr.split('\n').filter((l) => l && !l.startsWith('reading from file')).join(' | ');
  return { packets: m ? Number(m[1]) : -1, error: err };
}

/** Runs `cmd -r big -w out`, sends `sig` once the output has started, waits for the end. */
async function interrupt(cmd: string[], out: string, sig: NodeJS.Signals): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  fs.rmSync(out, { force: true });
  const c = spawn(cmd[0], [...cmd.slice(1), '-r', big, '-w', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  c.stderr!.setEncoding('latin1').on('data', (d: string) => (stderr += d));
  const done = exited(c);
  // wait for the first bytes of output (both tools buffer), then a little more
  for (let i = 0; i < 400 && !(fs.existsSync(out) && fs.statSync(out).size > 1 << 20); i++) await sleep(5);
  await sleep(50);
  c.kill(sig);
  const r = await done;
  return { code: r.code, signal: r.signal, stderr };
}

describe('signals and pipes, as tcpdump', { skip: haveTcpdump ? false : 'tcpdump not installed' }, () => {
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pssig-'));
    big = path.join(tmp, 'big.pcap');
    const g = spawnSync(process.execPath, [GEN, big, '--count', String(PACKETS), '--flows', '10000'], { encoding: 'latin1' });
    assert.equal(g.status, 0, g.stderr);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    test(`${sig} during dump -r big -w out: whole file, status as tcpdump`, { timeout: 60000 }, async (t) => {
      const outT = path.join(tmp, `tcpdump-${sig}.pcap`);
      const outP = path.join(tmp, `portscope-${sig}.pcap`);
      const rt = await interrupt(['tcpdump'], outT, sig);
      const rp = await interrupt([process.execPath, MAIN, 'dump'], outP, sig);
      t.diagnostic(`tcpdump: status ${rt.code} signal ${rt.signal}; portscope: status ${rp.code} signal ${rp.signal}`);
      assert.equal(rp.signal, rt.signal, 'terminated by a signal (or not) as tcpdump');
      assert.equal(rp.code, rt.code, 'exit status as tcpdump');
      // same messages (the banner only), modulo the program name
      assert.deepEqual(rp.stderr.replace(/^portscope: /gm, 'tcpdump: ').split('\n'), rt.stderr.split('\n'));
      const readT = tcpdumpRead(outT);
      const readP = tcpdumpRead(outP);
      t.diagnostic(`packets written: tcpdump ${readT.packets}, portscope ${readP.packets} of ${PACKETS}`);
      assert.equal(readP.error, '', 'tcpdump reads the file without complaint');
      assert.ok(readP.packets > 0 && readP.packets < PACKETS, `stopped mid-way (${readP.packets} of ${PACKETS})`);
      // the records are exactly the input's first N records
      const inB = fs.readFileSync(big);
      const outB = fs.readFileSync(outP);
      assert.equal(Buffer.compare(outB.subarray(24), inB.subarray(24, outB.length)), 0, 'a prefix of the input');
    });
  }

  test('SIGKILL during dump -r big -w out: a byte prefix of the input, at worst a cut last record', { timeout: 60000 }, async (t) => {
    const outT = path.join(tmp, 'tcpdump-kill.pcap');
    const outP = path.join(tmp, 'portscope-kill.pcap');
    const rt = await interrupt(['tcpdump'], outT, 'SIGKILL');
    const rp = await interrupt([process.execPath, MAIN, 'dump'], outP, 'SIGKILL');
    assert.equal(rt.signal, 'SIGKILL');
    assert.equal(rp.signal, 'SIGKILL');
    const readT = tcpdumpRead(outT);
    const readP = tcpdumpRead(outP);
    // tcpdump's stdio buffer is flushed in 4 KiB pieces: its file may end inside a record
    t.diagnostic(`tcpdump after SIGKILL: ${readT.packets} packets, ${readT.error || 'no complaint'}`);
    t.diagnostic(`portscope after SIGKILL: ${readP.packets} packets, ${readP.error || 'no complaint'}`);
    // portscope writes whole buffers of whole records, but a SIGKILL inside write(2) may cut the
    // buffer at a page boundary (the kernel checks for fatal signals between pages): like
    // tcpdump's, the file may then end inside a record. What holds: everything on disk is a byte
    // prefix of the input, and the only complaint possible is the truncated last record.
    assert.match(readP.error, /^$|^tcpdump: pcap_loop: truncated dump file; tried to read \d+ (captured|header) bytes, only got \d+$/);
    const inB = fs.readFileSync(big);
    const outB = fs.readFileSync(outP);
    assert.ok(outB.length >= 24);
    assert.equal(Buffer.compare(outB.subarray(24), inB.subarray(24, outB.length)), 0, 'a prefix of the input');
  });

  test('closed stdout: dump -r big | head -1 as tcpdump (message, status 14)', { timeout: 60000 }, () => {
    const sh = (cmd: string) =>
      spawnSync('bash', ['-c', `${cmd} -n -r '${big}' 2>'${tmp}/err' | head -1; echo "status \${PIPESTATUS[0]}"; cat '${tmp}/err'`], {
        encoding: 'latin1',
        env: { ...process.env, TZ: 'UTC' },
      }).stdout;
    const t = sh('tcpdump');
    const p = sh(`'${process.execPath}' '${MAIN}' dump`);
    assert.match(t, /status 14/);
    assert.equal(p.replace(/^portscope: /gm, 'tcpdump: '), t);
  });

  test('closed stdout with -w -: quietly, status 0 as tcpdump', { timeout: 60000 }, () => {
    const sh = (cmd: string) =>
      spawnSync('bash', ['-c', `${cmd} -r '${big}' -w - 2>'${tmp}/err' | head -c 100 | wc -c; echo "status \${PIPESTATUS[0]}"; cat '${tmp}/err'`], { encoding: 'latin1' }).stdout;
    const t = sh('tcpdump');
    const p = sh(`'${process.execPath}' '${MAIN}' dump`);
    assert.equal(p.replace(/^portscope: /gm, 'tcpdump: '), t);
  });
});
