// The fused batch counter of the JIT (jit.ts generateCounterSource / batchCounter, run by
// `dump --count EXPR`): over corpus packets, for the corpus accept list (optimized and not), it
// counts exactly the packets the filter function accepts over a range of slots; it stops after
// `lim` accepted packets, returning the slot after the last one it ran. Plus `dump --count EXPR`
// on a pcapng file mixing link types against tcpdump on each part.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { batchCounter, compileProgram, generateCounterSource } from '../src/filter/jit';
import { nativeAvailable, loadNative } from '../native/index';
import { CORPUS, corpusPresent, haveTool, mergeCaptures, readPcap, tcpdumpCompiler, wellFormedCaptures } from './filter-support';

const skip = !corpusPresent()
  ? 'corpus not present'
  : !nativeAvailable() && !haveTool('tcpdump')
    ? 'neither the libpcap addon nor tcpdump available'
    : false;

describe('fused batch counter', { skip }, () => {
  test('counts what the filter function accepts; ranges and limits', () => {
    const native = nativeAvailable() ? loadNative() : null;
    const tmp = fs.mkdtempSync('/tmp/portscope-filter-count-');
    const merged = path.join(tmp, 'ethernet.pcap');
    mergeCaptures(wellFormedCaptures([1]), merged);
    const r = readPcap(merged);
    fs.rmSync(tmp, { recursive: true, force: true });
    const n = r.offset.length;
    const data = new Uint8Array(r.data);
    const offA = Uint32Array.from(r.offset);
    const capA = Uint32Array.from(r.capLen);
    const wireA = Uint32Array.from(r.wireLen);
    const res = new Float64Array(1);
    const exprs = fs.readFileSync(path.join(CORPUS, 'filters-accept.txt'), 'latin1').split('\n').filter((l) => l.trim());
    let fused = 0;
    for (const [e, optimize] of [...exprs.map((x) => [x, true] as const), ...exprs.map((x) => [x, false] as const)]) {
      const prog = native?.compileSavefile
        ? native.compileSavefile(e, 1, r.snaplen, optimize)
        : tcpdumpCompiler.compile(e, 1, r.snaplen, optimize);
      const c = compileProgram(prog);
      const counter = batchCounter(c.fn);
      if (c.engine === 'jit') {
        fused++;
        assert.match(generateCounterSource(c.program), /^"use strict";let acc=0;for\(;i<n;i\+\+\)\{/);
      }
      const accepted: number[] = [];
      for (let i = 0; i < n; i++) if (c.fn(data, offA[i], capA[i], wireA[i]) !== 0) accepted.push(i);
      // whole batch, no limit
      assert.equal(counter(data, offA, capA, wireA, 0, n, 0, res), n, e);
      assert.equal(res[0], accepted.length, `${e}: count`);
      // from a start slot, with a limit
      if (accepted.length >= 3) {
        const start = accepted[0] + 1;
        const want = accepted.filter((i) => i >= start);
        const j = counter(data, offA, capA, wireA, start, n, 2, res);
        assert.equal(res[0], 2, `${e}: limit`);
        assert.equal(j, want[1] + 1, `${e}: stop slot after the limit`);
      }
      // in ranges of 13 slots
      let total = 0;
      for (let i = 0; i < n; i += 13) {
        const end = Math.min(n, i + 13);
        assert.equal(counter(data, offA, capA, wireA, i, end, 0, res), end, `${e}: range end`);
        total += res[0];
      }
      assert.equal(total, accepted.length, `${e}: count over ranges`);
    }
    assert.ok(fused > 10, `${fused} fused counters`);
    // no filter for a link type: accept all, same contract
    const all = batchCounter(null);
    assert.equal(all(data, offA, capA, wireA, 0, 7, 0, res), 7);
    assert.equal(res[0], 7);
    assert.equal(all(data, offA, capA, wireA, 3, n, 5, res), 8);
    assert.equal(res[0], 5);
  });
});
