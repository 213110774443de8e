// `portscope top` scan detection thresholds (--scan-ports N --scan-hosts N --scan-window SEC
// --scan-timeout SEC, parsed by src/detect/cli.ts as in profile and dump), in text mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const SCAN = path.join(ROOT, 'fixtures/scan.pcap');

function top(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'top', '-r', SCAN, '--max-speed', '--view', 'alerts', '--width', '200', ...args], {
    encoding: 'utf8',
    timeout: 60000,
    env: { ...process.env, TZ: 'UTC' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The port-scan lines of the final snapshot of the alerts view. */
function scans(out: string): string[] {
  const last = out.lastIndexOf('== 7 Alerts ==');
  assert.ok(last >= 0, out);
  return out.slice(last).split('\n').filter((l) => /\bport-scan\b|\baddress-scan\b/.test(l));
}

/** The failed-port count of the fixture's scan, from profile's JSON of the same file. */
function failedPorts(): number {
  const r = spawnSync(process.execPath, [CLI, 'profile', '-r', SCAN, '--format', 'json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const alerts = (JSON.parse(r.stdout) as { alerts: { failedPorts: number }[] }).alerts;
  assert.equal(alerts.length, 1);
  return alerts[0].failedPorts;
}

test('top: --scan-ports moves the port-scan threshold (text mode, alerts view)', () => {
  const def = top();
  assert.equal(def.status, 0, def.stderr);
  assert.match(def.stdout, /Alerts: 1 scan,/);
  const s = scans(def.stdout);
  assert.equal(s.length, 1, def.stdout);
  assert.match(s[0], /port-scan +10\.99\.0\.1 -> 10\.99\.0\.2, /);

  const quiet = top('--scan-ports', '1000');
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.match(quiet.stdout, /Alerts: 0 scans,/);
  assert.deepEqual(scans(quiet.stdout), []);

  // the threshold is exact: N failed ports raise an alert at --scan-ports N, not at N+1
  const n = failedPorts();
  assert.equal(scans(top('--scan-ports', String(n)).stdout).length, 1);
  assert.equal(scans(top('--scan-ports', String(n + 1)).stdout).length, 0);
});

test('top: the other thresholds are accepted; bad values are one line and exit 1', () => {
  const ok = top('--scan-hosts', '3', '--scan-window', '10', '--scan-timeout', '2', '--scan-ports=5');
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(scans(ok.stdout).length, 1);
  for (const [opt, v] of [['--scan-ports', '0'], ['--scan-hosts', 'x'], ['--scan-window', '-1'], ['--scan-timeout', '99999']]) {
    const r = top(opt, v);
    assert.equal(r.status, 1, `${opt} ${v}`);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], new RegExp(`^portscope: invalid ${opt}`));
  }
});

test('top --help lists the scan options', () => {
  const r = spawnSync(process.execPath, [CLI, 'top', '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  for (const o of ['--scan-ports N', '--scan-hosts N', '--scan-window SEC', '--scan-timeout SEC']) assert.ok(r.stdout.includes(o), o);
});

test('top: --rows N prints the first N rows of each table, with the total in its title', () => {
  const body = (out: string, title: string): string[] => {
    const at = out.lastIndexOf(title);
    assert.ok(at >= 0, out);
    return out.slice(at).split('\n').slice(1).filter((l) => l.trim() !== '' && !l.startsWith('=='));
  };
  for (const [view, title] of [['ports', '== 2 '], ['connections', '== 3 '], ['hosts', '== 4 ']] as const) {
    const all = top('--view', view);
    assert.equal(all.status, 0, all.stderr);
    const cut = top('--view', view, '--rows', '2');
    assert.equal(cut.status, 0, cut.stderr);
    const full = body(all.stdout, title); // table title, column header, rows
    const part = body(cut.stdout, title);
    const total = full.length - 2;
    assert.ok(total > 2, `the fixture has more than 2 ${view} rows (${total})`);
    assert.equal(part.length, 2 + 2, cut.stdout);
    assert.ok(part[0].endsWith(` | rows 1-2 of ${total}`), part[0]);
    assert.deepEqual(part.slice(1), full.slice(1, 4), 'the same first rows in the same order');
  }
  const bad = top('--rows', '0');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--rows/);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
});
