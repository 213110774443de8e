// BPF-to-JavaScript JIT: translates a validated classic BPF program, once per run, into a
// straight-line JavaScript function (d, off, capLen, wireLen) => number with interpreter.ts's
// semantics (libpcap 1.10's bpf_filter).
//
// Classic BPF jumps only forward, so the program is a DAG. Every instruction that some jump reaches
// other than by falling through gets a label; the labels are opened, innermost first, before the
// first instruction, and label Lt's block closes right before instruction t. A jump from i to t
// (t > i) is then `break Lt`, which V8 compiles to a plain jump:
//
//     L9:{ L4:{ L2:{ <0..1>; if (c) break L2; break L4; } <2..3> } <4..8> } <9..>
//
// Code size is linear in the program, nothing is duplicated, and there is no `switch (pc)` loop.
// A, X and the scratch words M[k] (always constant indexes in classic BPF) are int32 locals.
//
// Only numbers from the validated program and fixed operator text go into the generated source:
// the filter expression never does.
import type { FilterFn } from './types';
import {
  BPF_A, BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_B, BPF_DIV, BPF_H, BPF_IMM, BPF_IND, BPF_JA, BPF_JEQ, BPF_JGE,
  BPF_JGT, BPF_JMP, BPF_JSET, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MEM, BPF_MISC, BPF_MOD, BPF_MSH,
  BPF_MUL, BPF_NEG, BPF_OR, BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TAX, BPF_TXA, BPF_W, BPF_X, BPF_XOR,
  bpfClass, validateProgram,
} from './bpf';
import { interpret } from './interpreter';

/** Programs with more jump targets (labels) than this run in the interpreter (bounded block nesting). */
export const MAX_JIT_LABELS = 2000;

/** How a compiled program runs. */
export type FilterEngine = 'jit' | 'interpreter';

export interface CompiledFilter {
  fn: FilterFn;
  /** The validated program (a private copy). */
  program: Uint32Array;
  engine: FilterEngine;
  /** Why the interpreter runs it, when it does. */
  reason?: string;
}

/**
 * What the generated code does where the program returns: the filter function returns the value;
 * the batch counter (see generateCounterSource) counts an accepted packet and goes on with the next.
 */
interface Exits {
  /** Reject (return 0). */
  zero: string;
  /** Accept with a constant K > 0. */
  accept: string;
  /** Return A. */
  a: string;
}

const FN_EXITS: Exits = { zero: 'return 0;', accept: '', a: 'return A>>>0;' };
/** In the counter's loop: `acc` counts accepted packets, `lim` stops it (see BatchCounter). */
const LOOP_EXITS: Exits = {
  zero: 'continue;',
  accept: 'if(++acc===lim){i++;break;}continue;',
  a: 'if(A!==0&&++acc===lim){i++;break;}continue;',
};

/** A decimal integer literal for a value the validator has bounded; anything else is a bug. */
function num(v: number): string {
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`jit: not a program number: ${v}`);
  return String(v);
}

/** What the code generator needs to know about a forward-only program, in one pass. */
interface Analysis {
  reachable: Uint8Array;
  /** Instructions reached by a jump other than by falling through: they get a label. */
  label: Uint8Array;
  labels: number;
  memUsed: Uint8Array;
  /**
   * known[i]: a captured length every path reaching i has already checked (capLen >= known[i]), so
   * constant-offset loads within it need no check of their own (min over the incoming edges).
   */
  known: Float64Array;
}

function analyze(prog: Uint32Array): Analysis {
  const n = prog.length / 4;
  const a: Analysis = {
    reachable: new Uint8Array(n),
    label: new Uint8Array(n),
    labels: 0,
    memUsed: new Uint8Array(16),
    known: new Float64Array(n).fill(Infinity),
  };
  a.known[0] = 0;
  a.reachable[0] = 1;
  for (let i = 0; i < n; i++) {
    const code = prog[4 * i];
    const cls = bpfClass(code);
    if (cls === BPF_ST || cls === BPF_STX || ((cls === BPF_LD || cls === BPF_LDX) && (code & 0xe0) === BPF_MEM)) {
      a.memUsed[prog[4 * i + 3]] = 1;
    }
    if (!a.reachable[i] || cls === BPF_RET) continue;
    const after = Math.max(a.known[i], checkedLength(code, prog[4 * i + 3]));
    const reach = (t: number): void => {
      if (t <= i || t >= n) throw new Error('jit: program not validated'); // validateProgram guarantees it
      a.reachable[t] = 1;
      a.known[t] = Math.min(a.known[t], after);
      if (t !== i + 1 && !a.label[t]) {
        a.label[t] = 1;
        a.labels++;
      }
    };
    if (cls !== BPF_JMP) reach(i + 1);
    else if (code === (BPF_JMP | BPF_JA)) reach(i + 1 + prog[4 * i + 3]);
    else {
      reach(i + 1 + prog[4 * i + 1]);
      reach(i + 1 + prog[4 * i + 2]);
    }
  }
  return a;
}

