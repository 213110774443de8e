#!/usr/bin/env node
// portscope command-line entry point: one line per error, tcpdump's exit statuses.
// Startup: only what every command needs is imported here; each command loads its own modules.
// (FilterError is recognised by name: importing src/filter here would load the JIT for every run.)
import { UsageError } from './getopt';
import { CaptureError } from '../capture/batch';

const USAGE = `portscope: packet-capture traffic analyzer

Usage: portscope <command> [options]

Commands:
  dump        read, filter, print and write packets like tcpdump (-r FILE | -i IFACE)
  interfaces  list capture interfaces (like tcpdump -D)
  profile     per-port traffic profile, hosts, flows (Zeek conn_state), counters; merge profiles
  sensor      headless sensor: Prometheus /metrics, IPFIX and NDJSON flow export (-i IFACE | -r FILE)
  top         live dashboard of ports, connections, hosts (-i IFACE | -r FILE); text snapshots when piped
  rules       firewall ruleset (nftables, iptables) allowing exactly the services of a profile
  diff        compare two profiles: new/vanished services, ports, hosts, moved traffic shares
  audit       this host's listening sockets against the services a profile observed

Run "portscope <command> --help" for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const cmd = argv[0];
  const rest = argv.slice(1);
  switch (cmd) {
    case 'dump':
      return (await import('./dump')).dumpMain(rest);
    case 'interfaces':
      return (await import('./interfaces')).interfacesMain(rest);
    case 'profile':
      return (await import('./profile')).profileMain(rest);
    case 'top':
      return (await import('./top')).topMain(rest);
    case 'sensor':
      return (await import('./sensor')).sensorMain(rest);
    case 'rules':
      return (await import('./rules')).rulesMain(rest);
    case 'diff':
      return (await import('./diff')).diffMain(rest);
    case 'audit':
      return (await import('./audit')).auditMain(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return cmd === undefined ? 1 : 0;
    case '--version':
    case 'version':
      process.stdout.write(`portscope ${require('../../../package.json').version}\n`);
      return 0;
    default:
      throw new UsageError(`unknown command "${cmd}"; run "portscope --help"`);
  }
}

/** src/filter's FilterError (name 'FilterError', a numeric exit status), without loading src/filter. */
function isFilterError(e: unknown): e is Error & { exitCode: number } {
  return e instanceof Error && e.name === 'FilterError' && typeof (e as { exitCode?: unknown }).exitCode === 'number';
}

function fail(e: unknown): number {
  if (e instanceof UsageError) {
    process.stderr.write(`portscope: ${e.message}\n`);
    return 1;
  }
  if (e instanceof CaptureError || isFilterError(e)) {
    process.stderr.write(`portscope: ${e.message}\n`);
    return e.exitCode;
  }
  const err = e as NodeJS.ErrnoException;
  if (err && err.code === 'EPIPE') return 0;
  process.stderr.write(`portscope: internal error: ${err && err.stack ? err.stack : String(e)}\n`);
  return 2;
}

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.exitCode = fail(e);
  },
);
