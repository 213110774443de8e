// Filters: libpcap compiles the expression (native addon), a BPF-to-JavaScript JIT runs it.
import type { FilterProvider } from '../pipeline';
import type { FilterFn } from './types';
import { compileProgram, type CompiledFilter } from './jit';
import { linkTypeDescription } from '../../decoders/link-types';

/** A filter that cannot be compiled: libpcap's message, tcpdump's exit status. */
export class FilterError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'FilterError';
  }
}

/** The part of the addon a filter needs (tests may pass their own). */
export interface FilterCompiler {
  /** pcap_compile on a dead handle: takes a DLT_ value. */
  compile(expr: string, linkType: number, snaplen: number, optimize?: boolean): Uint32Array;
  /** pcap_compile as `tcpdump -r` does (savefile handle, netmask 0): takes a LINKTYPE_ value. */
  compileSavefile?(expr: string, linkType: number, snaplen: number, optimize?: boolean): Uint32Array;
}

export interface FilterProviderOptions {
  /** Where programs come from; default: the libpcap addon, loaded on first use. */
  compiler?: () => FilterCompiler;
  /** libpcap's optimizer (tcpdump -O turns it off). Default true. */
  optimize?: boolean;
  /** Called once per compiled link type (diagnostics, tests). */
  onCompile?: (linkType: number, compiled: CompiledFilter) => void;
}

/**
 * The DLT_ value pcap_open_dead wants for a file's LINKTYPE_ value, where they differ on Linux
 * (libpcap's linktype_to_dlt): raw IP is LINKTYPE 101 in files, DLT_RAW 12 here. Used only with a
 * compiler that lacks compileSavefile (which lets libpcap map the value itself).
 */
export function linkTypeToDlt(linkType: number): number {
  switch (linkType) {
    case 101:
      return 12; // DLT_RAW
    case 100:
      return 11; // DLT_ATM_RFC1483
    case 102:
      return 15; // DLT_SLIP_BSDOS
    case 103:
      return 16; // DLT_PPP_BSDOS
    case 106:
      return 19; // DLT_ATM_CLIP
    default:
      return linkType;
  }
}

function defaultCompiler(): FilterCompiler {
  // Required lazily: reading without a filter never loads the addon.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadNative } = require('../../native/index') as typeof import('../../native/index');
  return loadNative(); // throws NativeMissingError (a CaptureError): one line saying what to install
}

/**
 * Compiles `expression` once per link type, lazily: the provider returns the filter for a link
 * type, compiling it with libpcap exactly as `tcpdump -r` does (a savefile handle of that link type
 * and snaplen, optimizer on, netmask 0) and translating it with the JIT. Throws
 * FilterError with libpcap's message, exit status 1 as tcpdump; for a link type met after the
 * first one (pcapng files mixing link types, which tcpdump cannot read at all) the message is
 * prefixed with that link type: "link-type LINUX_SLL (Linux cooked v1): no VLAN support for ...".
 */
export function compileFilterProvider(expression: string, opts: FilterProviderOptions = {}): FilterProvider {
  const cache = new Map<number, FilterFn>();
  const getCompiler = opts.compiler ?? defaultCompiler;
  let compiler: FilterCompiler | null = null;
  let firstLinkType = -1;
  return (linkType, snaplen) => {
    const hit = cache.get(linkType);
    if (hit !== undefined) return hit;
    compiler ??= getCompiler();
    if (firstLinkType < 0) firstLinkType = linkType;
    let prog: Uint32Array;
    try {
      const optimize = opts.optimize ?? true;
      prog = compiler.compileSavefile
        ? compiler.compileSavefile(expression, linkType, snaplen, optimize)
        : compiler.compile(expression, linkTypeToDlt(linkType), snaplen, optimize);
    } catch (e) {
      const msg = String((e as Error).message ?? e).split('\n')[0];
      // tcpdump reads one link type per file; for a later one of a pcapng file, name it.
      throw new FilterError(linkType === firstLinkType ? msg : `link-type ${linkTypeDescription(linkType)}: ${msg}`);
    }
    let compiled: CompiledFilter;
    try {
      compiled = compileProgram(prog);
    } catch (e) {
      throw new FilterError(`can't use the compiled filter: ${(e as Error).message}`);
    }
    opts.onCompile?.(linkType, compiled);
    cache.set(linkType, compiled.fn);
    return compiled.fn;
  };
}

export { compileProgram, generateSource, jitCompile } from './jit';
export { interpret } from './interpreter';
export { validateProgram, BpfValidationError } from './bpf';

/**
 * A compiled program as tcpdump's -d / -dd / -ddd print it (libpcap's bpf_dump): level 1 is
 * bpf_image per instruction (`image`, from the addon), 2 a C array fragment, 3 and more decimal
 * (the count, then "code jt jf k" lines). Ends with a newline.
 */
export function formatProgram(prog: Uint32Array, level: number, image: (prog: Uint32Array) => string[]): string {
  const n = prog.length >>> 2;
  const lines: string[] = [];
  if (level > 2) {
    lines.push(String(n));
    for (let i = 0; i < n; i++) lines.push(`${prog[4 * i]} ${prog[4 * i + 1]} ${prog[4 * i + 2]} ${prog[4 * i + 3]}`);
  } else if (level > 1) {
    for (let i = 0; i < n; i++) {
      lines.push(`{ 0x${prog[4 * i].toString(16)}, ${prog[4 * i + 1]}, ${prog[4 * i + 2]}, 0x${prog[4 * i + 3].toString(16).padStart(8, '0')} },`);
    }
  } else {
    lines.push(...image(prog));
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
