// portscope audit: this host's listening sockets (from /proc/net, checked against `ss`) against
// the services of a profile: used, never used, loopback only, observed without a listener.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import * as dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';
import { readListeners, parseProcNet } from '../src/cli/audit';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.resolve(__dirname, '../src/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-audit-'));
const closers: (() => void)[] = [];
after(() => {
  for (const c of closers) c();
  fs.rmSync(tmp, { recursive: true, force: true });
});
const linux = fs.existsSync('/proc/net/tcp') ? false : 'needs Linux /proc/net';

function listenTcp(host: string): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, host, () => resolve((s.address() as net.AddressInfo).port));
    closers.push(() => s.close());
  });
}

function bindUdp(): Promise<number> {
  return new Promise((resolve) => {
    const u = dgram.createSocket('udp4');
    u.bind(0, '0.0.0.0', () => resolve(u.address().port));
    closers.push(() => u.close());
  });
}

test('/proc/net parsing: a fixed table (IPv4 and IPv6 LISTEN, bound UDP, connected sockets skipped)', () => {
  const t4 = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0
   1: 0200000A:0016 0300000A:D431 01 00000000:00000000 00:00000000 00000000     0        0 112 1 0 100 0 0 10 0
`;
  assert.deepEqual(parseProcNet(t4, 'tcp', 4).map((l) => `${l.address}:${l.port}/${l.inode}`), ['127.0.0.1:3306/111']);
  const t6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 113 1 0 100 0 0 10 0
   1: 000080FE00000000FF009900930200FE:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 114 1 0 100 0 0 10 0
`;
  assert.deepEqual(parseProcNet(t6, 'tcp', 6).map((l) => `[${l.address}]:${l.port}`), ['[::]:80', '[fe80::99:ff:fe00:293]:443']);
  const u4 = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  10: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 115 2 0 0
  11: 0200000A:A1B2 0100000A:0035 01 00000000:00000000 00:00000000 00000000     0        0 116 2 0 0
`;
  assert.deepEqual(parseProcNet(u4, 'udp', 4).map((l) => `${l.address}:${l.port}`), ['0.0.0.0:53']);
});

test('readListeners agrees with ss (TCP LISTEN and bound UDP) and names this process as owner', { skip: linux }, async () => {
  const p = await listenTcp('0.0.0.0');
  const u = await bindUdp();
  const ls = readListeners();
  const ssOk = spawnSync('ss', ['-V'], { stdio: 'ignore' }).status === 0;
  if (ssOk) {
    const ports = (args: string[]) =>
      new Set(spawnSync('ss', ['-Hn', ...args], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map((l) => Number(/:(\d+)\s/.exec(l.split(/\s+/).slice(3, 4).join(' ') + ' ')?.[1])));
    const tcpSs = ports(['-lt']);
    const tcpOurs = new Set(ls.filter((l) => l.proto === 'tcp').map((l) => l.port));
    assert.ok([...tcpOurs].every((x) => tcpSs.has(x)) && [...tcpSs].every((x) => tcpOurs.has(x)), `tcp: ours ${[...tcpOurs]} ss ${[...tcpSs]}`);
  }
  const mine = ls.find((l) => l.proto === 'tcp' && l.port === p)!;
  assert.ok(mine, 'our TCP listener');
  assert.equal(mine.address, '0.0.0.0');
  if (process.getuid?.() === 0) assert.ok(mine.processes.some((x) => x.endsWith(`(${process.pid})`)), JSON.stringify(mine.processes));
  assert.ok(ls.some((l) => l.proto === 'udp' && l.port === u));
});

test('portscope audit: used, never used, loopback only, observed without a listener', { skip: linux }, async () => {
  const used = await listenTcp('0.0.0.0');
  const unused = await listenTcp('0.0.0.0');
  const loop = await listenTcp('127.0.0.1');
  const udp = await bindUdp();
  // a port nothing listens on: bind, note, close
  const gone = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '0.0.0.0', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
  const prof = path.join(tmp, 'p.json');
  const r0 = spawnSync(process.execPath, [MAIN, 'profile', '-r', path.join(ROOT, 'fixtures/scan.pcap'), '-o', prof], { encoding: 'utf8' });
  assert.equal(r0.status, 0, r0.stderr);
  const doc = JSON.parse(fs.readFileSync(prof, 'utf8'));
  const svc = (proto: string, port: number, host = '192.0.2.10') => ({ ...doc.services[0], host, proto, port, service: '', packets: 10, clients: 2 });
  doc.services = [svc('tcp', used), svc('udp', udp), svc('tcp', gone), svc('tcp', unused, '198.51.100.1')];
  fs.writeFileSync(prof, JSON.stringify(doc));
  const r = spawnSync(process.execPath, [MAIN, 'audit', prof, '--address', '192.0.2.10', '--format', 'json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const a = JSON.parse(r.stdout);
  const ports = (xs: { port: number; proto: string }[]) => xs.map((x) => `${x.proto}/${x.port}`);
  assert.ok(ports(a.used.map((u: { listener: { port: number; proto: string } }) => u.listener)).includes(`tcp/${used}`));
  assert.ok(ports(a.used.map((u: { listener: { port: number; proto: string } }) => u.listener)).includes(`udp/${udp}`));
  assert.ok(ports(a.unused).includes(`tcp/${unused}`), 'served by another host in the profile: unused here');
  assert.ok(ports(a.loopback).includes(`tcp/${loop}`));
  assert.deepEqual(ports(a.unlistened), [`tcp/${gone}`]);
  const t = spawnSync(process.execPath, [MAIN, 'audit', prof, '--address', '192.0.2.10'], { encoding: 'utf8' });
  assert.equal(t.status, 0);
  assert.match(t.stdout, new RegExp(`listening but never used, candidates to close \\(\\d+\\):[^]*tcp 0\\.0\\.0\\.0:${unused} `));
  assert.match(t.stdout, new RegExp(`observed on this host without a listener \\(1\\):\\n  tcp 192\\.0\\.2\\.10:${gone} -: 10 packets, 2 clients`));
  const bad = spawnSync(process.execPath, [MAIN, 'audit', prof, '--address', 'nope'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});
