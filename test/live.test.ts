// Live capture against the real tcpdump capturing the same interface at the same time: same
// packets, same bytes, time stamps within 100 us. Runs as root; creates (and always deletes)
// network namespaces joined by a veth pair. Every wait is bounded.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { spawnSync } from 'node:child_process';
import { nativeAvailable } from '../native/index';
import { LiveSource, summaryText, liveOptions } from '../src/capture/live';
import { CaptureError } from '../src/capture/batch';
import { parseDumpArgs } from '../src/cli/dump';
import { Bg, VethPair, liveSkipReason, readPcap, run, sleep, type PcapRecord } from './live-support';

const MAIN = path.resolve(__dirname, '../src/cli/main.js');
const skip = liveSkipReason(nativeAvailable());
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-live-'));
fs.chmodSync(tmp, 0o777);
const veth = new VethPair(`pst${process.pid % 100000}`, 100 + (process.pid % 150));
after(() => {
  veth.remove();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A port pair unlikely to collide with other tests on lo. */
const PORT = 20000 + (process.pid % 20000);

function portscope(args: string[], prefix: [string, string[]] | null = null): Bg {
  return prefix ? new Bg(prefix[0], [...prefix[1], process.execPath, MAIN, ...args]) : new Bg(process.execPath, [MAIN, ...args]);
}

function tcpdump(args: string[], prefix: [string, string[]] | null = null): Bg {
  return prefix ? new Bg(prefix[0], [...prefix[1], 'tcpdump', ...args]) : new Bg('tcpdump', args);
}

/** Asserts the same packets (bytes, lengths) in the same order, time stamps within `tolNs`. */
function assertSameCapture(ours: PcapRecord[], theirs: PcapRecord[], tolNs: number, what: string): void {
  assert.ok(theirs.length > 0, `${what}: tcpdump captured nothing`);
  assert.equal(ours.length, theirs.length, `${what}: packet count`);
  let worst = 0;
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i];
    const b = theirs[i];
    assert.equal(a.capLen, b.capLen, `${what}: packet ${i + 1} captured length`);
    assert.equal(a.wireLen, b.wireLen, `${what}: packet ${i + 1} wire length`);
    assert.ok(a.data.equals(b.data), `${what}: packet ${i + 1} bytes differ`);
    const d = Math.abs((a.tsSec - b.tsSec) * 1e9 + (a.tsNsec - b.tsNsec));
    worst = Math.max(worst, d);
  }
  assert.ok(worst <= tolNs, `${what}: time stamps differ by up to ${worst} ns`);
}

/** UDP datagrams and one TCP exchange from this process to 127.0.0.1 (ports PORT, PORT+1). */
async function loTraffic(n: number): Promise<void> {
  const sock = dgram.createSocket('udp4');
  for (let i = 0; i < n; i++) {
    await new Promise<void>((r) => sock.send(Buffer.from(`portscope live test ${i} `.repeat(1 + (i % 7))), PORT, '127.0.0.1', () => r()));
  }
  sock.close();
  const server = net.createServer((c) => {
    c.resume();
    c.end('pong');
  });
  await new Promise<void>((r) => server.listen(PORT + 1, '127.0.0.1', () => r()));
  await new Promise<void>((resolve, reject) => {
    const c = net.connect(PORT + 1, '127.0.0.1', () => c.write('ping'));
    c.on('data', () => undefined);
    c.on('close', () => resolve());
    c.on('error', reject);
  });
  await new Promise<void>((r) => server.close(() => r()));
}

