// Differential tests of the filter stage against the installed tcpdump: for every expression of the
// corpus accept list and our own, the packets our compiled filter keeps from a merged capture of
// the corpus's well-formed Ethernet captures are byte for byte the records `tcpdump -r F -w - EXPR`
// writes; the JIT and the interpreter agree on every packet; the reject list fails with tcpdump's
// message and exit status. Programs come from the libpcap addon when it is built, else from
// `tcpdump -ddd` (the same compiler).
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  CORPUS, corpusPresent, haveTool, mergeCaptures, readPcap, tcpdumpCompiler, wellFormedCaptures, type PcapRecords,
} from './filter-support';
import { compileFilterProvider, FilterError, type FilterCompiler } from '../src/filter/index';
import { compileProgram } from '../src/filter/jit';
import { interpret } from '../src/filter/interpreter';
import { nativeAvailable, loadNative } from '../native/index';
import type { CompiledFilter } from '../src/filter/jit';
import type { FilterFn } from '../src/filter/types';

const skip = !corpusPresent()
  ? `corpus absent (${CORPUS})`
  : !haveTool('tcpdump') || !haveTool('mergecap')
    ? 'tcpdump or mergecap not installed'
    : false;
const native = !skip && nativeAvailable();
const compiler: FilterCompiler = native ? loadNative() : tcpdumpCompiler;
const TMP = fs.mkdtempSync('/tmp/portscope-filter-');

/** Our own expressions, beyond the corpus list. */
const OWN = [
  'vlan', 'vlan 100', 'vlan and tcp', 'vlan 100 and tcp', 'ip6', 'ip6 and tcp', 'ip6 and udp', 'ip6 host ::1',
  'tcp portrange 20-1024', 'udp portrange 50-60', 'portrange 1-1023', 'ip[9]=6', 'ip[9]==17', 'tcp[13]&2!=0',
  'tcp[13] & 0x12 = 0x12', 'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0', 'tcp[tcpflags] & tcp-rst != 0',
  'icmp[icmptype]==icmp-echo', 'icmp[icmptype]==icmp-echoreply', 'icmp6', 'ether[0]&1=1', 'ether[0]&1=0',
  'len > 100', 'len <= 64', 'greater 200', 'less 100', 'greater 1000 and tcp', 'tcp and not port 22',
  'udp or icmp', 'not ip', 'not (tcp or udp)', '(tcp port 80 or tcp port 443) and not host 10.0.0.1',
  'host 192.168.1.1 or host 10.0.0.1 and udp', 'net 10.0.0.0/8', 'net 192.168.0.0/16', 'src net 172.16.0.0/12',
  'dst net 224.0.0.0/4', 'mpls', 'mpls and ip', 'arp', 'rarp', 'arp or rarp', 'ether host ff:ff:ff:ff:ff:ff',
  'ether broadcast', 'ether multicast', 'ether src 00:00:0c:07:ac:01', 'ip multicast', 'ip6 multicast',
  'tcp port 80', 'port 53', 'udp port 53 or udp port 5353', 'ip proto 47', 'ip6 proto 58', 'ip[6:2] & 0x3fff != 0',
  'ip[0] & 0xf != 5', 'udp[8:4] = 0', 'tcp[((tcp[12]&0xf0)>>2):4] = 0x47455420', 'ip[2:2] - ((ip[0]&0xf)<<2) > 40',
  'ip[2:2] / 4 > 100', 'ip[2:2] % 7 = 3', 'ip[8] * 2 > 100', 'ip[1] ^ 0xff = 0xff', '-ip[2:2] < 100', 'ip[0] | 1 = 0x45',
  'ip[0] >> 4 = 4', 'ip[9] << ip[0] & 0xf != 0', 'ip[2:2] / ip[9] > 10', 'ip[2:2] % ip[8] = 1', 'pppoes', 'pppoed',
  'geneve', 'vxlan', 'ip6 protochain 6', 'ip protochain 17', 'stp', 'llc', 'sctp', 'gre', 'iso', 'isis',
  'decnet', 'ether proto 0x88cc', 'ether[12:2] = 0x88cc', 'wlan host 1:2:3:4:5:6',
];

function readList(name: string): string[] {
  return fs
    .readFileSync(path.join(CORPUS, name), 'latin1')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** Records of `r` at `keep` indexes, concatenated (the body of a -w file). */
function records(r: PcapRecords, keep: (i: number) => boolean): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < r.offset.length; i++) if (keep(i)) parts.push(r.data.subarray(r.recStart[i], r.offset[i] + r.capLen[i]));
  return Buffer.concat(parts);
}

