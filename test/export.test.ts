// Exporters without external collectors: NDJSON totals against the profile (fixtures and corpus),
// the IPFIX wire format as a plain UDP receiver sees it (RFC 7011 header, sequence numbers,
// templates, delta records under an active timeout), /metrics as served by the sensor (cardinality
// bound, totals), and the command line's one-line errors. The real Prometheus server and nfcapd
// are in sensor.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseEndpoint } from '../src/export/endpoint';
import { IE, TEMPLATE_V4, TEMPLATE_V6 } from '../src/export/ipfix';
import {
  CLI, CORPUS, FIXTURES, HAVE_CORPUS, Children, addFlow, cli, freePort, httpGet, profileOf, profilePorts, sortedEntries, waitFor,
} from './export-support';

const FIXTURE_FILES = fs.readdirSync(FIXTURES).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(FIXTURES, f));
/** Corpus captures with the most TCP/UDP flows (several link types, pcapng). */
const CORPUS_FILES = [
  'tcpdump/tests/afs.pcap',
  'tcpdump/tests/resp_1_benchmark.pcap',
  'tcpdump/tests/resp_3_malicious.pcap',
  'tcpdump/tests/of13_ericsson.pcapng',
  'tcpdump/tests/sflow_multiple_counter_30_pdus.pcap',
  'tcpdump/tests/babel_update_oobr.pcap',
  'tcpdump/tests/kday7.pcap',
].map((f) => path.join(CORPUS, f));

test('parseEndpoint: [HOST:]PORT, HOST:PORT, [IPv6]:PORT, one-line errors', () => {
  assert.deepEqual(parseEndpoint('9100', '--prometheus', false), { host: '', port: 9100 });
  assert.deepEqual(parseEndpoint('127.0.0.1:9100', '--prometheus', false), { host: '127.0.0.1', port: 9100 });
  assert.deepEqual(parseEndpoint('[::1]:4739', '--ipfix', true), { host: '::1', port: 4739 });
  assert.deepEqual(parseEndpoint('collector.example:4739', '--ipfix', true), { host: 'collector.example', port: 4739 });
  assert.throws(() => parseEndpoint('4739', '--ipfix', true), /--ipfix "4739" \(expected HOST:PORT\)/);
  assert.throws(() => parseEndpoint('h:70000', '--ipfix', true), /bad port/);
  assert.throws(() => parseEndpoint('::1:80', '--prometheus', false), /brackets/);
  assert.throws(() => parseEndpoint('h:x', '--ipfix', true), /bad port "x"/);
});

interface Conn {
  _path: string;
  proto: string;
  ip_proto: number;
  'id.orig_p': number;
  'id.resp_p': number;
  orig_pkts: number;
  resp_pkts: number;
  orig_frame_bytes: number;
  resp_frame_bytes: number;
  orig_ip_bytes: number;
  resp_ip_bytes: number;
  conn_state: string;
  uid: string;
}

function ndjsonOf(file: string, extra: string[] = []): Record<string, unknown>[] {
  const r = cli(['sensor', '-r', file, '--ndjson', '-', ...extra]);
  assert.ok(r.status === 0 || r.status === 1, `sensor ${file}: ${r.stderr}`);
  const lines = r.stdout.split('\n');
  assert.equal(lines.pop(), '', 'output ends with a newline');
  return lines.map((l, i) => {
    assert.match(l, /^[\x20-\x7e]*$/, `line ${i + 1} is printable ASCII`);
    return JSON.parse(l) as Record<string, unknown>;
  });
}

