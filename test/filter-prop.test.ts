// Property tests of the BPF JIT: on random VALID classic BPF programs (every instruction class,
// forward jumps, a RET at the end) over random packets and corpus packets, the JIT, the interpreter
// and libpcap's own bpf_filter (the addon's offlineFilter) return the same value; the same holds for
// the compiled programs of the corpus accept list over corpus packets. Plus the validator's
// refusals and the shape of the generated source.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  BPF_A, BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_B, BPF_DIV, BPF_H, BPF_IMM, BPF_IND, BPF_JA, BPF_JEQ, BPF_JGE,
  BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MEM, BPF_MISC, BPF_MOD, BPF_MSH,
  BPF_MUL, BPF_NEG, BPF_OR, BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TAX, BPF_TXA, BPF_W, BPF_X, BPF_XOR,
  BpfValidationError, parseDecimalProgram, validateProgram,
} from '../src/filter/bpf';
import { compileProgram, generateSource } from '../src/filter/jit';
import { interpret } from '../src/filter/interpreter';
import { compileFilterProvider } from '../src/filter/index';
import { nativeAvailable, loadNative, type NativeAddon } from '../native/index';
import { CORPUS, corpusPresent, haveTool, mergeCaptures, readPcap, tcpdumpCompiler, wellFormedCaptures } from './filter-support';

const native: NativeAddon | null = nativeAvailable() ? loadNative() : null;
const NUM_RUNS = Number(process.env.FILTER_PROP_RUNS ?? 400);

/** Opcodes of every class; `k` and jump fields are fixed up per opcode below. */
const OPS = [
  BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_B | BPF_ABS,
  BPF_LD | BPF_W | BPF_IND, BPF_LD | BPF_H | BPF_IND, BPF_LD | BPF_B | BPF_IND,
  BPF_LD | BPF_W | BPF_LEN, BPF_LDX | BPF_W | BPF_LEN, BPF_LDX | BPF_MSH | BPF_B,
  BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM, BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX,
  ...[BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH].flatMap((op) => [
    BPF_ALU | op | BPF_K,
    BPF_ALU | op | BPF_X,
  ]),
  BPF_ALU | BPF_NEG, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA,
  BPF_JMP | BPF_JA,
  ...[BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET].flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
  BPF_RET | BPF_K, BPF_RET | BPF_A,
];

interface RawInsn {
  op: number;
  k: number;
  small: number;
  jt: number;
  jf: number;
}

const rawInsn = fc.record({
  op: fc.nat(OPS.length - 1),
  k: fc.oneof(fc.nat(0xffffffff), fc.constantFrom(0, 1, 2, 31, 32, 33, 0x7fffffff, 0x80000000, 0xffffffff)),
  small: fc.nat(72),
  jt: fc.nat(255),
  jf: fc.nat(255),
});

/**
 * A valid program from raw draws: 16 `st M[i]` first (libpcap 1.10's bpf_filter leaves M[]
 * uninitialised; its compiler never reads a word it has not written), then the body with every
 * field brought into range, then a RET.
 */
function buildProgram(body: readonly RawInsn[], finalRetA: boolean, finalK: number): Uint32Array {
  const prologue = 16;
  const n = prologue + body.length + 1;
  const out = new Uint32Array(4 * n);
  for (let m = 0; m < 16; m++) out.set([BPF_ST, 0, 0, m], 4 * m);
  body.forEach((r, j) => {
    const i = prologue + j;
    const code = OPS[r.op];
    const room = n - 1 - (i + 1); // jump offsets that stay inside the program
    let k = r.k;
    let jt = 0;
    let jf = 0;
    const mode = code & 0xe0;
    if (code === BPF_ST || code === BPF_STX || mode === BPF_MEM) k = r.k % 16;
    else if ((code & 0x07) === BPF_LD || code === (BPF_LDX | BPF_MSH | BPF_B)) {
      if (mode === BPF_ABS || mode === BPF_IND || mode === BPF_MSH) k = r.k % 23 === 0 ? r.k : r.small; // mostly in a packet
    } else if ((code & 0x07) === BPF_ALU && (code & BPF_X) === 0) {
      const op = code & 0xf0;
      if ((op === BPF_DIV || op === BPF_MOD) && k === 0) k = 1 + r.small;
      if (op === BPF_LSH || op === BPF_RSH) k = r.k % 32;
    } else if ((code & 0x07) === BPF_JMP) {
      if ((code & 0xf0) === BPF_JA) k = room > 0 ? r.k % Math.min(room + 1, r.small % 4 === 0 ? room + 1 : 6) : 0;
      else {
        k = r.k % 3 === 0 ? r.small : r.k;
        // Mostly short jumps, so that paths skip a few instructions and meet again.
        const span = r.small % 4 === 0 ? room + 1 : Math.min(room + 1, 6);
        jt = Math.min(255, r.jt % span);
        jf = Math.min(255, r.jf % span);
      }
    }
    out.set([code, jt, jf, k >>> 0], 4 * i);
  });
  out.set([finalRetA ? BPF_RET | BPF_A : BPF_RET | BPF_K, 0, 0, finalK >>> 0], 4 * (n - 1));
  return out;
}

