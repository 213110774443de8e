// scripts/gen-capture.ts (the benchmark's synthetic capture): deterministic, and the real tcpdump and
// tshark read what it writes as the traffic mix it promises.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateCapture } from '../scripts/gen-capture';

const skip = spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status !== 0 ? 'tcpdump is not installed' : false;
const N = 20_000;

function tdCount(file: string, expr: string): number {
  const r = spawnSync('tcpdump', ['-r', file, '--count', ...(expr ? [expr] : [])], { encoding: 'latin1' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /truncated|cut short|error/i);
  const m = /^(\d+) packets?$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  return Number(m![1]);
}

test('gen-capture: same seed, same bytes; tcpdump reads the mix it promises', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-gen-'));
  try {
    const a = path.join(dir, 'a.pcap'), b = path.join(dir, 'b.pcap'), c = path.join(dir, 'c.pcap');
    const size = generateCapture(a, { count: N, flows: 1000, seed: 7 });
    assert.equal(fs.statSync(a).size, size);
    generateCapture(b, { count: N, flows: 1000, seed: 7 });
    generateCapture(c, { count: N, flows: 1000, seed: 8 });
    assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)), 'deterministic');
    assert.ok(!fs.readFileSync(a).equals(fs.readFileSync(c)), 'the seed matters');
    assert.equal(tdCount(a, ''), N);
    const tcp4 = tdCount(a, 'ip and tcp'), udp4 = tdCount(a, 'ip and udp'), ip6 = tdCount(a, 'ip6');
    const icmp = tdCount(a, 'icmp');
    assert.equal(tcp4 + udp4 + ip6 + icmp, N, 'only IPv4 TCP/UDP/ICMP and IPv6');
    assert.ok(tcp4 > N * 0.4 && udp4 > N * 0.05 && ip6 > N * 0.02, `mix ${tcp4}/${udp4}/${ip6}/${icmp}`);
    assert.ok(tdCount(a, 'tcp port 80') > N * 0.05);
    assert.ok(tdCount(a, 'tcp port 443') > N * 0.05);
    assert.ok(tdCount(a, 'udp port 53') > 0);
    assert.ok(tdCount(a, 'tcp[tcpflags] & tcp-syn != 0') > 0);
    assert.equal(tdCount(a, 'greater 75'), 0, 'small frames only');
    // IPv4 header checksums are right: tcpdump -v flags bad ones.
    const v = spawnSync('tcpdump', ['-v', '-n', '-c', '2000', '-r', a, 'ip'], { encoding: 'latin1' });
    assert.equal(v.status, 0);
    assert.doesNotMatch(v.stdout, /bad cksum/);
    // Many flows: distinct client addresses grow with --flows.
    generateCapture(c, { count: N, flows: 1_000_000, seed: 7 });
    const hosts = spawnSync('tcpdump', ['-n', '-q', '-r', c, 'ip and tcp and dst port 443'], { encoding: 'latin1', maxBuffer: 64 << 20 });
    const clients = new Set(hosts.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[2].replace(/\.\d+$/, '')));
    assert.ok(clients.size > 1000, `${clients.size} distinct clients`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