/**
 * The body of the generated function (parameters d, off, capLen, wireLen). The program must have
 * passed validateProgram with only forward jumps.
 */
export function generateSource(prog: Uint32Array): string {
  return '"use strict";' + programBody(prog, FN_EXITS);
}

/** The program's statements, from the register declarations to the final exit. */
function programBody(prog: Uint32Array, exits: Exits): string {
  const n = prog.length / 4;
  const { reachable, label, memUsed, known } = analyze(prog);
  const out: string[] = [];
  out.push('let A=0,X=0,P=0;');
  for (let k = 0; k < 16; k++) if (memUsed[k]) out.push(`let m${k}=0;`);
  for (let t = n - 1; t > 0; t--) if (label[t]) out.push(`L${t}:{`);
  for (let i = 0; i < n; i++) {
    if (label[i]) out.push('}');
    if (!reachable[i]) continue;
    out.push(insn(prog, i, known[i], exits));
  }
  out.push(exits.zero);
  return out.join('\n');
}

/**
 * Counts the packets a filter accepts in slots [i, n) of a batch (one link type: the caller cuts
 * the runs), or until `lim` packets are accepted (lim <= 0: no limit). Stores the number accepted
 * in res[0] and returns the slot after the last one run.
 */
export type BatchCounter = (
  d: Uint8Array,
  offA: Uint32Array,
  capA: Uint32Array,
  wireA: Uint32Array,
  i: number,
  n: number,
  lim: number,
  res: Float64Array,
) => number;

/**
 * The body of a BatchCounter running a program: the filter fused into the loop over the batch's
 * arrays (no call per packet, the arrays' elements read once into locals).
 */
export function generateCounterSource(prog: Uint32Array): string {
  return (
    '"use strict";let acc=0;for(;i<n;i++){' +
    'const off=offA[i],capLen=capA[i],wireLen=wireA[i];\n' +
    programBody(prog, LOOP_EXITS) +
    '\n}res[0]=acc;return i;'
  );
}

const COUNTER_PARAMS = ['d', 'offA', 'capA', 'wireA', 'i', 'n', 'lim', 'res'] as const;

/** The BatchCounter of each compiled filter function (fused ones for the JIT, a loop otherwise). */
const counters = new WeakMap<FilterFn, BatchCounter>();

/** A BatchCounter calling `fn` per packet (interpreter, filters made elsewhere). */
function loopCounter(fn: FilterFn): BatchCounter {
  return (d, offA, capA, wireA, i, n, lim, res) => {
    let acc = 0;
    for (; i < n; i++) {
      if (fn(d, offA[i], capA[i], wireA[i]) !== 0 && ++acc === lim) {
        i++;
        break;
      }
    }
    res[0] = acc;
    return i;
  };
}

/** Accept-all (no filter for this link type). */
const acceptAll: BatchCounter = (_d, _o, _c, _w, i, n, lim, res) => {
  const end = lim > 0 && lim < n - i ? i + lim : n;
  res[0] = end - i;
  return end;
};

/**
 * Runs a new counter over a small dummy batch, so that its loop's exits (end of the run, limit)
 * have type feedback before V8 compiles the loop while it runs a real batch (measured: otherwise
 * the optimized loop deopted at the end of batches, again and again).
 */
function warmUp(c: BatchCounter): void {
  const d = new Uint8Array(64);
  const u = new Uint32Array(4).fill(60);
  const off = new Uint32Array(4);
  const res = new Float64Array(1);
  for (let k = 0; k < 3; k++) {
    c(d, off, u, u, 0, 4, 0, res);
    c(d, off, u, u, 0, 4, 1, res);
    c(d, off, u, u, 0, 0, 0, res);
  }
}

