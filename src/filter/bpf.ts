// Classic BPF: opcodes (pcap/bpf.h), the flat program form, and the validator run before anything
// executes a program. A program is a Uint32Array of [code, jt, jf, k] per instruction, the form the
// native addon returns (struct bpf_insn, widened).
import type { BpfInsn } from './types';

// Instruction classes.
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;
// Load sizes.
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
// Load modes.
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_MSH = 0xa0;
// ALU and jump operations.
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
// Operand source, return value source, misc operations.
export const BPF_K = 0x00;
export const BPF_X = 0x08;
export const BPF_A = 0x10;
export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;

/** Scratch memory words (M[0..15]). */
export const BPF_MEMWORDS = 16;
/** libpcap's userland limit on program length. */
export const BPF_MAXINSNS = 3060000;
/** Backward jumps one packet may take (libpcap's later MAX_BACKWARD_JUMPS; 1.10.3 has no limit). */
export const MAX_BACKWARD_JUMPS = 64;

export const bpfClass = (code: number): number => code & 0x07;

/**
 * The opcodes libpcap's bpf_filter executes: exactly the list of pcapint_valid_insn (libpcap
 * master). Anything else (LD|H|IMM, RET|X, MISC other than TAX/TXA, ...) is rejected, where
 * libpcap 1.10.3's looser bpf_validate would pass it to a bpf_filter that aborts.
 */
const VALID_OPCODES: ReadonlySet<number> = new Set([
  BPF_RET | BPF_K, BPF_RET | BPF_A,
  BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_B | BPF_ABS,
  BPF_LD | BPF_W | BPF_LEN, BPF_LDX | BPF_W | BPF_LEN,
  BPF_LD | BPF_W | BPF_IND, BPF_LD | BPF_H | BPF_IND, BPF_LD | BPF_B | BPF_IND,
  BPF_LDX | BPF_MSH | BPF_B, BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM,
  BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX,
  BPF_JMP | BPF_JA,
  BPF_JMP | BPF_JGT | BPF_K, BPF_JMP | BPF_JGE | BPF_K, BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JSET | BPF_K,
  BPF_JMP | BPF_JGT | BPF_X, BPF_JMP | BPF_JGE | BPF_X, BPF_JMP | BPF_JEQ | BPF_X, BPF_JMP | BPF_JSET | BPF_X,
  ...[BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH].flatMap((op) => [
    BPF_ALU | op | BPF_K,
    BPF_ALU | op | BPF_X,
  ]),
  BPF_ALU | BPF_NEG, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA,
]);

/** An invalid program: why, and at which instruction (-1: the program as a whole). */
export class BpfValidationError extends Error {
  constructor(message: string, readonly pc: number) {
    super(pc >= 0 ? `invalid BPF program: instruction ${pc}: ${message}` : `invalid BPF program: ${message}`);
    this.name = 'BpfValidationError';
  }
}

export interface ValidateOptions {
  /**
   * Allow backward unconditional jumps (libpcap's own code for `protochain` uses them). A jump to
   * itself is still rejected. Default true; the JIT itself needs forward-only programs.
   */
  allowBackward?: boolean;
}

/**
 * Checks a flat program: whole instructions, 1..BPF_MAXINSNS of them, every field an integer of its
 * C width, a known opcode, scratch memory indexes < 16, no constant division or modulo by 0, no
 * constant shift by 32 or more, every jump inside the program, the last instruction a RET.
 * Returns true when some jump goes backward. Throws BpfValidationError.
 */
export function validateProgram(prog: Uint32Array, opts: ValidateOptions = {}): boolean {
  const allowBackward = opts.allowBackward ?? true;
  if (!(prog instanceof Uint32Array)) throw new BpfValidationError('not a Uint32Array', -1);
  if (prog.length % 4 !== 0) throw new BpfValidationError('length is not a whole number of instructions', -1);
  const n = prog.length / 4;
  if (n < 1 || n > BPF_MAXINSNS) throw new BpfValidationError(`${n} instructions (1..${BPF_MAXINSNS})`, -1);
  let backward = false;
  for (let i = 0; i < n; i++) {
    const code = prog[4 * i];
    const jt = prog[4 * i + 1];
    const jf = prog[4 * i + 2];
    const k = prog[4 * i + 3];
    if (code > 0xffff || jt > 0xff || jf > 0xff) throw new BpfValidationError('field out of range', i);
    if (!VALID_OPCODES.has(code)) throw new BpfValidationError(`unknown opcode 0x${code.toString(16)}`, i);
    switch (code) {
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
      case BPF_ST:
      case BPF_STX:
        if (k >= BPF_MEMWORDS) throw new BpfValidationError(`scratch memory index ${k}`, i);
        break;
      case BPF_ALU | BPF_DIV | BPF_K:
      case BPF_ALU | BPF_MOD | BPF_K:
        if (k === 0) throw new BpfValidationError('constant division by 0', i);
        break;
      case BPF_ALU | BPF_LSH | BPF_K:
      case BPF_ALU | BPF_RSH | BPF_K:
        if (k >= 32) throw new BpfValidationError(`constant shift by ${k}`, i);
        break;
      case BPF_JMP | BPF_JA: {
        const target = i + 1 + (k | 0);
        if (target < 0 || target >= n) throw new BpfValidationError('jump out of the program', i);
        if (target <= i) {
          if (!allowBackward) throw new BpfValidationError('backward jump', i);
          if (target === i) throw new BpfValidationError('jump to itself', i);
          backward = true;
        }
        break;
      }
      default:
        if (bpfClass(code) === BPF_JMP && (i + 1 + jt >= n || i + 1 + jf >= n)) {
          throw new BpfValidationError('jump out of the program', i);
        }
    }
  }
  if (bpfClass(prog[4 * (n - 1)]) !== BPF_RET) throw new BpfValidationError('does not end with a return', n - 1);
  return backward;
}

/** Flat form of an instruction list. */
export function toFlat(insns: readonly BpfInsn[]): Uint32Array {
  const out = new Uint32Array(insns.length * 4);
  insns.forEach((x, i) => out.set([x.code, x.jt, x.jf, x.k >>> 0], 4 * i));
  return out;
}

/** Parses `tcpdump -ddd` output (a count line, then "code jt jf k" decimal lines). */
export function parseDecimalProgram(text: string): Uint32Array {
  const lines = text.trim().split('\n');
  const n = Number(lines[0]);
  if (!Number.isInteger(n) || n < 1 || lines.length !== n + 1) throw new BpfValidationError('bad -ddd text', -1);
  const out = new Uint32Array(4 * n);
  for (let i = 0; i < n; i++) {
    const f = lines[i + 1].trim().split(/\s+/).map(Number);
    if (f.length !== 4 || f.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new BpfValidationError('bad -ddd line', i);
    }
    out.set(f, 4 * i);
  }
  return out;
}
