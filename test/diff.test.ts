// portscope diff: new and vanished services, ports and hosts, moved traffic shares; exit 0 when
// nothing changed, 1 when something did, 2 on trouble. Profiles made by portscope from captures
// the test writes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { writePcap, KERNEL_SYN_OPTS, type Pkt } from './detect-support';

const MAIN = path.resolve(__dirname, '../src/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-diff-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function ps(args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
}

/** Connections from client C to server:port, each with `bytes` of answer. */
function traffic(conns: [string, number, number][], t0: number): Pkt[] {
  const out: Pkt[] = [];
  let t = t0;
  let cp = 40000;
  for (const [srv, port, bytes] of conns) {
    t += 0.1;
    cp++;
    const C = '192.168.7.10';
    if (port === 53) {
      out.push({ t, src: C, dst: srv, proto: 'udp', sport: cp, dport: 53, payload: 30 });
      out.push({ t: t + 0.01, src: srv, dst: C, proto: 'udp', sport: 53, dport: cp, payload: bytes });
      continue;
    }
    out.push({ t, src: C, dst: srv, proto: 'tcp', sport: cp, dport: port, flags: 2, opts: KERNEL_SYN_OPTS });
    out.push({ t: t + 0.01, src: srv, dst: C, proto: 'tcp', sport: port, dport: cp, flags: 0x12 });
    for (let sent = 0; sent < bytes; sent += 1400) out.push({ t: t + 0.02, src: srv, dst: C, proto: 'tcp', sport: port, dport: cp, flags: 0x18, payload: Math.min(1400, bytes - sent) });
  }
  return out;
}

function profile(name: string, conns: [string, number, number][]): string {
  const pcap = path.join(tmp, `${name}.pcap`);
  writePcap(pcap, traffic(conns, 1_700_000_000));
  const out = path.join(tmp, `${name}.json`);
  const r = ps(['profile', '-r', pcap, '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  return out;
}

const base = (): [string, number, number][] => [
  ['10.0.0.1', 443, 20000],
  ['10.0.0.1', 443, 20000],
  ['10.0.0.2', 22, 20000],
  ['10.0.0.53', 53, 100],
];

test('identical traffic: "no changes", exit 0 (text and json)', () => {
  const a = profile('a', base());
  const b = profile('b', base());
  const r = ps(['diff', a, b]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'no changes\n');
  const j = ps(['diff', a, b, '--format', 'json']);
  assert.equal(j.status, 0);
  assert.equal(JSON.parse(j.stdout).changed, false);
});

test('a new service, a vanished one, a new host and a moved share: listed, exit 1', () => {
  const a = profile('a2', base());
  const b = profile('b2', [
    ['10.0.0.1', 443, 20000],
    ['10.0.0.1', 443, 20000],
    ['10.0.0.9', 8080, 60000],
    ['10.0.0.53', 53, 100],
  ]);
  const r = ps(['diff', a, b]);
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.includes('+ service 10.0.0.9 tcp/8080 (http-alt)'), r.stdout);
  assert.ok(lines.includes('- service 10.0.0.2 tcp/22 (ssh)'), r.stdout);
  assert.ok(lines.includes('+ port tcp/8080'), r.stdout);
  assert.ok(lines.includes('- port tcp/22'), r.stdout);
  assert.ok(lines.includes('+ host 10.0.0.9'), r.stdout);
  assert.ok(lines.includes('- host 10.0.0.2'), r.stdout);
  assert.ok(lines.some((l) => /^~ port tcp\/443 share \d+\.\d% -> \d+\.\d% \(-\d+\.\d points\)$/.test(l)), r.stdout);
  const j = JSON.parse(ps(['diff', a, b, '--format', 'json']).stdout);
  assert.equal(j.changed, true);
  assert.deepEqual(j.newServices, ['10.0.0.9 tcp/8080 (http-alt)']);
  // a threshold above every move hides the shares, not the new/vanished items
  const hi = ps(['diff', a, b, '--threshold', '100']);
  assert.equal(hi.status, 1);
  assert.ok(!hi.stdout.includes('~ '));
});

test('only shares moved: reported when beyond the threshold, exit 0 below it', () => {
  const a = profile('a3', base());
  const b = profile('b3', [['10.0.0.1', 443, 5000], ['10.0.0.1', 443, 5000], ['10.0.0.2', 22, 60000], ['10.0.0.53', 53, 100]]);
  const r = ps(['diff', a, b, '--threshold', '10']);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /~ port tcp\/22 share/);
  assert.match(r.stdout, /~ host 10\.0\.0\.2 share/);
  assert.equal(ps(['diff', a, b, '--threshold', '90']).status, 0);
});

test('trouble: exit 2 with one line (missing file, bad JSON, bad option, wrong arity)', () => {
  const a = profile('a4', base());
  const bad = path.join(tmp, 'bad.json');
  fs.writeFileSync(bad, '{"schema": "portscope.profile/1", "ports": [}');
  for (const args of [[a, path.join(tmp, 'none.json')], [a, bad], [a, a, '--threshold', 'x'], [a]]) {
    const r = ps(['diff', ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^portscope: /);
  }
  assert.match(ps(['diff', a, bad]).stderr, /bad\.json: not a JSON profile: syntax error at byte offset \d+/);
});
