// portscope rules: rulesets from profiles pass `nft -c -f`, `iptables-restore --test` and
// `ip6tables-restore --test`; loaded in a test namespace, the observed services still connect and
// an unobserved port is blocked. Profile text never reaches a ruleset unchecked.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Bg, VethPair, run, sleep } from './live-support';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.resolve(__dirname, '../src/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-rules-'));
const veth = new VethPair(`psr${process.pid % 100000}`, 20 + (process.pid % 80));
after(() => {
  veth.remove();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const have = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const toolsSkip = !have('nft', '--version') || !have('iptables-restore', '--version') ? 'nft or iptables-restore not installed (apt-get install nftables iptables)' : false;
const rootSkip = toolsSkip || (process.getuid?.() !== 0 ? 'namespace tests need root' : !have('ip', '-V') ? 'iproute2 missing' : !have('tcpdump', '--version') ? 'tcpdump missing' : false);

function ps(args: string[], input?: string) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', input });
}

function profileOf(pcap: string): string {
  const out = path.join(tmp, path.basename(pcap) + '.json');
  const r = ps(['profile', '-r', pcap, '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  return out;
}

function checkNft(text: string): void {
  const f = path.join(tmp, 'check.nft');
  fs.writeFileSync(f, text);
  const r = spawnSync('nft', ['-c', '-f', f], { encoding: 'utf8' });
  assert.equal(r.status, 0, `nft -c: ${r.stderr}\n${text}`);
}

function checkRestore(tool: string, text: string): void {
  const r = spawnSync(tool, ['--test'], { encoding: 'utf8', input: text });
  assert.equal(r.status, 0, `${tool} --test: ${r.stderr}\n${text}`);
}

test('rulesets from fixtures/scan.pcap pass nft -c, iptables-restore --test, ip6tables-restore --test', { skip: toolsSkip }, () => {
  const prof = profileOf(path.join(ROOT, 'fixtures/scan.pcap'));
  for (const extra of [[], ['--clients'], ['--min-packets', '2']]) {
    const n = ps(['rules', prof, '--format', 'nftables', ...extra]);
    assert.equal(n.status, 0, n.stderr);
    checkNft(n.stdout);
    const i4 = ps(['rules', prof, '--format', 'iptables', ...extra]);
    assert.equal(i4.status, 0, i4.stderr);
    checkRestore('iptables-restore', i4.stdout);
    const i6 = ps(['rules', prof, '--format', 'ip6tables', ...extra]);
    checkRestore('ip6tables-restore', i6.stdout);
  }
  const n = ps(['rules', prof]).stdout;
  // exactly the three observed services, each with its evidence
  const accepts = n.split('\n').filter((l) => / dport \d+ accept/.test(l));
  assert.deepEqual(accepts.map((l) => /(tcp|udp) dport (\d+)/.exec(l)!.slice(1).join('/')), ['tcp/53', 'tcp/80', 'udp/53']);
  assert.match(n, /policy drop;/);
  assert.match(n, /ct state established,related accept/);
  assert.match(n, /www-http tcp\/80 on 10\.99\.0\.2: 2 packets, 1 clients, 20\d\d-/);
  const c = ps(['rules', prof, '--clients']).stdout;
  assert.match(c, /ip saddr \{ 10\.99\.0\.0\/24 \} tcp dport 80 accept/);
  const m = ps(['rules', prof, '--min-packets', '2']).stdout;
  assert.match(m, /# left out: domain udp\/53/);
  assert.equal(m.split('\n').filter((l) => / dport \d+ accept/.test(l)).length, 2);
});

test('hostile or broken profiles: one line naming the field, exit 1, no ruleset', { skip: toolsSkip }, () => {
  const prof = JSON.parse(fs.readFileSync(profileOf(path.join(ROOT, 'fixtures/scan.pcap')), 'utf8'));
  const cases: [unknown, RegExp][] = [
    [{ host: '10.0.0.1; flush ruleset', proto: 'tcp', port: 22 }, /services\[0\]\.host is not an IP address/],
    [{ host: '10.0.0.1', proto: 'tcp', port: 70000 }, /services\[0\]\.port/],
    [{ host: '10.0.0.1', proto: 'icmp', port: 1 }, /services\[0\]\.proto/],
  ];
  for (const [svc, re] of cases) {
    const f = path.join(tmp, 'bad.json');
    fs.writeFileSync(f, JSON.stringify({ ...prof, services: [{ ...prof.services[0], ...(svc as object) }] }));
    const r = ps(['rules', f]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re);
  }
  // client networks are re-parsed too
  const f = path.join(tmp, 'bad-net.json');
  fs.writeFileSync(f, JSON.stringify({ ...prof, services: [{ ...prof.services[0], clientNets: ['10.0.0.0/24 } accept'], clientNetsComplete: true }] }));
  const r = ps(['rules', f, '--clients']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /invalid network/);
  const old = path.join(tmp, 'old.json');
  const { services: _s, ...rest } = prof;
  fs.writeFileSync(old, JSON.stringify(rest));
  assert.match(ps(['rules', old]).stderr, /no "services" list/);
  assert.equal(ps(['rules', old, '--format', 'pf']).status, 1);
});

/** Small TCP and UDP echo servers, run inside the server namespace. */
const SERVERS = `
const net = require('net'), dgram = require('dgram');
for (const p of process.argv.slice(1).filter((a) => a.startsWith('t')).map((a) => +a.slice(1)))
  net.createServer((s) => s.on('data', (d) => s.end(d))).listen(p);
for (const p of process.argv.slice(1).filter((a) => a.startsWith('u')).map((a) => +a.slice(1))) {
  const u = dgram.createSocket('udp4'); u.on('message', (m, r) => u.send(m, r.port, r.address)); u.bind(p);
}
setTimeout(() => process.stderr.write('ready\\n'), 200);
`;

/** Client probes from namespace A: TCP echo, UDP echo. */
const CLIENT = `
const net = require('net'), dgram = require('dgram');
const [kind, host, port] = process.argv.slice(1);
const done = (ok) => { process.stdout.write(ok ? 'ok' : 'fail'); process.exit(0); };
setTimeout(() => done(false), 1500);
if (kind === 'tcp') { const s = net.connect(+port, host, () => s.write('hello')); s.on('data', () => done(true)); s.on('error', () => done(false)); }
else { const u = dgram.createSocket('udp4'); u.on('message', () => done(true)); u.send('hello', +port, host); }
`;

function probe(kind: 'tcp' | 'udp', port: number): boolean {
  const r = spawnSync('ip', ['netns', 'exec', veth.nsA, process.execPath, '-e', CLIENT, kind, veth.ipB, String(port)], { encoding: 'utf8', timeout: 10_000 });
  return r.stdout === 'ok';
}

test('loaded in a namespace: observed services connect, an unobserved port is blocked (nftables, iptables)', { skip: rootSkip, timeout: 120_000 }, async () => {
  veth.create();
  const servers = new Bg('ip', ['netns', 'exec', veth.nsB, process.execPath, '-e', SERVERS, 't8080', 't9090', 'u5353']);
  try {
    await servers.waitFor(/ready/);
    // everything answers before the rules
    assert.ok(probe('tcp', 9090), 'tcp 9090 reachable before rules');
    // capture observed traffic (8080 and 5353 only) with tcpdump in the server namespace
    const pcap = path.join(tmp, 'observed.pcap');
    const cap = new Bg('ip', ['netns', 'exec', veth.nsB, 'tcpdump', '-i', veth.ifB, '-w', pcap, '-U', '--immediate-mode', 'tcp port 8080 or udp port 5353']);
    await cap.waitFor(/listening on/);
    for (let i = 0; i < 3; i++) {
      assert.ok(probe('tcp', 8080));
      assert.ok(probe('udp', 5353));
    }
    await sleep(300);
    await cap.stop('SIGINT');
    const prof = profileOf(pcap);
    const doc = JSON.parse(fs.readFileSync(prof, 'utf8'));
    assert.deepEqual(doc.services.map((s: { host: string; proto: string; port: number }) => `${s.host} ${s.proto}/${s.port}`), [`${veth.ipB} tcp/8080`, `${veth.ipB} udp/5353`]);

    for (const format of ['nftables', 'iptables'] as const) {
      for (const clients of [false, true]) {
        const r = ps(['rules', prof, '--format', format, ...(clients ? ['--clients'] : [])]);
        assert.equal(r.status, 0, r.stderr);
        const load = format === 'nftables' ? ['nft', '-f', '-'] : ['iptables-restore'];
        const l = spawnSync('ip', ['netns', 'exec', veth.nsB, ...load], { input: r.stdout, encoding: 'utf8' });
        assert.equal(l.status, 0, l.stderr);
        try {
          assert.ok(probe('tcp', 8080), `${format}: observed tcp/8080 still connects`);
          assert.ok(probe('udp', 5353), `${format}: observed udp/5353 still answers`);
          assert.ok(!probe('tcp', 9090), `${format}: unobserved tcp/9090 is blocked`);
        } finally {
          if (format === 'nftables') run('ip', ['netns', 'exec', veth.nsB, 'nft', 'delete', 'table', 'inet', 'portscope']);
          else spawnSync('ip', ['netns', 'exec', veth.nsB, 'iptables-restore'], { input: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' });
        }
        assert.ok(probe('tcp', 9090), 'rules removed: 9090 reachable again');
      }
    }
  } finally {
    await servers.stop('SIGTERM');
    veth.remove();
  }
});