/** Runs the real tcpdump; returns the -w body or its error text (prefix removed) and status. */
function tcpdumpWrite(file: string, expr: string): { body: Buffer | null; err: string; status: number } {
  const r = spawnSync('tcpdump', ['-r', file, '-w', '-', '--', expr], { maxBuffer: 1 << 30 });
  const lines = r.stderr.toString('latin1').trim().split('\n');
  const err = lines[lines.length - 1].replace(/^tcpdump: /, '');
  return { body: r.status === 0 ? r.stdout.subarray(24) : null, err, status: r.status ?? -1 };
}

/**
 * Checks one expression on one capture: same error as tcpdump, or same records; and the JIT agrees
 * with the interpreter on every packet. Returns the number of matches.
 */
function checkExpression(file: string, r: PcapRecords, expr: string): number {
  const want = tcpdumpWrite(file, expr);
  let compiled: CompiledFilter | undefined;
  const provider = compileFilterProvider(expr, { compiler: () => compiler, onCompile: (_lt, c) => (compiled = c) });
  let fn: FilterFn | null;
  try {
    fn = provider(r.linkType, r.snaplen);
  } catch (e) {
    assert.ok(e instanceof FilterError, `${expr}: ${String(e)}`);
    assert.equal(want.body, null, `${expr}: tcpdump accepts it, we say: ${e.message}`);
    assert.equal(e.message, want.err, expr);
    assert.equal(e.exitCode, want.status, expr);
    return 0;
  }
  assert.notEqual(want.body, null, `${expr}: tcpdump rejects it (${want.err}), we accept it`);
  assert.ok(fn !== null && compiled !== undefined);
  const prog = compiled.program;
  const mask = new Uint8Array(r.offset.length);
  for (let i = 0; i < r.offset.length; i++) {
    const got: number = fn!(r.data, r.offset[i], r.capLen[i], r.wireLen[i]);
    const oracle = interpret(prog, r.data, r.offset[i], r.capLen[i], r.wireLen[i]);
    if (got !== oracle) assert.fail(`${expr}: packet ${i + 1}: ${compiled.engine} says ${got}, interpreter ${oracle}`);
    mask[i] = got !== 0 ? 1 : 0;
  }
  const ours = records(r, (i) => mask[i] === 1);
  if (!ours.equals(want.body!)) {
    const tcpdumpCount = readPcapBody(want.body!);
    assert.fail(`${expr}: we keep ${mask.reduce((a, b) => a + b, 0)} packets, tcpdump ${tcpdumpCount} (bytes differ)`);
  }
  return mask.reduce((a, b) => a + b, 0);
}

function readPcapBody(body: Buffer): number {
  let n = 0;
  for (let o = 0; o + 16 <= body.length; o += 16 + body.readUInt32LE(o + 8)) n++;
  return n;
}

describe('filter: differential against tcpdump on Ethernet captures', { skip }, () => {
  let merged = '';
  let recs: PcapRecords;
  before(() => {
    const fixtures = fs.existsSync(path.resolve(__dirname, '../../fixtures'))
      ? fs.readdirSync(path.resolve(__dirname, '../../fixtures'))
          .filter((f) => f.endsWith('.pcap'))
          .map((f) => path.resolve(__dirname, '../../fixtures', f))
          .filter((f) => {
            try {
              const p = readPcap(f);
              return p.linkType === 1 && !p.nano && p.offset.length > 0;
            } catch {
              return false;
            }
          })
      : [];
    merged = path.join(TMP, 'ethernet.pcap');
    mergeCaptures([...wellFormedCaptures([1]), ...fixtures], merged);
    recs = readPcap(merged);
    assert.ok(recs.offset.length > 1000, `merged capture has ${recs.offset.length} packets`);
  });

  test(`accept list (corpus filters-accept.txt), programs from ${native ? 'the addon' : 'tcpdump -ddd'}`, () => {
    const exprs = readList('filters-accept.txt');
    let total = 0;
    let some = 0;
    for (const e of exprs) {
      const n = checkExpression(merged, recs, e);
      total += n;
      if (n > 0) some++;
    }
    assert.ok(total > 0 && some > 10, `only ${some} expressions matched anything`);
  });

  test('own expressions: vlan, ip6, portrange, byte offsets, arithmetic, tcpflags, compound', () => {
    let some = 0;
    for (const e of OWN) if (checkExpression(merged, recs, e) > 0) some++;
    assert.ok(some > 30, `only ${some} of ${OWN.length} expressions matched anything`);
  });

  test('the JIT compiles the accept list (no interpreter fallback except protochain)', () => {
    for (const e of [...readList('filters-accept.txt'), ...OWN]) {
      let prog: Uint32Array;
      try {
        prog = compiler.compile(e, 1, 262144, true);
      } catch {
        continue;
      }
      const c = compileProgram(prog);
      if (!/protochain/.test(e)) assert.equal(c.engine, 'jit', `${e}: ${c.reason}`);
    }
  });
});