/** Runs portscope and tcpdump with the same arguments, traffic in between; returns both. */
async function captureBoth(args: string[], traffic: () => Promise<void>, prefix: [string, string[]] | null = null) {
  const ourFile = path.join(tmp, `ours-${Date.now()}.pcap`);
  const theirFile = path.join(tmp, `theirs-${Date.now()}.pcap`);
  const ours = portscope(['dump', '-w', ourFile, ...args], prefix);
  const theirs = tcpdump(['-w', theirFile, ...args], prefix);
  try {
    await Promise.all([ours.waitFor(/listening on/), theirs.waitFor(/listening on/)]);
    await sleep(200);
    await traffic();
    await sleep(1500); // past the 1 s buffer timeout: the kernel hands over the last block
  } finally {
    await Promise.all([ours.stop('SIGINT'), theirs.stop('SIGINT')]);
  }
  return { ours, theirs, ourPcap: readPcap(ourFile), theirPcap: readPcap(theirFile) };
}

test('lo: same packets, bytes and time stamps as tcpdump (UDP + TCP)', { skip, timeout: 60_000 }, async () => {
  const filter = `port ${PORT} or port ${PORT + 1}`;
  const r = await captureBoth(['-i', 'lo', filter], () => loTraffic(50));
  assert.equal((await r.ours.exited).code, 0, r.ours.stderr);
  assert.equal(r.ourPcap.linkType, 1);
  assert.ok(r.theirPcap.recs.length >= 50 + 6, `tcpdump saw ${r.theirPcap.recs.length}`);
  assertSameCapture(r.ourPcap.recs, r.theirPcap.recs, 100_000, 'lo');
  // The summary counts what was written.
  assert.match(r.ours.stderr, new RegExp(`^${r.ourPcap.recs.length} packets captured$`, 'm'));
});

test('lo: nanosecond precision and a 96-byte snaplen match tcpdump', { skip, timeout: 60_000 }, async () => {
  const args = ['-i', 'lo', '--immediate-mode', '--time-stamp-precision', 'nano', '-s', '96', `udp port ${PORT}`];
  const r = await captureBoth(args, () => loTraffic(20));
  assert.equal(r.ourPcap.nano, true);
  assert.equal(r.ourPcap.snaplen, 96);
  assert.ok(r.ourPcap.recs.some((p) => p.capLen === 96 && p.wireLen > 96), 'some packets were cut at 96 bytes');
  assertSameCapture(r.ourPcap.recs, r.theirPcap.recs, 100_000, 'lo nano');
  assert.match(r.ours.stderr, /^portscope: listening on lo, link-type EN10MB \(Ethernet\), snapshot length 96 bytes$/m);
});

test('veth in namespaces: ping, UDP and TCP match tcpdump; no promiscuous mode (-p)', { skip, timeout: 90_000 }, async () => {
  veth.create();
  const srv = new Bg(...veth.exec('b', process.execPath, '-e',
    `const s=require('net').createServer(c=>{c.on('data',d=>c.write(d));c.on('end',()=>c.end())}).listen(7777,()=>console.error('ready'));` +
    `const u=require('dgram').createSocket('udp4');u.on('message',(m,r)=>u.send(m,r.port,r.address));u.bind(7778);setTimeout(()=>process.exit(0),60000);`));
  try {
    await srv.waitFor(/ready/);
    const traffic = async () => {
      run(...veth.exec('a', 'ping', '-c', '3', '-i', '0.2', '-W', '1', veth.ipB));
      run(...veth.exec('a', process.execPath, '-e',
        `const u=require('dgram').createSocket('udp4');let n=0;u.on('message',()=>{if(++n===20){u.close();` +
        `const c=require('net').connect(7777,'${veth.ipB}',()=>{c.write(Buffer.alloc(3000,65));c.end()});c.on('data',()=>{});c.on('close',()=>process.exit(0));}});` +
        `for(let i=0;i<20;i++)u.send(Buffer.alloc(10+i*50,i),7778,'${veth.ipB}');setTimeout(()=>process.exit(1),10000);`));
    };
    const r = await captureBoth(['-i', veth.ifA, '-p', `host ${veth.ipB}`], traffic, veth.exec('a', 'env'));
    assert.equal((await r.ours.exited).code, 0, r.ours.stderr);
    assert.ok(r.theirPcap.recs.length >= 6 + 40 + 6, `tcpdump saw ${r.theirPcap.recs.length}`);
    assertSameCapture(r.ourPcap.recs, r.theirPcap.recs, 100_000, veth.ifA);
  } finally {
    await srv.stop('SIGTERM');
    veth.remove();
  }
});

