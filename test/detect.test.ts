// Service inventory and scan detection, offline: fixtures/scan.pcap (a real nmap -sS -sU run),
// synthetic scans of every technique (checked against tcpdump's reading of the same file), a
// benign client, a sweep, bounded state under a flood, and the corpus of real captures.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { writePcap, detectFile, KERNEL_SYN_OPTS, RAW_SYN_OPTS, type Pkt } from './detect-support';
import { openCaptureFile } from '../src/capture/open';
import { runPipeline } from '../src/pipeline';
import { TrafficStats } from '../src/stats/index';

const ROOT = path.resolve(__dirname, '../..');
const CORPUS = path.resolve(__dirname, '../../../shared/corpus');
const MAIN = path.resolve(__dirname, '../src/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-detect-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;

/** Packets tcpdump reads from FILE with FILTER. */
function tcpdumpCount(file: string, filter: string): number {
  const r = spawnSync('tcpdump', ['-nr', file, filter], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.length > 0).length;
}

/** Within 25% (the distinct counts beyond 16 are HyperLogLog estimates). */
function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= Math.max(1, expected * 0.25), `${what}: ${actual}, expected about ${expected}`);
}

const S = '10.1.0.1';
const T = '10.1.0.2';
const OPEN = new Set([22, 80, 443]);

/** A vertical scan of ports 1..n of T by S with one technique, answered as Linux answers. */
function verticalScan(kind: string, n: number, t0 = 1_700_000_000): Pkt[] {
  const out: Pkt[] = [];
  let t = t0;
  const sport = 40000;
  for (let port = 1; port <= n; port++) {
    t += 0.001;
    const open = OPEN.has(port);
    const back = (flags: number): Pkt => ({ t: t + 0.0001, src: T, dst: S, proto: 'tcp', sport: port, dport: sport, flags });
    switch (kind) {
      case 'SYN':
      case 'CONNECT': {
        const cs = kind === 'SYN' ? sport : 30000 + port; // connect() takes a new source port each time
        out.push({ t, src: S, dst: T, proto: 'tcp', sport: cs, dport: port, flags: 2, opts: kind === 'SYN' ? RAW_SYN_OPTS : KERNEL_SYN_OPTS });
        if (open) {
          out.push({ ...back(0x12), dport: cs });
          if (kind === 'CONNECT') out.push({ t: t + 0.0002, src: S, dst: T, proto: 'tcp', sport: cs, dport: port, flags: 0x10 });
          out.push({ t: t + 0.0003, src: S, dst: T, proto: 'tcp', sport: cs, dport: port, flags: kind === 'SYN' ? 4 : 0x14 });
        } else out.push({ ...back(0x14), dport: cs });
        break;
      }
      case 'FIN':
      case 'NULL':
      case 'XMAS':
        out.push({ t, src: S, dst: T, proto: 'tcp', sport, dport: port, flags: kind === 'FIN' ? 1 : kind === 'NULL' ? 0 : 0x29 });
        if (!open) out.push(back(0x14));
        break;
      case 'ACK':
        out.push({ t, src: S, dst: T, proto: 'tcp', sport, dport: port, flags: 0x10 });
        out.push(back(0x04));
        break;
      case 'UDP': {
        const probe: Pkt = { t, src: S, dst: T, proto: 'udp', sport, dport: port, payload: 0 };
        out.push(probe);
        if (port === 53) out.push({ t: t + 0.0001, src: T, dst: S, proto: 'udp', sport: 53, dport: sport, payload: 40 });
        else out.push({ t: t + 0.0001, src: T, dst: S, proto: 'icmp', icmpType: 3, icmpCode: 3, quote: probe });
        break;
      }
    }
  }
  return out;
}

const TCPDUMP_PROBE: Record<string, string> = {
  SYN: `src ${S} and tcp[tcpflags] == tcp-syn`,
  CONNECT: `src ${S} and tcp[tcpflags] == tcp-syn`,
  FIN: `src ${S} and tcp[tcpflags] == tcp-fin`,
  NULL: `src ${S} and tcp[tcpflags] == 0`,
  XMAS: `src ${S} and tcp[tcpflags] == (tcp-fin|tcp-push|tcp-urg)`,
  ACK: `src ${S} and tcp[tcpflags] == tcp-ack`,
  UDP: `src ${S} and udp`,
};

