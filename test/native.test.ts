// The libpcap addon against the real tcpdump: compiled programs (tcpdump -ddd), compile errors
// (tcpdump's stderr), bpf_filter verdicts (tcpdump -w of the same file), bpf_validate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadNative, nativeAvailable, NativeMissingError, type NativeAddon } from '../native/index';
import { CaptureError } from '../src/capture/batch';
import { readPcap } from './live-support';

const CORPUS = path.resolve(__dirname, '../../../shared/corpus');
const haveCorpus = fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv'));
const haveTcpdump = spawnSync('tcpdump', ['--version']).status === 0;
const skipNative = nativeAvailable() ? false : 'native addon not built (libpcap-dev missing?)';
const skipTcpdump = skipNative || (haveTcpdump ? false : 'tcpdump not installed');
const skipCorpus = skipTcpdump || (haveCorpus ? false : `corpus not found at ${CORPUS}`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-native-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** An empty classic pcap with the given link type and snaplen: tcpdump -r it to compile for that link type. */
function emptyPcap(linkType: number, snaplen: number): string {
  const f = path.join(tmp, `empty-${linkType}-${snaplen}.pcap`);
  if (!fs.existsSync(f)) {
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(snaplen, 16);
    h.writeUInt32LE(linkType, 20);
    fs.writeFileSync(f, h);
  }
  return f;
}

/** tcpdump -ddd's program as the addon's flat array, or tcpdump's error text. */
function tcpdumpProgram(expr: string, linkType: number, snaplen: number, optimize: boolean): Uint32Array | string {
  const args = ['-ddd', '-r', emptyPcap(linkType, snaplen)];
  if (!optimize) args.push('-O');
  const r = spawnSync('tcpdump', [...args, '--', expr], { encoding: 'utf8' });
  if (r.status !== 0) return r.stderr.trim().split('\n').pop()!.replace(/^tcpdump: /, '');
  const nums = r.stdout.trim().split(/\s+/).map(Number);
  assert.equal(nums[0] * 4, nums.length - 1, `tcpdump -ddd output for ${expr}`);
  return Uint32Array.from(nums.slice(1));
}

function compileOrError(n: NativeAddon, expr: string, linkType: number, snaplen: number, optimize: boolean): Uint32Array | string {
  try {
    return n.compile(expr, linkType, snaplen, optimize);
  } catch (e) {
    return (e as Error).message;
  }
}

test('NativeMissingError is a one-line CaptureError with exit status 1', () => {
  const e = new NativeMissingError();
  assert.ok(e instanceof CaptureError);
  assert.equal(e.exitCode, 1);
  assert.ok(!e.message.includes('\n'));
  assert.match(e.message, /apt-get install libpcap-dev/);
});

test('libVersion names libpcap', { skip: skipNative }, () => {
  assert.match(loadNative().libVersion(), /^libpcap version \d+\.\d+/);
});

test('compile matches tcpdump -ddd (optimized and -O) over link types and snaplens', { skip: skipTcpdump }, () => {
  const n = loadNative();
  const exprs = ['tcp port 80', 'udp and not port 53', 'icmp or arp', 'ip6 and tcp[tcpflags] & tcp-syn != 0',
    'vlan 10 and host 10.0.0.1', 'net 192.168.0.0/16 and greater 100', 'ip[6:2] & 0x1fff != 0', ''];
  const cases: [number, number][] = [[1, 262144], [1, 96], [113, 65535], [276, 262144], [101, 1500], [0, 65535], [228, 262144]];
  for (const expr of exprs) {
    for (const [lt, snap] of cases) {
      for (const opt of [true, false]) {
        const want = tcpdumpProgram(expr, lt, snap, opt);
        const got = compileOrError(n, expr, lt, snap, opt);
        assert.deepEqual(got, want, `${JSON.stringify(expr)} linktype ${lt} snaplen ${snap} optimize ${opt}`);
      }
    }
  }
});

test('compileSavefile is tcpdump -r exactly: netmask 0, savefile rules', { skip: skipTcpdump }, () => {
  const n = loadNative();
  for (const expr of ['ip broadcast', 'inbound', 'tcp port 80', 'ip6 and udp', 'tcp port']) {
    for (const [lt, snap] of [[1, 262144], [113, 65535], [0, 65535]] as const) {
      let got: Uint32Array | string;
      try {
        got = n.compileSavefile!(expr, lt, snap);
      } catch (e) {
        got = (e as Error).message;
      }
      assert.deepEqual(got, tcpdumpProgram(expr, lt, snap, true), `${expr} linktype ${lt}`);
    }
  }
  assert.throws(() => n.compile('ip broadcast', 1, 262144), /netmask not known/);
});

test('compile: the optimize argument defaults to true', { skip: skipNative }, () => {
  const n = loadNative();
  assert.deepEqual(n.compile('tcp port 80 or tcp port 80', 1, 262144), n.compile('tcp port 80 or tcp port 80', 1, 262144, true));
  assert.notDeepEqual(n.compile('tcp port 80 or tcp port 80', 1, 262144), n.compile('tcp port 80 or tcp port 80', 1, 262144, false));
});

test('compile errors are pcap_geterr text, exactly as tcpdump prints them', { skip: skipTcpdump }, () => {
  const n = loadNative();
  for (const expr of ['tcp port', 'host 999.1.1.1', 'port 99999', 'ether host 00:11', 'foo bar', 'ip[', 'proto nosuch']) {
    const want = tcpdumpProgram(expr, 1, 262144, true);
    assert.equal(typeof want, 'string', `tcpdump should reject ${expr}`);
    assert.throws(() => n.compile(expr, 1, 262144), (e: Error) => e.message === want, expr);
  }
});

test('corpus filter lists: accepted ones compile as tcpdump does, rejected ones fail with its message', { skip: skipCorpus }, () => {
  const n = loadNative();
  const read = (f: string) => fs.readFileSync(path.join(CORPUS, f), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const accept = read('filters-accept.txt');
  const reject = read('filters-reject.txt').filter((_, i) => i % 8 === 0); // a spread-out sample: one tcpdump run each
  let compiled = 0;
  for (const expr of [...accept, ...reject]) {
    const want = tcpdumpProgram(expr, 1, 262144, true);
    const got = compileOrError(n, expr, 1, 262144, true);
    assert.deepEqual(got, want, expr);
    if (typeof got !== 'string') compiled++;
  }
  assert.ok(compiled >= accept.length * 0.9, `only ${compiled} of ${accept.length} accepted expressions compiled`);
});

test('offlineFilter agrees with tcpdump -r FILE -w OUT EXPR packet by packet', { skip: skipCorpus }, () => {
  const n = loadNative();
  const files = ['tcpdump/tests/afs.pcap', 'tcpdump/tests/arp-oobr.pcap', 'tcpdump/tests/802.1ad_QinQ.pcap', 'tcpdump/tests/EIGRP_ipv6.pcap']
    .map((f) => path.join(CORPUS, f)).filter((f) => fs.existsSync(f));
  assert.ok(files.length > 0);
  const exprs = ['udp', 'tcp or icmp', 'arp', 'ip[6:2] & 0x1fff != 0', 'greater 200', 'vlan', 'ip6', 'udp port 7000 or udp port 7001'];
  let checked = 0;
  for (const f of files) {
    const { linkType, snaplen, recs } = readPcap(f);
    for (const expr of exprs) {
      const out = path.join(tmp, 'out.pcap');
      const r = spawnSync('tcpdump', ['-r', f, '-w', out, '--', expr], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const want = readPcap(out).recs.map((p) => p.data.toString('hex'));
      const prog = n.compile(expr, linkType, snaplen);
      const got = recs.filter((p) => n.offlineFilter(prog, p.data, p.capLen, p.wireLen) !== 0).map((p) => p.data.toString('hex'));
      assert.deepEqual(got, want, `${f}: ${expr}`);
      checked += recs.length;
    }
  }
  assert.ok(checked > 100);
});

test('offlineFilter returns the snapshot length kept, and 0 past the captured bytes', { skip: skipNative }, () => {
  const n = loadNative();
  // Ethernet + IPv4 + UDP 53 -> 53 (tcpdump -xx of a DNS query header).
  const pkt = Uint8Array.from(Buffer.from('ffffffffffff0000000000000800450000200001000040110000c0a80001c0a80002d4310035000c0000', 'hex'));
  const prog = n.compile('udp port 53', 1, 262144);
  assert.equal(n.offlineFilter(prog, pkt, pkt.length, pkt.length), 262144);
  assert.equal(n.offlineFilter(n.compile('udp port 53', 1, 96), pkt, pkt.length, pkt.length), 96);
  assert.equal(n.offlineFilter(n.compile('tcp', 1, 262144), pkt, pkt.length, pkt.length), 0);
  assert.equal(n.offlineFilter(prog, pkt, 20, 100), 0, 'cut before the IP header');
  assert.throws(() => n.offlineFilter(prog, pkt, pkt.length + 1, 100), RangeError);
});

test('validate: compiled programs pass, broken ones do not', { skip: skipNative }, () => {
  const n = loadNative();
  for (const e of ['tcp port 80', 'icmp', 'ip[0] & 0xf > 5']) assert.equal(n.validate(n.compile(e, 1, 262144)), true, e);
  const BPF_RET_K = 0x06;
  const BPF_JMP_JA = 0x05;
  const BPF_ALU_DIV_K = 0x34;
  assert.equal(n.validate(new Uint32Array([BPF_RET_K, 0, 0, 1])), true);
  assert.equal(n.validate(new Uint32Array([])), false, 'empty');
  assert.equal(n.validate(new Uint32Array([BPF_JMP_JA, 0, 0, 5, BPF_RET_K, 0, 0, 0])), false, 'jump out of the program');
  assert.equal(n.validate(new Uint32Array([BPF_ALU_DIV_K, 0, 0, 0, BPF_RET_K, 0, 0, 0])), false, 'division by constant 0');
  assert.equal(n.validate(new Uint32Array([0x28, 0, 0, 12])), false, 'no return at the end');
  assert.throws(() => n.validate(new Uint32Array(3)), RangeError);
  assert.throws(() => n.offlineFilter(new Uint32Array([BPF_JMP_JA, 0, 0, 5]), new Uint8Array(4), 4, 4), /invalid BPF program/);
});

test('findAllDevs lists lo as up and loopback, with 127.0.0.1', { skip: skipNative }, () => {
  const devs = loadNative().findAllDevs();
  const lo = devs.find((d) => d.name === 'lo');
  assert.ok(lo, 'lo is listed');
  assert.equal(lo.flags & 0x1, 0x1);
  assert.ok(lo.addresses.some((a) => a.family === 'inet' && a.addr === '127.0.0.1' && a.netmask === '255.0.0.0'));
});

test('portscope dump -D prints what tcpdump -D prints', { skip: skipTcpdump }, () => {
  const main = path.resolve(__dirname, '../src/cli/main.js');
  const ours = spawnSync(process.execPath, [main, 'dump', '-D'], { encoding: 'utf8' });
  const theirs = spawnSync('tcpdump', ['-D'], { encoding: 'utf8' });
  assert.equal(ours.status, theirs.status);
  assert.equal(ours.stdout, theirs.stdout);
});

const skipUnshare =
  process.getuid?.() !== 0 ? 'needs root (mount namespace)' : spawnSync('unshare', ['--version']).status !== 0 ? 'unshare not installed' : false;
const ROOT = path.resolve(__dirname, '../..');

test('without the built addon: one line saying what to install, exit 1', { skip: skipUnshare, timeout: 30_000 }, () => {
  // A private mount namespace hides native/build from this one command only.
  const script = `mount -t tmpfs tmpfs "$1/native/build" && exec "$2" "$1/dist/src/cli/main.js" dump -i lo`;
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', ROOT, process.execPath], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, 'portscope: filters and live capture need libpcap: apt-get install libpcap-dev, then npm rebuild (or npm run build:native)\n');
});

test('install hook without libpcap headers: one warning line, exit 0', { skip: skipUnshare, timeout: 30_000 }, () => {
  const script = `mount -t tmpfs tmpfs /usr/include/pcap && exec "$2" "$1/scripts/build-native.js"`;
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', ROOT, process.execPath], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^portscope: warning: libpcap headers \(pcap\/pcap\.h\) not found, not building the libpcap addon; .*apt-get install libpcap-dev[^\n]*\n$/);
});
