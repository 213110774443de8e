// The recorded fixtures (fixtures/*.pcap and *.pcapng, made by scripts/record-fixtures.sh) are read
// by the real tcpdump and tshark without error and hold the flows fixtures/README.md promises, so a
// broken re-recording is noticed. tshark is the oracle for contents; nothing here uses portscope code.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

// PORTSCOPE_FIXTURES_DIR checks a fresh recording instead:
//   FIXTURES_DIR=/tmp/fx scripts/record-fixtures.sh && PORTSCOPE_FIXTURES_DIR=/tmp/fx node --test dist/test/fixtures.test.js
const FIXTURES = process.env.PORTSCOPE_FIXTURES_DIR
  ? path.resolve(process.env.PORTSCOPE_FIXTURES_DIR)
  : path.resolve(__dirname, '../../fixtures');

/** Every fixture: its file, tcpdump's link-type name for it, its first four bytes. */
const FIXTURE_FILES = {
  http: { file: 'http.pcap', link: 'EN10MB', magic: 'd4c3b2a1' },
  dns: { file: 'dns.pcap', link: 'EN10MB', magic: 'd4c3b2a1' },
  'conn-states': { file: 'conn-states.pcap', link: 'EN10MB', magic: 'd4c3b2a1' },
  vlan: { file: 'vlan.pcap', link: 'EN10MB', magic: 'd4c3b2a1' },
  scan: { file: 'scan.pcap', link: 'EN10MB', magic: 'd4c3b2a1' },
  sll: { file: 'sll.pcap', link: 'LINUX_SLL', magic: 'd4c3b2a1' },
  sll2: { file: 'sll2.pcap', link: 'LINUX_SLL2', magic: 'd4c3b2a1' },
  nano: { file: 'nano.pcap', link: 'EN10MB', magic: '4d3cb2a1' },
  multi: { file: 'multi.pcapng', link: 'EN10MB', magic: '0a0d0d0a' },
  'mixed-links': { file: 'mixed-links.pcapng', link: 'EN10MB', magic: '0a0d0d0a' },
} as const;
type Name = keyof typeof FIXTURE_FILES;
const NAMES = Object.keys(FIXTURE_FILES) as Name[];

function have(tool: string): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}
const HAVE_TSHARK = have('tshark');
const HAVE_TCPDUMP = have('tcpdump');
const skipTools = !HAVE_TSHARK || !HAVE_TCPDUMP ? 'tshark and tcpdump are needed (apt-get install tshark tcpdump)' : false;

function file(name: Name): string {
  return path.join(FIXTURES, FIXTURE_FILES[name].file);
}

/** The tshark fields every check below works from; a field that occurs twice is "outer,inner". */
const FIELDS = [
  'frame.number', 'frame.time_epoch', 'frame.interface_id', 'frame.encap_type', 'eth.type',
  'ieee8021ad.id', 'vlan.id', 'sll.pkttype', 'sll.hatype', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst',
  'ip.proto', 'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'udp.srcport', 'udp.dstport',
  'icmp.type', 'icmp.code', 'icmpv6.type', 'dns.flags.response', 'dns.qry.name', 'dns.qry.type',
  'dns.flags.rcode', 'dns.a', 'dns.aaaa', 'http.request.uri', 'http.response.code', 'arp.opcode',
  'udp.length',
] as const;
type Field = (typeof FIELDS)[number];

/** One packet as tshark sees it: field -> first (outermost) value, '' when absent; `all` keeps every value. */
interface Row {
  get(f: Field): string;
  all(f: Field): string[];
  num(f: Field): number;
}

const cache = new Map<Name, Row[]>();
function tshark(name: Name): Row[] {
  const hit = cache.get(name);
  if (hit) return hit;
  const args = ['-n', '-r', file(name), '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of FIELDS) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `tshark -r ${name} failed: ${r.stderr}`);
  // tshark warns about running as root; anything else on stderr is a complaint about the file.
  const complaints = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/^Running as user "root"/.test(l));
  assert.deepEqual(complaints, [], `tshark complained about ${name}`);
  const rows = r.stdout.split('\n').filter((l) => l !== '').map((line): Row => {
    const cols = line.split('\t');
    const idx = (f: Field): number => FIELDS.indexOf(f);
    return {
      get: (f) => (cols[idx(f)] ?? '').split(',')[0],
      all: (f) => (cols[idx(f)] ?? '') === '' ? [] : cols[idx(f)].split(','),
      num: (f) => {
        const v = (cols[idx(f)] ?? '').split(',')[0];
        return v === '' ? NaN : Number(v);
      },
    };
  });
  cache.set(name, rows);
  return rows;
}

