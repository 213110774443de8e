// Dispatch on an EtherType: the network layer after Ethernet, VLAN tags, SNAP, SLL, GRE.
import { u16 } from './bytes';
import { DecodeStatus, Layer, MAX_SHIMS, type PacketInfo } from './packet-info';
import { decodeIpv4 } from './ipv4';
import { decodeIpv6 } from './ipv6';
import { decodeArp } from './arp';
import { decodeVlan } from './vlan';
import { EtherType } from './ethertype';

/** Decodes the network-layer packet of EtherType `type` at b[off .. end). Unknown types are Ok. */
export function decodeNetwork(b: Uint8Array, off: number, end: number, type: number, p: PacketInfo): DecodeStatus {
  p.netType = type;
  // IPv4 and IPv6 first and on their own: the rest stays out of the hot path.
  if (type === EtherType.IPV4) {
    // tshark's IPv4 dissector hands a version-6 header to IPv6.
    return end - off >= 1 && b[off] >> 4 === 6 ? decodeIpByVersion(b, off, end, p) : decodeIpv4(b, off, end, p);
  }
  if (type === EtherType.IPV6) return decodeIpv6(b, off, end, p);
  return decodeOtherNetwork(b, off, end, type, p);
}

function decodeOtherNetwork(b: Uint8Array, off: number, end: number, type: number, p: PacketInfo): DecodeStatus {
  switch (type) {
    case EtherType.ARP:
    case EtherType.RARP:
      return decodeArp(b, off, end, p);
    case EtherType.MPLS:
    case EtherType.MPLS_MULTICAST:
      return decodeMpls(b, off, end, p);
    case EtherType.PPPOE_SESSION:
      return decodePppoeSession(b, off, end, p);
    default:
      return decodeShim(b, off, end, type, p);
  }
}

/**
 * Headers that lead to another EtherType (VLAN tags, Arista, MACsec, Cisco MetaData). They may
 * nest in any order, so their number is bounded: the recursion can never exhaust the stack.
 */
function decodeShim(b: Uint8Array, off: number, end: number, type: number, p: PacketInfo): DecodeStatus {
  switch (type) {
    case EtherType.VLAN:
    case EtherType.QINQ_8021AD:
    case EtherType.QINQ_OLD:
    case EtherType.ARISTA:
    case EtherType.MACSEC:
    case EtherType.CISCO_METADATA:
      if (p.shimCount === MAX_SHIMS) return DecodeStatus.Malformed;
      p.shimCount++;
      p.rareDirty = 1;
      break;
    default:
      return DecodeStatus.Ok; // an EtherType we do not decode: a value, not an error
  }
  switch (type) {
    case EtherType.ARISTA:
      return decodeArista(b, off, end, p);
    case EtherType.MACSEC:
      return decodeMacsec(b, off, end, p);
    case EtherType.CISCO_METADATA:
      return decodeCiscoMetadata(b, off, end, p);
    default:
      return decodeVlan(b, off, end, p);
  }
}

/** Decodes an IP packet whose version is given by its first nibble (raw IP, MPLS payload). */
export function decodeIpByVersion(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  if (end - off < 1) return DecodeStatus.Truncated;
  const v = b[off] >> 4;
  if (v === 4) {
    p.netType = EtherType.IPV4;
    return decodeIpv4(b, off, end, p);
  }
  if (v === 6) {
    p.netType = EtherType.IPV6;
    return decodeIpv6(b, off, end, p);
  }
  return DecodeStatus.Malformed;
}

// MPLS label stack entry, RFC 3032:
// | label (20) | TC (3) | S (1) | TTL (8) |
const MPLS_ENTRY_LEN = 4;
const MPLS_MAX_LABELS = 16;

/** Walks the label stack to the bottom entry; the payload is IPv4 or IPv6 by its first nibble. */
function decodeMpls(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  let o = off;
  for (;;) {
    if (end - o < MPLS_ENTRY_LEN) return DecodeStatus.Truncated;
    if (p.mplsCount === MPLS_MAX_LABELS) return DecodeStatus.Malformed;
    p.mplsCount++;
    p.rareDirty = 1;
    const bottom = b[o + 2] & 1;
    o += MPLS_ENTRY_LEN;
    if (bottom) break;
  }
  p.layers |= Layer.Mpls;
  if (end - o < 1) return DecodeStatus.Truncated;
  const v = b[o] >> 4;
  // Anything else (pseudowire control word, Ethernet over MPLS) is a payload we do not decode.
  if (v !== 4 && v !== 6) return DecodeStatus.Ok;
  return decodeIpByVersion(b, o, end, p);
}