function checkNdjsonTotals(file: string): void {
  const doc = profileOf(file);
  const objs = ndjsonOf(file);
  const conns = objs.filter((o) => o._path === 'conn') as unknown as Conn[];
  const notices = objs.filter((o) => o._path === 'notice');
  assert.equal(conns.length + notices.length, objs.length, 'only conn and notice lines');
  assert.equal(conns.length, doc.flows.total, `${file}: one conn line per flow`);
  assert.equal(new Set(conns.map((c) => c.uid)).size, conns.length, 'uids are unique');
  assert.equal(notices.length, doc.alerts.length, `${file}: one notice line per alert`);
  const byPort = new Map<string, [number, number]>();
  for (const c of conns) {
    if (c.ip_proto !== 6 && c.ip_proto !== 17) continue;
    addFlow(byPort, c.proto, c['id.orig_p'], c['id.resp_p'], c.orig_pkts + c.resp_pkts, c.orig_frame_bytes + c.resp_frame_bytes);
  }
  assert.deepEqual(sortedEntries(byPort), sortedEntries(profilePorts(doc)), `${file}: per-port packets and bytes`);
  const states = new Map<string, number>();
  for (const c of conns) states.set(c.conn_state, (states.get(c.conn_state) ?? 0) + 1);
  for (const [st, n] of Object.entries(doc.flows.byConnState)) assert.equal(states.get(st) ?? 0, n, `${file}: conn_state ${st}`);
}

test('ndjson: conn lines parse; flows, conn_state counts and per-port totals equal the profile (fixtures)', () => {
  for (const f of FIXTURE_FILES) checkNdjsonTotals(f);
});

test('ndjson: the same on corpus captures', { skip: HAVE_CORPUS ? false : 'corpus absent (../shared/corpus)' }, () => {
  for (const f of CORPUS_FILES) if (fs.existsSync(f)) checkNdjsonTotals(f);
});

test('ndjson: scan alerts become notice lines with Zeek names', () => {
  const objs = ndjsonOf(path.join(FIXTURES, 'scan.pcap'));
  const notices = objs.filter((o) => o._path === 'notice');
  assert.ok(notices.length > 0, 'scan.pcap raises alerts');
  for (const n of notices) {
    assert.match(String(n.note), /^Scan::(Port|Address)_Scan$/);
    assert.equal(typeof n.src, 'string');
    assert.equal(typeof n.msg, 'string');
  }
});

// ---- IPFIX as a UDP receiver sees it ----

interface IpfixRecord {
  [ie: number]: number | string;
}

/** Decodes IPFIX messages (RFC 7011): checks headers and sequence numbers, returns data records. */
function decodeIpfix(msgs: Buffer[]): { records: IpfixRecord[]; templateMsgs: number } {
  const templates = new Map<number, [number, number][]>();
  const records: IpfixRecord[] = [];
  let expectSeq = 0;
  let templateMsgs = 0;
  for (const m of msgs) {
    assert.equal(m.readUInt16BE(0), 10, 'version 10');
    assert.equal(m.readUInt16BE(2), m.length, 'message length = datagram length');
    assert.equal(m.readUInt32BE(8), expectSeq, 'sequence number = data records sent before');
    let o = 16;
    let hadTemplates = false;
    while (o < m.length) {
      const id = m.readUInt16BE(o);
      const len = m.readUInt16BE(o + 2);
      assert.ok(len >= 4 && o + len <= m.length, 'set fits the message');
      const end = o + len;
      o += 4;
      if (id === 2) {
        hadTemplates = true;
        while (o + 4 <= end) {
          const tid = m.readUInt16BE(o);
          const n = m.readUInt16BE(o + 2);
          o += 4;
          const f: [number, number][] = [];
          for (let i = 0; i < n; i++, o += 4) f.push([m.readUInt16BE(o), m.readUInt16BE(o + 2)]);
          templates.set(tid, f);
        }
      } else {
        const f = templates.get(id);
        assert.ok(f, `data set ${id} after its template`);
        const rl = f.reduce((s, x) => s + x[1], 0);
        while (o + rl <= end) {
          const r: IpfixRecord = {};
          for (const [ie, l] of f) {
            if (l === 16) r[ie] = m.subarray(o, o + 16).toString('hex');
            else if (l === 8) r[ie] = m.readUInt32BE(o) * 2 ** 32 + m.readUInt32BE(o + 4);
            else r[ie] = m.readUIntBE(o, l);
            o += l;
          }
          records.push(r);
          expectSeq++;
        }
      }
      o = end;
    }
    if (hadTemplates) templateMsgs++;
  }
  assert.ok(templates.has(TEMPLATE_V4) && templates.has(TEMPLATE_V6), 'both templates announced');
  return { records, templateMsgs };
}

