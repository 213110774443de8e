// Hosts view: IP hosts (packets and bytes in/out, peers, ports served) or, with `m`, IPTraf's LAN
// station monitor by MAC address.
import type { DashSnapshot, ViewState } from './model';
import type { HostRow, StationRow } from '../stats/hosts';
import { bytes, shortCount, type Column } from './text';
import { renderTable, type Rendered } from './render-table';
import { VIEW_SORTS } from './views-meta';

const HOST_COLS: readonly Column[] = [
  { title: 'ADDRESS', width: 15, flex: true },
  { title: 'PKTS IN', width: 7, right: true },
  { title: 'PKTS OUT', width: 8, right: true },
  { title: 'BYTES IN', width: 8, right: true },
  { title: 'BYTES OUT', width: 9, right: true },
  { title: 'PEERS', width: 5, right: true },
  { title: 'SERVED', width: 6, right: true },
  { title: 'USED', width: 5, right: true },
];

const STATION_COLS: readonly Column[] = [
  { title: 'MAC ADDRESS', width: 17, flex: true },
  { title: 'PKTS IN', width: 7, right: true },
  { title: 'PKTS OUT', width: 8, right: true },
  { title: 'IP IN', width: 7, right: true },
  { title: 'IP OUT', width: 7, right: true },
  { title: 'BYTES IN', width: 8, right: true },
  { title: 'BYTES OUT', width: 9, right: true },
];

function cmpText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortedHosts(rows: HostRow[], sort: string): HostRow[] {
  const by = (h: HostRow) => h.bytesIn + h.bytesOut;
  const pk = (h: HostRow) => h.packetsIn + h.packetsOut;
  if (sort === 'packets') return rows.sort((a, b) => pk(b) - pk(a) || cmpText(a.address, b.address));
  if (sort === 'address') return rows.sort((a, b) => a.family - b.family || cmpText(a.address, b.address));
  return rows.sort((a, b) => by(b) - by(a) || cmpText(a.address, b.address));
}

export function sortedStations(rows: StationRow[], sort: string): StationRow[] {
  const by = (h: StationRow) => h.bytesIn + h.bytesOut;
  const pk = (h: StationRow) => h.packetsIn + h.packetsOut;
  if (sort === 'packets') return rows.sort((a, b) => pk(b) - pk(a) || cmpText(a.mac, b.mac));
  if (sort === 'address') return rows.sort((a, b) => cmpText(a.mac, b.mac));
  return rows.sort((a, b) => by(b) - by(a) || cmpText(a.mac, b.mac));
}

export function renderHosts(s: DashSnapshot, st: ViewState, w: number, h: number): Rendered {
  const sorts = VIEW_SORTS[3];
  const sort = sorts[st.sort[3] % sorts.length];
  const snap = s.stats;
  if (st.hostsByMac) {
    const rows = sortedStations(snap.stations.slice(), sort);
    const untracked = snap.stationsUntrackedPackets > 0 ? ` | ${snap.stationsUntrackedPackets} pkts untracked (table full)` : '';
    return renderTable(
      {
        title: `LAN stations (by MAC) ${rows.length} | sort ${sort} | m: by IP${untracked}`,
        cols: STATION_COLS,
        count: rows.length,
        row: (i) => {
          const r = rows[i];
          return [r.mac, shortCount(r.packetsIn), shortCount(r.packetsOut), shortCount(r.ipPacketsIn), shortCount(r.ipPacketsOut), bytes(r.bytesIn), bytes(r.bytesOut)];
        },
        empty: '(no link-layer addresses: not an Ethernet capture, or no traffic yet)',
      },
      w,
      h,
      st.scroll[3],
      st.rowLimit,
    );
  }
  const rows = sortedHosts(snap.hosts.slice(), sort);
  const untracked = snap.hostsUntrackedPackets > 0 ? ` | ${snap.hostsUntrackedPackets} pkts untracked (table full)` : '';
  // a windowed snapshot holds the first rows only: count the whole table
  const count = Math.max(rows.length, s.hostCount);
  return renderTable(
    {
      title: `Hosts (by IP) ${count} | sort ${sort} | m: by MAC${untracked}`,
      cols: HOST_COLS,
      count,
      row: (i) => {
        const r = rows[i];
        return [
          r.address,
          shortCount(r.packetsIn),
          shortCount(r.packetsOut),
          bytes(r.bytesIn),
          bytes(r.bytesOut),
          String(r.peers),
          String(r.portsServed),
          String(r.portsUsed),
        ];
      },
      empty: '(no IP traffic yet)',
    },
    w,
    h,
    st.scroll[3],
    st.rowLimit,
  );
}
