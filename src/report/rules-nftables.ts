// nftables ruleset (`nft -f`): one inet table, an input chain with policy drop that accepts
// established/related traffic, loopback, IPv6 neighbour discovery and exactly the observed services.
import { evidenceText, type RuleModel } from './rules-model';

export function renderNftables(m: RuleModel): string {
  const L: string[] = [];
  L.push('#!/usr/sbin/nft -f');
  L.push(`# portscope rules: allow the services observed in ${m.source}, drop everything else.`);
  L.push(`# ${m.services.length} services allowed, ${m.skipped.length} left out (--min-packets).`);
  L.push('table inet portscope');
  L.push('delete table inet portscope');
  L.push('table inet portscope {');
  L.push('\tchain input {');
  L.push('\t\ttype filter hook input priority filter; policy drop;');
  L.push('\t\tct state established,related accept comment "replies and related (ICMP errors, FTP data)"');
  L.push('\t\tct state invalid drop');
  L.push('\t\tiif "lo" accept');
  L.push('\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } accept comment "IPv6 neighbour discovery"');
  for (const s of m.services) {
    const ev = evidenceText(s);
    L.push(`\t\t# ${ev}`);
    const ip = s.family === 4 ? 'ip' : 'ip6';
    const src = s.clientNets !== null ? ` ${ip} saddr { ${s.clientNets.join(', ')} }` : '';
    L.push(`\t\t${ip} daddr ${s.host}${src} ${s.proto} dport ${s.port} accept comment "${ev.slice(0, 120)}"`);
  }
  for (const s of m.skipped) L.push(`\t\t# left out: ${evidenceText(s)}`);
  L.push('\t}');
  L.push('}');
  return L.join('\n') + '\n';
}
