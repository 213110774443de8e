// getopt_long-style parsing, as tcpdump does it: short options cluster (-nntt), an option's
// argument may be attached (-c5) or the next word (-c 5), long options take --name=value or
// --name value, options and operands may be mixed (GNU permutation), and `--` ends options.

export type OptKind = 'flag' | 'arg';

export interface OptSpec {
  short: Record<string, OptKind>;
  long: Record<string, OptKind>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  /** Every occurrence of each option, in order: true for flags, the argument for 'arg' options. */
  opts: Map<string, (string | true)[]>;
  /** Operands (the words that are not options), in order. */
  rest: string[];
}

export function getopt(argv: readonly string[], spec: OptSpec): ParsedArgs {
  const opts = new Map<string, (string | true)[]>();
  const rest: string[] = [];
  const add = (k: string, v: string | true) => {
    const a = opts.get(k);
    if (a) a.push(v);
    else opts.set(k, [v]);
  };
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i];
    if (w === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (w.startsWith('--')) {
      const eq = w.indexOf('=');
      const name = eq < 0 ? w.slice(2) : w.slice(2, eq);
      const kind = spec.long[name];
      if (kind === undefined) throw new UsageError(`unrecognized option '--${name}'`);
      if (kind === 'flag') {
        if (eq >= 0) throw new UsageError(`option '--${name}' doesn't allow an argument`);
        add(name, true);
      } else if (eq >= 0) {
        add(name, w.slice(eq + 1));
      } else {
        if (i + 1 >= argv.length) throw new UsageError(`option '--${name}' requires an argument`);
        add(name, argv[++i]);
      }
      continue;
    }
    if (w.length > 1 && w[0] === '-') {
      for (let j = 1; j < w.length; j++) {
        const c = w[j];
        const kind = spec.short[c];
        if (kind === undefined) throw new UsageError(`invalid option -- '${c}'`);
        if (kind === 'flag') {
          add(c, true);
          continue;
        }
        if (j + 1 < w.length) add(c, w.slice(j + 1));
        else if (i + 1 < argv.length) add(c, argv[++i]);
        else throw new UsageError(`option requires an argument -- '${c}'`);
        break;
      }
      continue;
    }
    rest.push(w);
  }
  return { opts, rest };
}

/** Number of times a flag was given (-tt -> 2). */
export function count(a: ParsedArgs, k: string): number {
  return a.opts.get(k)?.length ?? 0;
}

/** The last value of an 'arg' option, or undefined. */
export function last(a: ParsedArgs, k: string): string | undefined {
  const v = a.opts.get(k);
  if (!v || v.length === 0) return undefined;
  const x = v[v.length - 1];
  return x === true ? undefined : x;
}

/** Every value of an 'arg' option. */
export function all(a: ParsedArgs, k: string): string[] {
  return (a.opts.get(k) ?? []).filter((x): x is string => x !== true);
}

/** Parses a non-negative integer option value, or throws a UsageError naming the option. */
export function intArg(v: string, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(v)) throw new UsageError(`invalid ${what} ${JSON.stringify(v)}`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`invalid ${what} ${v} (must be ${min}..${max})`);
  return n;
}
