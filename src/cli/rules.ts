// `portscope rules PROFILE.json --format nftables|iptables|ip6tables [--min-packets N] [--clients]
// [-o FILE]`: a firewall ruleset that allows exactly the services observed in a profile.
import * as fs from 'node:fs';
import { getopt, count, last, intArg, UsageError } from './getopt';
import { readProfileFile } from './profile';
import { buildRuleModel } from '../report/rules-model';
import { renderNftables } from '../report/rules-nftables';
import { renderIptables } from '../report/rules-iptables';
import { CaptureError } from '../capture/batch';

export const RULES_USAGE = `Usage: portscope rules PROFILE.json [--format nftables|iptables|ip6tables] [--min-packets N]
                       [--clients] [-o FILE]

Writes a ruleset that accepts established/related traffic and exactly the services of the
profile's services[] list (server address, protocol, port), and drops the rest of the input.
  --format       nftables (default; both families, for nft -f), iptables (IPv4, for
                 iptables-restore), ip6tables (IPv6, for ip6tables-restore)
  --min-packets  leave out services seen with fewer packets (listed as comments); default 1
  --clients      allow only the client networks seen (IPv4 /24, IPv6 /64) when the profile
                 saw at most 8 of them; otherwise any source
Comments give each service's IANA name and evidence (packets, clients, first/last seen).`;

const SPEC = {
  short: { o: 'arg', h: 'flag' },
  long: { format: 'arg', 'min-packets': 'arg', clients: 'flag', help: 'flag' },
} as const;

export async function rulesMain(argv: readonly string[]): Promise<number> {
  const a = getopt(argv, SPEC);
  if (count(a, 'h') || count(a, 'help')) {
    process.stdout.write(RULES_USAGE + '\n');
    return 0;
  }
  if (a.rest.length !== 1) throw new UsageError('rules: give exactly one profile (JSON file); see "portscope rules --help"');
  const format = last(a, 'format') ?? 'nftables';
  if (format !== 'nftables' && format !== 'iptables' && format !== 'ip6tables') {
    throw new UsageError(`invalid --format ${JSON.stringify(format)} (nftables, iptables or ip6tables)`);
  }
  const minS = last(a, 'min-packets');
  const minPackets = minS === undefined ? 1 : intArg(minS, '--min-packets', 0);
  const file = a.rest[0];
  const doc = readProfileFile(file);
  const model = buildRuleModel(doc, file, minPackets, count(a, 'clients') > 0);
  const text = format === 'nftables' ? renderNftables(model) : renderIptables(model, format === 'iptables' ? 4 : 6);
  const out = last(a, 'o');
  if (out === undefined || out === '-') process.stdout.write(text);
  else {
    try {
      fs.writeFileSync(out, text);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new CaptureError(`${out}: ${err.code === 'ENOENT' ? 'No such file or directory' : err.code === 'EACCES' ? 'Permission denied' : err.message}`);
    }
  }
  return 0;
}