// TCP flag bits (tshark prints tcp.flags as 0x0012).
const FIN = 0x01, SYN = 0x02, RST = 0x04, ACK = 0x10;
const flags = (r: Row): number => (r.get('tcp.flags') === '' ? 0 : parseInt(r.get('tcp.flags'), 16));
const isSyn = (r: Row): boolean => (flags(r) & (SYN | ACK)) === SYN;
const isSynAck = (r: Row): boolean => (flags(r) & (SYN | ACK)) === (SYN | ACK);
const has = (r: Row, bit: number): boolean => (flags(r) & bit) !== 0;
/** TCP packets of one flow, identified by the client's (fixed) port. */
function tcpFlow(rows: Row[], clientPort: number): { fromClient: Row[]; fromServer: Row[] } {
  const pkts = rows.filter((r) => r.get('icmp.type') === '' && (r.num('tcp.srcport') === clientPort || r.num('tcp.dstport') === clientPort));
  return {
    fromClient: pkts.filter((r) => r.num('tcp.srcport') === clientPort),
    fromServer: pkts.filter((r) => r.num('tcp.dstport') === clientPort),
  };
}
const count = (rows: Row[], pred: (r: Row) => boolean): number => rows.filter(pred).length;
const sorted = (xs: (string | number)[]): (string | number)[] => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

const skipFixtures = !fs.existsSync(file('http')) ? `no fixtures in ${FIXTURES} (run scripts/record-fixtures.sh as root)` : false;
const skip = skipTools || skipFixtures;