test('SIGINT and SIGTERM stop cleanly with tcpdump\'s summary; -c N stops after N', { skip, timeout: 60_000 }, async () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const p = portscope(['dump', '-i', 'lo', '--count', `udp port ${PORT}`]);
    await p.waitFor(/listening on/);
    const r = await p.stop(sig);
    assert.equal(r.code, 0, p.stderr);
    assert.match(p.stderr, /\n0 packets captured\n\d+ packets? received by filter\n\d+ packets? dropped by kernel\n$/, sig);
  }
  const p = portscope(['dump', '-i', 'lo', '-c', '3', '-w', path.join(tmp, 'c3.pcap'), `udp port ${PORT}`]);
  await p.waitFor(/listening on/);
  await sleep(100);
  await loTraffic(10);
  const deadline = setTimeout(() => p.proc.kill('SIGKILL'), 10_000);
  const r = await p.exited;
  clearTimeout(deadline);
  assert.equal(r.code, 0, p.stderr);
  assert.match(p.stderr, /\n3 packets captured\n/);
  assert.equal(readPcap(path.join(tmp, 'c3.pcap')).recs.length, 3);
});

test('SIGUSR1 prints tcpdump\'s one-line statistics and capture goes on', { skip, timeout: 30_000 }, async () => {
  const p = portscope(['dump', '-i', 'lo', '-w', path.join(tmp, 'usr1.pcap'), `udp port ${PORT}`]);
  await p.waitFor(/listening on/);
  p.proc.kill('SIGUSR1');
  await p.waitFor(/^portscope: \d+ packets? captured, \d+ packets? received by filter, \d+ packets? dropped by kernel$/m, 5_000);
  const r = await p.stop('SIGINT');
  assert.equal(r.code, 0, p.stderr);
  assert.match(p.stderr, /\n0 packets captured\n/);
});

test('summary text is tcpdump\'s, with singular forms', () => {
  assert.equal(summaryText(1, { received: 2, dropped: 0, ifDropped: 0 }),
    '1 packet captured\n2 packets received by filter\n0 packets dropped by kernel\n');
  assert.equal(summaryText(5, { received: 9, dropped: 1, ifDropped: 3 }),
    '5 packets captured\n9 packets received by filter\n1 packet dropped by kernel\n3 packets dropped by interface\n');
});

test('live -w with -C rotates files like tcpdump (NAME, NAME1, NAME2)', { skip, timeout: 60_000 }, async () => {
  const base = path.join(tmp, 'rot.pcap');
  const p = portscope(['dump', '-i', 'lo', '-C', '1', '-w', base, `udp port ${PORT}`]);
  await p.waitFor(/listening on/);
  const sock = dgram.createSocket('udp4');
  const payload = Buffer.alloc(1400, 7);
  for (let i = 0; i < 2500; i++) {
    await new Promise<void>((r) => sock.send(payload, PORT, '127.0.0.1', () => r()));
    if (i % 200 === 0) await sleep(5);
  }
  sock.close();
  await sleep(1500);
  await p.stop('SIGINT');
  const files = [base, `${base}1`, `${base}2`];
  for (const f of files) assert.ok(fs.existsSync(f), `${f} exists`);
  let total = 0;
  for (const f of fs.readdirSync(tmp).filter((n) => n.startsWith('rot.pcap'))) {
    const size = fs.statSync(path.join(tmp, f)).size;
    assert.ok(size <= 1_000_000 + 1500, `${f}: ${size} bytes`);
    total += readPcap(path.join(tmp, f)).recs.length;
  }
  const m = /^(\d+) packets captured$/m.exec(p.stderr);
  assert.ok(m, p.stderr);
  assert.equal(total, Number(m[1]));
  assert.ok(total >= 2400, `captured ${total} of 2500`);
});