// Needs the addon: only a savefile handle compiles as tcpdump -r does for these link types (DLT_NULL
// byte order, link type 14), which `tcpdump -ddd -y` cannot show.
describe('filter: other link types agree with tcpdump', { skip: skip || (native ? false : 'the libpcap addon is not built') }, () => {
  const EXPRS = ['ip', 'ip6', 'tcp', 'udp', 'icmp', 'udp port 53', 'tcp[13]&2!=0', 'len > 100', 'not ip',
    'net 10.0.0.0/8', 'host 192.168.1.1', 'tcp port 80 or udp port 53', 'ip[9]=17', 'arp', 'ether host 1:2:3:4:5:6',
    'vlan', 'ip6 and udp'];
  // [name, link type of the test file, link types of the corpus captures it is made from]: 12 and
  // 14 (raw IP from other systems) and 108 (OpenBSD loopback) are corpus captures of 101 and 0 with
  // the header's link type rewritten; both tools read the same file, so it stays a fair comparison.
  const groups: [string, number, number[]][] = [
    ['Linux cooked (113)', 113, [113]],
    ['Linux cooked v2 (276)', 276, [276]],
    ['raw IP (101)', 101, [101]],
    ['raw IP (12)', 12, [101]],
    ['link type 14 (raw IP on BSD/OS; libpcap 1.10 on Linux refuses it)', 14, [101]],
    ['BSD loopback (0)', 0, [0]],
    ['OpenBSD loopback (108)', 108, [0]],
  ];
  for (const [name, lt, from] of groups) {
    const files = skip ? [] : wellFormedCaptures(from);
    test(name, { skip: skip || (files.length === 0 ? 'no such capture in the corpus' : false) }, () => {
      const out = path.join(TMP, `lt-${lt}.pcap`);
      mergeCaptures(files, out);
      const bytes = fs.readFileSync(out);
      bytes.writeUInt32LE(lt, 20);
      fs.writeFileSync(out, bytes);
      const r = readPcap(out);
      assert.equal(r.linkType, lt);
      let matched = 0;
      for (const e of EXPRS) matched += checkExpression(out, r, e);
      if (lt !== 14) assert.ok(matched > 0);
    });
  }
});

describe('filter: reject list fails as in tcpdump', { skip: skip || (native ? false : 'the libpcap addon is not built') }, () => {
  test('filters-reject.txt: same message, status 1', () => {
    const exprs = readList('filters-reject.txt');
    const probe = path.join(TMP, 'one.pcap');
    const header = Buffer.alloc(24); // an empty Ethernet capture: magic, 2.4, snaplen 262144, DLT 1
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(262144, 16);
    header.writeUInt32LE(1, 20);
    fs.writeFileSync(probe, header);
    // One shell runs tcpdump once per expression (NUL-separated input), printing status and message.
    const script = 'while IFS= read -r -d "" e; do tcpdump -r "$1" -w /dev/null -- "$e" 2>&1 >/dev/null | tail -n 1; echo "rc=${PIPESTATUS[0]}"; done';
    const r = spawnSync('bash', ['-c', script, 'bash', probe], { input: exprs.join('\0') + '\0', encoding: 'latin1', maxBuffer: 1 << 28 });
    const lines = r.stdout.split('\n');
    const want: { msg: string; rc: number }[] = [];
    for (let i = 0; i + 1 < lines.length; i += 2) {
      assert.match(lines[i + 1], /^rc=\d+$/);
      want.push({ msg: lines[i].replace(/^tcpdump: /, ''), rc: Number(lines[i + 1].slice(3)) });
    }
    assert.equal(want.length, exprs.length);
    const mismatches: string[] = [];
    let acceptedByTcpdump = 0;
    exprs.forEach((e, i) => {
      let got = null as FilterError | null;
      try {
        compileFilterProvider(e, { compiler: () => compiler })(1, 262144);
      } catch (err) {
        assert.ok(err instanceof FilterError, `${e}: ${String(err)}`);
        got = err;
      }
      if (want[i].rc === 0) {
        // Rejected by a later libpcap than the installed one: tcpdump accepts it, so must we.
        acceptedByTcpdump++;
        if (got !== null) mismatches.push(`${e}: we reject it ("${got.message}"), tcpdump accepts it`);
      } else if (got === null) mismatches.push(`${e}: accepted (tcpdump: ${want[i].msg})`);
      else if (got.message !== want[i].msg || got.exitCode !== want[i].rc) {
        mismatches.push(`${e}: "${got.message}" ${got.exitCode} vs tcpdump "${want[i].msg}" ${want[i].rc}`);
      }
    });
    assert.deepEqual(mismatches, []);
    assert.ok(acceptedByTcpdump < exprs.length / 10, `${acceptedByTcpdump} accepted by tcpdump`);
  });
});
