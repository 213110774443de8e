// `portscope profile --format table|md|csv`: the service inventory and scan alert sections, checked
// against the JSON of the same run and against tshark; control characters in a hand-edited
// profile never reach the output raw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { ProfileDoc } from '../src/report/profile';
import type { ScanAlert } from '../src/detect/scan';
import { CSV_COLUMNS } from '../src/report/format';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const SCAN = path.join(ROOT, 'fixtures/scan.pcap');
const HTTP = path.join(ROOT, 'fixtures/http.pcap');
const HAVE_TSHARK = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'profile', ...args], { encoding: 'latin1', timeout: 60000, env: { ...process.env, TZ: 'UTC' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function profileJson(file: string): ProfileDoc {
  const r = run(['-r', file, '--format', 'json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ProfileDoc;
}

/** The rows (cells) of the Markdown table under the "## TITLE..." heading. */
function mdTable(md: string, title: string): { heading: string; rows: string[][] } {
  const lines = md.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`## ${title}`));
  assert.ok(at >= 0, `section ${title} in\n${md}`);
  const rows: string[][] = [];
  for (let i = at + 2; i < lines.length && lines[i].startsWith('| '); i++) {
    rows.push(lines[i].slice(2, -2).split(/(?<!\\) \| /));
  }
  assert.match(rows[1]?.[0] ?? '', /^---/, 'header separator');
  return { heading: lines[at], rows: [rows[0], ...rows.slice(2)] };
}

/** The rows of the plain-text table under the TITLE line (cells are separated by 2+ spaces). */
function textTable(table: string, title: string): { heading: string; rows: string[][] } {
  const lines = table.split('\n');
  const at = lines.findIndex((l) => l.startsWith(title));
  assert.ok(at >= 0, `section ${title} in\n${table}`);
  const rows: string[][] = [];
  for (let i = at + 1; i < lines.length && lines[i].startsWith('  '); i++) rows.push(lines[i].trim().split(/ {2,}/));
  return { heading: lines[at], rows };
}

/** ISO time to the millisecond (the formats print microseconds). */
const iso = (sec: number) => new Date(Math.floor(sec * 1000)).toISOString().slice(0, 23);

function checkServices(rows: string[][], doc: ProfileDoc): void {
  const svc = doc.services!;
  assert.deepEqual(rows[0], ['host', 'proto', 'port', 'service', 'clients', 'packets', 'bytes', 'first seen', 'last seen']);
  assert.equal(rows.length - 1, svc.length, 'one row per service');
  const byBytes = [...svc].sort((a, b) => b.bytes - a.bytes);
  rows.slice(1).forEach((r, i) => {
    const s = byBytes[i];
    assert.deepEqual(r.slice(0, 7), [s.host, s.proto, String(s.port), s.service, String(s.clients), String(s.packets), String(s.bytes)]);
    assert.ok(r[7].startsWith(iso(s.firstSeen)) && r[8].startsWith(iso(s.lastSeen)), `${r[7]} ${r[8]}`);
  });
}

function checkAlert(rows: string[][], a: ScanAlert): void {
  assert.deepEqual(rows[0], ['type', 'scanner', 'target(s)', 'technique', 'ports probed', 'ports failed', 'failed ports (sample)', 'first', 'last']);
  assert.equal(rows.length, 2, 'one alert row');
  const r = rows[1];
  assert.deepEqual(r.slice(0, 3), [a.type, a.scanner, a.target]);
  assert.ok(r[3].startsWith(a.technique), r[3]);
  for (const [k, v] of Object.entries(a.techniques)) assert.ok(r[3].includes(`${k} ${v}`), `${k} ${v} in ${r[3]}`);
  assert.deepEqual(r.slice(4, 6), [String(a.ports), String(a.failedPorts)]);
  assert.equal(r[6], a.portSample.join(' ') + (a.failedPorts > a.portSample.length ? ' ...' : ''));
  assert.ok(r[7].startsWith(iso(a.first)) && r[8].startsWith(iso(a.last)), `${r[7]} ${r[8]}`);
}

test('scan.pcap: md and table show the scan alert and the services of the JSON', () => {
  const doc = profileJson(SCAN);
  assert.equal(doc.alerts.length, 1, 'the fixture yields one scan alert');
  const a = doc.alerts[0] as ScanAlert;
  assert.equal(a.type, 'port-scan');
  assert.equal(a.scanner, '10.99.0.1');
  assert.equal(a.target, '10.99.0.2');
  assert.ok(a.failedPorts >= 10 && a.ports >= a.failedPorts, JSON.stringify(a));
  assert.ok((doc.services ?? []).length > 0);

  const md = run(['-r', SCAN, '--format', 'md']);
  assert.equal(md.status, 0, md.stderr);
  const mdAlerts = mdTable(md.stdout, 'Scan alerts');
  assert.equal(mdAlerts.heading, '## Scan alerts (1 of 1)');
  checkAlert(mdAlerts.rows, a);
  const mdSvc = mdTable(md.stdout, 'Services seen serving');
  assert.equal(mdSvc.heading, `## Services seen serving, by bytes (${doc.services!.length} of ${doc.services!.length})`);
  checkServices(mdSvc.rows, doc);

  const table = run(['-r', SCAN, '--format', 'table']);
  assert.equal(table.status, 0, table.stderr);
  checkAlert(textTable(table.stdout, 'Scan alerts (1 of 1)').rows, a);
  checkServices(textTable(table.stdout, 'Services seen serving').rows, doc);

  // --top limits the rows; the heading says how many there are
  const top1 = run(['-r', SCAN, '--format', 'md', '--top', '1']);
  const t = mdTable(top1.stdout, 'Services seen serving');
  assert.equal(t.heading, `## Services seen serving, by bytes (1 of ${doc.services!.length})`);
  assert.equal(t.rows.length, 2);
  assert.equal(t.rows[1][6], String(Math.max(...doc.services!.map((s) => s.bytes))));

  // higher thresholds: no alert, and the sections say so
  const quiet = run(['-r', SCAN, '--format', 'table', '--scan-ports', '1000']);
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.match(quiet.stdout, /\nScan alerts \(0 of 0\)\n.*\n {2}\(none\)\n/);
});

test('scan.pcap: csv stays one table, the per-port one', () => {
  const doc = profileJson(SCAN);
  const r = run(['-r', SCAN, '--format', 'csv']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[0], CSV_COLUMNS.join(','));
  assert.equal(lines.length - 1, doc.ports.length, 'one row per port');
  for (const l of lines) assert.equal(l.split(',').length, CSV_COLUMNS.length, l);
  assert.doesNotMatch(r.stdout, /port-scan|10\.99\.0\.1/, 'no alert or host rows');
});

test('http.pcap: the services on port 80, against tshark', { skip: !HAVE_TSHARK && 'tshark not installed' }, () => {
  const doc = profileJson(HTTP);
  const svc = doc.services!;
  assert.deepEqual(svc.map((s) => `${s.host} ${s.proto} ${s.port}`).sort(), ['10.99.0.2 tcp 80', 'fd00:99::2 tcp 80']);
  const md = run(['-r', HTTP, '--format', 'md']);
  assert.equal(md.status, 0, md.stderr);
  checkServices(mdTable(md.stdout, 'Services seen serving').rows, doc);
  const table = run(['-r', HTTP, '--format', 'table']);
  checkServices(textTable(table.stdout, 'Services seen serving').rows, doc);
  assert.match(table.stdout, /\nScan alerts \(0 of 0\)\n/);

  for (const s of svc) {
    // every packet to or from the server's port 80, but the first SYN (sent before the port was
    // seen serving: the SYN-ACK is the evidence)
    const ip = s.host.includes(':') ? 'ipv6' : 'ip';
    const t = spawnSync('tshark', ['-r', HTTP, '-Y', `${ip}.addr == ${s.host} && tcp.port == 80`, '-T', 'fields', '-e', 'frame.len', '-e', `${ip}.src`], { encoding: 'utf8' });
    assert.equal(t.status, 0, t.stderr);
    const pk = t.stdout.trim().split('\n').map((l) => l.split('\t'));
    const bytes = pk.reduce((x, [len]) => x + Number(len), 0) - Number(pk[0][0]);
    assert.equal(s.packets, pk.length - 1, `${s.host} packets`);
    assert.equal(s.bytes, bytes, `${s.host} bytes`);
    assert.equal(s.clients, new Set(pk.map((p) => p[1]).filter((x) => x !== s.host)).size, `${s.host} clients`);
  }
});

test('control characters and non-ASCII of a hand-edited profile are escaped (merge --format table|md|csv)', () => {
  const doc = profileJson(SCAN);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-fmt-'));
  try {
    doc.services![0].host = '10.0.0.1\u001b[2J';
    doc.services![0].service = 'x\u009b31m|pipe';
    const a = doc.alerts[0] as ScanAlert;
    a.scanner = '\u001b]0;title\u0007';
    a.portSample = ['\u2028x', '\u00e9'];
    doc.alerts.push('loose\u0000text', { type: 'address-scan', scanner: '10.0.0.9', target: null, targetCount: 30, targets: ['10.0.0.1', '10.0.0.2'], technique: 'SYN', ports: 1, failedPorts: 1, portSample: ['22/tcp'], first: 1, last: 2, final: false });
    doc.hosts[0].address = 'evil\u001bc';
    const f = path.join(dir, 'evil.json');
    fs.writeFileSync(f, JSON.stringify(doc));
    for (const format of ['table', 'md', 'csv']) {
      const r = run(['merge', f, '--format', format]);
      assert.equal(r.status, 0, r.stderr);
      const bad = [...r.stdout].findIndex((c) => c !== '\n' && (c < ' ' || c > '~'));
      assert.equal(bad, -1, `${format}: byte ${bad} ${JSON.stringify(r.stdout.slice(bad - 20, bad + 20))}`);
      if (format === 'csv') continue; // ports only: merge names their services itself
      assert.ok(r.stdout.includes('evil\\x1bc'), `${format}: host address escaped`);
      for (const s of ['10.0.0.1\\x1b[2J', '\\x1b]0;title\\x07', '\\u2028x \\u00e9', 'loose\\x00text', '30 hosts: 10.0.0.1 10.0.0.2 ...', 'address-scan (ongoing)']) {
        assert.ok(r.stdout.includes(s), `${format}: ${s}`);
      }
      assert.ok(r.stdout.includes(format === 'md' ? 'x\\x9b31m\\|pipe' : 'x\\x9b31m|pipe'), `${format}: service name`);
      assert.match(r.stdout, /Scan alerts \(3 of 3\)/);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