const programArb = fc
  .tuple(fc.array(rawInsn, { minLength: 1, maxLength: 40 }), fc.boolean(), fc.nat(0xffffffff))
  .map(([body, retA, k]) => buildProgram(body, retA, k));

/** A packet placed at a random offset of a larger buffer, with a wire length. */
const packetArb = fc
  .tuple(fc.uint8Array({ maxLength: 80 }), fc.nat(16), fc.oneof(fc.constant(-1), fc.nat(0xffffffff)))
  .map(([bytes, pad, wire]) => {
    const buf = new Uint8Array(pad + bytes.length + 8).fill(0xa5); // bytes after the packet must not be read
    buf.set(bytes, pad);
    return { buf, off: pad, capLen: bytes.length, wireLen: wire < 0 ? bytes.length + (pad % 3) * 100 : wire };
  });

function runAll(prog: Uint32Array, buf: Uint8Array, off: number, capLen: number, wireLen: number): [number, number, number] {
  const c = compileProgram(prog);
  const jit = c.fn(buf, off, capLen, wireLen);
  const int = interpret(prog, buf, off, capLen, wireLen);
  const lib = native ? native.offlineFilter(prog, buf.subarray(off, off + capLen), capLen, wireLen) : int;
  return [jit, int, lib];
}

describe('filter: JIT = interpreter = libpcap bpf_filter on random valid programs', () => {
  test(`random programs × random packets (${NUM_RUNS} runs, ${native ? 'with' : 'WITHOUT'} libpcap's bpf_filter)`, () => {
    fc.assert(
      fc.property(programArb, fc.array(packetArb, { minLength: 1, maxLength: 8 }), (prog, pkts) => {
        validateProgram(prog, { allowBackward: false });
        if (native) assert.equal(native.validate(prog), true, 'bpf_validate refuses a generated program');
        const c = compileProgram(prog);
        assert.equal(c.engine, 'jit');
        for (const p of pkts) {
          const jit = c.fn(p.buf, p.off, p.capLen, p.wireLen);
          const int = interpret(prog, p.buf, p.off, p.capLen, p.wireLen);
          assert.equal(jit, int, 'JIT vs interpreter');
          if (native) {
            const lib = native.offlineFilter(prog, p.buf.slice(p.off, p.off + p.capLen), p.capLen, p.wireLen);
            assert.equal(int, lib, "interpreter vs libpcap's bpf_filter");
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('edge cases: shifts by X >= 32, division and modulo by X = 0, NEG, loads at the captured end', () => {
    const P = (insns: number[][]): Uint32Array => Uint32Array.from(insns.flat());
    const cases: [string, Uint32Array][] = [
      ['lsh x 33', P([[BPF_LD | BPF_IMM, 0, 0, 1], [BPF_LDX | BPF_IMM, 0, 0, 33], [BPF_ALU | BPF_LSH | BPF_X, 0, 0, 0], [BPF_RET | BPF_A, 0, 0, 0]])],
      ['rsh x 32', P([[BPF_LD | BPF_IMM, 0, 0, 0xffffffff], [BPF_LDX | BPF_IMM, 0, 0, 32], [BPF_ALU | BPF_RSH | BPF_X, 0, 0, 0], [BPF_RET | BPF_A, 0, 0, 0]])],
      ['lsh x 31', P([[BPF_LD | BPF_IMM, 0, 0, 3], [BPF_LDX | BPF_IMM, 0, 0, 31], [BPF_ALU | BPF_LSH | BPF_X, 0, 0, 0], [BPF_RET | BPF_A, 0, 0, 0]])],
      ['div x 0', P([[BPF_LD | BPF_IMM, 0, 0, 7], [BPF_ALU | BPF_DIV | BPF_X, 0, 0, 0], [BPF_RET | BPF_K, 0, 0, 9]])],
      ['mod x 0', P([[BPF_LD | BPF_IMM, 0, 0, 7], [BPF_ALU | BPF_MOD | BPF_X, 0, 0, 0], [BPF_RET | BPF_K, 0, 0, 9]])],
      ['div big', P([[BPF_LD | BPF_IMM, 0, 0, 0xffffffff], [BPF_ALU | BPF_DIV | BPF_K, 0, 0, 0xfffffffe], [BPF_RET | BPF_A, 0, 0, 0]])],
      ['neg', P([[BPF_LD | BPF_IMM, 0, 0, 5], [BPF_ALU | BPF_NEG, 0, 0, 0], [BPF_RET | BPF_A, 0, 0, 0]])],
      ['neg 0x80000000', P([[BPF_LD | BPF_IMM, 0, 0, 0x80000000], [BPF_ALU | BPF_NEG, 0, 0, 0], [BPF_RET | BPF_A, 0, 0, 0]])],
      ['mul wrap', P([[BPF_LD | BPF_IMM, 0, 0, 0xfffffff1], [BPF_ALU | BPF_MUL | BPF_K, 0, 0, 0xfffffff3], [BPF_RET | BPF_A, 0, 0, 0]])],
      ['ld w [60]', P([[BPF_LD | BPF_W | BPF_ABS, 0, 0, 60], [BPF_RET | BPF_A, 0, 0, 0]])],
      ['ld w [61]', P([[BPF_LD | BPF_W | BPF_ABS, 0, 0, 61], [BPF_RET | BPF_K, 0, 0, 1]])],
      ['ldb [63]', P([[BPF_LD | BPF_B | BPF_ABS, 0, 0, 63], [BPF_RET | BPF_K, 0, 0, 1]])],
      ['ldb [64]', P([[BPF_LD | BPF_B | BPF_ABS, 0, 0, 64], [BPF_RET | BPF_K, 0, 0, 1]])],
      ['ldb [x+0xffffffff]', P([[BPF_LDX | BPF_IMM, 0, 0, 2], [BPF_LD | BPF_B | BPF_IND, 0, 0, 0xffffffff], [BPF_RET | BPF_K, 0, 0, 1]])],
      ['ldh [x+62]', P([[BPF_LDX | BPF_IMM, 0, 0, 0], [BPF_LD | BPF_H | BPF_IND, 0, 0, 62], [BPF_RET | BPF_A, 0, 0, 0]])],
      ['ldh [x+63]', P([[BPF_LDX | BPF_IMM, 0, 0, 0], [BPF_LD | BPF_H | BPF_IND, 0, 0, 63], [BPF_RET | BPF_K, 0, 0, 1]])],
      ['ldxb 4*([63]&0xf)', P([[BPF_LDX | BPF_MSH | BPF_B, 0, 0, 63], [BPF_MISC | BPF_TXA, 0, 0, 0], [BPF_RET | BPF_A, 0, 0, 0]])],
      ['skf vlan tag', P([[BPF_LD | BPF_B | BPF_ABS, 0, 0, 0xfffff000 + 44], [BPF_RET | BPF_K, 0, 0, 1]])],
      // Paths meet after one checked a longer length: the merged check is the shorter one.
      ['merge after a longer check', P([[BPF_LD | BPF_B | BPF_ABS, 0, 0, 0], [BPF_JMP | BPF_JGT | BPF_K, 0, 1, 100],
        [BPF_LD | BPF_W | BPF_ABS, 0, 0, 50], [BPF_LD | BPF_H | BPF_ABS, 0, 0, 40], [BPF_RET | BPF_K, 0, 0, 1]])],
      ['ret A = len', P([[BPF_LD | BPF_W | BPF_LEN, 0, 0, 0], [BPF_RET | BPF_A, 0, 0, 0]])],
      ['jset', P([[BPF_LD | BPF_IMM, 0, 0, 6], [BPF_JMP | BPF_JSET | BPF_K, 1, 0, 8], [BPF_RET | BPF_K, 0, 0, 2], [BPF_RET | BPF_K, 0, 0, 3]])],
      ['jgt unsigned', P([[BPF_LD | BPF_IMM, 0, 0, 0x80000000], [BPF_JMP | BPF_JGT | BPF_K, 0, 1, 1], [BPF_RET | BPF_K, 0, 0, 2], [BPF_RET | BPF_K, 0, 0, 3]])],
    ];
    const pkt = new Uint8Array(64).map((_, i) => (i * 37) & 0xff);
    for (const [name, prog] of cases) {
      for (const len of [64, 41, 30, 1, 0]) {
        const [jit, int, lib] = runAll(prog, pkt, 0, len, 1000);
        assert.equal(jit, int, `${name} (${len} bytes): JIT vs interpreter`);
        assert.equal(int, lib, `${name} (${len} bytes): interpreter vs libpcap`);
      }
    }
    assert.equal(runAll(cases[0][1], pkt, 0, 64, 64)[0], 0, 'lsh x 33 gives 0 as libpcap 1.10.3');
    assert.equal(runAll(cases[6][1], pkt, 0, 64, 64)[0], 0xfffffffb);
  });
});

describe('filter: compiled accept-list programs over corpus packets', { skip: !corpusPresent() || !haveTool('mergecap') ? 'corpus or mergecap absent' : false }, () => {
  test(`JIT = interpreter${native ? " = libpcap's bpf_filter" : ''} on every packet (optimized and -O programs)`, () => {
    const tmp = fs.mkdtempSync('/tmp/portscope-filter-prop-');
    const merged = path.join(tmp, 'ethernet.pcap');
    mergeCaptures(wellFormedCaptures([1]), merged);
    const r = readPcap(merged);
    const exprs = fs.readFileSync(path.join(CORPUS, 'filters-accept.txt'), 'latin1').split('\n').filter((l) => l.trim());
    const compiler = native ?? tcpdumpCompiler;
    let checked = 0;
    // Optimized (as tcpdump runs them) and unoptimized (tcpdump -O: long, with JA and M[] traffic).
    for (const [e, optimize] of [...exprs.map((x) => [x, true] as const), ...exprs.map((x) => [x, false] as const)]) {
      const prog = native?.compileSavefile
        ? native.compileSavefile(e, 1, r.snaplen, optimize)
        : compiler.compile(e, 1, r.snaplen, optimize);
      const c = compileProgram(prog);
      for (let i = 0; i < r.offset.length; i++) {
        const jit = c.fn(r.data, r.offset[i], r.capLen[i], r.wireLen[i]);
        const int = interpret(prog, r.data, r.offset[i], r.capLen[i], r.wireLen[i]);
        if (jit !== int) assert.fail(`${e}: packet ${i + 1}: JIT ${jit}, interpreter ${int}`);
        if (native) {
          const lib = native.offlineFilter(prog, r.data.subarray(r.offset[i], r.offset[i] + r.capLen[i]), r.capLen[i], r.wireLen[i]);
          if (lib !== int) assert.fail(`${e}: packet ${i + 1}: libpcap ${lib}, interpreter ${int}`);
        }
        checked++;
      }
    }
    assert.ok(checked > 100000, `${checked} checks`);
  });

  test('random programs over corpus packets', () => {
    const tmp = fs.mkdtempSync('/tmp/portscope-filter-prop-');
    const merged = path.join(tmp, 'ethernet.pcap');
    mergeCaptures(wellFormedCaptures([1]).slice(0, 60), merged);
    const r = readPcap(merged);
    fc.assert(
      fc.property(programArb, fc.nat(r.offset.length - 1), (prog, start) => {
        const c = compileProgram(prog);
        for (let i = start; i < Math.min(r.offset.length, start + 20); i++) {
          const jit = c.fn(r.data, r.offset[i], r.capLen[i], r.wireLen[i]);
          const int = interpret(prog, r.data, r.offset[i], r.capLen[i], r.wireLen[i]);
          assert.equal(jit, int);
          if (native) {
            assert.equal(native.offlineFilter(prog, r.data.subarray(r.offset[i], r.offset[i] + r.capLen[i]), r.capLen[i], r.wireLen[i]), int);
          }
        }
      }),
      { numRuns: Math.max(50, NUM_RUNS / 2) },
    );
  });
});

describe('filter: validator and generated code', () => {
  const ret = [BPF_RET | BPF_K, 0, 0, 1];
  const bad: [string, number[][]][] = [
    ['empty', []],
    ['no final return', [[BPF_LD | BPF_IMM, 0, 0, 1]]],
    ['unknown opcode', [[BPF_LD | BPF_H | BPF_IMM, 0, 0, 1], ret]],
    ['RET X', [[BPF_RET | BPF_X, 0, 0, 0]]],
    ['MISC 0x40', [[BPF_MISC | 0x40, 0, 0, 0], ret]],
    ['scratch index 16', [[BPF_ST, 0, 0, 16], ret]],
    ['load M[99]', [[BPF_LD | BPF_MEM, 0, 0, 99], ret]],
    ['div by constant 0', [[BPF_ALU | BPF_DIV | BPF_K, 0, 0, 0], ret]],
    ['mod by constant 0', [[BPF_ALU | BPF_MOD | BPF_K, 0, 0, 0], ret]],
    ['shift by constant 32', [[BPF_ALU | BPF_LSH | BPF_K, 0, 0, 32], ret]],
    ['jt past the end', [[BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0], ret]],
    ['jf past the end', [[BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0], ret]],
    ['ja past the end', [[BPF_JMP | BPF_JA, 0, 0, 1], ret]],
    ['ja to itself', [[BPF_JMP | BPF_JA, 0, 0, 0xffffffff], ret]],
    ['ja before the start', [[BPF_JMP | BPF_JA, 0, 0, 0xfffffff0], ret]],
    ['jt field 256', [[BPF_JMP | BPF_JEQ | BPF_K, 256, 0, 0], ret]],
  ];
  for (const [name, insns] of bad) {
    test(`rejects: ${name}`, () => {
      const prog = Uint32Array.from(insns.flat());
      assert.throws(() => validateProgram(prog), BpfValidationError);
      assert.throws(() => compileProgram(prog), BpfValidationError);
    });
  }
  test('rejects a length that is not whole instructions, and a non-Uint32Array', () => {
    assert.throws(() => validateProgram(new Uint32Array(5)), BpfValidationError);
    assert.throws(() => validateProgram([6, 0, 0, 1] as unknown as Uint32Array), BpfValidationError);
  });

  test('backward jumps (libpcap protochain) run in the interpreter; the JIT refuses them', () => {
    // ldx #0; L1: txa; add #1; tax; jeq #3 -> ret A ; ja L1
    const prog = Uint32Array.from([
      [BPF_LDX | BPF_IMM, 0, 0, 0], [BPF_MISC | BPF_TXA, 0, 0, 0], [BPF_ALU | BPF_ADD | BPF_K, 0, 0, 1],
      [BPF_MISC | BPF_TAX, 0, 0, 0], [BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 3], [BPF_JMP | BPF_JA, 0, 0, 0xfffffffb],
      [BPF_RET | BPF_A, 0, 0, 0],
    ].flat());
    assert.throws(() => validateProgram(prog, { allowBackward: false }), /backward jump/);
    const c = compileProgram(prog);
    assert.equal(c.engine, 'interpreter');
    assert.equal(c.fn(new Uint8Array(0), 0, 0, 0), 3);
    if (native) assert.equal(native.offlineFilter(prog, new Uint8Array(0), 0, 0), 3);
    // An endless loop stops after MAX_BACKWARD_JUMPS and rejects.
    const loop = Uint32Array.from([[BPF_LD | BPF_IMM, 0, 0, 0], [BPF_JMP | BPF_JA, 0, 0, 0xfffffffe], [BPF_RET | BPF_K, 0, 0, 1]].flat());
    assert.equal(compileProgram(loop).fn(new Uint8Array(0), 0, 0, 0), 0);
  });

  test('generated source: only program numbers and fixed operators, never the expression', () => {
    const expr = 'host 10.1.2.3 and tcp port 8080 and ether[0]&1=0';
    let prog: Uint32Array | null = null;
    const provider = compileFilterProvider(expr, {
      compiler: () => native ?? tcpdumpCompiler,
      onCompile: (_lt, c) => (prog = c.program),
    });
    assert.ok(provider(1, 262144));
    const src = generateSource(prog!);
    assert.ok(!src.includes('host') && !src.includes('10.1.2.3'));
    // Tokens: keywords/locals, labels, decimal numbers, operators and punctuation.
    const rest = src
      .replace(/^"use strict";/, '')
      .replace(/\b(let|if|return|break|A|X|P|d|off|capLen|wireLen|Math\.imul|m\d{1,2}|L\d+)\b/g, ' ')
      .replace(/\b\d+\b/g, ' ')
      .replace(/[\s=<>!&|^%*/+\-()[\]{};:,?~]/g, '');
    assert.equal(rest, '');
  });

  test('parseDecimalProgram reads tcpdump -ddd output', () => {
    const prog = parseDecimalProgram('4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n');
    assert.deepEqual([...prog], [40, 0, 0, 12, 21, 0, 1, 2048, 6, 0, 0, 262144, 6, 0, 0, 0]);
    assert.equal(validateProgram(prog), false);
  });

  test('programs with more jumps than MAX_JIT_LABELS fall back to the interpreter', () => {
    const insns: number[][] = [];
    for (let i = 0; i < 2100; i++) insns.push([BPF_JMP | BPF_JEQ | BPF_K, 1, 0, i], [BPF_RET | BPF_K, 0, 0, i + 1]);
    insns.push([BPF_RET | BPF_K, 0, 0, 0]);
    const c = compileProgram(Uint32Array.from(insns.flat()));
    assert.equal(c.engine, 'interpreter');
    assert.equal(c.fn(new Uint8Array(4), 0, 4, 4), 2);
  });
});
