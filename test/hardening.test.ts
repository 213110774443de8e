// Floods (scripts/flood.ts, a small one): 200,000 distinct SYN-only flows (spoofed random sources
// plus 8 port scanners) through profile, top (text mode) and sensor with a lowered flow cap:
// evictions are counted, the scans are still reported, and memory is bounded (peak RSS does not
// grow with the number of flows once the tables are full). The 2-million-flow run is
// `node dist/scripts/flood.js`.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFlood, floodProfile, floodTop, floodSensor } from '../scripts/flood';

const FLOWS = 200_000;
const CAP = 20_000;
const EXTRA = ['--max-hosts', '4096'];
const SCANNERS = Array.from({ length: 8 }, (_, i) => `198.18.0.${i + 1}`);
let tmp = '';
let file = '';

describe(`flood: ${FLOWS} SYN-only flows, --max-flows ${CAP}`, () => {
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-flood-'));
    file = path.join(tmp, 'flood.pcap');
    writeFlood(file, FLOWS);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('profile: evictions counted, the 8 port scans reported, bounded table', { timeout: 120000 }, async (t) => {
    const r = await floodProfile(file, CAP, EXTRA);
    t.diagnostic(`profile: ${r.seconds.toFixed(1)} s, peak RSS ${r.peakMiB.toFixed(0)} MiB, evicted ${r.evicted}, alerts ${r.alerts}`);
    assert.equal(r.status, 0, r.note);
    const doc = r.doc as { flows: { capacity: number; total: number; evicted: number; active: number }; alerts: { type: string; scanner: string }[]; counters: { packets: { total: number } } };
    assert.equal(doc.counters.packets.total, FLOWS);
    assert.ok(doc.flows.capacity <= CAP, `capacity ${doc.flows.capacity}`);
    assert.ok(doc.flows.active <= CAP);
    assert.ok(doc.flows.evicted >= FLOWS - CAP - 1000, `evicted ${doc.flows.evicted}`);
    const scanners = new Set(doc.alerts.filter((a) => a.type === 'port-scan').map((a) => a.scanner));
    assert.deepEqual([...scanners].sort(), SCANNERS, 'every scanner reported despite the flood');
    assert.ok(!doc.alerts.some((a) => a.scanner.startsWith('100.')), 'no spoofed one-SYN source called a scanner');
  });

  test('profile: peak RSS does not grow with the flood once the tables are full', { timeout: 180000 }, async (t) => {
    const bigger = path.join(tmp, 'flood2.pcap');
    writeFlood(bigger, 2 * FLOWS, 7);
    const a = await floodProfile(file, CAP, EXTRA);
    const b = await floodProfile(bigger, CAP, EXTRA);
    fs.rmSync(bigger, { force: true });
    t.diagnostic(`peak RSS: ${FLOWS} flows ${a.peakMiB.toFixed(0)} MiB, ${2 * FLOWS} flows ${b.peakMiB.toFixed(0)} MiB`);
    assert.equal(b.status, 0);
    assert.ok(b.evicted! >= 2 * FLOWS - CAP - 1000);
    assert.ok(b.peakMiB < a.peakMiB * 1.2 + 16, `RSS grew from ${a.peakMiB.toFixed(0)} to ${b.peakMiB.toFixed(0)} MiB`);
  });

  test('top (text mode, stdout a pipe): evictions shown, scans in the alerts view', { timeout: 120000 }, async (t) => {
    const r = await floodTop(file, CAP, EXTRA);
    t.diagnostic(`top: ${r.seconds.toFixed(1)} s, peak RSS ${r.peakMiB.toFixed(0)} MiB, evicted ${r.evicted}, alert lines ${r.alerts}`);
    assert.equal(r.status, 0, r.note);
    assert.ok(r.evicted !== null && r.evicted >= (FLOWS - CAP) * 0.9, `evicted ${r.evicted}`);
    assert.ok(r.alerts! >= SCANNERS.length, `alert lines ${r.alerts}`);
  });

  test('sensor --ndjson: every flow exported once, the scans as alert lines', { timeout: 120000 }, async (t) => {
    const r = await floodSensor(file, CAP, EXTRA);
    if (r === null) return t.skip('portscope sensor not built');
    t.diagnostic(`sensor: ${r.seconds.toFixed(1)} s, peak RSS ${r.peakMiB.toFixed(0)} MiB, alerts ${r.alerts}, ${r.note}`);
    assert.equal(r.status, 0, r.note);
    assert.equal(r.note, `${FLOWS} flow lines`);
    assert.ok(r.alerts! >= SCANNERS.length);
  });
});
