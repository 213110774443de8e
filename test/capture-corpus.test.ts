// Reader conformance on the real-capture corpus: every pcap/pcapng in MANIFEST.tsv is read, the
// packet count equals the manifest's, and every packet's timestamp, lengths and interface id
// equal tshark's (truth/*.tsv). Skips cleanly when ../shared/corpus is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCaptureFile } from '../src/capture/open';
import { CaptureError } from '../src/capture/batch';
import { spawnSync } from 'node:child_process';

const CORPUS = path.resolve(__dirname, '../../../shared/corpus');
const HAVE = fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv'));
const SKIP = HAVE ? false : `corpus not found at ${CORPUS}`;

interface Row {
  [k: string]: string;
}

function readTsv(file: string): Row[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const head = lines[0].split('\t');
  return lines.slice(1).map((l) => {
    const cells = l.split('\t');
    const r: Row = {};
    head.forEach((h, i) => (r[h] = cells[i] ?? ''));
    return r;
  });
}

interface Pkt {
  sec: number;
  nsec: number;
  wire: number;
  cap: number;
  ifIndex: number;
  snaplen: number;
}

async function readAll(file: string): Promise<{ pkts: Pkt[]; warning: string | null; error: string | null }> {
  const pkts: Pkt[] = [];
  try {
    const src = await openCaptureFile(file);
    for await (const b of src.batches()) {
      for (let i = 0; i < b.count; i++) {
        const ifIndex = b.ifIndex[i];
        const snaplen = src.interfaces[ifIndex].snaplen;
        pkts.push({ sec: b.tsSec[i], nsec: b.tsNsec[i], wire: b.wireLen[i], cap: b.capLen[i], ifIndex, snaplen });
      }
    }
    return { pkts, warning: src.warning ? src.warning.message : null, error: null };
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    return { pkts, warning: null, error: e.message };
  }
}

/** tshark's frame.time_epoch text for (sec, nsec). */
function epoch(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

// wiretap strips SunATM's 4-byte pseudo-header (link type 123) from frame.len and frame.cap_len;
// libpcap, tcpdump and portscope keep it.
const PSEUDO_HEADER: Record<number, number> = { 123: 4 };

const rows = HAVE ? readTsv(path.join(CORPUS, 'MANIFEST.tsv')).filter((r) => /^pcap/.test(r.format)) : [];

test('corpus: every capture reads with the manifest count and tshark timestamps/lengths', { skip: SKIP }, async () => {
  assert.ok(rows.length > 800, `MANIFEST lists ${rows.length} captures`);
  const failures: string[] = [];
  let packets = 0;
  let compared = 0;
  for (const row of rows) {
    const file = path.join(CORPUS, row.path);
    const tags = row.tags.split(',');
    const res = await readAll(file);
    if (tags.includes('corrupt-or-invalid-header')) {
      if (res.error === null) failures.push(`${row.path}: expected a CaptureError, read ${res.pkts.length} packets`);
      else if (!res.error.startsWith(file + ': ')) failures.push(`${row.path}: message does not name the file: ${res.error}`);
      continue;
    }
    if (res.error !== null) {
      failures.push(`${row.path}: ${res.error}`);
      continue;
    }
    const expected = /^\d+$/.test(row.packets_capinfos) ? +row.packets_capinfos : +row.packets_parsed;
    if (tags.includes('truncated-file')) {
      if (res.warning === null) failures.push(`${row.path}: expected a truncation warning`);
    } else if (res.warning !== null) failures.push(`${row.path}: unexpected warning ${res.warning}`);
    if (res.pkts.length !== expected) {
      failures.push(`${row.path}: ${res.pkts.length} packets, manifest says ${expected}`);
      continue;
    }
    packets += res.pkts.length;
    const truthFile = path.join(CORPUS, row.truth || `truth/${row.path}.tsv`);
    if (!fs.existsSync(truthFile)) continue;
    const truth = readTsv(truthFile);
    if (truth.length === 0) continue; // tshark could not read it (see .err); count checked above
    if (truth.length !== res.pkts.length) {
      failures.push(`${row.path}: tshark has ${truth.length} packets, we read ${res.pkts.length}`);
      continue;
    }
    const badFrac = tags.includes('ts-fraction-out-of-range');
    const linkType = parseInt(row.linktypes, 10);
    const extra = PSEUDO_HEADER[linkType] ?? 0;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i];
      const p = res.pkts[i];
      const where = `${row.path} frame ${i + 1}`;
      if (!badFrac && t['frame.time_epoch'] !== epoch(p.sec, p.nsec)) {
        failures.push(`${where}: time ${epoch(p.sec, p.nsec)}, tshark ${t['frame.time_epoch']}`);
        break;
      }
      // libpcap (and so portscope) cuts a classic-pcap record longer than the file's snaplen to
      // the snaplen; tshark keeps it whole
      const tcap = +t['frame.cap_len'] + extra;
      if (+t['frame.len'] + extra !== p.wire || Math.min(tcap, p.snaplen) !== p.cap) {
        failures.push(`${where}: len ${p.wire}/${p.cap}, tshark ${t['frame.len']}/${t['frame.cap_len']}`);
        break;
      }
      const ifId = t['frame.interface_id'];
      if (ifId !== '' && +ifId !== p.ifIndex) {
        failures.push(`${where}: interface ${p.ifIndex}, tshark ${ifId}`);
        break;
      }
      compared++;
    }
  }
  assert.deepEqual(failures, [], `${failures.length} mismatches`);
  assert.ok(packets > 10000 && compared > 10000, `packets ${packets}, compared ${compared}`);
});

test('corpus: dump --count prints what tcpdump --count prints, with its exit status (every 30th capture)', { skip: SKIP || (spawnSync('sh', ['-c', 'command -v tcpdump']).status !== 0 && 'tcpdump not installed') }, () => {
  const main = path.resolve(__dirname, '../src/cli/main.js');
  const sample = rows.filter((_, i) => i % 30 === 0);
  for (const row of sample.concat(rows.filter((r) => r.tags.includes('corrupt-or-invalid-header')))) {
    const file = path.join(CORPUS, row.path);
    const t = spawnSync('tcpdump', ['-r', file, '--count'], { encoding: 'utf8' });
    const p = spawnSync(process.execPath, [main, 'dump', '-r', file, '--count'], { encoding: 'utf8' });
    assert.equal(p.stdout, t.stdout, row.path);
    assert.equal(p.status, t.status, `${row.path}: ${p.stderr}`);
    assert.ok(!/internal error|\n\s+at /.test(p.stderr), p.stderr);
  }
});
