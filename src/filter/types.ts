/**
 * A compiled packet filter over one frame: returns 0 to reject, anything else to accept
 * (libpcap's bpf_filter contract: the value is the snapshot length to keep).
 */
export type FilterFn = (data: Uint8Array, off: number, capLen: number, wireLen: number) => number;

/** One classic BPF instruction, as in struct bpf_insn. */
export interface BpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}