test('bad interface: one line like tcpdump\'s, exit 1', { skip, timeout: 20_000 }, () => {
  const r = spawnSync(process.execPath, [MAIN, 'dump', '-i', 'nosuchif0'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^portscope: nosuchif0: No such device exists[^\n]*\n$/);
});

test('bad filter: libpcap\'s message exactly as tcpdump prints it, exit 1', { skip, timeout: 20_000 }, () => {
  for (const expr of ['tcp port', 'host 999.1.1.1', 'ether proto nosuch']) {
    const ours = spawnSync(process.execPath, [MAIN, 'dump', '-i', 'lo', expr], { encoding: 'utf8', timeout: 10_000 });
    const theirs = spawnSync('tcpdump', ['-i', 'lo', expr], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(ours.status, 1);
    assert.equal(ours.stderr.replace(/^portscope: /, ''), theirs.stderr.trim().split('\n').pop()!.replace(/^tcpdump: /, '') + '\n', expr);
  }
});

test('bad option values: tcpdump\'s messages, exit 1, nothing opened', { skip: skip || false }, () => {
  const cases: [string[], RegExp][] = [
    [['-s', 'x'], /^portscope: invalid snaplen x \(must be >= 0 and <= 262144\)\n$/],
    [['-s', '999999'], /^portscope: invalid snaplen 999999/],
    [['-B', 'x'], /^portscope: invalid packet buffer size x\n$/],
    [['--time-stamp-precision', 'pico'], /^portscope: unsupported time stamp precision\n$/],
    [['-Z', 'no-such-user-x'], /^portscope: Couldn't find user 'no-such-user-x'\n$/],
  ];
  for (const [args, re] of cases) {
    const r = spawnSync(process.execPath, [MAIN, 'dump', '-i', 'lo', ...args], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, re);
  }
});

test('without privileges: one clear line with the fix, exit 1; with file capabilities: captures', { skip, timeout: 60_000 }, async () => {
  const r = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, MAIN, 'dump', '-i', 'lo'],
    { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^portscope: lo: You don't have permission to perform this capture on that device \(socket: Operation not permitted\); .*setcap cap_net_raw,cap_net_admin=eip [^\n]*\n$/);

  // A copy of node with the capture capabilities, run as nobody, captures (when setcap works here).
  const capNode = path.join(tmp, 'node-cap');
  fs.copyFileSync(process.execPath, capNode);
  fs.chmodSync(capNode, 0o755);
  try {
    if (spawnSync('setcap', ['cap_net_raw,cap_net_admin=eip', capNode]).status !== 0) return; // no file capabilities here
    const file = path.join(tmp, 'nobody.pcap');
    const p = new Bg('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', capNode, MAIN, 'dump', '-i', 'lo', '-c', '4', '-w', file, `udp port ${PORT}`]);
    await p.waitFor(/listening on/);
    await sleep(100);
    await loTraffic(8);
    const deadline = setTimeout(() => p.proc.kill('SIGKILL'), 10_000);
    const res = await p.exited;
    clearTimeout(deadline);
    assert.equal(res.code, 0, p.stderr);
    assert.equal(readPcap(file).recs.length, 4);
    assert.equal(fs.statSync(file).uid, 65534);
  } finally {
    fs.rmSync(capNode, { force: true });
  }
});

test('-Z nobody drops root after opening: the -w file belongs to nobody', { skip, timeout: 30_000 }, async () => {
  const file = path.join(tmp, 'z.pcap');
  const p = portscope(['dump', '-i', 'lo', '-Z', 'nobody', '-c', '2', '-w', file, `udp port ${PORT}`]);
  await p.waitFor(/listening on/);
  await sleep(100);
  await loTraffic(4);
  const deadline = setTimeout(() => p.proc.kill('SIGKILL'), 10_000);
  const r = await p.exited;
  clearTimeout(deadline);
  assert.equal(r.code, 0, p.stderr);
  assert.equal(fs.statSync(file).uid, 65534);
  assert.equal(readPcap(file).recs.length, 2);
});

test('LiveSource in process: batches arrive while the event loop keeps running; stop() ends a wait', { skip, timeout: 30_000 }, async () => {
  const src = new LiveSource('lo', { ...liveOptions(parseDumpArgs([]), `udp port ${PORT + 2}`), signals: false });
  assert.equal(src.precision, 'micro');
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const sock = dgram.createSocket('udp4');
  const got: string[] = [];
  const sender = (async () => {
    await sleep(100);
    for (let i = 0; i < 100; i++) await new Promise<void>((r) => sock.send(Buffer.from(`msg-${i}`), PORT + 2, '127.0.0.1', () => r()));
  })();
  const stopper = setTimeout(() => src.stop(), 5_000);
  for await (const b of src.batches()) {
    for (let i = 0; i < b.count; i++) {
      const end = b.offset[i] + b.capLen[i];
      got.push(Buffer.from(b.data.subarray(end - 6, end)).toString('latin1').replace(/^.*msg-/, 'msg-'));
      assert.equal(b.linkType[i], 1);
      assert.equal(b.fileOffset[i], -1);
      assert.ok(Math.abs(b.tsSec[i] + b.tsNsec[i] / 1e9 - Date.now() / 1000) < 10);
    }
    if (got.length >= 100) src.stop();
  }
  clearTimeout(stopper);
  clearInterval(timer);
  await sender;
  sock.close();
  assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => `msg-${i}`));
  assert.ok(ticks >= 5, `timer ticked ${ticks} times during the capture`);
  const st = src.stats();
  assert.equal(st.delivered, 100);
  assert.ok(st.received >= 100);

  // A stop() while waiting for packets returns promptly.
  const idle = new LiveSource('lo', { filter: 'udp port 9 and host 203.0.113.77', signals: false });
  const t0 = Date.now();
  setTimeout(() => idle.stop(), 200);
  for await (const b of idle.batches()) assert.fail(`unexpected batch of ${b.count}`);
  assert.ok(Date.now() - t0 < 2_000);
});