for (const kind of ['SYN', 'CONNECT', 'FIN', 'NULL', 'XMAS', 'ACK', 'UDP']) {
  test(`vertical ${kind} scan of 100 ports: one port-scan alert, technique ${kind}`, async () => {
    const file = path.join(tmp, `v-${kind}.pcap`);
    writePcap(file, verticalScan(kind, 100));
    if (hasTcpdump) assert.equal(tcpdumpCount(file, TCPDUMP_PROBE[kind]), 100, 'tcpdump reads 100 probes of that kind');
    const s = await detectFile(file);
    const al = s.monitor.alerts();
    assert.equal(al.length, 1, JSON.stringify(al.map((a) => a.message)));
    const a = al[0];
    assert.equal(a.type, 'port-scan');
    assert.equal(a.scanner, S);
    assert.equal(a.target, T);
    assert.equal(a.technique, kind);
    assert.equal(a.final, true);
    assert.equal(a.ports, 100, 'ports probed');
    assert.equal(a.portsExact, true);
    // FIN/NULL/XMAS: open ports do not answer (fail at the timeout); ACK: every port answers RST
    const failed = kind === 'SYN' || kind === 'CONNECT' ? 98 : kind === 'UDP' ? 99 : 100; // 22 and 80 open; UDP 53 open
    assert.equal(a.failedPorts, failed, 'failed ports');
    assert.equal(a.portSample.length, 8);
    assert.equal(a.portSample[0], kind === 'UDP' ? '1/udp' : '1/tcp', 'the lowest failed ports first');
    assert.ok(a.first < a.last);
  });
}

test('IPv6: a UDP scan answered by ICMPv6 port unreachable, and a SYN scan: one alert each', async () => {
  const A = '2001:db8::1';
  const B = '2001:db8::2';
  const pkts: Pkt[] = [];
  let t = 1_700_000_500;
  for (let port = 1; port <= 30; port++) {
    t += 0.001;
    const probe: Pkt = { t, src: A, dst: B, proto: 'udp', sport: 41000, dport: port };
    pkts.push(probe, { t: t + 0.0001, src: B, dst: A, proto: 'icmp', icmpType: 1, icmpCode: 4, quote: probe });
  }
  t += 100;
  for (let port = 1; port <= 30; port++) {
    t += 0.001;
    pkts.push({ t, src: A, dst: B, proto: 'tcp', sport: 41000, dport: port, flags: 2, opts: RAW_SYN_OPTS });
    pkts.push({ t: t + 0.0001, src: B, dst: A, proto: 'tcp', sport: port, dport: 41000, flags: 0x14 });
  }
  const file = path.join(tmp, 'v6.pcap');
  writePcap(file, pkts);
  if (hasTcpdump) assert.equal(tcpdumpCount(file, 'icmp6 and ip6[40] == 1'), 30, 'tcpdump reads 30 ICMPv6 unreachables');
  const al = (await detectFile(file, { scan: { timeoutSec: 1000 } })).monitor.alerts();
  assert.deepEqual(al.map((a) => [a.type, a.scanner, a.target, a.technique, a.ports, a.failedPorts]), [
    ['port-scan', A, B, 'UDP', 30, 30],
    ['port-scan', A, B, 'SYN', 30, 30],
  ]);
});

