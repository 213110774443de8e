// A plain classic-BPF interpreter with libpcap 1.10's bpf_filter semantics: the oracle the JIT is
// tested against, and the runner for programs with backward jumps (libpcap's `protochain`).
//
// Semantics (pcap/bpf_filter.c): A, X and M[] are unsigned 32-bit; a load reaching past the
// captured length (buflen) returns 0 (reject); LEN is the wire length; division or modulo by X = 0
// returns 0; a shift by X >= 32 makes A = 0 (libpcap 1.10.3 checks it; constant shifts >= 32 are
// refused by validateProgram, as by libpcap's compiler); a program runs until a RET. M[] starts at 0.
// The program must have passed validateProgram: this does not check it again.
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_B, BPF_DIV, BPF_H, BPF_IMM, BPF_IND, BPF_JA, BPF_JEQ, BPF_JGE,
  BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MEM, BPF_MEMWORDS, BPF_MISC, BPF_MOD,
  BPF_MSH, BPF_MUL, BPF_NEG, BPF_OR, BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TAX, BPF_TXA, BPF_W,
  BPF_X, BPF_XOR, BPF_A, MAX_BACKWARD_JUMPS,
} from './bpf';

const mem = new Uint32Array(BPF_MEMWORDS);

/**
 * Runs a validated program over data[off .. off + capLen). Returns libpcap's value: 0 rejects,
 * anything else accepts. More than MAX_BACKWARD_JUMPS backward jumps in one run return 0.
 */
export function interpret(prog: Uint32Array, d: Uint8Array, off: number, capLen: number, wireLen: number): number {
  let A = 0;
  let X = 0;
  let back = 0;
  mem.fill(0);
  for (let pc = 0; ; pc++) {
    const i = 4 * pc;
    const code = prog[i];
    const k = prog[i + 3];
    switch (code) {
      case BPF_RET | BPF_K:
        return k;
      case BPF_RET | BPF_A:
        return A;
      case BPF_LD | BPF_W | BPF_ABS:
        if (k + 4 > capLen) return 0;
        A = ((d[off + k] << 24) | (d[off + k + 1] << 16) | (d[off + k + 2] << 8) | d[off + k + 3]) >>> 0;
        break;
      case BPF_LD | BPF_H | BPF_ABS:
        if (k + 2 > capLen) return 0;
        A = (d[off + k] << 8) | d[off + k + 1];
        break;
      case BPF_LD | BPF_B | BPF_ABS:
        if (k >= capLen) return 0;
        A = d[off + k];
        break;
      case BPF_LD | BPF_W | BPF_LEN:
        A = wireLen >>> 0;
        break;
      case BPF_LDX | BPF_W | BPF_LEN:
        X = wireLen >>> 0;
        break;
      case BPF_LD | BPF_W | BPF_IND: {
        const p = X + k;
        if (p + 4 > capLen) return 0;
        A = ((d[off + p] << 24) | (d[off + p + 1] << 16) | (d[off + p + 2] << 8) | d[off + p + 3]) >>> 0;
        break;
      }
      case BPF_LD | BPF_H | BPF_IND: {
        const p = X + k;
        if (p + 2 > capLen) return 0;
        A = (d[off + p] << 8) | d[off + p + 1];
        break;
      }
      case BPF_LD | BPF_B | BPF_IND: {
        const p = X + k;
        if (p >= capLen) return 0;
        A = d[off + p];
        break;
      }
      case BPF_LDX | BPF_MSH | BPF_B:
        if (k >= capLen) return 0;
        X = (d[off + k] & 0xf) << 2;
        break;
      case BPF_LD | BPF_IMM:
        A = k;
        break;
      case BPF_LDX | BPF_IMM:
        X = k;
        break;
      case BPF_LD | BPF_MEM:
        A = mem[k];
        break;
      case BPF_LDX | BPF_MEM:
        X = mem[k];
        break;
      case BPF_ST:
        mem[k] = A;
        break;
      case BPF_STX:
        mem[k] = X;
        break;
      case BPF_JMP | BPF_JA:
        if ((k | 0) < 0 && ++back > MAX_BACKWARD_JUMPS) return 0;
        pc += k | 0;
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        pc += A > k ? prog[i + 1] : prog[i + 2];
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        pc += A >= k ? prog[i + 1] : prog[i + 2];
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += A === k ? prog[i + 1] : prog[i + 2];
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        pc += (A & k) !== 0 ? prog[i + 1] : prog[i + 2];
        break;
      case BPF_JMP | BPF_JGT | BPF_X:
        pc += A > X ? prog[i + 1] : prog[i + 2];
        break;
      case BPF_JMP | BPF_JGE | BPF_X:
        pc += A >= X ? prog[i + 1] : prog[i + 2];
        break;
      case BPF_JMP | BPF_JEQ | BPF_X:
        pc += A === X ? prog[i + 1] : prog[i + 2];
        break;
      case BPF_JMP | BPF_JSET | BPF_X:
        pc += (A & X) !== 0 ? prog[i + 1] : prog[i + 2];
        break;
      case BPF_ALU | BPF_ADD | BPF_K:
        A = (A + k) >>> 0;
        break;
      case BPF_ALU | BPF_SUB | BPF_K:
        A = (A - k) >>> 0;
        break;
      case BPF_ALU | BPF_MUL | BPF_K:
        A = Math.imul(A, k) >>> 0;
        break;
      case BPF_ALU | BPF_DIV | BPF_K:
        A = Math.floor(A / k) >>> 0;
        break;
      case BPF_ALU | BPF_MOD | BPF_K:
        A = A % k;
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        A = (A & k) >>> 0;
        break;
      case BPF_ALU | BPF_OR | BPF_K:
        A = (A | k) >>> 0;
        break;
      case BPF_ALU | BPF_XOR | BPF_K:
        A = (A ^ k) >>> 0;
        break;
      case BPF_ALU | BPF_LSH | BPF_K:
        A = (A << k) >>> 0;
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        A = A >>> k;
        break;
      case BPF_ALU | BPF_ADD | BPF_X:
        A = (A + X) >>> 0;
        break;
      case BPF_ALU | BPF_SUB | BPF_X:
        A = (A - X) >>> 0;
        break;
      case BPF_ALU | BPF_MUL | BPF_X:
        A = Math.imul(A, X) >>> 0;
        break;
      case BPF_ALU | BPF_DIV | BPF_X:
        if (X === 0) return 0;
        A = Math.floor(A / X) >>> 0;
        break;
      case BPF_ALU | BPF_MOD | BPF_X:
        if (X === 0) return 0;
        A = A % X;
        break;
      case BPF_ALU | BPF_AND | BPF_X:
        A = (A & X) >>> 0;
        break;
      case BPF_ALU | BPF_OR | BPF_X:
        A = (A | X) >>> 0;
        break;
      case BPF_ALU | BPF_XOR | BPF_X:
        A = (A ^ X) >>> 0;
        break;
      case BPF_ALU | BPF_LSH | BPF_X:
        A = X < 32 ? (A << X) >>> 0 : 0;
        break;
      case BPF_ALU | BPF_RSH | BPF_X:
        A = X < 32 ? A >>> X : 0;
        break;
      case BPF_ALU | BPF_NEG:
        A = -A >>> 0;
        break;
      case BPF_MISC | BPF_TAX:
        X = A;
        break;
      case BPF_MISC | BPF_TXA:
        A = X;
        break;
      default:
        return 0; // unreachable for validated programs
    }
  }
}