test('LiveSource errors are CaptureErrors', { skip }, () => {
  assert.throws(() => new LiveSource('nosuchif1', {}), (e: Error) => e instanceof CaptureError && /No such device exists/.test(e.message));
  assert.throws(() => new LiveSource('lo', { filter: 'tcp port' }), (e: Error) => e instanceof CaptureError && e.message === "can't parse filter expression: syntax error");
});

test('portscope interfaces: text and --json list lo', { skip }, () => {
  const text = run(process.execPath, [MAIN, 'interfaces']).stdout;
  assert.match(text, /^\d+\.lo \[Up, Running, Loopback\]\n {4}link 00:00:00:00:00:00\n {4}inet 127\.0\.0\.1 netmask 255\.0\.0\.0$/m);
  const list = JSON.parse(run(process.execPath, [MAIN, 'interfaces', '--json']).stdout) as { name: string; loopback: boolean; up: boolean }[];
  const lo = list.find((d) => d.name === 'lo');
  assert.ok(lo && lo.loopback && lo.up);
  const bad = spawnSync(process.execPath, [MAIN, 'interfaces', '--bogus'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^portscope: interfaces: unexpected argument "--bogus"/);
});

test('-i any: LINUX_SLL2 as tcpdump chooses, same packets', { skip, timeout: 60_000 }, async () => {
  const r = await captureBoth(['-i', 'any', `udp port ${PORT}`], () => loTraffic(10));
  assert.equal(r.ourPcap.linkType, 276);
  assert.equal(r.theirPcap.linkType, 276);
  // On "any", the ifindex inside SLL2 headers is the same, so bytes must match too.
  assertSameCapture(r.ourPcap.recs, r.theirPcap.recs, 100_000, 'any');
});

test('interface removed mid-capture: summary, tcpdump\'s "pcap_loop: The interface disappeared", exit 1', { skip, timeout: 30_000 }, async () => {
  const ns = `${veth.name}-gone`;
  spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  try {
    run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', ns, 'link', 'add', 'g0', 'type', 'veth', 'peer', 'name', 'g1']);
    run('ip', ['-n', ns, 'link', 'set', 'g0', 'up']);
    run('ip', ['-n', ns, 'link', 'set', 'g1', 'up']);
    const p = portscope(['dump', '-i', 'g0', '-w', path.join(tmp, 'gone.pcap')], ['ip', ['netns', 'exec', ns]]);
    await p.waitFor(/listening on/);
    run('ip', ['-n', ns, 'link', 'del', 'g0']);
    const deadline = setTimeout(() => p.proc.kill('SIGKILL'), 10_000);
    const r = await p.exited;
    clearTimeout(deadline);
    assert.equal(r.code, 1, p.stderr);
    assert.match(p.stderr, /\n\d+ packets? captured\n\d+ packets? received by filter\n\d+ packets? dropped by kernel\nportscope: pcap_loop: The interface disappeared\n$/);
  } finally {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
});

test('-i N picks the Nth device of the -D list, as tcpdump does', { skip, timeout: 20_000 }, () => {
  const list = run(process.execPath, [MAIN, 'dump', '-D']).stdout.split('\n');
  const loLine = list.find((l) => /^\d+\.lo /.test(l))!;
  const n = loLine.slice(0, loLine.indexOf('.'));
  const p = spawnSync(process.execPath, [MAIN, 'dump', '-i', n, '-c', '1', '--count', 'udp port 9 and host 203.0.113.9'],
    { encoding: 'utf8', timeout: 3_000, killSignal: 'SIGINT' });
  assert.match(p.stderr, /^listening on lo, link-type EN10MB/m);
  const bad = spawnSync(process.execPath, [MAIN, 'dump', '-i', '999'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, 'portscope: Invalid adapter index\n');
});

test('LiveSource: full batches (8192 slots, or 8 MiB of data) lose nothing and keep order', { skip, timeout: 60_000 }, async () => {
  const port = PORT + 3;
  const opts = liveOptions(parseDumpArgs(['-B', '131072']), `udp dst port ${port}`);
  const src = new LiveSource('lo', { ...opts, signals: false });
  const sock = dgram.createSocket('udp4');
  const big = 6000;
  const small = 12000;
  const sender = (async () => {
    await sleep(100);
    for (let i = 0; i < big + small; i++) {
      const b = Buffer.alloc(i < big ? 1400 : 8);
      b.writeUInt32BE(i, 0);
      await new Promise<void>((r) => sock.send(b, port, '127.0.0.1', () => r()));
    }
  })();
  const stopper = setTimeout(() => src.stop(), 40_000);
  let next = 0;
  let ok = true;
  const counts: number[] = [];
  let maxData = 0;
  for await (const b of src.batches()) {
    counts.push(b.count);
    for (let i = 0; i < b.count; i++) {
      const udp = b.offset[i] + 14 + 20 + 8; // Ethernet + IPv4 (no options) + UDP
      const seq = ((b.data[udp] << 24) | (b.data[udp + 1] << 16) | (b.data[udp + 2] << 8) | b.data[udp + 3]) >>> 0;
      if (seq !== next) ok = false;
      next++;
      maxData = Math.max(maxData, b.offset[i] + b.capLen[i]);
      assert.ok(b.offset[i] + b.capLen[i] <= b.data.length);
    }
    if (next >= big + small) src.stop();
  }
  clearTimeout(stopper);
  await sender;
  sock.close();
  const st = src.stats();
  assert.equal(st.dropped, 0, 'kernel drops: raise -B');
  assert.equal(next, big + small, `batches: ${counts.join(',')}`);
  assert.ok(ok, 'packets out of order or missing');
  assert.ok(Math.max(...counts) <= 8192);
  assert.ok(counts.some((c) => c === 8192) || counts.length > 2, `batches: ${counts.join(',')}`);
  assert.ok(maxData > 7 << 20, `largest batch used ${maxData} bytes of data`);
  if (process.env.PORTSCOPE_TEST_VERBOSE) console.error('batches', counts.join(','), 'max data', maxData);
});

test('live -w with -G 1 and a strftime name opens a new file every second', { skip, timeout: 30_000 }, async () => {
  const dir = path.join(tmp, 'g');
  fs.mkdirSync(dir, { mode: 0o777 });
  const p = portscope(['dump', '-i', 'lo', '--immediate-mode', '-s', '128', '-G', '1', '-w', path.join(dir, 'cap-%s.pcap'), `udp port ${PORT}`]);
  await p.waitFor(/listening on/);
  const sock = dgram.createSocket('udp4');
  for (let i = 0; i < 30; i++) {
    await new Promise<void>((r) => sock.send(Buffer.from(`g${i}`), PORT, '127.0.0.1', () => r()));
    await sleep(100);
  }
  sock.close();
  await sleep(300);
  await p.stop('SIGINT');
  const files = fs.readdirSync(dir).filter((f) => /^cap-\d+\.pcap$/.test(f)).sort();
  assert.ok(files.length >= 2, `files: ${files.join(' ')}`);
  let total = 0;
  for (const f of files) {
    const recs = readPcap(path.join(dir, f)).recs;
    const sec = Number(/\d+/.exec(f)![0]);
    // -G names a file by the time it was opened: its packets are from that second on.
    for (const r of recs) assert.ok(r.tsSec >= sec, `${f}: packet from ${r.tsSec}`);
    total += recs.length;
  }
  assert.equal(total, 30);
});

test('-L lists the link types as tcpdump does; -y picks one (same packets), an unsupported one fails like tcpdump', { skip, timeout: 60_000 }, async () => {
  for (const dev of ['lo', 'any']) {
    const ours = spawnSync(process.execPath, [MAIN, 'dump', '-i', dev, '-L'], { encoding: 'utf8', timeout: 20_000 });
    const theirs = spawnSync('tcpdump', ['-i', dev, '-L'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(ours.status, 0, ours.stderr);
    assert.match(theirs.stderr, /^Data link types for /, 'tcpdump 4.99 lists them on stderr');
    assert.equal(ours.stderr, theirs.stderr, `-i ${dev} -L`);
    assert.equal(ours.stdout, theirs.stdout);
  }
  // -y LINUX_SLL on any: cooked v1 instead of the default v2, the same packets as tcpdump -y LINUX_SLL
  const r = await captureBoth(['-i', 'any', '-y', 'LINUX_SLL', `udp port ${PORT}`], () => loTraffic(6));
  assert.equal(r.ourPcap.linkType, 113);
  assert.equal(r.theirPcap.linkType, 113);
  assertSameCapture(r.ourPcap.recs, r.theirPcap.recs, 100_000, 'any -y LINUX_SLL');
  assert.match(r.ours.stderr, /^portscope: data link type LINUX_SLL$/m, 'the banner names the chosen link type, as tcpdump');
  // -O: the kernel filter unoptimised still selects the same packets
  const o = await captureBoth(['-i', 'lo', '-O', `udp port ${PORT}`], () => loTraffic(4));
  assertSameCapture(o.ourPcap.recs, o.theirPcap.recs, 100_000, 'lo -O');
  for (const y of ['LINUX_SLL', 'NOSUCH']) {
    const ours = spawnSync(process.execPath, [MAIN, 'dump', '-i', 'lo', '-y', y, '-c', '1'], { encoding: 'utf8', timeout: 20_000 });
    const theirs = spawnSync('tcpdump', ['-i', 'lo', '-y', y, '-c', '1'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(ours.status, theirs.status, `-y ${y}: exit status`);
    assert.equal(ours.stderr.replace(/^portscope: /, ''), theirs.stderr.replace(/^tcpdump: /, ''), `-y ${y}: message`);
  }
});
