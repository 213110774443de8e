// `portscope dump -d/-dd/-ddd [-O] -y LINKTYPE EXPR` and `-r FILE -d EXPR` against the real
// tcpdump: stdout byte for byte, the stderr line and the exit status (also for an unknown link-type
// name and a bad expression).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { haveTool } from './filter-support';
import { nativeAvailable, loadNative } from '../native/index';
import { formatProgram } from '../src/filter/index';

const MAIN = path.resolve(__dirname, '../src/cli/main.js');
const SLL = path.resolve(__dirname, '../../fixtures/sll.pcap');
const skip = !haveTool('tcpdump')
  ? 'tcpdump not installed'
  : !nativeAvailable()
    ? 'the libpcap addon is not built'
    : false;

function run(cmd: 'portscope' | 'tcpdump', args: string[]): { out: string; err: string; status: number } {
  const r =
    cmd === 'portscope'
      ? spawnSync(process.execPath, [MAIN, 'dump', ...args], { encoding: 'latin1' })
      : spawnSync('tcpdump', args, { encoding: 'latin1' });
  return { out: r.stdout, err: r.stderr, status: r.status ?? -1 };
}

/** Same stdout, exit status and stderr (tcpdump's "tcpdump: " prefix read as "portscope: "). */
function same(args: string[]): void {
  const ours = run('portscope', args);
  const theirs = run('tcpdump', args);
  assert.equal(ours.status, theirs.status, `exit status of ${args.join(' ')}: ${ours.err}`);
  assert.equal(ours.out, theirs.out, `stdout of ${args.join(' ')}`);
  assert.equal(ours.err, theirs.err.replace(/^tcpdump: /gm, 'portscope: '), `stderr of ${args.join(' ')}`);
}

const EXPRS = [
  'tcp port 80',
  'udp and (port 53 or port 123)',
  'icmp or icmp6',
  'host 10.1.2.3 and not port 22',
  'net 192.168.0.0/16',
  'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn',
  'ip6 and tcp portrange 1000-2000',
  'vlan and ip',
  'ether host 00:11:22:33:44:55',
  'len > 100 and ip[8] < 64',
  'ip broadcast',
  '',
];

describe('portscope dump -d against tcpdump -d', { skip }, () => {
  for (const expr of EXPRS) {
    const words = expr === '' ? [] : [expr];
    test(`-d/-dd/-ddd [-O] -y EN10MB '${expr}'`, () => {
      for (const d of ['-d', '-dd', '-ddd']) {
        same([d, '-y', 'EN10MB', ...words]);
        same([d, '-O', '-y', 'EN10MB', ...words]);
      }
    });
    test(`-r fixtures/sll.pcap -d '${expr}'`, () => {
      same(['-r', SLL, '-d', ...words]);
      same(['-r', SLL, '-ddd', '-O', ...words]);
    });
  }
  test('other link types and snaplen: -y RAW, -y LINUX_SLL, -s 100', () => {
    same(['-d', '-y', 'RAW', 'ip and tcp']);
    same(['-dd', '-y', 'LINUX_SLL', 'udp port 53']);
    same(['-d', '-s', '100', '-y', 'EN10MB', 'tcp']);
  });
  test('without -r, -i or -y: Ethernet, with "Warning: assuming Ethernet" as tcpdump', () => {
    same(['-d', 'tcp']);
  });
  test('unknown link type and bad expression: tcpdump\'s message, exit 1', () => {
    same(['-d', '-y', 'NOSUCHTYPE', 'tcp']);
    same(['-d', '-y', 'EN10MB', 'tcp', 'port', 'bogus']);
    same(['-d', '-y', 'EN10MB', 'foo', 'bar']);
  });
  test('the optimizer makes a difference (-O is not ignored)', () => {
    const opt = run('portscope', ['-ddd', '-y', 'EN10MB', 'tcp or udp']).out;
    const noopt = run('portscope', ['-ddd', '-O', '-y', 'EN10MB', 'tcp or udp']).out;
    assert.notEqual(opt, noopt);
  });
});

test('formatProgram: -dd and -ddd forms of a two-instruction program', () => {
  const prog = Uint32Array.from([0x28, 0, 0, 12, 0x6, 0, 0, 262144]);
  const image = (): string[] => ['A', 'B'];
  assert.equal(formatProgram(prog, 1, image), 'A\nB\n');
  assert.equal(formatProgram(prog, 2, image), '{ 0x28, 0, 0, 0x0000000c },\n{ 0x6, 0, 0, 0x00040000 },\n');
  assert.equal(formatProgram(prog, 3, image), '2\n40 0 0 12\n6 0 0 262144\n');
  assert.equal(formatProgram(prog, 4, image), formatProgram(prog, 3, image));
});

test('addon image() is bpf_image: "(000) ret      #0"', { skip }, () => {
  const n = loadNative();
  assert.deepEqual(n.image!(Uint32Array.from([0x6, 0, 0, 0])), ['(000) ret      #0']);
  assert.equal(n.datalinkNameToVal!('EN10MB'), 1);
  assert.equal(n.datalinkNameToVal!('NOSUCHTYPE'), -1);
});