// PPPoE session stage, RFC 2516: ver/type (1), code (1), session id (2), length (2), then the
// PPP protocol (2): 0x0021 IPv4, 0x0057 IPv6.
const PPPOE_HEADER_LEN = 6;
const PPP_PROTO_LEN = 2;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

function decodePppoeSession(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  if (end - off < PPPOE_HEADER_LEN + PPP_PROTO_LEN) return DecodeStatus.Truncated;
  p.layers |= Layer.Pppoe;
  const proto = u16(b, off + PPPOE_HEADER_LEN);
  const o = off + PPPOE_HEADER_LEN + PPP_PROTO_LEN;
  if (proto === PPP_IPV4) {
    p.netType = EtherType.IPV4;
    return decodeIpv4(b, o, end, p);
  }
  if (proto === PPP_IPV6) {
    p.netType = EtherType.IPV6;
    return decodeIpv6(b, o, end, p);
  }
  return DecodeStatus.Ok;
}

// MACsec SecTAG, IEEE 802.1AE: TCI|AN (1), short length (1), packet number (4), SCI (8, when
// the SC bit is set), then the EtherType of the protected frame, and a 16-byte ICV at the end.
// Encrypted (E) or changed (C) payloads cannot be decoded.
const MACSEC_TCI_SC = 0x20;
const MACSEC_TCI_E = 0x08;
const MACSEC_TCI_C = 0x04;
const MACSEC_BASE_LEN = 6;
const MACSEC_SCI_LEN = 8;
const MACSEC_ICV_LEN = 16;

function decodeMacsec(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  if (end - off < MACSEC_BASE_LEN) return DecodeStatus.Truncated;
  const tci = b[off];
  if (tci & (MACSEC_TCI_E | MACSEC_TCI_C)) return DecodeStatus.Ok;
  const o = off + MACSEC_BASE_LEN + (tci & MACSEC_TCI_SC ? MACSEC_SCI_LEN : 0);
  if (end - o < 2) return DecodeStatus.Truncated;
  const type = u16(b, o);
  if (type === EtherType.MACSEC) return DecodeStatus.Malformed;
  const innerEnd = end - MACSEC_ICV_LEN;
  if (innerEnd < o + 2) return DecodeStatus.Truncated;
  return decodeNetwork(b, o + 2, innerEnd, type, p);
}

// Cisco MetaData (SGT tag): version (1), length (1), option type (2), SGT (2), EtherType (2).
const CMD_LEN = 8;

function decodeCiscoMetadata(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  if (end - off < CMD_LEN) return DecodeStatus.Truncated;
  const type = u16(b, off + CMD_LEN - 2);
  if (type === EtherType.CISCO_METADATA) return DecodeStatus.Malformed;
  return decodeNetwork(b, off + CMD_LEN, end, type, p);
}

// Arista vendor-specific header: subtype (2), version (2), then for subtype 1 (timestamp) a TAI
// timestamp of 8 bytes (version 0x0010 TAI, 0x0110 UTC) or 6 bytes (0x0020, 0x0120), then the
// EtherType.
const ARISTA_SUBTYPE_TIMESTAMP = 1;
const ARISTA_V_TS64 = 0x0010;
const ARISTA_V_TS48 = 0x0020;

function decodeArista(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  if (end - off < 4) return DecodeStatus.Truncated;
  if (u16(b, off) !== ARISTA_SUBTYPE_TIMESTAMP) return DecodeStatus.Ok;
  const v = u16(b, off + 2) & 0xfeff; // the 0x0100 bit: UTC instead of TAI
  const o = off + 4 + (v === ARISTA_V_TS64 ? 8 : v === ARISTA_V_TS48 ? 6 : -1000);
  if (o < off) return DecodeStatus.Ok; // a version we do not know
  if (end - o < 2) return DecodeStatus.Truncated;
  const type = u16(b, o);
  if (type === EtherType.ARISTA) return DecodeStatus.Malformed;
  return decodeNetwork(b, o + 2, end, type, p);
}
