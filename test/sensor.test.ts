// Sensors against the real collectors: the Prometheus server (Debian `prometheus`) scraping two
// sensors that replay different fixtures, queried over its HTTP API with PromQL; and nfcapd
// (Debian `nfdump`) receiving IPFIX, read back with `nfdump -r`. Both skip when the binaries are
// missing; every process started here is stopped by its pid, scratch files live in a temp dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  CLI, CORPUS, FIXTURES, HAVE_CORPUS, Children, addFlow, cli, freePort, have, httpGet, profileOf, profilePorts, sortedEntries, waitFor,
} from './export-support';

const HAVE_PROMETHEUS = have('prometheus');
const HAVE_NFCAPD = have('nfcapd', ['-V']) && have('nfdump', ['-V']);
const HAVE_TSHARK = have('tshark');

function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `portscope-${tag}-`));
}

interface PromVector {
  metric: Record<string, string>;
  value: [number, string];
}

async function promQuery(base: string, q: string): Promise<PromVector[]> {
  const r = await httpGet(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
  assert.equal(r.status, 200, r.body);
  const j = JSON.parse(r.body) as { status: string; data: { resultType: string; result: PromVector[] } };
  assert.equal(j.status, 'success');
  return j.data.result;
}

test('prometheus: two sensors scraped by the real Prometheus; PromQL sum by (port) = merged profile', { skip: HAVE_PROMETHEUS ? false : 'prometheus not installed (apt-get install prometheus)', timeout: 120_000 }, async () => {
  const files = [path.join(FIXTURES, 'http.pcap'), path.join(FIXTURES, 'dns.pcap')];
  const dir = tmpDir('prom');
  const kids = new Children();
  try {
    // the merged profile of the two captures
    const profiles = files.map((f, i) => {
      const p = path.join(dir, `p${i}.json`);
      fs.writeFileSync(p, JSON.stringify(profileOf(f)));
      return p;
    });
    const merged = JSON.parse(cli(['profile', 'merge', '--format', 'json', ...profiles]).stdout) as ReturnType<typeof profileOf>;
    const want = new Map<string, [number, number]>();
    for (const p of merged.ports) {
      const v = want.get(String(p.port)) ?? [0, 0];
      v[0] += p.packets;
      v[1] += p.bytes;
      want.set(String(p.port), v);
    }

    const sensorPorts = [await freePort(), await freePort()];
    const sensors = files.map((f, i) =>
      kids.start(process.execPath, [CLI, 'sensor', '-r', f, '--prometheus', `127.0.0.1:${sensorPorts[i]}`, '--sensor', `s${i}`, '--top-ports', '1000', '--exit-after', '100']),
    );
    const promPort = await freePort();
    const cfg = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(cfg, [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: portscope',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${sensorPorts[0]}', '127.0.0.1:${sensorPorts[1]}']`,
      '',
    ].join('\n'));
    const prom = kids.start('prometheus', [
      `--config.file=${cfg}`, `--storage.tsdb.path=${path.join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn',
    ]);
    const base = `http://127.0.0.1:${promPort}`;
    await waitFor('prometheus ready', 30000, async () => {
      if (prom.exitCode !== null) throw new Error(`prometheus exited: ${kids.logs.get(prom)}`);
      try {
        return (await httpGet(`${base}/-/ready`)).status === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    });
    // both sensors at the end of their file, then a scrape of each after that moment
    await waitFor('sensors at end of file', 30000, () => (sensors.every((s) => (kids.logs.get(s) ?? '').includes('serving /metrics')) ? true : undefined));
    const doneAt = Date.now() / 1000;
    await waitFor('a scrape after the end of both files', 30000, async () => {
      const r = await promQuery(base, 'timestamp(portscope_flows_total)');
      return r.length === 2 && r.every((v) => v.value[1] !== undefined && Number(v.value[1]) > doneAt + 0.5) ? true : undefined;
    });

    const up = await promQuery(base, 'sum(up{job="portscope"})');
    assert.equal(Number(up[0].value[1]), 2, 'both sensors up');
    const bySensor = await promQuery(base, 'count by (sensor) (portscope_flows_total)');
    assert.deepEqual(bySensor.map((v) => v.metric.sensor).sort(), ['s0', 's1']);
    const got = new Map<string, [number, number]>();
    for (const v of await promQuery(base, 'sum by (port) (portscope_port_packets_total)')) got.set(v.metric.port, [Number(v.value[1]), 0]);
    for (const v of await promQuery(base, 'sum by (port) (portscope_port_bytes_total)')) got.get(v.metric.port)![1] = Number(v.value[1]);
    assert.deepEqual(sortedEntries(got), sortedEntries(want), 'PromQL sum by (port) = merged profile packets and bytes by port');
    const flows = await promQuery(base, 'sum(portscope_flows_total)');
    assert.equal(Number(flows[0].value[1]), merged.flows.total, 'flows');
    const pk = await promQuery(base, 'sum(portscope_interface_packets_total{class="total"})');
    assert.equal(Number(pk[0].value[1]), merged.counters.packets.total, 'packets');
  } finally {
    await kids.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** IP-level bytes by port from tshark (ip.len / IPv6 payload length + 40): the IPFIX octet oracle. */
function tsharkIpBytesByPort(file: string): Map<string, [number, number]> {
  const r = spawnSync('tshark', ['-r', file, '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-Y', 'not icmp and not icmpv6', '-T', 'fields', '-E', 'separator=\t',
    '-e', 'ip.len', '-e', 'ipv6.plen', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'udp.srcport', '-e', 'udp.dstport'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  const m = new Map<string, [number, number]>();
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const c = line.split('\t').map((x) => x.split(',')[0]);
    const ipLen = c[0] !== '' ? Number(c[0]) : c[1] !== '' ? Number(c[1]) + 40 : 0;
    if (c[2] !== '') addFlow(m, 'tcp', Number(c[2]), Number(c[3]), 1, ipLen);
    else if (c[4] !== '') addFlow(m, 'udp', Number(c[4]), Number(c[5]), 1, ipLen);
  }
  return m;
}

test('ipfix: nfcapd receives the flows; nfdump totals (flows, packets, bytes by port) equal the profile', { skip: HAVE_NFCAPD ? false : 'nfcapd/nfdump not installed (apt-get install nfdump)', timeout: 120_000 }, async () => {
  const files = ['http.pcap', 'dns.pcap', 'conn-states.pcap', 'vlan.pcap', 'scan.pcap'].map((f) => path.join(FIXTURES, f));
  if (HAVE_CORPUS) files.push(path.join(CORPUS, 'tcpdump/tests/afs.pcap'));
  for (const file of files) {
    const dir = tmpDir('nfcapd');
    const kids = new Children();
    try {
      const port = await freePort(true);
      const nfcapd = kids.start('nfcapd', ['-b', '127.0.0.1', '-p', String(port), '-w', dir, '-t', '3600']);
      await waitFor('nfcapd listening', 10000, () => ((kids.logs.get(nfcapd) ?? '').includes('Startup') ? true : undefined));
      const sensor = kids.start(process.execPath, [CLI, 'sensor', '-r', file, '--ipfix', `127.0.0.1:${port}`, '--active-timeout', '0']);
      assert.equal(await Children.exited(sensor), 0, kids.logs.get(sensor));
      await new Promise((r) => setTimeout(r, 500));
      nfcapd.kill('SIGTERM'); // nfcapd writes its file at exit
      await Children.exited(nfcapd);
      const r = spawnSync('nfdump', ['-R', dir, '-q', '-N', '-o', 'fmt:%pr|%sa|%sp|%da|%dp|%pkt|%byt|%fl|%ts'], { encoding: 'utf8', maxBuffer: 1 << 28 });
      assert.equal(r.status, 0, r.stderr);
      const recs = r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => l.split('|').map((x) => x.trim()));
      const doc = profileOf(file);
      const byPort = new Map<string, [number, number]>();
      const biflows = new Set<string>();
      let packets = 0;
      for (const [pr, sa, sp, da, dp, pkt, byt, fl, ts] of recs) {
        assert.equal(fl, '1', 'one flow per record (nothing aggregated)');
        packets += Number(pkt);
        // ICMP "ports" hold type and code, which differ between the directions of a flow
        const icmp = pr === '1' || pr === '58' || pr.startsWith('ICMP');
        const a = icmp ? sa : `${sa}#${sp}`;
        const b = icmp ? da : `${da}#${dp}`;
        // echo request and reply (8/0, 128/129) are the two directions of one ICMP flow
        const icmpType = icmp ? { '0': '8', '129': '128' }[dp.split('.')[0]] ?? dp.split('.')[0] : '';
        biflows.add(`${pr} ${a < b ? a + ' ' + b : b + ' ' + a} ${ts} ${icmpType}`);
        // (-N prints protocol numbers)
        const proto = pr === '6' || pr === 'TCP' ? 'tcp' : pr === '17' || pr === 'UDP' ? 'udp' : '';
        if (proto !== '') addFlow(byPort, proto, Number(sp), Number(dp), Number(pkt), Number(byt));
      }
      const name = path.basename(file);
      const flowPackets = doc.counters.packets.ipv4 + doc.counters.packets.ipv6;
      assert.ok(packets <= flowPackets && packets > 0, `${name}: packets in flows`);
      assert.equal(biflows.size, doc.flows.total, `${name}: flows (the two directions of a flow share its start time)`);
      const pkts = (m: Map<string, [number, number]>) => sortedEntries(m).map(([k, v]) => [k, v[0]]);
      assert.deepEqual(pkts(byPort), pkts(profilePorts(doc)), `${name}: packets by port`);
      if (HAVE_TSHARK && !name.startsWith('scan')) {
        const oct = (m: Map<string, [number, number]>) => sortedEntries(m).map(([k, v]) => [k, v[1]]);
        assert.deepEqual(oct(byPort), oct(tsharkIpBytesByPort(file)), `${name}: IP bytes by port (tshark ip.len)`);
      }
    } finally {
      await kids.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('ipfix: a burst of 20,000 flows ending at once reaches nfcapd without loss (paced sending)', { skip: HAVE_NFCAPD ? false : 'nfcapd/nfdump not installed (apt-get install nfdump)', timeout: 120_000 }, async () => {
  const dir = tmpDir('nfcapd-burst');
  const kids = new Children();
  try {
    const cap = path.join(dir, 'burst.pcap');
    const g = spawnSync(process.execPath, [path.join(CLI, '../../../scripts/gen-capture.js'), cap, '--count', '100000', '--flows', '20000', '--seed', '3'], { encoding: 'utf8' });
    assert.equal(g.status, 0, g.stderr);
    const port = await freePort(true);
    const flowsDir = path.join(dir, 'flows');
    fs.mkdirSync(flowsDir);
    // nfcapd's default socket buffer: unpaced, about a quarter of the records are lost here
    const nfcapd = kids.start('nfcapd', ['-b', '127.0.0.1', '-p', String(port), '-w', flowsDir, '-t', '3600']);
    await waitFor('nfcapd listening', 10000, () => ((kids.logs.get(nfcapd) ?? '').includes('Startup') ? true : undefined));
    const sensor = kids.start(process.execPath, [CLI, 'sensor', '-r', cap, '--ipfix', `127.0.0.1:${port}`, '--ipfix-rate', '2000']);
    assert.equal(await Children.exited(sensor), 0, kids.logs.get(sensor));
    await new Promise((r) => setTimeout(r, 500));
    nfcapd.kill('SIGTERM');
    await Children.exited(nfcapd);
    assert.match(kids.logs.get(nfcapd) ?? '', /Sequence Errors: 0,/, 'no message lost');
    const r = spawnSync('nfdump', ['-R', flowsDir, '-q', '-N', '-o', 'fmt:%pkt'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const packets = r.stdout.split('\n').filter((l) => l.trim() !== '').reduce((a, l) => a + Number(l), 0);
    const doc = profileOf(cap);
    assert.equal(packets, doc.counters.packets.ipv4 + doc.counters.packets.ipv6, 'every IP packet in some record');
  } finally {
    await kids.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
