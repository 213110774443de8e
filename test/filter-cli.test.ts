// `portscope dump` with a filter expression, end to end against the real tcpdump: -w output byte
// for byte, --count, error lines and exit statuses, and no libpcap addon loaded without a filter.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CORPUS, corpusPresent, haveTool, mergeCaptures, wellFormedCaptures } from './filter-support';
import { nativeAvailable } from '../native/index';

const MAIN = path.resolve(__dirname, '../src/cli/main.js');
const skip = !corpusPresent()
  ? `corpus absent (${CORPUS})`
  : !haveTool('tcpdump') || !haveTool('mergecap')
    ? 'tcpdump or mergecap not installed'
    : !nativeAvailable()
      ? 'the libpcap addon is not built'
      : false;
const TMP = fs.mkdtempSync('/tmp/portscope-filter-cli-');
/** Makes process.dlopen fail: loading the addon then fails. */
const BLOCK_ADDON = path.join(TMP, 'block-addon.js');
fs.writeFileSync(BLOCK_ADDON, "process.dlopen = () => { throw new Error('addon blocked by test'); };\n");

function run(cmd: string, args: string[], nodeArgs: string[] = []): { out: Buffer; err: string; status: number } {
  const r =
    cmd === 'portscope'
      ? spawnSync(process.execPath, [...nodeArgs, MAIN, ...args], { maxBuffer: 1 << 30 })
      : spawnSync(cmd, args, { maxBuffer: 1 << 30 });
  return { out: r.stdout, err: r.stderr.toString('latin1'), status: r.status ?? -1 };
}

const lastLine = (s: string): string => s.trim().split('\n').pop() ?? '';

describe('portscope dump EXPR against tcpdump EXPR', { skip }, () => {
  let eth = '';
  let sll = '';
  before(() => {
    eth = path.join(TMP, 'eth.pcap');
    mergeCaptures(wellFormedCaptures([1]), eth);
    sll = path.join(TMP, 'sll.pcap');
    mergeCaptures(wellFormedCaptures([113]), sll);
  });

  const EXPRS = ['tcp port 80', 'udp or icmp', 'vlan and ip', 'ip6 and tcp', 'not ip', 'ip[9]=6 and tcp[13]&2!=0', 'len > 500'];
  test('-w output is byte-identical to tcpdump -w (Ethernet and Linux cooked)', () => {
    for (const file of [eth, sll]) {
      for (const e of EXPRS) {
        const ours = path.join(TMP, 'ours.pcap');
        const theirs = path.join(TMP, 'theirs.pcap');
        const a = run('portscope', ['dump', '-r', file, '-w', ours, e]);
        const b = run('tcpdump', ['-r', file, '-w', theirs, e]);
        assert.equal(a.status, b.status, `${e}: ${a.err}`);
        if (b.status !== 0) {
          // e.g. "no VLAN support for Linux cooked v1": the same refusal.
          assert.equal(lastLine(a.err), lastLine(b.err).replace(/^tcpdump: /, 'portscope: '));
          continue;
        }
        assert.ok(fs.readFileSync(ours).equals(fs.readFileSync(theirs)), `${path.basename(file)} ${e}: -w files differ`);
      }
    }
  });

  test('--count equals tcpdump --count', () => {
    for (const e of EXPRS) {
      const a = run('portscope', ['dump', '-r', eth, '--count', e]);
      const b = run('tcpdump', ['--count', '-r', eth, e]);
      assert.equal(a.out.toString().trim(), b.out.toString().trim(), e);
    }
  });

  test('bad expressions: tcpdump\'s message after "portscope: ", exit status 1, no stack trace', () => {
    for (const e of ['foo bar', 'tcp port 99999', 'ip[9] << 40 = 0', 'inbound', 'ether host 1:2:3:4:5:6:7', 'ip6 protochain']) {
      const a = run('portscope', ['dump', '-r', eth, e]);
      const b = run('tcpdump', ['-r', eth, e]);
      assert.equal(b.status, 1);
      assert.equal(a.status, b.status, e);
      assert.equal(lastLine(a.err), lastLine(b.err).replace(/^tcpdump: /, 'portscope: '), e);
      assert.doesNotMatch(a.err, /\n\s+at /, 'stack trace');
      assert.equal(a.out.length, 0);
    }
  });

  test('-F file: the expression from a file, as tcpdump -F', () => {
    const f = path.join(TMP, 'expr.txt');
    fs.writeFileSync(f, 'tcp # web\n and port 80\n');
    const a = run('portscope', ['dump', '-r', eth, '--count', '-F', f]);
    const b = run('tcpdump', ['--count', '-r', eth, '-F', f]);
    assert.equal(a.out.toString().trim(), b.out.toString().trim());
  });

  test('pcapng mixing link types: compiled per link type; a refusal names the link type', () => {
    const eth1 = wellFormedCaptures([1]).find((f) => f.endsWith('HSRP_coup.pcap')) ?? wellFormedCaptures([1])[0];
    const sll1 = wellFormedCaptures([113])[0];
    const mixed = path.join(TMP, 'mixed.pcapng');
    const m = spawnSync('mergecap', ['-a', '-F', 'pcapng', '-w', mixed, eth1, sll1]);
    assert.equal(m.status, 0);
    const count = (f: string, e: string): number => Number(/(\d+) packets?/.exec(run('tcpdump', ['--count', '-r', f, e]).out.toString())![1]);
    const want = count(eth1, 'tcp or udp') + count(sll1, 'tcp or udp');
    const a = run('portscope', ['dump', '-r', mixed, '--count', 'tcp or udp']);
    assert.equal(a.status, 0, a.err);
    assert.equal(a.out.toString().trim(), `${want} packet${want === 1 ? '' : 's'}`);
    const v = run('portscope', ['dump', '-r', mixed, '--count', 'vlan']);
    assert.equal(v.status, 1);
    assert.equal(lastLine(v.err), 'portscope: link-type LINUX_SLL (Linux cooked v1): no VLAN support for Linux cooked v1');
  });

  test('without a filter the addon is never loaded; with one, a missing addon is one line', () => {
    const none = run('portscope', ['dump', '-r', eth, '--count'], ['-r', BLOCK_ADDON]);
    assert.equal(none.status, 0, none.err);
    const b = run('tcpdump', ['--count', '-r', eth]);
    assert.equal(none.out.toString().trim(), b.out.toString().trim());
    const withFilter = run('portscope', ['dump', '-r', eth, '--count', 'tcp'], ['-r', BLOCK_ADDON]);
    assert.equal(withFilter.status, 1);
    assert.match(lastLine(withFilter.err), /^portscope: filters and live capture need libpcap: apt-get install libpcap-dev/);
    assert.doesNotMatch(withFilter.err, /\n\s+at /);
  });
});
