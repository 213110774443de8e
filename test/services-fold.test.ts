// The service inventory counts per flow (bound flows' packets are folded in from the flow table when
// a flow ends, and open flows at snapshot time): its rows must equal per-packet counting at every
// point of a capture. Oracle: tcpdump's reading of a synthetic capture (handshakes, data both ways, a
// client that probed before the service was known, a reused port, an idle UDP flow that restarts,
// an out-of-order packet), cut after every packet with the pipeline's packet limit.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { writePcap, type Pkt } from './detect-support';
import { openCaptureFile } from '../src/capture/open';
import { runPipeline } from '../src/pipeline';
import { TrafficStats } from '../src/stats/index';
import { SecuritySink, type ServiceRow } from '../src/detect/index';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-fold-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;

const S = '10.5.0.2';
const C1 = '10.5.1.1';
const C2 = '10.5.1.2';
const T0 = 1_700_100_000;

function capture(): Pkt[] {
  const out: Pkt[] = [];
  const tcp = (t: number, src: string, dst: string, sport: number, dport: number, flags: number, payload = 0) =>
    out.push({ t: T0 + t, src, dst, proto: 'tcp', sport, dport, flags, payload });
  const udp = (t: number, src: string, dst: string, sport: number, dport: number, payload: number) =>
    out.push({ t: T0 + t, src, dst, proto: 'udp', sport, dport, payload });
  tcp(0, C2, S, 40002, 80, 0x02); // before the service is known: not counted
  tcp(1, C1, S, 40001, 80, 0x02);
  tcp(1.001, S, C1, 80, 40001, 0x12); // evidence: counted from here
  tcp(1.002, C1, S, 40001, 80, 0x10);
  for (let i = 0; i < 6; i++) {
    tcp(1.1 + i * 0.1, C1, S, 40001, 80, 0x18, 100 + i);
    tcp(1.15 + i * 0.1, S, C1, 80, 40001, 0x18, 1000 + 10 * i);
  }
  tcp(2, C2, S, 40002, 80, 0x02); // C2's flow, now to a known service
  tcp(2.001, S, C2, 80, 40002, 0x12);
  tcp(2.5, C1, S, 40001, 80, 0x14); // C1 resets...
  tcp(3, C1, S, 40001, 80, 0x02); // ...and reuses its port: a new flow under the same key
  tcp(3.001, S, C1, 80, 40001, 0x12);
  tcp(3.2, C2, S, 40002, 80, 0x18, 300);
  udp(3.25, C2, '10.5.0.9', 40005, 9999, 10); // no service: moves the clock only
  tcp(3.1, C1, S, 40001, 80, 0x18, 50); // older than the clock (out of order): last seen 3.25
  tcp(3.3, S, C1, 80, 40001, 0x18, 700);
  udp(4, C1, S, 33001, 53, 30);
  udp(4.01, S, C1, 53, 33001, 80); // evidence for udp/53
  udp(4.5, C1, S, 33001, 53, 31);
  udp(4.51, S, C1, 53, 33001, 81);
  udp(100, C1, S, 33001, 53, 32); // idle past the UDP timeout: the flow restarts
  udp(100.01, S, C1, 53, 33001, 82);
  tcp(100.5, S, C2, 80, 40002, 0x18, 400);
  tcp(100.6, C2, S, 40002, 80, 0x11);
  tcp(100.7, S, C2, 80, 40002, 0x11);
  return out;
}

interface Line {
  ts: number;
  len: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  proto: 'tcp' | 'udp';
  synAck: boolean;
}