async function receiveIpfix(file: string, extra: string[]): Promise<Buffer[]> {
  const sock = dgram.createSocket('udp4');
  const msgs: Buffer[] = [];
  sock.on('message', (m) => msgs.push(m));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  const kids = new Children();
  try {
    const c = kids.start(process.execPath, [CLI, 'sensor', '-r', file, '--ipfix', `127.0.0.1:${port}`, ...extra]);
    assert.equal(await Children.exited(c), 0, kids.logs.get(c));
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await kids.kill();
    sock.close();
  }
  return msgs;
}

function ipfixPorts(records: IpfixRecord[]): Map<string, [number, number]> {
  const m = new Map<string, [number, number]>();
  for (const r of records) {
    const p = r[IE.protocolIdentifier] as number;
    if (p !== 6 && p !== 17) continue;
    addFlow(m, p === 6 ? 'tcp' : 'udp', r[IE.sourceTransportPort] as number, r[IE.destinationTransportPort] as number, r[IE.packetDeltaCount] as number, 0);
  }
  return m;
}

test('ipfix: RFC 7011 header, sequence numbers, templates; packets by port equal the profile', async () => {
  const file = path.join(FIXTURES, 'http.pcap');
  const { records, templateMsgs } = decodeIpfix(await receiveIpfix(file, []));
  assert.equal(templateMsgs, 1, 'templates in the first message only (refresh 60 s)');
  const doc = profileOf(file);
  const want = new Map([...profilePorts(doc)].map(([k, v]) => [k, [v[0], 0] as [number, number]]));
  assert.deepEqual(sortedEntries(ipfixPorts(records)), sortedEntries(want));
  for (const r of records) {
    assert.ok((r[IE.flowEndMilliseconds] as number) >= (r[IE.flowStartMilliseconds] as number));
    assert.ok([1, 2, 3, 4, 5].includes(r[IE.flowEndReason] as number));
  }
});

test('ipfix: active timeout splits long flows into delta records that still add up', { skip: HAVE_CORPUS ? false : 'corpus absent (../shared/corpus)' }, async () => {
  const file = path.join(CORPUS, 'tcpdump/tests/afs.pcap');
  const { records } = decodeIpfix(await receiveIpfix(file, ['--active-timeout', '1', '--template-refresh', '1']));
  assert.ok(records.some((r) => r[IE.flowEndReason] === 2), 'some records end by active timeout');
  const doc = profileOf(file);
  const want = new Map([...profilePorts(doc)].map(([k, v]) => [k, [v[0], 0] as [number, number]]));
  assert.deepEqual(sortedEntries(ipfixPorts(records)), sortedEntries(want));
});

// ---- /metrics straight from the sensor ----

