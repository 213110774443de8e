// `portscope interfaces` (and dump -D): list capture devices (pcap_findalldevs).
import { UsageError } from './getopt';
import { loadNative, PCAP_IF, type NativeDevice } from '../../native/index';

export const INTERFACES_USAGE = `Usage: portscope interfaces [--json]
  Lists the devices libpcap can capture on: name, description, state flags and addresses.
  --json      one JSON array (name, description, flags, up, running, loopback, wireless, addresses)
  --tcpdump   tcpdump -D's numbered list (what "portscope dump -D" prints)`;

/** tcpdump -D's bracketed flags: "Up, Running, Loopback" plus the connection status, "none" if none. */
export function flagsText(flags: number): string {
  const words: string[] = [];
  if (flags & PCAP_IF.UP) words.push('Up');
  if (flags & PCAP_IF.RUNNING) words.push('Running');
  if (flags & PCAP_IF.LOOPBACK) words.push('Loopback');
  if (flags & PCAP_IF.WIRELESS) words.push('Wireless');
  let t = words.length ? words.join(', ') : 'none';
  const status = flags & PCAP_IF.CONNECTION_STATUS;
  const wireless = (flags & PCAP_IF.WIRELESS) !== 0;
  if (status === 0) t += wireless ? ', Association status unknown' : ', Connection status unknown';
  else if (status === PCAP_IF.CONNECTED) t += wireless ? ', Associated' : ', Connected';
  else if (status === PCAP_IF.DISCONNECTED) t += wireless ? ', Not associated' : ', Disconnected';
  return t;
}

/** One device as tcpdump -D prints it: "3.lo [Up, Running, Loopback]". */
export function tcpdumpLine(index: number, d: NativeDevice): string {
  let t = `${index}.${d.name}`;
  if (d.description) t += ` (${d.description})`;
  if (d.flags !== 0) t += ` [${flagsText(d.flags)}]`;
  return t;
}

/** Device names and descriptions come from the kernel; keep control bytes off the terminal. */
function safe(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function sanitize(d: NativeDevice): NativeDevice {
  return {
    name: safe(d.name),
    description: d.description === undefined ? undefined : safe(d.description),
    flags: d.flags,
    addresses: d.addresses,
  };
}

export async function interfacesMain(argv: readonly string[]): Promise<number> {
  let mode: 'text' | 'json' | 'tcpdump' = 'text';
  for (const a of argv) {
    if (a === '--tcpdump') mode = 'tcpdump';
    else if (a === '--json') mode = 'json';
    else if (a === '-h' || a === '--help') {
      process.stdout.write(INTERFACES_USAGE + '\n');
      return 0;
    } else throw new UsageError(`interfaces: unexpected argument "${a}"; run "portscope interfaces --help"`);
  }
  const native = loadNative();
  let devs: NativeDevice[];
  try {
    devs = native.findAllDevs().map(sanitize);
  } catch (e) {
    process.stderr.write(`portscope: ${(e as Error).message}\n`);
    return 1;
  }
  if (mode === 'json') {
    const out = devs.map((d) => ({
      name: d.name,
      description: d.description ?? null,
      flags: d.flags,
      up: (d.flags & PCAP_IF.UP) !== 0,
      running: (d.flags & PCAP_IF.RUNNING) !== 0,
      loopback: (d.flags & PCAP_IF.LOOPBACK) !== 0,
      wireless: (d.flags & PCAP_IF.WIRELESS) !== 0,
      addresses: d.addresses,
    }));
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  }
  if (mode === 'tcpdump' && devs.length === 0) {
    // tcpdump -D with nothing to show (no permission to see any device).
    process.stderr.write('portscope: no interfaces available for capture\n');
    return 1;
  }
  const lines: string[] = [];
  devs.forEach((d, i) => {
    lines.push(tcpdumpLine(i + 1, d));
    if (mode === 'tcpdump') return;
    for (const a of d.addresses) {
      let t = `    ${a.family} ${a.addr ?? '?'}`;
      if (a.netmask) t += ` netmask ${a.netmask}`;
      if (a.broadaddr) t += ` broadcast ${a.broadaddr}`;
      if (a.dstaddr) t += ` peer ${a.dstaddr}`;
      lines.push(t);
    }
  });
  process.stdout.write(lines.join('\n') + (lines.length ? '\n' : ''));
  return 0;
}