test('fixtures/scan.pcap (nmap -sS -sU): one port-scan alert, SYN + UDP, services from the answers', async () => {
  const file = path.join(ROOT, 'fixtures/scan.pcap');
  const s = await detectFile(file);
  const al = s.monitor.alerts();
  assert.equal(al.length, 1, JSON.stringify(al));
  const a = al[0];
  assert.equal(a.type, 'port-scan');
  assert.equal(a.scanner, '10.99.0.1');
  assert.equal(a.target, '10.99.0.2');
  assert.equal(a.technique, 'MIXED');
  if (hasTcpdump) {
    // oracle: the probes tcpdump sees, and the negative answers (RST, ICMP port unreachable)
    const syn = tcpdumpCount(file, 'src 10.99.0.1 and tcp[tcpflags] == tcp-syn');
    const lines = (f: string) => spawnSync('tcpdump', ['-nr', file, f], { encoding: 'utf8' }).stdout;
    const rst = new Set([...lines('src 10.99.0.2 and tcp[tcpflags] & tcp-rst != 0').matchAll(/10\.99\.0\.2\.(\d+) >/g)].map((m) => `${m[1]}/tcp`));
    const unreach = new Set([...lines('src 10.99.0.2 and icmp[icmptype] == icmp-unreach').matchAll(/udp port (\d+) unreachable/g)].map((m) => `${m[1]}/udp`));
    const probedUdp = new Set([...lines('src 10.99.0.1 and udp').matchAll(/10\.99\.0\.2\.(\d+):/g)].map((m) => m[1]));
    assert.equal(a.techniques.SYN, syn);
    assert.equal(a.failedPorts, rst.size + unreach.size, 'failed ports: RST and port unreachable, distinct');
    assert.equal(a.ports, syn + probedUdp.size, 'ports probed: one SYN per TCP port, distinct UDP ports');
    assert.deepEqual(a.portSample, [...rst, ...unreach].sort((x, y) => (x.endsWith('udp') ? 65536 : 0) + parseInt(x) - ((y.endsWith('udp') ? 65536 : 0) + parseInt(y))).slice(0, 8));
    const synack = spawnSync('tcpdump', ['-nr', file, 'src 10.99.0.2 and tcp[tcpflags] == (tcp-syn|tcp-ack)'], { encoding: 'utf8' }).stdout;
    const open = [...synack.matchAll(/10\.99\.0\.2\.(\d+) >/g)].map((m) => `10.99.0.2 tcp/${m[1]}`).sort();
    const svc = s.monitor.serviceRows();
    assert.deepEqual(svc.filter((r) => r.proto === 'tcp').map((r) => `${r.host} tcp/${r.port}`).sort(), open);
    assert.ok(svc.some((r) => r.proto === 'udp' && r.port === 53 && r.evidence === 'reply' && r.service === 'domain'));
  }
});

test('horizontal sweep of 50 hosts on port 22: one address-scan (threshold and TRW), no port-scan', async () => {
  const pkts: Pkt[] = [];
  let t = 1_700_000_100;
  for (let i = 1; i <= 50; i++) {
    t += 0.01;
    const dst = `10.3.0.${i}`;
    pkts.push({ t, src: '10.2.0.1', dst, proto: 'tcp', sport: 50000, dport: 22, flags: 2, opts: RAW_SYN_OPTS });
    if (i % 10 === 0) pkts.push({ t: t + 0.001, src: dst, dst: '10.2.0.1', proto: 'tcp', sport: 22, dport: 50000, flags: 0x12 });
  }
  const file = path.join(tmp, 'sweep.pcap');
  writePcap(file, pkts);
  const s = await detectFile(file);
  const al = s.monitor.alerts();
  assert.equal(al.length, 1, JSON.stringify(al.map((a) => a.message)));
  const a = al[0];
  assert.equal(a.type, 'address-scan');
  assert.equal(a.scanner, '10.2.0.1');
  assert.equal(a.technique, 'SYN');
  assert.equal(a.ports, 1);
  assert.deepEqual(a.portSample, ['22/tcp']);
  near(a.targetCount, 50, 'targets');
  assert.equal(a.detector, 'threshold+trw');
  assert.equal(s.monitor.serviceRows().length, 5, 'the 5 hosts that answered serve ssh');

  // TRW alone decides after four straight first-contact failures (Lambda = 4^4 = 256 > 99)
  const few = pkts.filter((p) => p.src === '10.2.0.1').slice(0, 4);
  writePcap(file, few);
  const s4 = await detectFile(file, { scan: { hostThreshold: 1000 } });
  assert.equal(s4.monitor.alerts().length, 1);
  assert.equal(s4.monitor.alerts()[0].detector, 'trw');
  writePcap(file, few.slice(0, 3));
  assert.equal((await detectFile(file, { scan: { hostThreshold: 1000 } })).monitor.alerts().length, 0, 'three failures are not enough');
});

