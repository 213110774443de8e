// The fused batch counter of the JIT (jit.ts generateCounterSource / batchCounter, run by
// `dump --count EXPR`): over corpus packets, for the corpus accept list (optimized and not), it
// counts exactly the packets the filter function accepts; it stops at the first slot of another
// link type and after `lim` accepted packets, returning the slot after the last one it ran.
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
  test('counts what the filter function accepts; link-type runs and limits', () => {
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
    const ltA = new Uint16Array(n).fill(1);
    const mixed = new Uint16Array(n).fill(1);
    for (let i = 7; i < n; i += 13) mixed[i] = 113; // other link type every 13th slot
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
      assert.equal(counter(data, offA, capA, wireA, ltA, 1, 0, n, 0, res), n, e);
      assert.equal(res[0], accepted.length, `${e}: count`);
      // from a start slot, with a limit
      if (accepted.length >= 3) {
        const start = accepted[0] + 1;
        const want = accepted.filter((i) => i >= start);
        const j = counter(data, offA, capA, wireA, ltA, 1, start, n, 2, res);
        assert.equal(res[0], 2, `${e}: limit`);
        assert.equal(j, want[1] + 1, `${e}: stop slot after the limit`);
      }
      // runs of one link type: stops at the first slot of another one
      let total = 0;
      let i = 0;
      while (i < n) {
        const lt = mixed[i];
        const j = counter(data, offA, capA, wireA, mixed, lt, i, n, 0, res);
        assert.ok(j > i && (j === n || mixed[j] !== lt), `${e}: run [${i}, ${j})`);
        for (let k = i; k < j; k++) assert.equal(mixed[k], lt);
        total += res[0];
        i = j;
      }
      assert.equal(total, accepted.length, `${e}: count over link-type runs`);
    }
    assert.ok(fused > 10, `${fused} fused counters`);
    // no filter for a link type: accept all, same contract
    const all = batchCounter(null);
    assert.equal(all(data, offA, capA, wireA, mixed, 1, 0, n, 0, res), 7);
    assert.equal(res[0], 7);
    assert.equal(all(data, offA, capA, wireA, ltA, 1, 3, n, 5, res), 8);
    assert.equal(res[0], 5);
  });
});
