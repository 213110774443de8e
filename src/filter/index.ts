// Filters: libpcap compiles the expression (native addon), a BPF-to-JavaScript JIT runs it.
import type { FilterProvider } from '../pipeline';

/** A filter that cannot be compiled: libpcap's message, tcpdump's exit status. */
export class FilterError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'FilterError';
  }
}

/** TODO(filter): implement. Returns a provider that compiles once per link type, throwing FilterError. */
export function compileFilterProvider(expression: string): FilterProvider {
  void expression;
  return () => {
    throw new FilterError('filters are not implemented yet');
  };
}