/** Echo requests from P to n hosts of `net` (one flow each: identifier i), the first `answered` replied to. */
function pingSweep(n: number, answered: number, t0: number, net = '10.5.0.', P = '10.4.0.1'): Pkt[] {
  const out: Pkt[] = [];
  const v6 = net.includes(':');
  for (let i = 1; i <= n; i++) {
    const t = t0 + i * 0.05;
    const dst = `${net}${i}`;
    out.push({ t, src: P, dst, proto: 'icmp', icmpType: v6 ? 128 : 8, icmpCode: 0, icmpId: 0x4000 + i, icmpSeq: 1 });
    // a ping loop's second request of the same identifier: the same flow, not another attempt
    out.push({ t: t + 0.02, src: P, dst, proto: 'icmp', icmpType: v6 ? 128 : 8, icmpCode: 0, icmpId: 0x4000 + i, icmpSeq: 2 });
    if (i <= answered) out.push({ t: t + 0.001, src: dst, dst: P, proto: 'icmp', icmpType: v6 ? 129 : 0, icmpCode: 0, icmpId: 0x4000 + i, icmpSeq: 1 });
  }
  return out;
}

test('ping sweep: echo requests to 20 absent hosts give one address-scan, technique PING, no ports; answered or 9 give none', async () => {
  const file = path.join(tmp, 'ping.pcap');
  writePcap(file, pingSweep(20, 0, 1_700_003_000));
  if (hasTcpdump) {
    assert.equal(tcpdumpCount(file, 'src 10.4.0.1 and icmp[icmptype] == icmp-echo'), 40, 'tcpdump reads 40 echo requests');
    const ids = spawnSync('tcpdump', ['-nr', file], { encoding: 'utf8' }).stdout.match(/ICMP echo request, id \d+, seq 1,/g);
    assert.equal(ids?.length, 20, 'tcpdump reads the identifiers and sequences');
  }
  const al = (await detectFile(file)).monitor.alerts();
  assert.equal(al.length, 1, JSON.stringify(al.map((a) => a.message)));
  const a = al[0];
  assert.equal(a.type, 'address-scan');
  assert.equal(a.scanner, '10.4.0.1');
  assert.equal(a.target, null);
  assert.equal(a.technique, 'PING');
  assert.deepEqual(a.techniques, { PING: 20 }, 'one attempt per echo flow');
  near(a.targetCount, 20, 'targets (a HyperLogLog estimate beyond 16)');
  assert.equal(a.targets.length, 8);
  assert.equal(a.targets[0], '10.5.0.1');
  assert.equal(a.ports, 0);
  assert.equal(a.failedPorts, 0);
  assert.deepEqual(a.portSample, []);
  assert.equal(a.detector, 'threshold+trw');
  assert.equal(a.final, true);
  assert.equal(a.packets, 20, '20 probes, no answers');
  assert.doesNotMatch(a.message, /port/, a.message);
  assert.match(a.message, /^address-scan: 10\.4\.0\.1 -> \d+ targets \(\d+ failed: 10\.5\.0\.1 10\.5\.0\.2 10\.5\.0\.3 10\.5\.0\.4 10\.5\.0\.5 10\.5\.0\.6 10\.5\.0\.7 10\.5\.0\.8 \.\.\.\), PING \[threshold\+trw\]$/);

  // every host answers: nothing
  writePcap(file, pingSweep(20, 20, 1_700_003_000));
  if (hasTcpdump) assert.equal(tcpdumpCount(file, 'icmp[icmptype] == icmp-echoreply'), 20);
  assert.deepEqual((await detectFile(file)).monitor.alerts(), []);

  // the threshold (TRW off: it decides after 4 straight first-contact failures, as for TCP)
  writePcap(file, pingSweep(9, 0, 1_700_003_000));
  assert.deepEqual((await detectFile(file, { scan: { trw: false } })).monitor.alerts(), [], '9 failed targets: below --scan-hosts 10');
  writePcap(file, pingSweep(10, 0, 1_700_003_000));
  const ten = (await detectFile(file, { scan: { trw: false } })).monitor.alerts();
  assert.deepEqual(ten.map((x) => [x.type, x.technique, x.targetCount, x.detector]), [['address-scan', 'PING', 10, 'threshold']]);
  writePcap(file, pingSweep(9, 0, 1_700_003_000));
  assert.equal((await detectFile(file)).monitor.alerts()[0]?.detector, 'trw', 'TRW at its defaults');

  // ICMPv6 echo requests, half answered: 10 failed targets
  writePcap(file, pingSweep(20, 10, 1_700_003_000, '2001:db8:5::', '2001:db8:4::1'));
  if (hasTcpdump) assert.equal(tcpdumpCount(file, 'icmp6 and ip6[40] == 128'), 40, 'tcpdump reads 40 ICMPv6 echo requests');
  const v6 = (await detectFile(file, { scan: { trw: false } })).monitor.alerts();
  assert.deepEqual(v6.map((x) => [x.type, x.scanner, x.technique, x.ports]), [['address-scan', '2001:db8:4::1', 'PING', 0]]);
  assert.equal(v6[0].targets[0], '2001:db8:5::11', 'the first unanswered host (i = 11)');
});

