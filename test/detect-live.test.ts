// Live scan detection with the real nmap: two network namespaces joined by a veth pair (created
// and always deleted here), a target with a few real services, portscope capturing live on the
// target's interface. A client that only browses and resolves names first (no alert), then
// nmap -sS, -sT, -sF, -sN, -sX, -sU, each a separate episode: one alert per scan, with the
// scanner, the target and the technique. Then a ping sweep, nmap -sn -PE --send-ip, over a routed
// /24 with no hosts (the scanner's peer namespace routes it into a blackhole), captured on the
// scanner's veth: one address-scan, technique PING.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { nativeAvailable } from '../native/index';
import { Bg, VethPair, liveSkipReason, run, sleep } from './live-support';

const MAIN = path.resolve(__dirname, '../src/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-nmap-'));
const veth = new VethPair(`psn${process.pid % 100000}`, 180 + (process.pid % 60));
const sweepVeth = new VethPair(`psp${process.pid % 100000}`, 120 + (process.pid % 60));
after(() => {
  veth.remove();
  sweepVeth.remove();
  fs.rmSync(tmp, { recursive: true, force: true });
});
const skip = liveSkipReason(nativeAvailable()) || (spawnSync('nmap', ['--version'], { stdio: 'ignore' }).status !== 0 ? 'nmap not installed' : false);

/** Target services: TCP 22, 80, 8080 (answer then close), UDP 53 (echo). */
const SERVERS = `
const net = require('net'), dgram = require('dgram');
for (const p of [22, 80, 8080]) net.createServer((s) => { s.on('data', (d) => s.end(d)); s.on('error', () => {}); }).listen(p);
const u = dgram.createSocket('udp4'); u.on('message', (m, r) => u.send(m, r.port, r.address)); u.bind(53);
setTimeout(() => process.stderr.write('ready\\n'), 200);
`;

/** A browsing client: HTTP-like requests to 80 and 8080, name queries to 53. */
const CLIENT = `
const net = require('net'), dgram = require('dgram');
const host = process.argv[1];
(async () => {
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => { const u = dgram.createSocket('udp4'); u.on('message', () => { u.close(); r(); }); u.send('query ' + i, 53, host); setTimeout(r, 1000); });
    for (const port of [80, 8080]) await new Promise((r) => { const s = net.connect(port, host, () => s.write('GET / HTTP/1.0\\r\\n\\r\\n')); s.on('data', () => {}); s.on('close', r); s.on('error', r); });
  }
  process.stdout.write('done');
})();
`;

const SCANS: [string, string][] = [
  ['-sS', 'SYN'],
  ['-sT', 'CONNECT'],
  ['-sF', 'FIN'],
  ['-sN', 'NULL'],
  ['-sX', 'XMAS'],
  ['-sU', 'UDP'],
];

