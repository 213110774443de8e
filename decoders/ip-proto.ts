// Dispatch on an IP protocol number (IPv4 protocol, IPv6 next header after extension headers).
import { DecodeStatus, type PacketInfo } from './packet-info';
import { decodeTcp } from './tcp';
import { decodeUdp } from './udp';
import { decodeIcmp } from './icmp';
import { decodeIcmpv6 } from './icmpv6';
import { decodeGre } from './gre';
import { decodePim } from './pim';
import { setEncap } from './encap';
import { EtherType } from './ethertype';

export const enum IpProto {
  HOPOPTS = 0,
  ICMP = 1,
  IPIP = 4,
  TCP = 6,
  UDP = 17,
  IPV6 = 41,
  ROUTING = 43,
  FRAGMENT = 44,
  GRE = 47,
  ESP = 50,
  AH = 51,
  ICMPV6 = 58,
  NONE = 59,
  DSTOPTS = 60,
  PIM = 103,
  IPCOMP = 108,
  /** RFC 8986 "Ethernet" next header (SRv6). */
  ETHERNET = 143,
}

/** IPv4 AH, RFC 4302: next header (1), payload length in 4-byte units minus 2 (1), ... */
const AH_MIN_LEN = 12;
const IPCOMP_LEN = 4;

/** Decodes the transport header at b[off .. end) (end: the IP layer's end). */
export function decodeIpPayload(b: Uint8Array, off: number, end: number, proto: number, p: PacketInfo): DecodeStatus {
  // TCP and UDP first and on their own: the rest stays out of the hot path.
  if (proto === IpProto.TCP) return decodeTcp(b, off, end, p);
  if (proto === IpProto.UDP) return decodeUdp(b, off, end, p);
  return decodeOtherIpPayload(b, off, end, proto, p);
}

function decodeOtherIpPayload(b: Uint8Array, off: number, end: number, proto: number, p: PacketInfo): DecodeStatus {
  switch (proto) {
    case IpProto.ICMP:
      return decodeIcmp(b, off, end, p);
    case IpProto.ICMPV6:
      return decodeIcmpv6(b, off, end, p);
    case IpProto.IPIP:
      setEncap(p, off, end, EtherType.IPV4);
      return DecodeStatus.Ok;
    case IpProto.IPV6:
      setEncap(p, off, end, EtherType.IPV6);
      return DecodeStatus.Ok;
    case IpProto.GRE:
      return decodeGre(b, off, end, p);
    case IpProto.PIM:
      return decodePim(b, off, end, p);
    case IpProto.ETHERNET:
      setEncap(p, off, end, EtherType.TEB);
      return DecodeStatus.Ok;
    case IpProto.IPCOMP: {
      // IPComp, RFC 3173: next header (1), flags (1), CPI (2). tshark decodes the payload as the
      // next header (it is uncompressed in practice when the CPI is a well-known one or 0).
      if (end - off < IPCOMP_LEN) return DecodeStatus.Truncated;
      const next = b[off];
      if (next === IpProto.IPCOMP) return DecodeStatus.Malformed;
      p.ipProto = next;
      return decodeIpPayload(b, off + IPCOMP_LEN, end, next, p);
    }
    case IpProto.AH: {
      // (IPv6 walks AH with its extension headers; this is IPv4's.) The protected payload follows.
      if (end - off < AH_MIN_LEN) return DecodeStatus.Truncated;
      const len = (b[off + 1] + 2) * 4;
      const next = b[off];
      if (len < AH_MIN_LEN || next === IpProto.AH || next === IpProto.IPCOMP) return DecodeStatus.Malformed;
      if (end - off < len) return DecodeStatus.Truncated;
      p.ipProto = next;
      return decodeIpPayload(b, off + len, end, next, p);
    }
    default:
      return DecodeStatus.Ok;
  }
}
