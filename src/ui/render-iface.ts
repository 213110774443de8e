// Interface detail: IPTraf's detailed interface statistics (every counter class, packets and
// bytes), the 1 s / 10 s / 60 s rates (packet time), kernel drops and the flow table's state.
import type { DashSnapshot, ViewState } from './model';
import { COUNTER_NAMES } from '../stats/counters';
import { line, clip, fit, fitRight, count, bytes, bitRate, pktRate, percent, sideBySide, type Line } from './text';
import type { Rendered } from './render-table';

const LABELS: Record<string, string> = {
  total: 'total',
  ipv4: 'IPv4',
  ipv6: 'IPv6',
  tcp: 'TCP',
  udp: 'UDP',
  icmp: 'ICMP',
  otherIp: 'other IP',
  nonIp: 'non-IP',
  arp: 'ARP',
  broadcast: 'broadcast',
  multicast: 'multicast',
  fragments: 'fragments',
  truncated: 'truncated',
  malformed: 'malformed',
  badIpChecksum: 'bad IP cksum',
  unsupported: 'unsupported',
};

function counterLines(s: DashSnapshot, w: number): Line[] {
  const c = s.stats.counters;
  const out: Line[] = [line(clip(`${fit('COUNTER', 12)} ${fitRight('PACKETS', 10)} ${fitRight('BYTES', 9)} ${fitRight('%', 4)}`, w), 'head')];
  for (const k of COUNTER_NAMES) {
    out.push(line(clip(`${fit(LABELS[k] ?? k, 12)} ${fitRight(count(c.packets[k]), 10)} ${fitRight(bytes(c.bytes[k]), 9)} ${fitRight(percent(c.packets[k], c.packets.total), 4)}`, w)));
  }
  return out;
}

function rateLines(s: DashSnapshot, w: number): Line[] {
  const c = s.stats.counters;
  const f = s.stats.flows;
  const out: Line[] = [line(clip(`${fit('RATE', 8)} ${fitRight('PACKETS/S', 11)} ${fitRight('BITS/S', 12)}`, w), 'head')];
  for (const r of c.rates) out.push(line(clip(`${fit(`${r.windowSec} s`, 8)} ${fitRight(pktRate(r.packetsPerSec), 11)} ${fitRight(bitRate(r.bitsPerSec), 12)}`, w)));
  const span = c.lastUs > c.firstUs ? (c.lastUs - c.firstUs) / 1e6 : 0;
  out.push(line(clip(`${fit('average', 8)} ${fitRight(span > 0 ? pktRate(c.packets.total / span) : '-', 11)} ${fitRight(span > 0 ? bitRate((c.bytes.total * 8) / span) : '-', 12)}`, w)));
  out.push(line(''));
  out.push(line(clip(`kernel drops: ${s.meta.kernelDrops === null ? '- (file)' : count(s.meta.kernelDrops)}`, w)));
  out.push(line(clip(`flows: ${count(f.active)} active of ${count(f.capacity)}`, w)));
  out.push(line(clip(`  ${count(f.total)} seen, ${count(f.completed)} ended`, w)));
  out.push(line(clip(`  (${count(f.expired)} idle, ${count(f.evicted)} evicted)`, w)));
  const tcp = Object.entries(f.byTcpState).filter(([, n]) => n > 0);
  if (tcp.length > 0) out.push(line(clip(`TCP: ${tcp.map(([k, n]) => `${k} ${n}`).join(', ')}`, w)));
  out.push(line(clip(`hosts: ${count(s.hostCount)}, stations: ${count(s.stationCount)}`, w)));
  return out;
}

export function renderInterface(s: DashSnapshot, st: ViewState, w: number, h: number): Rendered {
  void st;
  const title = line(clip(`Interface detail: ${s.meta.live ? 'live' : 'file'} ${s.meta.source}`.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?'), w), 'title');
  let lines: Line[];
  if (w >= 78) {
    const lw = 38;
    lines = [title, ...sideBySide(counterLines(s, lw), rateLines(s, w - lw - 3), lw, 3)];
  } else {
    lines = [title, ...counterLines(s, w), line(''), ...rateLines(s, w)];
  }
  return { lines: h > 0 ? lines.slice(0, h) : lines, total: 0 };
}