test('ping sweep with TCP probes (nmap -sn: echo, SYN 443, ACK 80) says MIXED; a ping before a SYN scan leaves its port-scan unchanged', async () => {
  const pkts: Pkt[] = [];
  const P = '10.6.0.1';
  for (let i = 1; i <= 20; i++) {
    const t = 1_700_004_000 + i * 0.05;
    const dst = `10.7.0.${i}`;
    pkts.push({ t, src: P, dst, proto: 'icmp', icmpType: 8, icmpCode: 0, icmpId: 0x1234, icmpSeq: 0 });
    pkts.push({ t: t + 0.001, src: P, dst, proto: 'tcp', sport: 60000, dport: 443, flags: 2, opts: RAW_SYN_OPTS });
    pkts.push({ t: t + 0.002, src: P, dst, proto: 'tcp', sport: 60000, dport: 80, flags: 0x10 });
    pkts.push({ t: t + 0.003, src: P, dst, proto: 'icmp', icmpType: 13, icmpCode: 0 });
  }
  const file = path.join(tmp, 'ping-mixed.pcap');
  writePcap(file, pkts);
  const al = (await detectFile(file)).monitor.alerts();
  assert.equal(al.length, 1, JSON.stringify(al.map((a) => a.message)));
  assert.equal(al[0].type, 'address-scan');
  assert.equal(al[0].technique, 'MIXED');
  assert.deepEqual(al[0].techniques, { SYN: 20, ACK: 20, PING: 20 });
  assert.deepEqual(al[0].portSample, ['80/tcp', '443/tcp']);
  assert.match(al[0].message, /, MIXED, ports 80\/tcp 443\/tcp \[/);

  // nmap -sS with host discovery: an answered ping, then the SYN scan (0.5 s later)
  const scan = verticalScan('SYN', 100, 1_700_005_000);
  writePcap(file, scan);
  const plain = (await detectFile(file)).monitor.alerts();
  const ping: Pkt[] = [
    { t: 1_700_004_999.5, src: S, dst: T, proto: 'icmp', icmpType: 8, icmpCode: 0, icmpId: 7, icmpSeq: 0 },
    { t: 1_700_004_999.501, src: T, dst: S, proto: 'icmp', icmpType: 0, icmpCode: 0, icmpId: 7, icmpSeq: 0 },
  ];
  writePcap(file, [...ping, ...scan]);
  const pinged = (await detectFile(file)).monitor.alerts();
  assert.equal(plain.length, 1);
  assert.equal(plain[0].technique, 'SYN');
  assert.deepEqual(pinged, plain, 'the same port-scan alert, field for field');
  // ... and unanswered pings first
  writePcap(file, [ping[0], ...scan]);
  assert.deepEqual((await detectFile(file)).monitor.alerts(), plain);
});

test('a client that browses 40 sites and resolves names raises no alert; its services are inventoried', async () => {
  const pkts: Pkt[] = [];
  let t = 1_700_000_200;
  const C = '192.168.1.10';
  const DNS = '192.168.1.1';
  for (let i = 1; i <= 40; i++) {
    t += 0.5;
    const web = `203.0.113.${i}`;
    const qp = 33000 + i;
    pkts.push({ t, src: C, dst: DNS, proto: 'udp', sport: qp, dport: 53, payload: 30 });
    pkts.push({ t: t + 0.01, src: DNS, dst: C, proto: 'udp', sport: 53, dport: qp, payload: 60 });
    const cp = 45000 + i;
    const port = i % 4 === 0 ? 80 : 443;
    pkts.push({ t: t + 0.02, src: C, dst: web, proto: 'tcp', sport: cp, dport: port, flags: 2, opts: KERNEL_SYN_OPTS });
    if (i === 7) continue; // one site does not answer
    pkts.push({ t: t + 0.03, src: web, dst: C, proto: 'tcp', sport: port, dport: cp, flags: 0x12 });
    pkts.push({ t: t + 0.04, src: C, dst: web, proto: 'tcp', sport: cp, dport: port, flags: 0x18, payload: 300 });
    pkts.push({ t: t + 0.05, src: web, dst: C, proto: 'tcp', sport: port, dport: cp, flags: 0x18, payload: 1200 });
    pkts.push({ t: t + 0.06, src: C, dst: web, proto: 'tcp', sport: cp, dport: port, flags: 0x11 });
    pkts.push({ t: t + 0.07, src: web, dst: C, proto: 'tcp', sport: port, dport: cp, flags: 0x11 });
  }
  const file = path.join(tmp, 'browse.pcap');
  writePcap(file, pkts);
  const s = await detectFile(file);
  assert.deepEqual(s.monitor.alerts(), []);
  const svc = s.monitor.serviceRows();
  assert.equal(svc.length, 40, '39 web servers and the resolver');
  const dns = svc.find((r) => r.host === DNS)!;
  assert.equal(dns.proto, 'udp');
  assert.equal(dns.port, 53);
  assert.equal(dns.clients, 1);
  assert.equal(dns.packets, 79, 'counted from the first reply on: 40 replies and 39 later queries');
  assert.equal(dns.evidence, 'reply');
  assert.deepEqual(dns.clientNets, ['192.168.1.0/24']);
  const w = svc.find((r) => r.host === '203.0.113.1')!;
  assert.equal(w.service, 'https');
  assert.equal(w.evidence, 'syn-ack');
  assert.equal(w.packets, 5, 'from the SYN-ACK on: 5 packets');
});

test('episodes: the same scan twice, more than the window apart, gives two alerts; within it, one', async () => {
  const file = path.join(tmp, 'twice.pcap');
  writePcap(file, [...verticalScan('SYN', 30, 1_700_001_000), ...verticalScan('SYN', 30, 1_700_001_200)]);
  assert.equal((await detectFile(file)).monitor.alerts().length, 2);
  writePcap(file, [...verticalScan('SYN', 30, 1_700_001_000), ...verticalScan('SYN', 30, 1_700_001_030)]);
  const one = (await detectFile(file)).monitor.alerts();
  assert.equal(one.length, 1);
  assert.equal(one[0].packets, 120, '60 probes and 60 answers');
});

test('state stays bounded under a flood of 60,000 SYNs from random sources', async () => {
  const pkts: Pkt[] = [];
  let x = 12345;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < 60_000; i++) {
    const r = rnd();
    pkts.push({ t: 1_700_002_000 + i / 10000, src: `10.${(r >>> 24) & 255}.${(r >>> 16) & 255}.${(r >>> 8) & 255}`, dst: `172.16.${r & 3}.1`, proto: 'tcp', sport: 1024 + (r & 0x7fff), dport: 1 + (rnd() & 1023), flags: 2 });
  }
  const file = path.join(tmp, 'flood.pcap');
  writePcap(file, pkts);
  const s = await detectFile(file, { maxFlows: 4096, scan: { maxPairs: 1024, maxScanners: 1024, maxAlerts: 50 }, maxServices: 256 });
  assert.ok(s.monitor.alerts().length <= 50);
  assert.ok(s.flows.table.size <= 4096);
  assert.ok(s.monitor.services.table.size <= 256);
  // 60,000 different sources, one probe each: no source scanned anything
  assert.equal(s.monitor.alerts().length, 0);
});

