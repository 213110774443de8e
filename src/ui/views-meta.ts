// Names and sort keys of the seven views (shared by the renderers, the footer and the key handling).

export const VIEW_NAMES = ['Overview', 'Ports', 'Conns', 'Hosts', 'Iface', 'Sizes', 'Alerts'] as const;

/** Long titles (help, text mode). */
export const VIEW_TITLES = [
  'Overview',
  'TCP/UDP services (ports)',
  'Connections (IP traffic monitor)',
  'Hosts and LAN stations',
  'Interface detail',
  'Packet sizes',
  'Alerts',
] as const;

/** The sort keys `s` cycles through, per view (the first is the default). */
export const VIEW_SORTS: readonly (readonly string[])[] = [
  [],
  ['packets', 'bytes', 'rate', 'port'],
  ['bytes', 'packets', 'idle', 'age'],
  ['bytes', 'packets', 'address'],
  [],
  [],
  [],
];

/** Text-mode names accepted by --view. */
export const VIEW_IDS = ['overview', 'ports', 'connections', 'hosts', 'interface', 'sizes', 'alerts'] as const;

/** Rows of the top ports (10) and top talkers (5) the overview shows at natural size (text mode). */
export const OVERVIEW_TEXT_PORTS = 10;
export const OVERVIEW_TALKERS = 5;
export const OVERVIEW_TEXT_ROWS = Math.max(OVERVIEW_TEXT_PORTS, OVERVIEW_TALKERS);