function parseMetrics(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const l of text.split('\n')) {
    if (l === '' || l.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(l);
    assert.ok(m, `exposition line: ${l}`);
    const labels: Record<string, string> = {};
    for (const p of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[p[1]] = p[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

test('prometheus: /metrics totals equal the profile, port series bounded by --top-ports plus "other"', async () => {
  const file = path.join(FIXTURES, 'dns.pcap');
  const doc = profileOf(file);
  const port = await freePort();
  const kids = new Children();
  try {
    const c = kids.start(process.execPath, [CLI, 'sensor', '-r', file, '--prometheus', `127.0.0.1:${port}`, '--top-ports', '2', '--sensor', 'unit-a', '--exit-after', '60']);
    const samples = await waitFor('the end of the file', 15000, async () => {
      if (!(kids.logs.get(c) ?? '').includes('serving /metrics')) return undefined;
      const r = await httpGet(`http://127.0.0.1:${port}/metrics`);
      assert.equal(r.status, 200);
      return parseMetrics(r.body);
    });
    const ports = samples.filter((s) => s.name === 'portscope_port_packets_total');
    for (const s of samples) assert.equal(s.labels.sensor, 'unit-a', `${s.name} has the sensor label`);
    const distinct = new Set(ports.map((s) => `${s.labels.proto}/${s.labels.port}`).filter((k) => !k.endsWith('/other')));
    assert.equal(distinct.size, 2, 'two ports of their own');
    assert.ok(ports.some((s) => s.labels.port === 'other'), 'the rest in "other"');
    const sum = (xs: { value: number }[]) => xs.reduce((a, s) => a + s.value, 0);
    assert.equal(sum(ports), doc.ports.reduce((a, p) => a + p.packets, 0), 'sum over port series = sum of per-port packets');
    const bytes = samples.filter((s) => s.name === 'portscope_port_bytes_total');
    assert.equal(sum(bytes), doc.ports.reduce((a, p) => a + p.bytes, 0));
    const one = (n: string, l: Record<string, string> = {}) =>
      samples.find((s) => s.name === n && Object.entries(l).every(([k, v]) => s.labels[k] === v))?.value;
    assert.equal(one('portscope_interface_packets_total', { class: 'total' }), doc.counters.packets.total);
    assert.equal(one('portscope_interface_bytes_total', { class: 'udp' }), doc.counters.bytes.udp);
    assert.equal(one('portscope_flows_total'), doc.flows.total);
    assert.equal(one('portscope_flows_active'), doc.flows.active);
    assert.equal(one('portscope_kernel_dropped_packets_total'), 0);
    c.kill('SIGTERM');
    assert.equal(await Children.exited(c), 0, 'SIGTERM ends the sensor cleanly');
  } finally {
    await kids.kill();
  }
});

test('sensor: one-line errors and exit status 1', () => {
  const file = path.join(FIXTURES, 'dns.pcap');
  const cases: [string[], RegExp][] = [
    [['sensor', '-r', file], /at least one exporter/],
    [['sensor', '-r', file, '--ipfix', 'nohost'], /--ipfix "nohost" \(expected HOST:PORT\)/],
    [['sensor', '-r', file, '--ndjson', path.join(os.tmpdir(), 'no-such-dir-ps', 'x.ndjson')], /No such file or directory/],
    [['sensor', '-r', path.join(os.tmpdir(), 'no-such-capture.pcap'), '--ndjson', '-'], /No such file or directory/],
    [['sensor', '-r', file, '--ndjson', '-', 'tcp port'], /./],
    [['sensor', '-r', file, '--ipfix', 'no-such-host.invalid:4739'], /cannot resolve/],
    [['sensor', '-r', file, '--prometheus', 'x'], /bad port/],
  ];
  for (const [args, re] of cases) {
    const r = cli(args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('reading from file'));
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(lines[0], /^portscope: /);
    assert.match(lines[0], re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('sensor: --prometheus on a port in use is one line', async () => {
  const net = await import('node:net');
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as import('node:net').AddressInfo).port;
  try {
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const { spawn } = require('node:child_process') as typeof import('node:child_process');
      const c = spawn(process.execPath, [CLI, 'sensor', '-r', path.join(FIXTURES, 'dns.pcap'), '--prometheus', `127.0.0.1:${port}`]);
      let err = '';
      c.stderr.on('data', (d: Buffer) => (err += d));
      c.on('exit', (code) => resolve({ status: code, stderr: err }));
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /portscope: --prometheus 127\.0\.0\.1:\d+: address already in use\n$/);
  } finally {
    srv.close();
  }
});
