// iptables-restore / ip6tables-restore input: the filter table's INPUT chain with policy DROP,
// accepting established/related traffic, loopback and exactly the observed services of one family.
import { evidenceText, type RuleModel } from './rules-model';

export function renderIptables(m: RuleModel, family: 4 | 6): string {
  const L: string[] = [];
  const tool = family === 4 ? 'iptables-restore' : 'ip6tables-restore';
  const mine = m.services.filter((s) => s.family === family);
  L.push(`# portscope rules for ${tool}: allow the IPv${family} services observed in ${m.source}, drop everything else.`);
  L.push(`# ${mine.length} services allowed; ${m.services.length - mine.length} of the other family not here; ${m.skipped.length} left out (--min-packets).`);
  L.push('*filter');
  L.push(':INPUT DROP [0:0]');
  L.push(':FORWARD ACCEPT [0:0]');
  L.push(':OUTPUT ACCEPT [0:0]');
  L.push('-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT');
  L.push('-A INPUT -m conntrack --ctstate INVALID -j DROP');
  L.push('-A INPUT -i lo -j ACCEPT');
  if (family === 6) {
    for (const t of [133, 134, 135, 136]) L.push(`-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type ${t} -j ACCEPT`);
  }
  const plen = family === 4 ? 32 : 128;
  for (const s of mine) {
    const ev = evidenceText(s);
    L.push(`# ${ev}`);
    const srcs = s.clientNets !== null ? s.clientNets.map((n) => `-s ${n} `) : [''];
    for (const src of srcs) {
      L.push(`-A INPUT ${src}-d ${s.host}/${plen} -p ${s.proto} -m ${s.proto} --dport ${s.port} -m comment --comment "${ev.slice(0, 250)}" -j ACCEPT`);
    }
  }
  for (const s of m.skipped) if (s.family === family) L.push(`# left out: ${evidenceText(s)}`);
  L.push('COMMIT');
  return L.join('\n') + '\n';
}
