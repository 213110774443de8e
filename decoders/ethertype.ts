// EtherType values (IEEE 802 numbers, https://www.iana.org/assignments/ieee-802-numbers) that the
// decoders dispatch on. Also the type of an encapsulated packet (PacketInfo.encapType).
export const enum EtherType {
  IPV4 = 0x0800,
  ARP = 0x0806,
  /** Transparent Ethernet bridging: an Ethernet frame (inside GRE, VXLAN, Geneve). */
  TEB = 0x6558,
  RARP = 0x8035,
  /** IEEE 802.1Q VLAN tag. */
  VLAN = 0x8100,
  IPV6 = 0x86dd,
  MPLS = 0x8847,
  MPLS_MULTICAST = 0x8848,
  PPPOE_SESSION = 0x8864,
  WCCP = 0x883e,
  /** IEEE 802.1ad service tag (Q-in-Q). */
  QINQ_8021AD = 0x88a8,
  /** ERSPAN type I/II (GRE protocol type). */
  ERSPAN_II = 0x88be,
  /** ERSPAN type III (GRE protocol type). */
  ERSPAN_III = 0x22eb,
  /** IEEE 802.1AE MACsec. */
  MACSEC = 0x88e5,
  /** Cisco MetaData (SGT). */
  CISCO_METADATA = 0x8909,
  /** The pre-802.1ad Q-in-Q tag. */
  QINQ_OLD = 0x9100,
  /** Arista vendor-specific header (timestamps). */
  ARISTA = 0xd28b,
}

/** Smallest EtherType; a smaller value in an Ethernet header is an 802.3 length. */
export const MIN_ETHERTYPE = 0x0600;