test('every fixture is small and read cleanly by tshark and tcpdump, with equal counts', { skip }, () => {
  for (const name of NAMES) {
    const f = file(name);
    const size = fs.statSync(f).size;
    assert.ok(size > 24 && size < 200_000, `${name}: ${size} bytes`);
    const head = fs.readFileSync(f).subarray(0, 4).toString('hex');
    assert.equal(head, FIXTURE_FILES[name].magic, `${name}: format and byte order`);
    const td = spawnSync('tcpdump', ['-nn', '-r', f], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const banner = td.stderr.split('\n')[0];
    assert.match(banner, new RegExp(`^reading from file .*, link-type ${FIXTURE_FILES[name].link} \\(.*\\), snapshot length 262144$`));
    if (name === 'mixed-links') {
      // libpcap 1.10 refuses a pcapng whose interfaces have different link types.
      assert.equal(td.status, 1);
      assert.match(td.stderr, /an interface has a type 113 different from the type of the first interface/);
      assert.ok(tshark(name).length >= 20);
      continue;
    }
    assert.equal(td.status, 0, `tcpdump -r ${name}: ${td.stderr}`);
    assert.doesNotMatch(td.stderr, /truncated|cut short|error/i, `${name}: ${td.stderr}`);
    const tdLines = td.stdout.split('\n').filter((l) => l !== '').length;
    const rows = tshark(name);
    assert.ok(rows.length >= 6, `${name} has ${rows.length} packets`);
    assert.equal(tdLines, rows.length, `${name}: tcpdump lines vs tshark frames`);
  }
});

test('http.pcap: five curl GETs (3 IPv4, 2 IPv6) to port 80, all closed normally', { skip }, () => {
  const rows = tshark('http');
  const syns = rows.filter(isSyn);
  assert.deepEqual(sorted(syns.map((r) => r.num('tcp.srcport'))), [40001, 40002, 40003, 40004, 40005]);
  assert.ok(syns.every((r) => r.num('tcp.dstport') === 80));
  assert.equal(count(syns, (r) => r.get('ip.src') === '10.99.0.1'), 3);
  assert.equal(count(syns, (r) => r.get('ipv6.src') === 'fd00:99::1'), 2);
  assert.equal(count(rows, isSynAck), 5);
  assert.equal(count(rows, (r) => has(r, RST)), 0);
  for (let port = 40001; port <= 40005; port++) {
    const f = tcpFlow(rows, port);
    assert.equal(count(f.fromClient, (r) => has(r, FIN)), 1, `client FIN ${port}`);
    assert.equal(count(f.fromServer, (r) => has(r, FIN)), 1, `server FIN ${port}`);
  }
  assert.deepEqual(sorted(rows.map((r) => r.get('http.request.uri')).filter((u) => u !== '')), ['/', '/', '/hello.txt', '/hello.txt', '/missing.txt']);
  assert.deepEqual(sorted(rows.map((r) => r.get('http.response.code')).filter((c) => c !== '')), ['200', '200', '200', '200', '404']);
});

test('dns.pcap: six queries (one over TCP, two over IPv6), six answers, one NXDOMAIN', { skip }, () => {
  const rows = tshark('dns');
  const queries = rows.filter((r) => r.get('dns.flags.response') === '0' || r.get('dns.flags.response') === 'False');
  const answers = rows.filter((r) => r.get('dns.flags.response') === '1' || r.get('dns.flags.response') === 'True');
  assert.equal(queries.length, 6);
  assert.equal(answers.length, 6);
  const port = (r: Row): number => (r.get('udp.srcport') !== '' ? r.num('udp.srcport') : r.num('tcp.srcport'));
  assert.deepEqual(sorted(queries.map(port)), [40101, 40102, 40103, 40104, 40105, 40106]);
  assert.deepEqual(sorted(queries.map((r) => r.get('dns.qry.name'))), [
    'mail.fixture.test', 'nosuch.fixture.test', 'ns1.fixture.test', 'www.fixture.test', 'www.fixture.test', 'www.fixture.test',
  ]);
  assert.equal(count(queries, (r) => r.num('tcp.srcport') === 40106), 1);
  assert.equal(count(queries, (r) => r.get('ipv6.src') === 'fd00:99::1'), 2);
  assert.equal(count(answers, (r) => r.get('dns.flags.rcode') === '3'), 1);
  assert.deepEqual(sorted(answers.flatMap((r) => r.all('dns.a'))), ['10.99.0.2', '10.99.0.80', '10.99.0.80']);
  assert.deepEqual(sorted(answers.flatMap((r) => r.all('dns.aaaa'))), ['fd00:99::25', 'fd00:99::80']);
  const tcp = tcpFlow(rows, 40106);
  assert.equal(count(tcp.fromClient, (r) => has(r, FIN)), 1);
  assert.equal(count(tcp.fromServer, (r) => has(r, FIN)), 1);
});

test('conn-states.pcap: one flow per Zeek conn_state, as fixtures/README.md lists', { skip }, () => {
  const rows = tshark('conn-states');
  // 1. REJ: SYN, answered by RST-ACK only.
  let f = tcpFlow(rows, 41001);
  assert.equal(f.fromClient.length, 1);
  assert.ok(isSyn(f.fromClient[0]));
  assert.equal(f.fromClient[0].num('tcp.dstport'), 81);
  assert.equal(f.fromServer.length, 1);
  assert.equal(flags(f.fromServer[0]) & (RST | ACK | SYN), RST | ACK);
  // 2. RSTR: established, the server aborts.
  f = tcpFlow(rows, 41002);
  assert.equal(count(f.fromServer, isSynAck), 1);
  assert.equal(count(f.fromServer, (r) => has(r, RST)), 1);
  assert.equal(count(f.fromClient, (r) => has(r, RST) || has(r, FIN)), 0);
  // 3. RSTO: established, the client aborts.
  f = tcpFlow(rows, 41003);
  assert.equal(count(f.fromServer, isSynAck), 1);
  assert.equal(count(f.fromClient, (r) => has(r, RST)), 1);
  assert.equal(count(f.fromServer, (r) => has(r, RST) || has(r, FIN)), 0);
  // 4. SF: FIN both ways, no RST.
  f = tcpFlow(rows, 41004);
  assert.equal(count(f.fromServer, isSynAck), 1);
  assert.equal(count(f.fromClient, (r) => has(r, FIN)), 1);
  assert.equal(count(f.fromServer, (r) => has(r, FIN)), 1);
  assert.equal(count([...f.fromClient, ...f.fromServer], (r) => has(r, RST)), 0);
  // 5. S0: SYNs only, nothing back.
  f = tcpFlow(rows, 41005);
  assert.ok(f.fromClient.length >= 1 && f.fromClient.every(isSyn));
  assert.equal(f.fromServer.length, 0);
  // 6. UDP: one datagram each way.
  assert.equal(count(rows, (r) => r.num('udp.srcport') === 41006 && r.num('udp.dstport') === 9999), 1);
  assert.equal(count(rows, (r) => r.num('udp.srcport') === 9999 && r.num('udp.dstport') === 41006), 1);
  // 7, 8. ICMP and ICMPv6 echo.
  assert.equal(count(rows, (r) => r.get('icmp.type') === '8'), 3);
  assert.equal(count(rows, (r) => r.get('icmp.type') === '0'), 3);
  assert.equal(count(rows, (r) => r.get('icmpv6.type') === '128'), 2);
  assert.equal(count(rows, (r) => r.get('icmpv6.type') === '129'), 2);
  // 9. S1: established, still open.
  f = tcpFlow(rows, 41007);
  assert.equal(count(f.fromClient, isSyn), 1);
  assert.equal(count(f.fromServer, isSynAck), 1);
  assert.equal(count([...f.fromClient, ...f.fromServer], (r) => has(r, RST) || has(r, FIN)), 0);
  // Nothing else: every TCP/UDP packet belongs to one of the flows above.
  const known = new Set([41001, 41002, 41003, 41004, 41005, 41006, 41007]);
  for (const r of rows) {
    const p = r.get('tcp.srcport') !== '' ? [r.num('tcp.srcport'), r.num('tcp.dstport')] : r.get('udp.srcport') !== '' ? [r.num('udp.srcport'), r.num('udp.dstport')] : null;
    if (p) assert.ok(known.has(p[0]) || known.has(p[1]), `stray packet ${p.join('>')}`);
  }
});

test('vlan.pcap: 802.1Q VLAN 100 and 802.1ad 200 over 802.1Q 300, plus untagged', { skip }, () => {
  const rows = tshark('vlan');
  // tshark shows the 802.1ad service tag as ieee8021ad.id and the customer tag as vlan.id.
  const ids = (r: Row): string => [...r.all('ieee8021ad.id'), ...r.all('vlan.id')].join('/');
  const untagged = rows.filter((r) => ids(r) === '');
  const v100 = rows.filter((r) => ids(r) === '100');
  const qinq = rows.filter((r) => ids(r) === '200/300');
  assert.equal(untagged.length + v100.length + qinq.length, rows.length, 'only these tag stacks');
  assert.equal(count(untagged, (r) => r.get('icmp.type') === '8'), 1);
  assert.equal(count(untagged, (r) => r.get('icmp.type') === '0'), 1);
  assert.ok(qinq.every((r) => r.get('eth.type') === '0x88a8'), 'outer TPID 0x88a8');
  assert.ok(v100.every((r) => r.get('eth.type') === '0x8100'), 'TPID 0x8100');
  assert.equal(count(v100, (r) => r.get('icmp.type') === '8' && r.get('ip.dst') === '10.99.100.2'), 2);
  assert.equal(count(v100, (r) => r.get('icmpv6.type') === '128' && r.get('ipv6.dst') === 'fd00:99:100::2'), 2);
  assert.equal(count(v100, (r) => isSyn(r) && r.num('tcp.srcport') === 40201 && r.num('tcp.dstport') === 80), 1);
  assert.equal(count(v100, (r) => r.num('udp.srcport') === 40202 && r.get('dns.qry.name') === 'www.fixture.test'), 1);
  assert.ok(count(v100, (r) => r.get('arp.opcode') !== '') >= 2, 'ARP on VLAN 100');
  assert.equal(count(qinq, (r) => r.get('icmp.type') === '8' && r.get('ip.dst') === '10.99.201.2'), 2);
  assert.equal(count(qinq, (r) => r.get('icmp.type') === '0'), 2);
  assert.equal(count(qinq, (r) => r.num('udp.srcport') === 40203 && r.num('udp.dstport') === 9999), 1);
  assert.equal(count(qinq, (r) => r.num('udp.srcport') === 9999), 1);
});

test('scan.pcap: nmap -sS and -sU of 14 ports: 2 open, 12 closed TCP; ICMP unreachables for closed UDP', { skip }, () => {
  const rows = tshark('scan');
  const ports = [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 53, 80, 443];
  const syns = rows.filter((r) => isSyn(r) && r.get('ip.src') === '10.99.0.1');
  assert.deepEqual(sorted(syns.map((r) => r.num('tcp.dstport'))), ports);
  assert.equal(new Set(syns.map((r) => r.num('tcp.srcport'))).size, 1, 'nmap -sS uses one source port');
  assert.deepEqual(sorted(rows.filter(isSynAck).map((r) => r.num('tcp.srcport'))), [53, 80]);
  const rstAck = rows.filter((r) => r.get('ip.src') === '10.99.0.2' && has(r, RST));
  assert.deepEqual(sorted(rstAck.map((r) => r.num('tcp.srcport'))), ports.filter((p) => p !== 53 && p !== 80));
  const udpProbes = rows.filter((r) => r.get('icmp.type') === '' && r.get('ip.src') === '10.99.0.1' && r.get('udp.dstport') !== '');
  assert.deepEqual([...new Set(udpProbes.map((r) => r.num('udp.dstport')))].sort((a, b) => a - b), ports);
  const unreach = rows.filter((r) => r.get('ip.src') === '10.99.0.2' && r.get('icmp.type') === '3' && r.get('icmp.code') === '3');
  assert.deepEqual(sorted(unreach.map((r) => r.num('udp.dstport'))), ports.filter((p) => p !== 53));
  assert.ok(count(rows, (r) => r.num('udp.srcport') === 53 && r.get('dns.flags.response') !== ''), 'UDP 53 answers');
});

for (const [name, cport, dport, lport] of [['sll', 40300, 40310, 40320], ['sll2', 40301, 40311, 40321]] as const) {
  test(`${name}.pcap: -i any, both directions, the veth and lo`, { skip }, () => {
    const rows = tshark(name);
    assert.ok(count(rows, (r) => r.get('sll.pkttype') === '0') >= 5, 'packets to us');
    assert.ok(count(rows, (r) => r.get('sll.pkttype') === '4') >= 5, 'outgoing packets');
    assert.ok(count(rows, (r) => r.get('sll.hatype') === '772') >= 2, 'lo (ARPHRD_LOOPBACK)');
    assert.equal(count(rows, (r) => r.get('icmp.type') === '8' && r.get('ip.dst') === '10.99.0.2'), 2);
    assert.equal(count(rows, (r) => r.get('icmp.type') === '0' && r.get('ip.src') === '10.99.0.2'), 2);
    const f = tcpFlow(rows, cport);
    assert.equal(count(f.fromClient, isSyn), 1);
    assert.equal(count(f.fromServer, isSynAck), 1);
    assert.equal(count(f.fromClient, (r) => has(r, FIN)), 1);
    assert.equal(count(rows, (r) => r.num('udp.srcport') === dport && r.get('ipv6.dst') === 'fd00:99::2'), 1);
    assert.equal(count(rows, (r) => r.num('udp.srcport') === lport && r.get('ip.dst') === '127.0.0.1' && r.get('icmp.type') === ''), 1);
    assert.equal(count(rows, (r) => r.get('icmp.type') === '3' && r.get('ip.src') === '127.0.0.1'), 1);
  });
}

test('nano.pcap: nanosecond timestamps, two pings and one DNS query', { skip }, () => {
  const rows = tshark('nano');
  const ns = rows.map((r) => r.get('frame.time_epoch').split('.')[1] ?? '');
  assert.ok(ns.every((d) => d.length === 9), 'nine fraction digits');
  assert.ok(ns.some((d) => !d.endsWith('000')), 'some timestamp is not a whole microsecond');
  assert.equal(count(rows, (r) => r.get('icmp.type') === '8'), 2);
  assert.equal(count(rows, (r) => r.get('icmp.type') === '0'), 2);
  assert.equal(count(rows, (r) => r.num('udp.srcport') === 40401 && r.get('dns.qry.name') === 'www.fixture.test'), 1);
});

test('multi.pcapng: two Ethernet interfaces (ps-s0, lo) in one pcapng', { skip }, () => {
  const rows = tshark('multi');
  assert.deepEqual([...new Set(rows.map((r) => r.get('frame.interface_id')))].sort(), ['0', '1']);
  assert.ok(rows.every((r) => r.get('frame.encap_type') === '1'));
  const on = (ifc: string): Row[] => rows.filter((r) => r.get('frame.interface_id') === ifc);
  assert.equal(count(on('0'), (r) => isSyn(r) && r.num('tcp.srcport') === 40501), 1);
  assert.equal(count(on('0'), (r) => r.get('icmp.type') === '8'), 2);
  assert.equal(count(on('1'), (r) => isSyn(r) && r.num('tcp.srcport') === 40502 && r.get('ip.dst') === '127.0.0.1'), 1);
  assert.equal(count(on('1'), (r) => r.get('ip.src') !== '127.0.0.1'), 0, 'lo carries only 127.0.0.1');
});

test('mixed-links.pcapng: Ethernet and Linux cooked interfaces in one pcapng', { skip }, () => {
  const rows = tshark('mixed-links');
  const on = (ifc: string): Row[] => rows.filter((r) => r.get('frame.interface_id') === ifc);
  assert.ok(on('0').length > 0 && on('0').every((r) => r.get('frame.encap_type') === '1'), 'interface 0 is Ethernet');
  assert.ok(on('1').length > 0 && on('1').every((r) => r.get('frame.encap_type') === '25'), 'interface 1 is Linux cooked');
  // The veth traffic is on both interfaces; the loopback request only on "any".
  for (const ifc of ['0', '1']) {
    assert.equal(count(on(ifc), (r) => isSyn(r) && r.num('tcp.srcport') === 40501), 1);
    assert.equal(count(on(ifc), (r) => r.get('icmp.type') === '8'), 2);
  }
  assert.equal(count(on('0'), (r) => r.num('tcp.srcport') === 40502), 0);
  assert.equal(count(on('1'), (r) => isSyn(r) && r.num('tcp.srcport') === 40502), 1);
});

test('expected-flows.tsv: every listed flow is in its capture, both ways unless S0', { skip }, () => {
  const lines = fs.readFileSync(path.join(FIXTURES, 'expected-flows.tsv'), 'latin1').split('\n');
  const rowsOf = lines.filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('file\t'));
  assert.ok(rowsOf.length >= 20);
  const byFile = new Map<string, Name>(NAMES.map((n) => [FIXTURE_FILES[n].file, n]));
  for (const line of rowsOf) {
    const [fileName, proto, origH, origP, respH, respP, state] = line.split('\t');
    const name = byFile.get(fileName);
    assert.ok(name, `unknown file ${fileName}`);
    assert.match(state, /^(S0|S1|SF|REJ|S2|S3|RSTO|RSTR|RSTOS0|RSTRH|SH|SHR|OTH)$/);
    const rows = tshark(name!);
    const src = (r: Row): string => r.get('ip.src') || r.get('ipv6.src');
    const dst = (r: Row): string => r.get('ip.dst') || r.get('ipv6.dst');
    const dir = (a: string, ap: string, b: string, bp: string): number =>
      count(rows, (r) => {
        if (src(r) !== a || dst(r) !== b) return false;
        if (proto === 'icmp') return (r.get('icmp.type') || r.get('icmpv6.type')) === ap;
        return r.get(proto === 'tcp' ? 'tcp.srcport' : 'udp.srcport') === ap && r.get(proto === 'tcp' ? 'tcp.dstport' : 'udp.dstport') === bp;
      });
    assert.ok(dir(origH, origP, respH, respP) >= 1, `${line}: no packet from the originator`);
    const back = dir(respH, respP, origH, origP);
    assert.ok(state === 'S0' ? back === 0 : back >= 1, `${line}: ${back} packets from the responder`);
  }
});