test('TrafficStats carries alerts and services into the snapshot (dashboard, profile)', async () => {
  const src = await openCaptureFile(path.join(ROOT, 'fixtures/scan.pcap'));
  const st = new TrafficStats();
  await runPipeline(src, { decode: true, sinks: [st] });
  const snap = st.snapshot();
  assert.equal(snap.alerts?.length, 1);
  assert.equal(snap.services?.length, 3);
  const off = new TrafficStats({ detect: false });
  assert.equal(off.snapshot().alerts, undefined);
});

test('portscope profile JSON has services[] and alerts[]; dump --alerts prints one line, --alerts-json NDJSON', () => {
  const file = path.join(ROOT, 'fixtures/scan.pcap');
  const p = spawnSync(process.execPath, [MAIN, 'profile', '-r', file, '--format', 'json'], { encoding: 'utf8' });
  assert.equal(p.status, 0, p.stderr);
  const doc = JSON.parse(p.stdout);
  assert.equal(doc.alerts.length, 1);
  assert.equal(doc.alerts[0].type, 'port-scan');
  assert.deepEqual(doc.services.map((s: { proto: string; port: number }) => `${s.proto}/${s.port}`), ['tcp/53', 'tcp/80', 'udp/53']);
  const nd = path.join(tmp, 'alerts.ndjson');
  const d = spawnSync(process.execPath, [MAIN, 'dump', '-r', file, '--count', '--alerts', '--alerts-json', nd], { encoding: 'utf8' });
  assert.equal(d.status, 0, d.stderr);
  const lines = d.stderr.split('\n').filter((l) => l.startsWith('portscope: alert: '));
  assert.equal(lines.length, 1, d.stderr);
  assert.match(lines[0], /port-scan: 10\.99\.0\.1 -> 10\.99\.0\.2/);
  const recs = fs.readFileSync(nd, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(recs.length, 1);
  assert.equal(recs[0].final, true);
  const bad = spawnSync(process.execPath, [MAIN, 'dump', '-r', file, '--alerts', '--scan-ports', 'x'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
});

/** Oracle from tshark's fields: per (scanner, target), TCP ports whose SYN drew a RST and UDP ports drawing ICMP unreachable. */
function truthRejected(tsv: string): Map<string, Set<string>> {
  const lines = fs.readFileSync(tsv, 'utf8').split('\n');
  const h = lines[0].split('\t');
  const ix = (n: string) => h.indexOf(n);
  const [SRC, DST, TS, TD, TF, UD, IT] = ['ip.src', 'ip.dst', 'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'udp.dstport', 'icmp.type'].map(ix);
  const syn = new Set<string>();
  const out = new Map<string, Set<string>>();
  const add = (k: string, v: string) => {
    let s = out.get(k);
    if (!s) out.set(k, (s = new Set()));
    s.add(v);
  };
  for (const l of lines.slice(1)) {
    const f = l.split('\t');
    if (f.length < h.length || !f[SRC] || f[SRC].includes(',')) continue;
    const flags = f[TF] ? parseInt(f[TF], 16) : -1;
    if (flags >= 0 && (flags & 0x17) === 0x02) syn.add(`${f[SRC]}>${f[DST]}:${f[TD]}`);
    if (flags >= 0 && (flags & 0x04) !== 0 && syn.has(`${f[DST]}>${f[SRC]}:${f[TS]}`)) add(`${f[DST]}>${f[SRC]}`, `tcp/${f[TS]}`);
    if (f[IT] === '3' && f[UD].includes(',')) {
      const ips = f[SRC] && f[DST] ? [f[DST], f[SRC]] : null;
      if (ips) add(`${ips[0]}>${ips[1]}`, `udp/${f[UD].split(',')[1]}`);
    }
  }
  return out;
}

test('corpus: every TCP/UDP capture runs; pairs with 10+ rejected ports (tshark oracle) alert, and every alert is a pair that probed 10+ ports', { timeout: 300_000 }, async (t) => {
  if (!fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv'))) {
    t.skip(`corpus not found at ${CORPUS}`);
    return;
  }
  const rows = fs.readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  let files = 0;
  let alerts = 0;
  for (const r of rows) {
    if (!/\b(tcp|udp)\b/.test(r[17])) continue;
    let s;
    try {
      s = await detectFile(path.join(CORPUS, r[0]), { maxFlows: 65536 });
    } catch (e) {
      if ((e as Error).name === 'CaptureError') continue; // damaged files: the readers' tests cover them
      throw new Error(`${r[0]}: ${(e as Error).stack}`);
    }
    files++;
    const truth = path.join(CORPUS, r[18]);
    if (!fs.existsSync(truth)) continue;
    const rej = truthRejected(truth);
    const got = new Set(s.monitor.alerts().filter((a) => a.type === 'port-scan').map((a) => `${a.scanner}>${a.target}`));
    for (const [pair, ports] of rej) if (ports.size >= 10) assert.ok(got.has(pair), `${r[0]}: ${pair} had ${ports.size} rejected ports but no alert`);
    for (const a of s.monitor.alerts()) {
      alerts++;
      assert.ok(a.ports >= 10 || a.type === 'address-scan', `${r[0]}: ${a.message}`);
    }
  }
  assert.ok(files > 100, `only ${files} captures read`);
  t.diagnostic(`${files} captures, ${alerts} alerts`);
});

test('nmap scan (fixtures/scan.pcap) merged into real corpus traffic: found, and only it', { timeout: 120_000 }, async (t) => {
  const bgs = ['tcpdump/tests/mptcp-v0.pcap', 'tcpdump/tests/of10_s4810.pcap', 'tcpdump/tests/ssh.pcap'].map((f) => path.join(CORPUS, f));
  if (!bgs.every((f) => fs.existsSync(f))) {
    t.skip(`corpus not found at ${CORPUS}`);
    return;
  }
  if (spawnSync('editcap', ['-h'], { stdio: 'ignore' }).status !== 0 || spawnSync('mergecap', ['-h'], { stdio: 'ignore' }).status !== 0) {
    t.skip('editcap/mergecap (wireshark-common) not installed');
    return;
  }
  const scan = path.join(ROOT, 'fixtures/scan.pcap');
  const first = (f: string) => Number(spawnSync('tcpdump', ['-tt', '-nr', f, '-c', '1'], { encoding: 'utf8' }).stdout.split(' ')[0]);
  for (const bg of bgs) {
    assert.deepEqual((await detectFile(bg)).monitor.alerts(), [], `${bg} alone`);
    const shifted = path.join(tmp, 'shifted.pcap');
    const merged = path.join(tmp, 'merged.pcap');
    const delta = first(bg) - first(scan) + 0.5;
    assert.equal(spawnSync('editcap', ['-t', delta.toFixed(6), scan, shifted]).status, 0);
    assert.equal(spawnSync('mergecap', ['-F', 'pcap', '-w', merged, bg, shifted]).status, 0);
    const al = (await detectFile(merged)).monitor.alerts();
    assert.equal(al.length, 1, `${bg}: ${JSON.stringify(al.map((a) => a.message))}`);
    assert.equal(al[0].scanner, '10.99.0.1');
    assert.equal(al[0].target, '10.99.0.2');
  }
});