test('nmap -sS -sT -sF -sN -sX -sU captured live: one alert each, right scanner and technique; a browsing client raises none', { skip, timeout: 240_000 }, async () => {
  veth.create();
  // no ICMP rate limit on the target, so a UDP scan sees every port unreachable
  run('ip', ['netns', 'exec', veth.nsB, 'sysctl', '-qw', 'net.ipv4.icmp_ratelimit=0']);
  const servers = new Bg('ip', ['netns', 'exec', veth.nsB, process.execPath, '-e', SERVERS]);
  const nd = path.join(tmp, 'alerts.ndjson');
  let cap: Bg | null = null;
  try {
    await servers.waitFor(/ready/);
    cap = new Bg('ip', ['netns', 'exec', veth.nsB, process.execPath, MAIN, 'dump', '-i', veth.ifB, '--count', '--alerts', '--alerts-json', nd, '--scan-window', '2', '--scan-timeout', '1']);
    await cap.waitFor(/listening on/);
    const c = spawnSync('ip', ['netns', 'exec', veth.nsA, process.execPath, '-e', CLIENT, veth.ipB], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(c.stdout, 'done', c.stderr);
    await sleep(3000);
    assert.equal(cap.stderr.match(/portscope: alert: /g)?.length ?? 0, 0, `browsing raised an alert: ${cap.stderr}`);
    for (const [flag] of SCANS) {
      const r = spawnSync('ip', ['netns', 'exec', veth.nsA, 'nmap', '-n', '-Pn', '-T4', '--max-retries', '1', '-p', '1-150', flag, veth.ipB], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, `nmap ${flag}: ${r.stderr}`);
      if (flag === '-sS') assert.match(r.stdout, /22\/tcp\s+open/);
      await sleep(3000); // more than --scan-window: the next scan is a new episode
    }
  } finally {
    if (cap) await cap.stop('SIGINT');
    await servers.stop('SIGTERM');
    veth.remove();
  }
  const lines = cap!.stderr.split('\n').filter((l) => l.startsWith('portscope: alert: '));
  assert.equal(lines.length, SCANS.length, cap!.stderr);
  const alerts = fs.readFileSync(nd, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(alerts.length, SCANS.length, JSON.stringify(alerts.map((a) => a.message), null, 1));
  alerts.forEach((a, i) => {
    assert.equal(a.type, 'port-scan', a.message);
    assert.equal(a.scanner, veth.ipA, a.message);
    assert.equal(a.target, veth.ipB, a.message);
    assert.equal(a.technique, SCANS[i][1], `nmap ${SCANS[i][0]}: ${a.message}`);
    assert.equal(a.final, true);
    assert.equal(a.ports, 150, `ports 1-150: ${a.message}`);
    assert.ok(a.failedPorts >= 147, `at most the 3 open ports answer: ${a.message}`);
  });
});

test('nmap -sn -PE --send-ip over a routed /24 with no hosts, captured on the scanner veth: one address-scan, technique PING', { skip, timeout: 120_000 }, async () => {
  const v = sweepVeth;
  const net = v.ipA.replace(/^10\.77\./, '10.78.').replace(/\.1$/, '.0/24');
  v.create();
  // B is the router: it forwards the /24 into a blackhole (no ICMP back), so the echo requests
  // leave A's veth (a directly attached /24 would stop at ARP)
  run('ip', ['netns', 'exec', v.nsB, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  run('ip', ['-n', v.nsB, 'route', 'add', 'blackhole', net]);
  run('ip', ['-n', v.nsA, 'route', 'add', net, 'via', v.ipB]);
  const nd = path.join(tmp, 'sweep.ndjson');
  const pcap = path.join(tmp, 'sweep.pcap');
  let cap: Bg | null = null;
  let r;
  try {
    cap = new Bg('ip', ['netns', 'exec', v.nsA, process.execPath, MAIN, 'dump', '-i', v.ifA, '-w', pcap, '--alerts', '--alerts-json', nd, '--scan-timeout', '1']);
    await cap.waitFor(/listening on/);
    r = spawnSync('ip', ['netns', 'exec', v.nsA, 'nmap', '-n', '-sn', '-PE', '--send-ip', '-T5', '--max-retries', '0', '--max-rtt-timeout', '200ms', net], { encoding: 'utf8', timeout: 60_000 });
    await sleep(1500);
  } finally {
    if (cap) await cap.stop('SIGINT');
    v.remove();
  }
  assert.equal(r!.status, 0, `nmap: ${r!.stderr}`);
  assert.match(r!.stdout, /256 IP addresses \(0 hosts up\)/);
  // oracle: the echo requests tcpdump reads from what portscope wrote
  const td = spawnSync('tcpdump', ['-nr', pcap, `src ${v.ipA} and icmp[icmptype] == icmp-echo`], { encoding: 'utf8' });
  assert.equal(td.status, 0, td.stderr);
  const targets = new Set([...td.stdout.matchAll(/ > (10\.78\.\d+\.\d+): ICMP echo request/g)].map((m) => m[1]));
  assert.ok(targets.size >= 100, `echo requests to ${targets.size} addresses`);
  const lines = cap!.stderr.split('\n').filter((l) => l.startsWith('portscope: alert: '));
  assert.equal(lines.length, 1, cap!.stderr);
  assert.doesNotMatch(lines[0].slice('portscope: alert: '.length), /port/, lines[0]);
  const alerts = fs.readFileSync(nd, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(alerts.length, 1, JSON.stringify(alerts.map((a) => a.message), null, 1));
  const a = alerts[0];
  assert.equal(a.type, 'address-scan', a.message);
  assert.equal(a.scanner, v.ipA, a.message);
  assert.equal(a.technique, 'PING', a.message);
  assert.deepEqual(Object.keys(a.techniques), ['PING'], a.message);
  assert.equal(a.ports, 0, a.message);
  assert.equal(a.final, true);
  assert.ok(Math.abs(a.targetCount - targets.size) <= targets.size * 0.25, `${a.targetCount} targets, tcpdump ${targets.size}: ${a.message}`);
  for (const t of a.targets) assert.ok(targets.has(t), `${t} was pinged`);
});