/** tcpdump -e -tt: time, frame length, endpoints, SYN-ACK. */
function tcpdumpLines(file: string): Line[] {
  const r = spawnSync('tcpdump', ['-nn', '-tt', '-e', '-r', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => {
    const m = /^(\d+\.\d+) .*?, length (\d+): ([\d.]+)\.(\d+) > ([\d.]+)\.(\d+): (.*)$/.exec(l);
    assert.ok(m, `tcpdump line: ${l}`);
    return {
      ts: Math.round(Number(m[1]) * 1e6),
      len: Number(m[2]),
      src: m[3],
      sport: Number(m[4]),
      dst: m[5],
      dport: Number(m[6]),
      proto: m[7].startsWith('Flags') ? 'tcp' : 'udp',
      synAck: m[7].startsWith('Flags [S.]'),
    };
  });
}

/** Per-packet counting of one service over the first n lines: from its first evidence packet on. */
function expected(lines: Line[], n: number, host: string, proto: 'tcp' | 'udp', port: number) {
  let start = -1;
  for (let i = 0; i < n && start < 0; i++) {
    const l = lines[i];
    if (l.proto !== proto || l.src !== host || l.sport !== port) continue;
    // tcp: a SYN-ACK; udp: a reply (the client sent first in this capture)
    if (proto === 'tcp' ? l.synAck : true) start = i;
  }
  if (start < 0) return null;
  const e = { packetsTo: 0, packetsFrom: 0, bytesTo: 0, bytesFrom: 0, firstSeen: lines[start].ts, lastSeen: 0, clients: new Set<string>() };
  let clock = 0;
  for (let i = 0; i < n; i++) {
    const l = lines[i];
    clock = Math.max(clock, l.ts);
    if (i < start || l.proto !== proto) continue;
    if (l.dst === host && l.dport === port) {
      e.packetsTo++;
      e.bytesTo += l.len;
      e.clients.add(l.src);
    } else if (l.src === host && l.sport === port) {
      e.packetsFrom++;
      e.bytesFrom += l.len;
      e.clients.add(l.dst);
    } else continue;
    e.lastSeen = clock; // the latest packet time seen when it was counted
  }
  return e;
}

function check(rows: ServiceRow[], lines: Line[], n: number, what: string): void {
  for (const [proto, port] of [['tcp', 80], ['udp', 53]] as const) {
    const e = expected(lines, n, S, proto, port);
    const r = rows.find((x) => x.host === S && x.proto === proto && x.port === port);
    if (e === null) {
      assert.equal(r, undefined, `${what}, ${n} packets: ${proto}/${port} not known yet`);
      continue;
    }
    assert.ok(r, `${what}, ${n} packets: ${proto}/${port} known`);
    const got = { packetsTo: r.packetsTo, packetsFrom: r.packetsFrom, bytesTo: r.bytesTo, bytesFrom: r.bytesFrom, firstSeen: Math.round(r.firstSeen * 1e6), lastSeen: Math.round(r.lastSeen * 1e6), clients: r.clients };
    assert.deepEqual(got, { ...e, clients: e.clients.size }, `${what}, ${n} packets: ${proto}/${port}`);
    assert.equal(r.packets, r.packetsTo + r.packetsFrom);
    assert.equal(r.bytes, r.bytesTo + r.bytesFrom);
  }
}

test('service rows equal per-packet counting (tcpdump) after every packet, with flows open, ended, reused and restarted', { skip: !hasTcpdump && 'tcpdump not installed' }, async () => {
  const file = path.join(tmp, 'fold.pcap');
  const pkts = capture();
  writePcap(file, pkts);
  const lines = tcpdumpLines(file);
  assert.equal(lines.length, pkts.length);
  for (let n = 1; n <= pkts.length; n++) {
    const st = new TrafficStats();
    await runPipeline(await openCaptureFile(file), { decode: true, sinks: [st], maxPackets: n });
    check(st.snapshot().services ?? [], lines, n, 'TrafficStats');
    // snapshots do not disturb the counting: a second one is the same
    assert.deepEqual(st.snapshot().services, st.snapshot().services);
    const sink = new SecuritySink({ maxFlows: 2 }); // flows evicted while bound
    await runPipeline(await openCaptureFile(file), { decode: true, sinks: [sink], maxPackets: n });
    check(sink.monitor.serviceRows(), lines, n, 'SecuritySink, 2 flows');
  }
});

test('a full service table evicts the least recently used service, as before counting per flow', async () => {
  // three services, room for two: the one whose flow stayed quiet longest goes
  const pkts: Pkt[] = [];
  let t = T0;
  const hs = (srv: string, cl: string, sp: number) => {
    pkts.push({ t: (t += 0.01), src: cl, dst: srv, proto: 'tcp', sport: sp, dport: 80, flags: 0x02 });
    pkts.push({ t: (t += 0.01), src: srv, dst: cl, proto: 'tcp', sport: 80, dport: sp, flags: 0x12 });
  };
  hs('10.6.0.1', C1, 41001);
  hs('10.6.0.2', C1, 41002);
  // 10.6.0.1's flow stays busy (counted per flow, no per-packet LRU touch), 10.6.0.2's is idle
  for (let i = 0; i < 5; i++) pkts.push({ t: (t += 0.01), src: C1, dst: '10.6.0.1', proto: 'tcp', sport: 41001, dport: 80, flags: 0x10 });
  hs('10.6.0.3', C1, 41003); // table full: evicts 10.6.0.2
  for (let i = 0; i < 3; i++) pkts.push({ t: (t += 0.01), src: C1, dst: '10.6.0.1', proto: 'tcp', sport: 41001, dport: 80, flags: 0x10 });
  hs('10.6.0.4', C2, 41004); // evicts 10.6.0.3 (10.6.0.1 was used since)
  const file = path.join(tmp, 'lru.pcap');
  writePcap(file, pkts);
  const sink = new SecuritySink({ maxServices: 2 });
  await runPipeline(await openCaptureFile(file), { decode: true, sinks: [sink] });
  const rows = sink.monitor.serviceRows();
  assert.deepEqual(rows.map((r) => r.host), ['10.6.0.1', '10.6.0.4']);
  assert.equal(sink.monitor.services.evicted, 2);
  assert.equal(rows[0].packets, 1 + 5 + 3, '10.6.0.1: the SYN-ACK and 8 later packets');
});
