// LINKTYPE_* values (https://www.tcpdump.org/linktypes.html) and their tcpdump names.

export const enum LinkType {
  NULL = 0,
  ETHERNET = 1,
  RAW = 101,
  /** DLT_RAW on OpenBSD-style systems (12) and BSD/OS (14) read from classic pcap. */
  RAW_12 = 12,
  RAW_14 = 14,
  LOOP = 108,
  LINUX_SLL = 113,
  IPV4 = 228,
  IPV6 = 229,
  LINUX_SLL2 = 276,
}

const NAMES: Record<number, [string, string]> = {
  0: ['NULL', 'BSD loopback'],
  1: ['EN10MB', 'Ethernet'],
  12: ['RAW', 'Raw IP'],
  14: ['RAW', 'Raw IP'],
  101: ['RAW', 'Raw IP'],
  108: ['LOOP', 'OpenBSD loopback'],
  113: ['LINUX_SLL', 'Linux cooked v1'],
  228: ['IPV4', 'Raw IPv4'],
  229: ['IPV6', 'Raw IPv6'],
  276: ['LINUX_SLL2', 'Linux cooked v2'],
};

/** tcpdump's "EN10MB (Ethernet)" form for the banner line. */
export function linkTypeDescription(linkType: number): string {
  const n = NAMES[linkType];
  return n ? `${n[0]} (${n[1]})` : `${linkType}`;
}