/** The BatchCounter for a filter function (null: accept all). */
export function batchCounter(fn: FilterFn | null): BatchCounter {
  if (fn === null) return acceptAll;
  let c = counters.get(fn);
  if (c === undefined) {
    c = loopCounter(fn);
    counters.set(fn, c);
  }
  return c;
}

/** The captured length a constant-offset load needs (0 for other instructions). */
function checkedLength(code: number, k: number): number {
  switch (code) {
    case BPF_LD | BPF_W | BPF_ABS:
      return k + 4;
    case BPF_LD | BPF_H | BPF_ABS:
      return k + 2;
    case BPF_LD | BPF_B | BPF_ABS:
    case BPF_LDX | BPF_MSH | BPF_B:
      return k + 1;
    default:
      return 0;
  }
}

/** An int32 literal: k reinterpreted as signed (registers hold int32, see the header). */
function i32(k: number): string {
  num(k);
  const v = k | 0;
  return v < 0 ? `(${v})` : String(v); // parenthesised: "A-(-5)", never "A--5"
}

/** Big-endian 32-bit load at `base`+k, as int32. */
function word(base: string, k: number): string {
  return `(d[${base}+${num(k)}]<<24)|(d[${base}+${num(k + 1)}]<<16)|(d[${base}+${num(k + 2)}]<<8)|d[${base}+${num(k + 3)}]`;
}

/** Big-endian 16-bit load at `base`+k. */
function half(base: string, k: number): string {
  return `(d[${base}+${num(k)}]<<8)|d[${base}+${num(k + 1)}]`;
}

/** Flips the sign bit so that a signed comparison orders values as unsigned. */
const SIGN = '-2147483648';

/**
 * One instruction as JavaScript statements. A, X and M[] hold the 32-bit values as int32 (V8 keeps
 * them in machine registers, with no heap numbers for values >= 2^31); operations that are unsigned
 * in C take `>>> 0` of their operands inside the expression or compare with the sign bit flipped,
 * and `return A` converts back to unsigned.
 */
function insn(prog: Uint32Array, i: number, known: number, exits: Exits): string {
  const code = prog[4 * i];
  const jt = prog[4 * i + 1];
  const jf = prog[4 * i + 2];
  const kv = prog[4 * i + 3];
  const K = num(kv);
  const op = code & 0xf0;
  const byX = (code & BPF_X) !== 0;
  const src = byX ? 'X' : i32(kv);
  // The length check of a constant-offset load, unless every path here has made a larger one.
  const z = exits.zero;
  const check = checkedLength(code, kv) > known ? `if(capLen<${num(checkedLength(code, kv))})${z}` : '';
  switch (bpfClass(code)) {
    case BPF_RET:
      if (code === (BPF_RET | BPF_A)) return exits.a;
      if (kv === 0) return z;
      return exits === FN_EXITS ? `return ${K};` : exits.accept;
    case BPF_LD:
    case BPF_LDX:
      switch (code) {
        case BPF_LD | BPF_W | BPF_ABS:
          return `${check}A=${word('off', kv)};`;
        case BPF_LD | BPF_H | BPF_ABS:
          return `${check}A=${half('off', kv)};`;
        case BPF_LD | BPF_B | BPF_ABS:
          return `${check}A=d[off+${K}];`;
        case BPF_LD | BPF_W | BPF_IND:
          return `P=X>>>0;if(P+${num(kv + 4)}>capLen)${z}P+=off;A=${word('P', kv)};`;
        case BPF_LD | BPF_H | BPF_IND:
          return `P=X>>>0;if(P+${num(kv + 2)}>capLen)${z}P+=off;A=${half('P', kv)};`;
        case BPF_LD | BPF_B | BPF_IND:
          return `P=X>>>0;if(P+${K}>=capLen)${z}A=d[off+P+${K}];`;
        case BPF_LDX | BPF_MSH | BPF_B:
          return `${check}X=(d[off+${K}]&15)<<2;`;
        case BPF_LD | BPF_W | BPF_LEN:
          return 'A=wireLen|0;';
        case BPF_LDX | BPF_W | BPF_LEN:
          return 'X=wireLen|0;';
        case BPF_LD | BPF_IMM:
          return `A=${i32(kv)};`;
        case BPF_LDX | BPF_IMM:
          return `X=${i32(kv)};`;
        case BPF_LD | BPF_MEM:
          return `A=m${K};`;
        case BPF_LDX | BPF_MEM:
          return `X=m${K};`;
      }
      break;
    case BPF_ST:
      return `m${K}=A;`;
    case BPF_STX:
      return `m${K}=X;`;
    case BPF_MISC:
      return code === (BPF_MISC | BPF_TAX) ? 'X=A;' : 'A=X;';
    case BPF_ALU: {
      const usrc = byX ? '(X>>>0)' : K; // unsigned operand
      switch (op) {
        case BPF_ADD:
          return `A=(A+${src})|0;`;
        case BPF_SUB:
          return `A=(A-${src})|0;`;
        case BPF_MUL:
          return `A=Math.imul(A,${src});`;
        case BPF_DIV:
          return (byX ? `if(X===0)${z}` : '') + `A=((A>>>0)/${usrc})|0;`;
        case BPF_MOD:
          return (byX ? `if(X===0)${z}` : '') + `A=((A>>>0)%${usrc})|0;`;
        case BPF_AND:
          return `A&=${src};`;
        case BPF_OR:
          return `A|=${src};`;
        case BPF_XOR:
          return `A^=${src};`;
        case BPF_LSH:
          return byX ? 'A=(X>>>0)<32?A<<X:0;' : `A<<=${K};`;
        case BPF_RSH:
          return byX ? 'A=(X>>>0)<32?(A>>>X)|0:0;' : `A=(A>>>${K})|0;`;
        case BPF_NEG:
          return 'A=-A|0;';
      }
      break;
    }
    case BPF_JMP: {
      if (op === BPF_JA) return kv === 0 ? '' : `break L${num(i + 1 + kv)};`;
      // Unsigned order as signed order of the values with their sign bit flipped.
      const flipped = byX ? `(X^${SIGN})` : i32((kv ^ 0x80000000) >>> 0);
      let cond: string;
      switch (op) {
        case BPF_JEQ:
          cond = `A===${src}`;
          break;
        case BPF_JGT:
          cond = `(A^${SIGN})>${flipped}`;
          break;
        case BPF_JGE:
          cond = `(A^${SIGN})>=${flipped}`;
          break;
        case BPF_JSET:
          cond = `(A&${src})!==0`;
          break;
        default:
          throw new Error('jit: program not validated');
      }
      const tt = i + 1 + jt;
      const tf = i + 1 + jf;
      if (tt === tf) return tt === i + 1 ? '' : `break L${tt};`;
      if (tf === i + 1) return `if(${cond})break L${tt};`;
      if (tt === i + 1) return `if(!(${cond}))break L${tf};`;
      return `if(${cond})break L${tt};break L${tf};`;
    }
  }
  throw new Error(`jit: program not validated (opcode ${code})`);
}

/**
 * Validates `prog` (throws BpfValidationError) and returns a function running it. Forward-only
 * programs are compiled to JavaScript; programs with backward jumps (libpcap's `protochain`) or more
 * than MAX_JIT_LABELS jump targets run in the interpreter over a private copy of the program.
 */
export function compileProgram(prog: Uint32Array): CompiledFilter {
  if (!(prog instanceof Uint32Array)) validateProgram(prog); // throws the validator's error
  const copy = Uint32Array.from(prog); // validated and run: nobody else holds it
  const backward = validateProgram(copy);
  const viaInterpreter = (reason: string): CompiledFilter => ({
    fn: (d, off, capLen, wireLen) => interpret(copy, d, off, capLen, wireLen),
    program: copy,
    engine: 'interpreter',
    reason,
  });
  if (backward) return viaInterpreter('backward jumps');
  if (analyze(copy).labels > MAX_JIT_LABELS) return viaInterpreter(`more than ${MAX_JIT_LABELS} jump targets`);
  const body = generateSource(copy);
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const fn = new Function('d', 'off', 'capLen', 'wireLen', body) as FilterFn;
    const counter = new Function(...COUNTER_PARAMS, generateCounterSource(copy)) as BatchCounter;
    warmUp(counter);
    counters.set(fn, counter);
    return { fn, program: copy, engine: 'jit' };
  } catch (e) {
    if (e instanceof RangeError) return viaInterpreter('nesting too deep for the JavaScript parser');
    throw e;
  }
}

/** Shorthand: the function only. */
export function jitCompile(prog: Uint32Array): FilterFn {
  return compileProgram(prog).fn;
}
