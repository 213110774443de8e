// tcpdump's one-line-per-packet format (tcpdump 4.99: print.c, print-ether.c, print-sll.c,
// print-null.c, print-ip.c, print-ip6.c, print-tcp.c, print-udp.c, print-icmp.c, print-icmp6.c,
// print-arp.c, print-ascii.c).
//
// The printer walks the headers itself, like tcpdump's printers: its output depends on details
// the decoders do not keep (the IP-claimed lengths that tcpdump trusts over the capture, where a
// header is cut, the raw TCP option list, VLAN priorities). Every read is bounds-checked against
// the current "snapshot end" (the captured bytes, cut to the IP datagram's claimed end as
// tcpdump's nd_push_snaplen does); a read past it prints tcpdump's " [|proto]" and ends the line.
// Everything is written straight into the OutBuf: no strings or objects per packet.
import * as fs from 'node:fs';
import type { PacketSink } from '../pipeline';
import type { PacketSource } from '../capture/batch';
import type { PacketInfo } from '../../decoders/packet-info';
import { LinkType } from '../../decoders/link-types';
import { u16, u32 } from '../../decoders/bytes';
import type { OutBuf } from './out';
import { TimestampPrinter } from './timestamp';
import { TcpSeqTable } from './tcp-seq';
import {
  arpHardwareName,
  arpOpName,
  bsdAfName,
  etherTypeName,
  icmp6TypeName,
  icmp6UnreachName,
  icmpTypeName,
  icmpUnreachText,
  sllPacketTypeName,
  tcpOptionName,
} from './tcpdump-names';

export interface LinePrinterOptions {
  /** -n: no name resolution (portscope never resolves names; kept for tcpdump compatibility). */
  numeric: boolean;
  /** -q: quick (less protocol detail). */
  quick: boolean;
  /** 0 default HH:MM:SS.frac (local time), 1 -t none, 2 -tt epoch, 3 -ttt delta from previous, 4 -tttt date, 5 -ttttt since first. */
  tsFormat: 0 | 1 | 2 | 3 | 4 | 5;
  /** -e: print the link-level header. */
  linkHeader: boolean;
  /** -x count (1: hex of the packet without link header, 2: -xx with link header). */
  hex: number;
  /** -X count (hex and ASCII; 2: with link header). */
  hexAscii: number;
  /** -S: absolute TCP sequence numbers. */
  absoluteSeq: boolean;
  verbose: number;
  /** Print nanosecond fractions (9 digits) instead of microseconds. */
  nano: boolean;
  /** Interface names for LINUX_SLL2 indexes (default: this host's, from /sys/class/net). */
  ifNames?: ReadonlyMap<number, string>;
  /** Maximum size of the relative-sequence table (connections); default 2^20. */
  maxTcpConnections?: number;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_REVARP = 0x8035;
const ETHERTYPE_TRAIL = 0x1000;
const MAX_ETHERNET_LENGTH_VAL = 1500;
/** tcpdump's MAXIMUM_SNAPLEN: larger record lengths are reported as invalid headers. */
const MAXIMUM_SNAPLEN = 262144;

const IPPROTO_ICMP = 1;
const IPPROTO_IPV4 = 4;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_IPV6 = 41;
const IPPROTO_ROUTING = 43;
const IPPROTO_FRAGMENT = 44;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_NONE = 59;
const IPPROTO_DSTOPTS = 60;
const IPPROTO_HOPOPTS = 0;
const IPPROTO_DCCP = 33;
const IPPROTO_SCTP = 132;

const TH_FIN = 0x01;
const TH_SYN = 0x02;
const TH_RST = 0x04;
const TH_ACK = 0x10;
const TH_URG = 0x20;
const TCP_FLAG_CHARS = 'FSRP.UEW';
const HEX_DIGITS = '0123456789abcdef';
/** stp_bpdu_flag_values (print-stp.c). */
const STP_FLAGS: ReadonlyArray<readonly [number, string]> = [
  [0x01, 'Topology change'],
  [0x02, 'Proposal'],
  [0x10, 'Learn'],
  [0x20, 'Forward'],
  [0x40, 'Agreement'],
  [0x80, 'Topology change ack'],
];
/** eigrp_opcode_values (print-eigrp.c). */
const EIGRP_OPCODES: (string | undefined)[] = [undefined, 'Update', undefined, 'Query', 'Reply', 'Hello', 'IPX SAP', 'Probe'];
/** pimv2_type_values (print-pim.c). */
const PIM_TYPES = [
  'Hello',
  'Register',
  'Register Stop',
  'Join / Prune',
  'Bootstrap',
  'Assert',
  'Graft',
  'Graft Acknowledgement',
  'Candidate RP Advertisement',
  'Prune Refresh',
  'DF Election',
  'ECMP Redirect',
];
/** ICMPv6 parameter problem codes 0-3 (print-icmp6.c), before the pointer. */
const ICMP6_PARAM_PROBLEMS = [', erroneous - octet ', ', next header - octet ', ', option - octet ', ', incomplete header chain - octet '];
const MPTCP_SUBTYPES = ['capable', 'join', 'dss', 'add-addr', 'rem-addr', 'prio', 'fail', 'fast-close', 'unknown'];

/** Offset of the source address of the IPv4 (`ver` 4) or IPv6 header at `iph`. */
function srcAddrOff(iph: number, ver: number): number {
  return ver === 6 ? iph + 8 : iph + 12;
}

/** Offset of the destination address of the IPv4 or IPv6 header at `iph`. */
function dstAddrOff(iph: number, ver: number): number {
  return ver === 6 ? iph + 24 : iph + 16;
}

/** Protocols whose printers print the IP addresses themselves (with their ports). */
function printsOwnAddrs(proto: number): boolean {
  return proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP || proto === IPPROTO_DCCP;
}

/** Nested IP-in-IP levels printed before giving up (tcpdump has no limit; fuzzed input does). */
const MAX_DEPTH = 8;

/** Reads /sys/class/net/<name>/ifindex: what if_indextoname() would answer on this host. */
function hostInterfaceNames(): Map<number, string> {
  const m = new Map<number, string>();
  try {
    for (const name of fs.readdirSync('/sys/class/net')) {
      try {
        const idx = parseInt(fs.readFileSync(`/sys/class/net/${name}/ifindex`, 'latin1'), 10);
        if (idx > 0) m.set(idx, name);
      } catch {
        // an interface that went away
      }
    }
  } catch {
    // not Linux: every index prints as "?"
  }
  return m;
}

export class TcpdumpLinePrinter implements PacketSink {
  private readonly ts: TimestampPrinter;
  private readonly seq: TcpSeqTable;
  private readonly eflag: boolean;
  private readonly qflag: boolean;
  private readonly suppressDefault: boolean;
  private ifNames: ReadonlyMap<number, string> | null;
  /** Current packet bytes. */
  private d: Uint8Array = new Uint8Array(0);
  /** Nesting depth of ip4()/ip6(). */
  private depth = 0;
  /**
   * The packet's printing ended the way tcpdump's longjmp on a failed GET_* read does: tcpdump
   * then dumps -x/-X data from the start of the frame (ndo_ll_hdr_len = 0).
   */
  private jumped = false;

  constructor(
    private readonly out: OutBuf,
    private readonly opts: LinePrinterOptions,
  ) {
    this.ts = new TimestampPrinter(opts.tsFormat, opts.nano);
    this.seq = new TcpSeqTable(1 << 12, opts.maxTcpConnections ?? 1 << 20);
    this.eflag = opts.linkHeader;
    this.qflag = opts.quick;
    // tcpdump: -q sets ndo_suppress_default_print; -x/-X dump the whole packet anyway.
    this.suppressDefault = opts.quick || opts.hex > 0 || opts.hexAscii > 0;
    this.ifNames = opts.ifNames ?? null;
  }

  onPacket(p: PacketInfo, data: Uint8Array): void {
    const out = this.out;
    this.d = data;
    this.depth = 0;
    this.jumped = false;
    if (this.invalidHeader(p.capLen, p.wireLen)) return;
    this.ts.print(out, p.tsSec, p.tsNsec);
    const start = p.frameStart;
    let end = p.capEnd;
    if (end > data.length) end = data.length;
    const wire = p.wireLen;
    let hdrlen: number;
    switch (p.linkType) {
      case LinkType.ETHERNET:
        hdrlen = this.ether(start, wire, end);
        break;
      case LinkType.LINUX_SLL:
        hdrlen = this.sll(start, wire, end);
        break;
      case LinkType.LINUX_SLL2:
        hdrlen = this.sll2(start, wire, end);
        break;
      case LinkType.NULL:
      case LinkType.LOOP:
        hdrlen = this.nullLink(start, wire, end);
        break;
      case LinkType.RAW:
      case LinkType.RAW_12:
      case LinkType.RAW_14:
      case LinkType.IPV4:
      case LinkType.IPV6:
        if (this.eflag) out.ascii('ip: ');
        this.ipN(start, wire, end);
        hdrlen = 0;
        break;
      default:
        out.ascii('[unsupported link-type ');
        out.u32dec(p.linkType);
        out.ascii('], length ');
        out.u32dec(wire);
        hdrlen = 0;
        break;
    }
    const caplen = end - start;
    if (this.jumped) hdrlen = 0;
    if (this.opts.hexAscii > 0) {
      if (this.opts.hexAscii > 1) this.hexAscii(start, caplen);
      else if (caplen > hdrlen) this.hexAscii(start + hdrlen, caplen - hdrlen);
    } else if (this.opts.hex > 0) {
      if (this.opts.hex > 1) this.hexOnly(start, caplen);
      else if (caplen > hdrlen) this.hexOnly(start + hdrlen, caplen - hdrlen);
    }
    out.byte(10);
    out.maybeFlush();
  }

  /** pretty_print_packet()'s sanity checks of the record header: "[Invalid header: ...]". */
  private invalidHeader(caplen: number, len: number): boolean {
    if (caplen !== 0 && len !== 0 && len >= caplen && caplen <= MAXIMUM_SNAPLEN && len <= MAXIMUM_SNAPLEN) return false;
    const out = this.out;
    let first = true;
    if (caplen === 0) {
      out.ascii('[Invalid header: caplen==0');
      first = false;
    }
    if (len === 0 || len < caplen) {
      out.ascii(first ? '[Invalid header:' : ',');
      first = false;
      if (len === 0) out.ascii(' len==0');
      else {
        out.ascii(' len(');
        out.u32dec(len);
        out.ascii(') < caplen(');
        out.u32dec(caplen);
        out.byte(41);
      }
    }
    if (caplen > MAXIMUM_SNAPLEN) {
      out.ascii(first ? '[Invalid header:' : ',');
      first = false;
      out.ascii(' caplen(');
      out.u32dec(caplen);
      out.ascii(') > 262144');
    }
    if (len > MAXIMUM_SNAPLEN) {
      out.ascii(first ? '[Invalid header:' : ',');
      out.ascii(' len(');
      out.u32dec(len);
      out.ascii(') > 262144');
    }
    out.ascii(']\n');
    out.maybeFlush();
    return true;
  }

  onBatchEnd(): void {
    this.out.maybeFlush();
  }

  finish(): void {
    this.out.flush();
  }

  // ---------------------------------------------------------------- helpers

  /** tcpdump's nd_print_trunc(): " [|proto]". */
  private trunc(proto: string): void {
    this.out.ascii(' [|');
    this.out.ascii(proto);
    this.out.byte(93);
  }

  /** A truncation met by one of tcpdump's GET_* reads (a longjmp): " [|proto]", whole-frame hex. */
  private truncJ(proto: string): void {
    this.trunc(proto);
    this.jumped = true;
  }

  /** trunc() for a caller that then returns `ret` (its "stopped" value). */
  private truncRet<T>(proto: string, ret: T): T {
    this.trunc(proto);
    return ret;
  }

  /** truncJ() for a caller that then returns `ret`. */
  private truncJRet<T>(proto: string, ret: T): T {
    this.truncJ(proto);
    return ret;
  }

  /** tcpdump's ND_DEFAULTPRINT: hex and ASCII of the undecoded bytes, unless -q/-x/-X. */
  private defaultPrint(off: number, len: number): void {
    if (!this.suppressDefault && len > 0) this.hexAscii(off, len);
  }

  private hexOffset(oset: number): void {
    const out = this.out;
    out.ascii('\n\t0x');
    // %04x
    if (oset < 0x1000) out.byte(48);
    if (oset < 0x100) out.byte(48);
    if (oset < 0x10) out.byte(48);
    out.hex(oset);
    out.byte(58);
  }

  /**
   * One line of hex_print(): "\n\t0x0010:  4500 0054 ..." for the `n` (at most 16) bytes at
   * `off`, the line's offset `oset`; returns the columns the byte groups took.
   */
  private hexLine(off: number, oset: number, n: number): number {
    const out = this.out;
    const d = this.d;
    this.hexOffset(oset);
    out.byte(32);
    let i = 0;
    for (; i + 1 < n; i += 2) {
      out.byte(32);
      out.hex2(d[off + i]);
      out.hex2(d[off + i + 1]);
    }
    if (i < n) {
      out.byte(32);
      out.hex2(d[off + i]);
      return (i >> 1) * 5 + 3;
    }
    return (i >> 1) * 5;
  }

  /** hex_print(): lines of 16 bytes. */
  private hexOnly(off: number, len: number): void {
    for (let line = 0; line < len; line += 16) this.hexLine(off + line, line, len - line < 16 ? len - line : 16);
  }

  /** hex_and_ascii_print(): hex as above, padded to 40 columns, two spaces, the graphic bytes. */
  private hexAscii(off: number, len: number): void {
    const out = this.out;
    for (let line = 0; line < len; line += 16) {
      const n = len - line < 16 ? len - line : 16;
      for (let col = this.hexLine(off + line, line, n); col < 40; col++) out.byte(32);
      out.byte(32);
      out.byte(32);
      out.graphic(this.d, off + line, n);
    }
  }

  private etherTypePrint(t: number): void {
    const out = this.out;
    const name = etherTypeName(t);
    if (!this.qflag) {
      out.ascii('ethertype ');
      out.ascii(name ?? 'Unknown');
      out.ascii(' (0x');
      this.hex4(t);
      out.byte(41);
    } else if (name !== undefined) out.ascii(name);
    else {
      out.ascii('Unknown Ethertype (0x');
      this.hex4(t);
      out.byte(41);
    }
  }

  /**
   * tok2str(): the name, else `unknown` and the value in decimal, with ")" if `paren` (the
   * formats "unknown (%u)", "type-#%u" ...).
   */
  private tok(name: string | undefined, unknown: string, v: number, paren: boolean): void {
    const out = this.out;
    if (name !== undefined) {
      out.ascii(name);
      return;
    }
    out.ascii(unknown);
    out.u32dec(v);
    if (paren) out.byte(41);
  }

  /** Dotted-quad IPv4 address (OutBuf.ipv4 with the table-driven decimal writer). */
  private ipv4(a: number): void {
    const out = this.out;
    out.u32dec(a >>> 24);
    out.byte(46);
    out.u32dec((a >>> 16) & 255);
    out.byte(46);
    out.u32dec((a >>> 8) & 255);
    out.byte(46);
    out.u32dec(a & 255);
  }

  /** %04x */
  private hex4(v: number): void {
    this.out.hex2(v >> 8);
    this.out.hex2(v & 0xff);
  }

  /** %08x */
  private hex8(v: number): void {
    this.hex4(v >>> 16);
    this.hex4(v & 0xffff);
  }

  private lengthColon(len: number): void {
    this.out.ascii(', length ');
    this.out.u32dec(len);
    this.out.ascii(': ');
  }

  /** "src > dst" of the Ethernet header at `off`. */
  private macAddrs(off: number): void {
    const out = this.out;
    out.mac(this.d, off + 6);
    out.ascii(' > ');
    out.mac(this.d, off);
  }

  /** "src > dst, " of an Ethernet header. */
  private etherAddrs(off: number): void {
    this.macAddrs(off);
    this.out.ascii(', ');
  }

  // ---------------------------------------------------------------- link layers

  /** ether_print(): returns the link-layer header length (for -x). */
  private ether(off: number, length: number, end: number): number {
    const out = this.out;
    const d = this.d;
    let caplen = end - off;
    if (caplen < 14) return this.truncRet('ether', caplen);
    if (length < 14) return this.truncRet('ether', length);
    const origLength = length;
    if (this.eflag) this.etherAddrs(off);
    let p = off + 12;
    let type = u16(d, p);
    p += 2;
    length -= 14;
    caplen -= 14;
    let hdrlen = 14;
    let printedLength = false;
    if (type === 0x88e5) {
      // 802.1AE MACsec SecTAG (print-macsec.c): TCI/AN, short length, packet number, [SCI]
      if (this.eflag) {
        this.etherTypePrint(type);
        this.lengthColon(origLength);
        printedLength = true;
      }
      const secLen = d[p] & 0x20 ? 14 : 6;
      if (caplen < secLen || length < secLen) return this.truncRet('macsec', end - off);
      const tci = d[p];
      const sl = d[p + 1];
      if (tci & 0x80 || (sl & 0xc0) !== 0 || sl > 48) {
        // version 1 or an invalid short length: not printed
        this.sectag(p);
        return end - off;
      }
      if (this.eflag) {
        this.sectag(p);
        out.ascii(', ');
      }
      const tag = p;
      p += secLen;
      hdrlen += secLen;
      length -= secLen;
      caplen -= secLen;
      if ((tci & 0x0c) !== 0) {
        // encrypted (or changed) payload
        if (!this.eflag) {
          this.macAddrs(off);
          out.ascii(' 802.1AE MACsec, ');
          this.sectag(tag);
          out.ascii(', ');
        }
        this.defaultPrint(p, caplen);
        return hdrlen;
      }
      if (length < 16 || caplen < 16) return this.truncRet('macsec', end - off);
      length -= 16;
      caplen -= 16;
      if (sl !== 0) {
        if (sl > length) return this.truncRet('macsec', end - off);
        length = sl;
        if (caplen > sl) caplen = sl;
      }
      if (caplen < 2) return this.truncRet('macsec', end - off);
      type = u16(d, p);
      p += 2;
      length -= 2;
      caplen -= 2;
      hdrlen += 2;
    }
    while (type === 0x8100 || type === 0x9100 || type === 0x9200 || type === 0x88a8) {
      if (caplen < 4 || length < 4) return this.truncRet('vlan', hdrlen + (caplen < 4 ? caplen : length));
      if (this.eflag) {
        this.etherTypePrint(type);
        if (!printedLength) {
          this.lengthColon(origLength);
          printedLength = true;
        } else out.ascii(', ');
        this.vlanTag(u16(d, p));
      }
      type = u16(d, p + 2);
      p += 4;
      length -= 4;
      caplen -= 4;
      hdrlen += 4;
    }
    if (type <= MAX_ETHERNET_LENGTH_VAL) {
      // 802.3 length field and an LLC header: not decoded by portscope's printer.
      if (type < length) {
        length = type;
        if (caplen > length) caplen = length;
      }
      if (this.eflag) {
        out.ascii('802.3');
        if (!printedLength) this.lengthColon(length);
      }
      const llc = this.llc(p, length, p + caplen);
      if (llc < 0) {
        out.ascii('LLC, length ');
        out.u32dec(length);
        this.defaultPrint(p, caplen);
        return hdrlen;
      }
      return hdrlen + llc;
    }
    if (this.eflag) {
      this.etherTypePrint(type);
      if (!printedLength) this.lengthColon(origLength);
      else out.ascii(', ');
    }
    if (!this.etherType(type, p, length, p + caplen)) {
      if (!this.eflag) {
        this.etherAddrs(off);
        this.etherTypePrint(type);
        this.lengthColon(origLength);
      }
      this.defaultPrint(p, caplen);
    }
    return hdrlen;
  }

  /**
   * llc_print() for the spanning tree (DSAP = SSAP = 0x42, UI): returns the LLC header length,
   * or -1 for the other LLC frames (not decoded: the caller prints a placeholder).
   */
  private llc(p: number, length: number, end: number): number {
    const out = this.out;
    const d = this.d;
    if (end - p < 3 || length < 3) return -1;
    const dsapField = d[p];
    const ssapField = d[p + 1];
    const control = d[p + 2];
    if ((dsapField & 0xfe) !== 0x42 || (ssapField & 0xfe) !== 0x42 || control !== 0x03) return -1;
    if (this.eflag) {
      out.ascii('LLC, dsap STP (0x42) ');
      out.ascii(dsapField & 1 ? 'Group' : 'Individual');
      out.ascii(', ssap STP (0x42) ');
      out.ascii(ssapField & 1 ? 'Response' : 'Command');
      out.ascii(', ctrl 0x03: ');
    }
    this.stp(p + 3, length - 3, end);
    return 3;
  }

  /** stp_print() without -v (print-stp.c): 802.1D/w/s/aq BPDUs. */
  private stp(p: number, length: number, end: number): void {
    const out = this.out;
    const d = this.d;
    if (length < 4) {
      out.ascii(' (invalid)');
      return;
    }
    if (end - p < 4) return this.truncJ('stp');
    if (u16(d, p) !== 0) {
      out.ascii('unknown STP version, length ');
      out.u32dec(length);
      return;
    }
    const version = d[p + 2];
    out.ascii('STP ');
    const vn = version === 0 ? '802.1d' : version === 2 ? '802.1w' : version === 3 ? '802.1s' : version === 4 ? '802.1aq' : undefined;
    if (vn === undefined) {
      out.ascii('Unknown STP protocol (0x');
      out.hex2(version);
      out.byte(41);
      return;
    }
    out.ascii(vn);
    const type = d[p + 3];
    out.ascii(', ');
    if (type === 0) out.ascii('Config');
    else if (type === 0x80) out.ascii('Topology Change');
    else if (type === 2) out.ascii('Rapid STP');
    else {
      out.ascii('Unknown BPDU Type (0x');
      out.hex2(type);
      out.byte(41);
    }
    if (type === 0 || (type === 2 && version === 2)) {
      if (length < (type === 0 ? 35 : 36)) {
        out.ascii(' (invalid)');
        return;
      }
      if (end - p < 27) return this.truncJ('stp');
      this.stpFlags(d[p + 4], ', Flags [');
      out.ascii(', bridge-id ');
      out.hex2(d[p + 17]);
      out.hex2(d[p + 18]);
      out.byte(46);
      for (let i = 19; i < 25; i++) {
        if (i > 19) out.byte(58);
        out.hex2(d[p + i]);
      }
      out.byte(46);
      this.hex4(u16(d, p + 25));
      out.ascii(', length ');
      out.u32dec(length);
    } else if (type === 2 && (version === 3 || version === 4)) {
      // MSTP / SPB: validated as tcpdump does before the CIST flags
      if (length < 102) {
        out.ascii(' (invalid)');
        return;
      }
      if (end - p < 38) return this.truncJ('stp');
      if (d[p + 35] !== 0) {
        out.ascii(' (invalid)');
        return;
      }
      const mstpLen = u16(d, p + 36) + 2;
      if (length < 36 + mstpLen) {
        out.ascii(' (invalid)');
        return;
      }
      this.stpFlags(d[p + 4], ', CIST Flags [');
      out.ascii(', length ');
      out.u32dec(length);
      if (version === 4) {
        if (end - (p + 36 + mstpLen) < 2) return this.truncJ('stp');
        const spbLen = u16(d, p + 36 + mstpLen) + 2;
        if (length < 36 + mstpLen + spbLen || spbLen < 16) out.ascii(' (invalid)');
      }
    }
  }

  /** bittok2str(stp_bpdu_flag_values, "none", flags) between `label` and "]". */
  private stpFlags(f: number, label: string): void {
    const out = this.out;
    out.ascii(label);
    let first = true;
    for (let i = 0; i < STP_FLAGS.length; i++) {
      const [bit, name] = STP_FLAGS[i];
      if (f & bit) {
        if (!first) out.ascii(', ');
        out.ascii(name);
        first = false;
      }
    }
    if (first) out.ascii('none');
    out.byte(93);
  }

  /** An 802.1Q tag's TCI: "vlan ID, p PRIORITY[, DEI], ". */
  private vlanTag(tci: number): void {
    const out = this.out;
    out.ascii('vlan ');
    out.u32dec(tci & 0xfff);
    out.ascii(', p ');
    out.u32dec(tci >> 13);
    if (tci & 0x1000) out.ascii(', DEI');
    out.ascii(', ');
  }

  /** print_sectag() of print-macsec.c. */
  private sectag(p: number): void {
    const out = this.out;
    const d = this.d;
    const tci = d[p];
    out.ascii('an ');
    out.u32dec(tci & 3);
    out.ascii(', pn ');
    out.u32dec(u32(d, p + 2));
    out.ascii(', flags ');
    if ((tci & 0x7c) === 0) out.ascii('none');
    if (tci & 0x08) out.byte(69); // E
    if (tci & 0x04) out.byte(67); // C
    if (tci & 0x40) out.byte(83); // S (end station)
    if (tci & 0x20) out.byte(73); // I (SCI present)
    if (tci & 0x10) out.byte(66); // B (single copy broadcast)
    if (d[p + 1] !== 0) {
      out.ascii(', sl ');
      out.u32dec(d[p + 1] & 0x3f);
    }
    if (tci & 0x20) {
      out.ascii(', sci ');
      for (let i = 6; i < 14; i++) out.hex2(d[p + i]);
    }
  }

  /** ethertype_print() for the types portscope prints; false for the others. */
  private etherType(type: number, p: number, length: number, end: number): boolean {
    switch (type) {
      case ETHERTYPE_IPV4:
        this.ip4(p, length, end);
        return true;
      case ETHERTYPE_IPV6:
        this.ip6(p, length, end);
        return true;
      case ETHERTYPE_ARP:
      case ETHERTYPE_REVARP:
        this.arp(p, length, end);
        return true;
      default:
        return false;
    }
  }

  /** Linux cooked capture v1 (sll_if_print). */
  private sll(off: number, length: number, end: number): number {
    const out = this.out;
    const d = this.d;
    let caplen = end - off;
    if (caplen < 16) return this.truncRet('sll', caplen);
    if (this.eflag) this.sllHeader(off, length, false);
    length -= 16;
    caplen -= 16;
    let p = off + 16;
    let hdrlen = 16;
    let type = u16(d, off + 14);
    for (;;) {
      if (type <= MAX_ETHERNET_LENGTH_VAL) {
        // 802.3 (IPX), 802.2 LLC and Linux pseudo-protocols: not decoded.
        this.defaultPrint(p, caplen);
        return hdrlen;
      }
      if (type === 0x8100) {
        if (caplen < 4 || length < 4) return this.truncRet('vlan', hdrlen + (caplen < 4 ? caplen : length));
        if (this.eflag) this.vlanTag(u16(d, p));
        type = u16(d, p + 2);
        if (type <= MAX_ETHERNET_LENGTH_VAL) type = 4; // LINUX_SLL_P_802_2
        if (!this.qflag) {
          out.ascii('ethertype ');
          out.ascii(etherTypeName(type) ?? 'Unknown');
          out.ascii(', ');
        }
        p += 4;
        length -= 4;
        caplen -= 4;
        hdrlen += 4;
        continue;
      }
      if (!this.etherType(type, p, length, p + caplen)) {
        if (!this.eflag) this.sllHeader(off, length + 16, false);
        this.defaultPrint(p, caplen);
      }
      return hdrlen;
    }
  }

  /** sll_print() / sll2_print(): packet type (v1), address, protocol and length. */
  private sllHeader(off: number, length: number, v2: boolean): void {
    const out = this.out;
    const d = this.d;
    let type: number;
    if (!v2) {
      const t = sllPacketTypeName(u16(d, off));
      for (let i = t.length; i < 3; i++) out.byte(32);
      out.ascii(t);
      out.byte(32);
      if (u16(d, off + 4) === 6) {
        out.mac(d, off + 6);
        out.byte(32);
      }
      type = u16(d, off + 14);
    } else {
      out.ascii('ifindex ');
      out.u32dec(u32(d, off + 4));
      out.byte(32);
      if (d[off + 11] === 6) {
        out.mac(d, off + 12);
        out.byte(32);
      }
      type = u16(d, off);
    }
    if (this.qflag) return;
    if (type <= MAX_ETHERNET_LENGTH_VAL) {
      if (type === 1) out.ascii('802.3');
      else if (type === 4) out.ascii('802.2');
      else {
        out.ascii('ethertype Unknown (0x');
        this.hex4(type);
        out.byte(41);
      }
    } else this.etherTypePrint(type); // (not -q here: the long form)
    this.lengthColon(length);
  }

  /** Linux cooked capture v2 (sll2_if_print): interface name and packet type always. */
  private sll2(off: number, length: number, end: number): number {
    const out = this.out;
    const d = this.d;
    let caplen = end - off;
    if (caplen < 20) return this.truncRet('sll2', caplen);
    if (this.ifNames === null) this.ifNames = hostInterfaceNames();
    const name = this.ifNames.get(u32(d, off + 4)) ?? '?';
    out.ascii(name);
    for (let i = name.length; i < 5; i++) out.byte(32);
    out.byte(32);
    const t = sllPacketTypeName(d[off + 10]);
    out.ascii(t);
    for (let i = t.length; i < 3; i++) out.byte(32);
    out.byte(32);
    if (this.eflag) this.sllHeader(off, length, true);
    length -= 20;
    caplen -= 20;
    const p = off + 20;
    const type = u16(d, off);
    if (type <= MAX_ETHERNET_LENGTH_VAL || !this.etherType(type, p, length, p + caplen)) {
      if (!this.eflag && type > MAX_ETHERNET_LENGTH_VAL) this.sllHeader(off, length + 20, true);
      this.defaultPrint(p, caplen);
    }
    return 20;
  }

  /**
   * BSD loopback (null_if_print, also used for LOOP): a 4-byte address family in the capturing
   * host's byte order, swapped when its upper half is set.
   */
  private nullLink(off: number, length: number, end: number): number {
    const d = this.d;
    const caplen = end - off;
    if (caplen < 4) return this.truncRet('null', caplen);
    let family = (d[off] | (d[off + 1] << 8) | (d[off + 2] << 16) | (d[off + 3] << 24)) >>> 0;
    if ((family & 0xffff0000) !== 0) family = u32(d, off);
    if (this.eflag) this.nullHeader(family, length);
    const p = off + 4;
    switch (family) {
      case 2:
        this.ip4(p, length - 4, end);
        break;
      case 24:
      case 28:
      case 30:
        this.ip6(p, length - 4, end);
        break;
      default:
        if (!this.eflag) this.nullHeader(family, length);
        this.defaultPrint(p, caplen - 4);
        break;
    }
    return 4;
  }

  private nullHeader(family: number, length: number): void {
    const out = this.out;
    const name = bsdAfName(family);
    if (!this.qflag) {
      out.ascii('AF ');
      out.ascii(name ?? 'Unknown');
      out.ascii(' (');
      out.u32dec(family);
      out.byte(41);
    } else this.tok(name, 'Unknown AF ', family, false);
    this.lengthColon(length);
  }

  /**
   * "truncated-ip N": the link layer left N bytes, less than an IP header; with `missing`,
   * "truncated-ip - N bytes missing!": the header claims N bytes more than the link layer left.
   */
  private truncatedIp(proto: string, n: number, missing = false): void {
    const out = this.out;
    out.ascii('truncated-');
    out.ascii(proto);
    out.ascii(missing ? ' - ' : ' ');
    out.u32dec(n);
    if (missing) out.ascii(' bytes missing!');
  }

  /** ipN_print(): IPv4 or IPv6 by the version nibble. */
  private ipN(off: number, length: number, end: number): void {
    const out = this.out;
    if (length < 1) return this.truncatedIp('ip', length);
    if (end - off < 1) return this.truncJ('ipn');
    const v = this.d[off] & 0xf0;
    if (v === 0x40) this.ip4(off, length, end);
    else if (v === 0x60) this.ip6(off, length, end);
    else {
      out.ascii('unknown ip ');
      out.u32dec(v >> 4);
    }
  }

  // ---------------------------------------------------------------- ARP

  /** arp_print(); `length` is what the link layer left, `end` the captured end. */
  private arp(off: number, length: number, end: number): void {
    const out = this.out;
    const d = this.d;
    if (end - off < 8) return this.truncJ('arp');
    const hrd = u16(d, off);
    const pro = u16(d, off + 2);
    const hln = d[off + 4];
    const pln = d[off + 5];
    const op = u16(d, off + 6);
    if (hrd === 19) {
      // ATM ARP (RFC 2225): a different layout, not printed.
      out.ascii('ARP, ATM, length ');
      out.u32dec(length);
      return;
    }
    const sha = off + 8;
    const spa = sha + hln;
    const tha = spa + pln;
    const tpa = tha + hln;
    if (end - tpa < pln) return this.truncJ('arp');
    if (!this.eflag) out.ascii('ARP, ');
    const ipLike = pro === ETHERTYPE_IPV4 || pro === ETHERTYPE_TRAIL;
    if (!ipLike || pln !== 4 || hln === 0) {
      this.tok(arpHardwareName(hrd), 'Unknown Hardware (', hrd, true);
      out.ascii(' (len ');
      out.u32dec(hln);
      out.ascii('), ');
      const pn = etherTypeName(pro);
      if (pn !== undefined) out.ascii(pn);
      else {
        out.ascii('Unknown Protocol (0x');
        this.hex4(pro);
        out.byte(41);
      }
      out.ascii(' (len ');
      out.u32dec(pln);
      out.ascii('), length ');
      out.u32dec(length);
      return;
    }
    this.tok(arpOpName(op), 'Unknown (', op, true);
    out.byte(32);
    switch (op) {
      case 1: {
        out.ascii('who-has ');
        this.ipv4(u32(d, tpa));
        let nonzero = false;
        for (let i = 0; i < hln; i++) if (d[tha + i] !== 0) nonzero = true;
        if (nonzero) {
          out.ascii(' (');
          this.linkAddr(tha, hln);
          out.byte(41);
        }
        out.ascii(' tell ');
        this.ipv4(u32(d, spa));
        break;
      }
      case 2:
        this.ipv4(u32(d, spa));
        out.ascii(' is-at ');
        this.linkAddr(sha, hln);
        break;
      case 3:
      case 8:
        out.ascii('who-is ');
        this.linkAddr(tha, hln);
        out.ascii(' tell ');
        this.linkAddr(sha, hln);
        break;
      case 4:
        this.linkAddr(tha, hln);
        out.ascii(' at ');
        this.ipv4(u32(d, tpa));
        break;
      case 9:
        this.linkAddr(sha, hln);
        out.ascii(' at ');
        this.ipv4(u32(d, spa));
        break;
      default:
        // ND_DEFAULTPRINT without the -q/-x check of the link printers
        this.hexAscii(off, end - off);
        return;
    }
    out.ascii(', length ');
    out.u32dec(length);
  }

  /** linkaddr_string(): MAC form for 6 bytes, else hex bytes joined by ':'. */
  private linkAddr(off: number, len: number): void {
    const out = this.out;
    if (len === 0) {
      out.ascii('<empty>');
      return;
    }
    for (let i = 0; i < len; i++) {
      if (i > 0) out.byte(58);
      out.hex2(this.d[off + i]);
    }
  }

  // ---------------------------------------------------------------- IP

  /** An IPv4 or IPv6 address at `off`. */
  private ipAddr(off: number, ver: number): void {
    if (ver === 6) this.out.ipv6(this.d, off);
    else this.ipv4(u32(this.d, off));
  }

  /** "src > dst" of the IP header at `iph`, with ".port" after each unless `sport` < 0, then ": ". */
  private addrs(iph: number, ver: number, sport: number, dport: number): void {
    const out = this.out;
    this.ipAddr(srcAddrOff(iph, ver), ver);
    if (sport >= 0) {
      out.byte(46);
      out.u32dec(sport);
    }
    out.ascii(' > ');
    this.ipAddr(dstAddrOff(iph, ver), ver);
    if (sport >= 0) {
      out.byte(46);
      out.u32dec(dport);
    }
    out.ascii(': ');
  }

  /**
   * udpipaddr_print() / tcp_print(): the addresses and ports when the IP header's protocol is
   * `proto` itself, the ports alone when it was reached through extension headers (nothing then
   * when `sport` < 0).
   */
  private portAddrs(iph: number, ver: number, proto: number, sport: number, dport: number): void {
    const out = this.out;
    if (this.d[ver === 6 ? iph + 6 : iph + 9] === proto) this.addrs(iph, ver, sport, dport);
    else if (sport >= 0) {
      out.u32dec(sport);
      out.ascii(' > ');
      out.u32dec(dport);
      out.ascii(': ');
    }
  }

  /** ip_print(): `length` is what the link layer left, `end` the captured end. */
  private ip4(off: number, length: number, end: number): void {
    const out = this.out;
    const d = this.d;
    if (end - off < 1) return this.truncJ('ip');
    const v = d[off] >> 4;
    if (v !== 4) {
      if (v === 6) out.ascii('IP6, wrong link-layer encapsulation');
      else {
        out.ascii('IP');
        out.u32dec(v);
      }
      out.ascii(' (invalid)');
      return;
    }
    if (!this.eflag) out.ascii('IP ');
    if (end - off < 20) return this.trunc('ip');
    if (length < 20) return this.truncatedIp('ip', length);
    const hlen = (d[off] & 15) * 4;
    if (hlen < 20) {
      out.ascii('bad-hlen ');
      out.u32dec(hlen);
      return;
    }
    let len = u16(d, off + 2);
    if (length < len) {
      this.truncatedIp('ip', len - length, true);
      out.byte(32);
    }
    if (len < hlen) {
      out.ascii('bad-len ');
      out.u32dec(len);
      return;
    }
    if (off + len < end) end = off + len;
    len -= hlen;
    const fragOff = u16(d, off + 6);
    const proto = d[off + 9];
    if ((fragOff & 0x1fff) === 0) {
      if (!printsOwnAddrs(proto)) this.addrs(off, 4, -1, -1);
      if (end - off < hlen) {
        out.ascii(' [remaining caplen(');
        out.u32dec(end - off);
        out.ascii(') < header length(');
        out.u32dec(hlen);
        out.ascii(')]');
        this.truncJ('ip');
        return;
      }
      this.demux(off + hlen, len, 4, fragOff & 0x2000 ? 1 : 0, proto, off, end);
    } else {
      this.addrs(off, 4, -1, -1);
      out.ascii('ip-proto-');
      out.u32dec(proto);
    }
  }

  /** ip_demux_print(). */
  private demux(bp: number, length: number, ver: number, fragmented: number, nh: number, iph: number, end: number): void {
    const out = this.out;
    const d = this.d;
    switch (nh) {
      case IPPROTO_TCP:
        this.tcp(bp, length, iph, ver, end);
        return;
      case IPPROTO_UDP:
        this.udp(bp, length, iph, ver, fragmented, end);
        return;
      case IPPROTO_ICMP:
        if (ver === 4) this.icmp(bp, length, end);
        else out.ascii('[ICMP requires IPv4] (invalid)');
        return;
      case IPPROTO_ICMPV6:
        if (ver === 6) this.icmp6(bp, length, end);
        else out.ascii('[ICMP6 requires IPv6] (invalid)');
        return;
      case IPPROTO_IPV4:
      case IPPROTO_IPV6:
        if (this.depth < MAX_DEPTH) {
          this.depth++;
          if (nh === IPPROTO_IPV4) this.ip4(bp, length, end);
          else this.ip6(bp, length, end);
          return;
        }
        break;
      case IPPROTO_NONE:
        out.ascii('no next header');
        return;
      case 50: // ESP (print-esp.c, without decryption secrets)
        if (end - bp >= 4) {
          out.ascii('ESP(spi=0x');
          this.hex8(u32(d, bp));
        }
        if (end - bp < 8) return this.truncJ('esp');
        out.ascii(',seq=0x');
        out.hex(u32(d, bp + 4));
        out.ascii('), length ');
        out.u32dec(length);
        return;
      case 103: {
        // PIM (print-pim.c, without -v): version 2 prints its message type only
        if (end - bp < 1) return this.truncJ('pim');
        const v = d[bp] >> 4;
        if (v === 2) {
          out.ascii('PIMv2, ');
          out.ascii(PIM_TYPES[d[bp] & 15] ?? 'Unknown Type');
        } else if (v === 1) break;
        else {
          out.ascii('PIMv');
          out.u32dec(v);
        }
        out.ascii(', length ');
        out.u32dec(length);
        return;
      }
      case 112: {
        // VRRP (print-vrrp.c, without -v): advertisements of versions 2 and 3
        if (end - bp < 6) break;
        const v = d[bp] >> 4;
        if ((v !== 2 && v !== 3) || (d[bp] & 15) !== 1) break;
        out.ascii(v === 2 ? 'VRRPv2, Advertisement' : 'VRRPv3, Advertisement');
        const ttl = ver === 4 ? d[iph + 8] : d[iph + 7];
        if (ttl !== 255) {
          out.ascii(', (ttl ');
          out.u32dec(ttl);
          out.byte(41);
        }
        out.ascii(', vrid ');
        out.u32dec(d[bp + 1]);
        out.ascii(', prio ');
        out.u32dec(d[bp + 2]);
        if (v === 2) {
          const a = d[bp + 4];
          out.ascii(', authtype ');
          out.ascii(a === 0 ? 'none' : a === 1 ? 'simple' : a === 2 ? 'ah' : '(null)');
          out.ascii(', intvl ');
          out.u32dec(d[bp + 5]);
          out.ascii('s, length ');
        } else {
          out.ascii(', intvl ');
          out.u32dec(((d[bp + 4] & 15) << 8) | d[bp + 5]);
          out.ascii('cs, length ');
        }
        out.u32dec(length);
        return;
      }
      case 47: // GRE
        if (this.gre(bp, length, end)) return;
        break;
      case 2: // IGMP: -q prints the name only
        if (this.qflag && ver === 4) {
          out.ascii('igmp');
          return;
        }
        break;
      case 88: {
        // EIGRP (print-eigrp.c, without -v)
        if (end - bp < 20 || d[bp] !== 2) break;
        const op = d[bp + 1];
        out.ascii('EIGRP ');
        this.tok(EIGRP_OPCODES[op], 'unknown (', op, true);
        out.ascii(', length: ');
        out.u32dec(length);
        return;
      }
      case IPPROTO_DCCP:
      case IPPROTO_SCTP:
        // Their printers (not in portscope but DCCP's -q line) print the addresses themselves.
        if (nh === IPPROTO_DCCP && this.qflag && this.dccpQuick(bp, length, iph, ver, end)) return;
        this.addrs(iph, ver, -1, -1);
        break;
      default:
        break;
    }
    out.ascii(' ip-proto-');
    out.u32dec(nh);
    out.byte(32);
    out.u32dec(length);
  }

  /** dccp_print() with -q: "src.sport > dst.dport: DCCP <payload length>". False: not printed. */
  private dccpQuick(bp: number, len: number, iph: number, ver: number, end: number): boolean {
    const out = this.out;
    const d = this.d;
    if (end - bp < 12 || len < 12) return false;
    const fixed = d[bp + 8] & 1 ? 16 : 12;
    if (len < fixed || end - bp < fixed) return false;
    const sport = u16(d, bp);
    const dport = u16(d, bp + 2);
    const hlen = d[bp + 4] * 4;
    this.addrs(iph, ver, sport, dport);
    out.ascii('DCCP ');
    out.u32dec((len - hlen) >>> 0);
    if (hlen > len) this.badHdrLong(hlen, len);
    return true;
  }

  /**
   * gre_print() for version 0 without source routing (RFC 2784/2890): flags, optional offset,
   * key and sequence number, then the payload by protocol type. False: not printed (the caller
   * falls back to "ip-proto-47").
   */
  private gre(bp: number, length: number, end: number): boolean {
    const out = this.out;
    const d = this.d;
    if (end - bp < 2 || length < 2) {
      out.ascii('GRE');
      this.trunc('gre');
      return true;
    }
    const flags = u16(d, bp);
    if ((flags & 7) !== 0 || flags & 0x4000) return false; // version 1 (PPTP) or source routing
    out.ascii('GREv0');
    let p = bp + 2;
    let len = length - 2;
    if (end - p < 2 || len < 2) return this.truncRet('gre', true);
    const prot = u16(d, p);
    p += 2;
    len -= 2;
    // the optional 4-byte fields in order: checksum and offset (C), key (K), sequence number (S)
    for (let bit = 0x8000; bit >= 0x1000; bit >>= 1) {
      if ((flags & bit) === 0) continue; // (R was refused above)
      if (end - p < 4 || len < 4) return this.truncRet('gre', true);
      const v = u32(d, p);
      if (bit === 0x8000) {
        out.ascii(', off 0x');
        out.hex(v & 0xffff);
      } else if (bit === 0x2000) {
        out.ascii(', key=0x');
        out.hex(v);
      } else {
        out.ascii(', seq ');
        out.u32dec(v);
      }
      p += 4;
      len -= 4;
    }
    if (!this.qflag) {
      out.ascii(', proto ');
      out.ascii(etherTypeName(prot) ?? 'unknown');
      out.ascii(' (0x');
      this.hex4(prot);
      out.byte(41);
    }
    out.ascii(', length ');
    out.u32dec(length);
    out.ascii(': ');
    if (this.depth < MAX_DEPTH && (prot === ETHERTYPE_IPV4 || prot === ETHERTYPE_IPV6 || prot === 0x6558)) {
      this.depth++;
      if (prot === ETHERTYPE_IPV4) this.ip4(p, len, end);
      else if (prot === ETHERTYPE_IPV6) this.ip6(p, len, end);
      else this.ether(p, len, end);
      return true;
    }
    out.ascii('gre-proto-0x');
    out.hex(prot);
    return true;
  }

  /** ip6_print(). */
  private ip6(off: number, length: number, end: number): void {
    const out = this.out;
    const d = this.d;
    if (end - off < 40) return this.trunc('ip6');
    if (length < 40) return this.truncatedIp('ip6', length);
    if (!this.eflag) out.ascii('IP6 ');
    const v = d[off] >> 4;
    if (v !== 6) {
      out.ascii('version error: ');
      out.u32dec(v);
      out.ascii(' != 6');
      return;
    }
    let payloadLen = u16(d, off + 4);
    let len: number;
    if (payloadLen !== 0) {
      len = payloadLen + 40;
      if (length < len) this.truncatedIp('ip6', len - length, true);
    } else len = length + 40;
    if (off + len < end) end = off + len;
    let nh = d[off + 6];
    let ph = 255;
    let cp = off;
    let advance = 40;
    let total = 0;
    let foundExt = false;
    let foundHbh = false;
    let jumbo = -1;
    let fragmented = 0;
    while (cp < end && advance > 0) {
      if (len < advance) return this.trunc('ip6');
      cp += advance;
      len -= advance;
      total += advance;
      if (cp === off + 40 && !printsOwnAddrs(nh)) this.addrs(off, 6, -1, -1);
      switch (nh) {
        case IPPROTO_HOPOPTS: {
          if (foundHbh) {
            out.ascii('[The Hop-by-Hop Options header was already found] (invalid)');
            return;
          }
          if (ph !== 255) {
            out.ascii("[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)");
            return;
          }
          advance = this.ip6Options(cp, end, 'HBH ', 'hbhopt', payloadLen === 0);
          if (this.jumboLen >= 0) {
            // a valid Jumbo Payload option (RFC 2675): its length replaces the header's
            jumbo = this.jumboLen;
            payloadLen = jumbo;
          }
          if (payloadLen === 0 && jumbo < 0) {
            out.ascii('[No valid Jumbo Payload Hop-by-Hop option found] (invalid)');
            return;
          }
          if (advance < 0) return;
          foundExt = true;
          foundHbh = true;
          nh = d[cp];
          break;
        }
        case IPPROTO_DSTOPTS:
          advance = this.ip6Options(cp, end, 'DSTOPT ', 'dstopt', false);
          if (advance < 0) return;
          foundExt = true;
          nh = d[cp];
          break;
        case IPPROTO_FRAGMENT: {
          if (end - cp < 4) return this.truncJ('frag6');
          const fo = u16(d, cp + 2) & 0xfff8;
          out.ascii('frag (');
          out.u32dec(fo);
          out.byte(124);
          out.u32dec((40 + u16(d, off + 4) - (cp - off) - 8) >>> 0);
          out.byte(41);
          if (fo !== 0) return;
          out.byte(32);
          advance = 8;
          if (end <= cp + advance) return;
          foundExt = true;
          nh = d[cp];
          fragmented = 1;
          break;
        }
        case IPPROTO_ROUTING:
          advance = this.rt6(cp, end);
          if (advance < 0) return;
          foundExt = true;
          nh = d[cp];
          break;
        case 135: // mobility header: not printed
        case 62:
          out.ascii('mobility');
          return;
        default: {
          if (jumbo >= 0) {
            len = jumbo + 40;
            if (len < total) return this.trunc('ip6');
            if (length < len) this.truncatedIp('ip6', len - length, true);
            end = Math.min(end, off + len);
            len -= total;
          } else if (payloadLen === 0) {
            if (foundExt) return this.trunc('ip6');
            len = 0;
            end = Math.min(end, off + 40);
          }
          this.demux(cp, len, 6, fragmented, nh, off, end);
          return;
        }
      }
      ph = nh;
    }
  }

  /** Length of the valid Jumbo Payload option found by the last ip6Options(), or -1. */
  private jumboLen = -1;

  /**
   * hbhopt_process() / dstopt_process(): prints `label`, walks the options silently (as without
   * -v) and returns the header length, or -1 after printing a truncation. `jumboAllowed`: a
   * hop-by-hop header of a packet whose payload length is 0, where a Jumbo Payload option
   * (>= 65536) is valid; its value is left in jumboLen.
   */
  private ip6Options(cp: number, end: number, label: string, proto: string, jumboAllowed: boolean): number {
    const d = this.d;
    this.jumboLen = -1;
    if (end - cp < 2) return this.truncRet(proto, -1);
    const hlen = (d[cp + 1] + 1) * 8;
    if (end - cp < hlen) return this.truncRet(proto, -1);
    this.out.ascii(label);
    const o = cp + 2;
    const len = hlen - 2;
    let optlen = 0;
    let seen = false;
    for (let i = 0; i < len; i += optlen) {
      const t = d[o + i];
      if (t === 0) {
        optlen = 1;
        continue;
      }
      if (i + 1 >= len) return this.truncRet(proto, -1);
      optlen = d[o + i + 1] + 2;
      if (i + optlen > len) return this.truncRet(proto, -1);
      if (t === 0xc2) {
        if (len < 6 || optlen !== 6) return this.truncRet(proto, -1);
        const j = u32(d, o + i + 2);
        if (!seen && jumboAllowed && j >= 65536) this.jumboLen = j;
        seen = true;
      }
    }
    return hlen;
  }

  /** rt6_print() without -v. */
  private rt6(cp: number, end: number): number {
    const out = this.out;
    const d = this.d;
    out.ascii('RT6');
    if (end - cp < 2) return this.truncJRet('rt6', -1);
    const len = d[cp + 1];
    out.ascii(' (len=');
    out.u32dec(len);
    if (end - cp < 3) return this.truncJRet('rt6', -1);
    const type = d[cp + 2];
    out.ascii(', type=');
    out.u32dec(type);
    if (type === 0) out.ascii(' [Deprecated]');
    if (end - cp < 4) return this.truncJRet('rt6', -1);
    out.ascii(', segleft=');
    out.u32dec(d[cp + 3]);
    if (type === 0 || type === 2) {
      if (end - cp < 8) return this.truncJRet('rt6', -1);
      const rsv = u32(d, cp + 4);
      if (rsv !== 0) {
        out.ascii(', rsv=0x');
        out.hex(rsv);
      }
      if (len % 2 === 1) {
        out.ascii(' [invalid length ');
        out.u32dec(len);
        out.ascii('] (invalid)');
        return -1;
      }
      return this.rt6Addrs(cp, end, len >> 1);
    }
    if (type === 4) {
      if (end - cp < 8) return this.truncJRet('rt6', -1);
      const last = d[cp + 4];
      out.ascii(', last-entry=');
      out.u32dec(last);
      if (d[cp + 5] !== 0) {
        out.ascii(', flags=0x');
        out.hex(d[cp + 5]);
      }
      out.ascii(', tag=');
      out.hex(u16(d, cp + 6));
      return this.rt6Addrs(cp, end, last + 1);
    }
    out.ascii(' (unknown type) (invalid)');
    return -1;
  }

  /** The `n` addresses after the 8 fixed bytes of the routing header at `cp`; returns its length. */
  private rt6Addrs(cp: number, end: number, n: number): number {
    const out = this.out;
    let p = cp + 8;
    for (let i = 0; i < n; i++) {
      if (end - p < 16) return this.truncJRet('rt6', -1);
      out.ascii(', [');
      out.u32dec(i);
      out.byte(93);
      out.ipv6(this.d, p);
      p += 16;
    }
    out.ascii(') ');
    return (this.d[cp + 1] + 1) * 8;
  }

  // ---------------------------------------------------------------- transport

  /** tcp_print(): `length` is the IP payload length the IP header claims. */
  private tcp(bp: number, length: number, iph: number, ver: number, end: number): void {
    const out = this.out;
    const d = this.d;
    if (end - bp < 4) {
      // no destination port: addresses only, then the truncation mark
      this.ipAddr(srcAddrOff(iph, ver), ver);
      out.ascii(' > ');
      this.ipAddr(dstAddrOff(iph, ver), ver);
      out.byte(58);
      this.trunc('tcp');
      return;
    }
    const sport = u16(d, bp);
    const dport = u16(d, bp + 2);
    this.portAddrs(iph, ver, IPPROTO_TCP, sport, dport);
    if (end - bp < 20) return this.trunc('tcp');
    let hlen = (d[bp + 12] >> 4) * 4;
    if (hlen < 20) {
      out.ascii(' tcp ');
      out.u32dec((length - hlen) >>> 0);
      out.ascii(' [bad hdr length ');
      out.u32dec(hlen);
      out.ascii(' - too short, < 20]');
      return;
    }
    if (this.qflag) {
      out.ascii('tcp ');
      out.u32dec((length - hlen) >>> 0);
      if (hlen > length) this.badHdrLong(hlen, length);
      return;
    }
    let seq = u32(d, bp + 4);
    let ack = u32(d, bp + 8);
    const flags = d[bp + 13];
    const win = u16(d, bp + 14);
    const urp = u16(d, bp + 18);
    out.ascii('Flags [');
    if (flags === 0) out.ascii('none');
    else for (let i = 0; i < 8; i++) if (flags & (1 << i)) out.byte(TCP_FLAG_CHARS.charCodeAt(i));
    out.byte(93);
    let rev = false;
    let thseq = 0;
    let thack = 0;
    if (!this.opts.absoluteSeq && flags & TH_ACK) {
      const t = this.seq;
      if (sport > dport) rev = true;
      else if (sport === dport) rev = this.addrGreater(iph, ver);
      const ports = rev ? ((dport << 16) | sport) >>> 0 : ((sport << 16) | dport) >>> 0;
      // the connection's key in the direction of its lower port (or address)
      const a = rev ? dstAddrOff(iph, ver) : srcAddrOff(iph, ver);
      const b = rev ? srcAddrOff(iph, ver) : dstAddrOff(iph, ver);
      if (ver === 6) t.setKey6(d, a, b, ports);
      else t.setKey4(u32(d, a), u32(d, b), ports);
      const found = t.lookup();
      if (!found || flags & TH_SYN) {
        if (rev) t.store((ack - 1) >>> 0, seq);
        else t.store(seq, (ack - 1) >>> 0);
      } else if (rev) {
        seq = (seq - t.ack) >>> 0;
        ack = (ack - t.seq) >>> 0;
      } else {
        seq = (seq - t.seq) >>> 0;
        ack = (ack - t.ack) >>> 0;
      }
      thseq = t.seq;
      thack = t.ack;
    }
    if (hlen > length) {
      this.badHdrLong(hlen, length);
      return;
    }
    length -= hlen;
    if (this.opts.verbose > 1 || length > 0 || flags & (TH_SYN | TH_FIN | TH_RST)) {
      out.ascii(', seq ');
      out.u32dec(seq);
      if (length > 0) {
        out.byte(58);
        out.u32dec((seq + length) >>> 0);
      }
    }
    if (flags & TH_ACK) {
      out.ascii(', ack ');
      out.u32dec(ack);
    }
    out.ascii(', win ');
    out.u32dec(win);
    if (flags & TH_URG) {
      out.ascii(', urg ');
      out.u32dec(urp);
    }
    if (hlen > 20 && !this.tcpOptions(bp + 20, hlen - 20, end, flags, rev, thseq, thack)) return;
    out.ascii(', length ');
    out.u32dec(length);
  }

  private badHdrLong(hlen: number, length: number): void {
    const out = this.out;
    out.ascii(' [bad hdr length ');
    out.u32dec(hlen);
    out.ascii(' - too long, > ');
    out.u32dec(length);
    out.byte(93);
  }

  /** memcmp(ip_src, ip_dst) > 0 */
  private addrGreater(iph: number, ver: number): boolean {
    const d = this.d;
    const a = srcAddrOff(iph, ver);
    const b = dstAddrOff(iph, ver);
    const n = ver === 6 ? 16 : 4;
    for (let i = 0; i < n; i++) {
      if (d[a + i] !== d[b + i]) return d[a + i] > d[b + i];
    }
    return false;
  }

  /**
   * The options list ", options [...]". Returns false when it ended the line (a truncated
   * option: " [|tcp]"), true otherwise (also after "[bad opt]", which tcpdump follows by nothing).
   */
  private tcpOptions(cp: number, hlen: number, end: number, flags: number, rev: boolean, thseq: number, thack: number): boolean {
    const out = this.out;
    const d = this.d;
    out.ascii(', options [');
    let first = true;
    while (hlen > 0) {
      if (!first) out.byte(44);
      if (cp >= end) return this.truncJRet('tcp', false);
      const opt = d[cp++];
      let len: number;
      if (opt === 0 || opt === 1) len = 1;
      else {
        if (cp >= end) return this.truncJRet('tcp', false);
        len = d[cp++];
        if (len < 2 || len > hlen) return this.badOpt(first);
        hlen--;
      }
      hlen--;
      let datalen = 0;
      this.tok(tcpOptionName(opt), 'unknown-', opt, false);
      switch (opt) {
        case 2: // mss
          datalen = 2;
          if (this.lenCheck(datalen, hlen, end - cp, first)) return false;
          out.byte(32);
          out.u32dec(u16(d, cp));
          break;
        case 3: // wscale
          datalen = 1;
          if (this.lenCheck(datalen, hlen, end - cp, first)) return false;
          out.byte(32);
          out.u32dec(d[cp]);
          break;
        case 5: // sack
          datalen = len - 2;
          if (datalen % 8 !== 0) out.ascii(' invalid sack');
          else {
            out.byte(32);
            out.u32dec(datalen / 8);
            out.byte(32);
            for (let i = 0; i < datalen; i += 8) {
              if (this.lenCheck(i + 4, hlen, end - cp, first)) return false;
              let s = u32(d, cp + i);
              if (this.lenCheck(i + 8, hlen, end - cp, first)) return false;
              let e = u32(d, cp + i + 4);
              if (rev) {
                s = (s - thseq) >>> 0;
                e = (e - thseq) >>> 0;
              } else {
                s = (s - thack) >>> 0;
                e = (e - thack) >>> 0;
              }
              out.byte(123);
              out.u32dec(s);
              out.byte(58);
              out.u32dec(e);
              out.byte(125);
            }
          }
          break;
        case 6:
        case 7:
        case 11:
        case 12:
        case 13:
          datalen = 4;
          if (this.lenCheck(datalen, hlen, end - cp, first)) return false;
          out.byte(32);
          out.u32dec(u32(d, cp));
          break;
        case 8: // timestamps
          datalen = 8;
          if (this.lenCheck(datalen, hlen, end - cp, first)) return false;
          out.ascii(' val ');
          out.u32dec(u32(d, cp));
          out.ascii(' ecr ');
          out.u32dec(u32(d, cp + 4));
          break;
        case 19: // md5 signature: tcpdump built with libcrypto cannot check it without a secret
          datalen = 16;
          if (this.lenCheck(datalen, hlen, end - cp, first)) return false;
          out.ascii(" shared secret not supplied with -M, can't check - ");
          for (let i = 0; i < 16; i++) out.hex2(d[cp + i]);
          break;
        case 20: // scps
          datalen = 2;
          if (this.lenCheck(datalen, hlen, end - cp, first)) return false;
          out.ascii(' cap ');
          out.hex2(d[cp]);
          out.ascii(' id ');
          out.u32dec(d[cp + 1]);
          break;
        case 29: // tcp-ao
          datalen = len - 2;
          if (datalen < 2) out.ascii(' (invalid)');
          else {
            if (this.lenCheck(1, hlen, end - cp, first)) return false;
            out.ascii(' keyid ');
            out.u32dec(d[cp]);
            if (this.lenCheck(2, hlen, end - cp, first)) return false;
            out.ascii(' rnextkeyid ');
            out.u32dec(d[cp + 1]);
            if (datalen > 2) {
              out.ascii(' mac 0x');
              for (let i = 2; i < datalen; i++) {
                if (this.lenCheck(i + 1, hlen, end - cp, first)) return false;
                out.hex2(d[cp + i]);
              }
            }
          }
          break;
        case 0:
        case 1:
        case 4:
          break;
        case 28: {
          // uto
          datalen = 2;
          if (this.lenCheck(datalen, hlen, end - cp, first)) return false;
          let uto = u16(d, cp);
          out.ascii(' 0x');
          out.hex(uto);
          uto = uto & 1 ? (uto >> 1) * 60 : uto >> 1;
          out.byte(32);
          out.u32dec(uto);
          break;
        }
        case 30: // mptcp
          datalen = len - 2;
          if (this.lenCheck(datalen, hlen, end - cp, first)) return false;
          if (!this.mptcp(cp - 2, len, flags)) return this.badOpt(first);
          break;
        case 34: // tfo
          datalen = len - 2;
          if (this.lenCheck(datalen, hlen, end - cp, first)) return false;
          out.byte(32);
          this.fastOpen(cp, datalen);
          break;
        case 254: {
          datalen = len - 2;
          if (this.lenCheck(datalen, hlen, end - cp, first)) return false;
          if (datalen < 2) return this.badOpt(first);
          const magic = u16(d, cp);
          out.byte(45);
          if (magic === 0xf989) {
            out.ascii('tfo');
            this.fastOpen(cp + 2, datalen - 2);
          } else this.hex4(magic);
          break;
        }
        default:
          datalen = len - 2;
          if (datalen) out.ascii(' 0x');
          for (let i = 0; i < datalen; i++) {
            if (this.lenCheck(i + 1, hlen, end - cp, first)) return false;
            out.hex2(d[cp + i]);
          }
          break;
      }
      cp += datalen;
      hlen -= datalen;
      datalen++;
      if (opt !== 0 && opt !== 1) datalen++;
      if (datalen !== len) {
        out.ascii('[len ');
        out.u32dec(len);
        out.byte(93);
      }
      first = false;
      if (opt === 0) break;
    }
    out.byte(93);
    return true;
  }

  /** mptcp_print() (print-mptcp.c, RFC 8684): the option at `o`, `len` bytes, all captured. */
  private mptcp(o: number, len: number, flags: number): boolean {
    const out = this.out;
    const d = this.d;
    if (len < 3) return false;
    let sub = d[o + 2] >> 4;
    if (sub > 8) sub = 8;
    out.byte(32);
    out.u32dec(len);
    out.byte(32);
    out.ascii(MPTCP_SUBTYPES[sub]);
    switch (sub) {
      case 0: {
        // capable
        if (!((len === 12 || len === 4) && flags & TH_SYN) && !((len === 20 || len === 22) && (flags & (TH_SYN | TH_ACK)) === TH_ACK)) {
          return false;
        }
        const version = d[o + 2] & 0xf;
        if (version > 1) {
          out.ascii(' Unknown Version (');
          out.u32dec(version);
          out.byte(41);
          return true;
        }
        out.ascii(' v');
        out.u32dec(version);
        if (d[o + 3] & 0x80) out.ascii(' csum');
        if (len === 12 || len >= 20) {
          out.ascii(' {0x');
          this.hex64(o + 4);
          if (len >= 20) {
            out.ascii(',0x');
            this.hex64(o + 12);
          }
          out.byte(125);
        }
        return true;
      }
      case 1: {
        // join
        const synAck = (flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK);
        if (!(len === 12 && flags & TH_SYN) && !(len === 16 && synAck) && !(len === 24 && flags & TH_ACK)) return false;
        if (len !== 24) {
          if (d[o + 2] & 1) out.ascii(' backup');
          out.ascii(' id ');
          out.u32dec(d[o + 3]);
        }
        if (len === 12) {
          out.ascii(' token 0x');
          out.hex(u32(d, o + 4));
          out.ascii(' nonce 0x');
          out.hex(u32(d, o + 8));
        } else if (len === 16) {
          out.ascii(' hmac 0x');
          this.hex64(o + 4);
          out.ascii(' nonce 0x');
          out.hex(u32(d, o + 12));
        } else {
          out.ascii(' hmac 0x');
          for (let i = 0; i < 20; i++) out.hex2(d[o + 4 + i]);
        }
        return true;
      }
      case 2: {
        // dss
        if (len < 4 || flags & TH_SYN) return false;
        const f = d[o + 3];
        if (f & 0x10) out.ascii(' fin');
        let p = o + 4;
        let left = len - 4;
        if (f & 0x01) {
          // data ACK, 8 bytes with flag a
          out.ascii(' ack ');
          const n = this.dssNumber(p, left, (f & 0x02) !== 0);
          if (n < 0) return false;
          p += n;
          left -= n;
        }
        if (f & 0x04) {
          // data sequence number, 8 bytes with flag m
          out.ascii(' seq ');
          const n = this.dssNumber(p, left, (f & 0x08) !== 0);
          if (n < 0) return false;
          p += n;
          left -= n;
          if (left < 4) return false;
          out.ascii(' subseq ');
          out.u32dec(u32(d, p));
          p += 4;
          left -= 4;
          if (left < 2) return false;
          out.ascii(' len ');
          out.u32dec(u16(d, p));
          p += 2;
          left -= 2;
          if (left >= 2) {
            out.ascii(' csum 0x');
            out.hex(u16(d, p));
            left -= 2;
          }
        }
        return left === 0;
      }
      case 3: {
        // add-addr
        if (!(len === 8 || len === 10 || len === 16 || len === 18 || len === 20 || len === 22 || len === 28 || len === 30)) return false;
        const e = d[o + 2] & 0xf;
        out.ascii(e === 6 ? ' v0-ip6' : e === 4 ? ' v0-ip4' : e === 1 ? ' v1-echo' : e === 0 ? ' v1' : ' [bad version/echo]');
        out.ascii(' id ');
        out.u32dec(d[o + 3]);
        out.byte(32);
        // the address (4 or 16 bytes), then a 2-byte port and an 8-byte HMAC, each optional
        const ver = len <= 18 ? 4 : 6;
        let p = o + (ver === 4 ? 8 : 20);
        const rest = o + len - p; // 0, 2 (port), 8 (hmac) or 10
        this.ipAddr(o + 4, ver);
        if (rest & 2) {
          out.byte(58);
          out.u32dec(u16(d, p));
          p += 2;
        }
        if (rest & 8) {
          out.ascii(' hmac 0x');
          this.hex64(p);
        }
        return true;
      }
      case 4:
        // rem-addr
        if (len < 4) return false;
        out.ascii(' id');
        for (let i = 3; i < len; i++) {
          out.byte(32);
          out.u32dec(d[o + i]);
        }
        return true;
      case 5:
        // prio
        if (len !== 3 && len !== 4) return false;
        out.ascii(d[o + 2] & 1 ? ' backup' : ' non-backup');
        if (len === 4) {
          out.ascii(' id ');
          out.u32dec(d[o + 3]);
        }
        return true;
      case 6:
      case 7:
        // fail / fast-close
        if (len !== 12) return false;
        if (sub === 6) {
          out.ascii(' seq ');
          this.dec64(o + 4);
        } else {
          out.ascii(' key 0x');
          this.hex64(o + 4);
        }
        return true;
      default:
        return true;
    }
  }

  /** A DSS number at `p` in decimal, 8 bytes if `wide`, else 4: its size, or -1 past `left`. */
  private dssNumber(p: number, left: number, wide: boolean): number {
    const n = wide ? 8 : 4;
    if (left < n) return -1;
    if (wide) this.dec64(p);
    else this.out.u32dec(u32(this.d, p));
    return n;
  }

  /** 64-bit big-endian value at `o` in hex without leading zeros (%PRIx64). */
  private hex64(o: number): void {
    const hi = u32(this.d, o);
    const lo = u32(this.d, o + 4);
    if (hi === 0) {
      this.out.hex(lo);
      return;
    }
    this.out.hex(hi);
    for (let s = 28; s >= 0; s -= 4) this.out.byte(HEX_DIGITS.charCodeAt((lo >>> s) & 15));
  }

  private readonly limbs = new Uint16Array(4);
  private readonly digits = new Uint8Array(20);

  /** 64-bit big-endian value at `o` in decimal (%PRIu64), without BigInt. */
  private dec64(o: number): void {
    const l = this.limbs;
    for (let i = 0; i < 4; i++) l[i] = u16(this.d, o + 2 * i);
    const dg = this.digits;
    let n = 0;
    for (;;) {
      // divide the 4x16-bit number by 10
      let r = 0;
      let nonzero = false;
      for (let i = 0; i < 4; i++) {
        const cur = r * 65536 + l[i];
        l[i] = Math.floor(cur / 10);
        r = cur - l[i] * 10;
        if (l[i] !== 0) nonzero = true;
      }
      dg[n++] = 48 + r;
      if (!nonzero) break;
    }
    while (n > 0) this.out.byte(dg[--n]);
  }

  /** TCP Fast Open cookie (print_tcp_fastopen_option). */
  private fastOpen(cp: number, datalen: number): void {
    const out = this.out;
    if (datalen === 0) out.ascii(' cookiereq');
    else if (datalen % 2 !== 0 || datalen < 4 || datalen > 16) out.ascii(' (invalid)');
    else {
      out.ascii(' cookie ');
      for (let i = 0; i < datalen; i++) out.hex2(this.d[cp + i]);
    }
  }

  /**
   * tcpdump's LENCHECK(n) of option data: "[bad opt]" past the header length left (`hlen`),
   * " [|tcp]" past the captured bytes (`avail`). True: that ended the line.
   */
  private lenCheck(n: number, hlen: number, avail: number, first: boolean): boolean {
    if (n > hlen) this.badOpt(first);
    else if (avail < n) this.optTrunc(first);
    else return false;
    return true;
  }

  /** "[bad opt]" ends tcp_print (with "]" when an option was printed before). */
  private badOpt(first: boolean): boolean {
    this.out.ascii('[bad opt]');
    if (!first) this.out.byte(93);
    return false;
  }

  /** Option data cut by the capture (LENCHECK): " [|tcp]", and ">" after a printed option. */
  private optTrunc(first: boolean): boolean {
    this.trunc('tcp');
    if (!first) this.out.byte(62);
    return false;
  }

  /** udp_print() (-q form for every port: application protocols are not decoded). */
  private udp(bp: number, length: number, iph: number, ver: number, fragmented: number, end: number): void {
    const out = this.out;
    const d = this.d;
    if (end - bp < 4) {
      this.portAddrs(iph, ver, IPPROTO_UDP, -1, -1);
      this.trunc('udp');
      return;
    }
    const sport = u16(d, bp);
    const dport = u16(d, bp + 2);
    if (length < 8) {
      this.portAddrs(iph, ver, IPPROTO_UDP, sport, dport);
      out.ascii('truncated-udp ');
      out.u32dec(length);
      return;
    }
    if (end - bp < 6) {
      this.portAddrs(iph, ver, IPPROTO_UDP, sport, dport);
      this.trunc('udp');
      return;
    }
    let ulen = u16(d, bp + 4);
    if (ulen === 0 && length > 65535) ulen = length;
    if (ulen < 8) {
      this.portAddrs(iph, ver, IPPROTO_UDP, sport, dport);
      out.ascii('truncated-udplength ');
      out.u32dec(ulen);
      return;
    }
    ulen -= 8;
    length -= 8;
    if (ulen < length) length = ulen;
    if (end - bp < 8) {
      this.portAddrs(iph, ver, IPPROTO_UDP, sport, dport);
      this.trunc('udp');
      return;
    }
    this.portAddrs(iph, ver, IPPROTO_UDP, sport, dport);
    if (ulen > length && !fragmented) {
      out.ascii('UDP, bad length ');
      out.u32dec(ulen);
      out.ascii(' > ');
      out.u32dec(length);
    } else {
      out.ascii('UDP, length ');
      out.u32dec(ulen);
    }
  }

  /** icmp_print() without -v: `plen` is the IP payload length. */
  private icmp(bp: number, plen: number, end: number): void {
    const out = this.out;
    const d = this.d;
    const avail = end - bp;
    if (avail < 2) return this.truncJ('icmp');
    const type = d[bp];
    const code = d[bp + 1];
    // The quoted IP header of error messages starts at bp + 8; its destination at bp + 24.
    const oip = bp + 8;
    const mark = out.pos;
    out.ascii('ICMP ');
    switch (type) {
      case 0:
      case 8:
        if (avail < 8) return this.icmpTrunc(mark);
        out.ascii(type === 8 ? 'echo request, id ' : 'echo reply, id ');
        out.u32dec(u16(d, bp + 4));
        out.ascii(', seq ');
        out.u32dec(u16(d, bp + 6));
        break;
      case 3: {
        // every code names the quoted datagram's destination
        if (avail < 28) return this.icmpTrunc(mark);
        const dst = u32(d, oip + 16);
        const text = icmpUnreachText(code);
        if (text !== undefined) {
          out.ascii(text[0]);
          this.ipv4(dst);
          out.ascii(text[1]);
          break;
        }
        if (code === 3) {
          // port unreachable: the quoted transport header's destination port
          const hl = (d[oip] & 15) * 4;
          if (end - (oip + hl) < 4) return this.icmpTrunc(mark);
          this.ipv4(dst);
          this.quotedPort(d[oip + 9], u16(d, oip + hl + 2));
          out.ascii(' unreachable');
          break;
        }
        this.ipv4(dst);
        if (code === 2) {
          out.ascii(' protocol ');
          out.u32dec(d[oip + 9]);
          out.ascii(' unreachable');
        } else if (code === 4) {
          const mtu = u16(d, bp + 6);
          out.ascii(' unreachable - need to frag');
          if (mtu) {
            out.ascii(' (mtu ');
            out.u32dec(mtu);
            out.byte(41);
          }
        } else {
          out.ascii(' unreachable - #');
          out.u32dec(code);
        }
        break;
      }
      case 5:
        if (avail < 28) return this.icmpTrunc(mark);
        if (code <= 3) {
          out.ascii(code >= 2 ? 'redirect-tos ' : 'redirect ');
          this.ipv4(u32(d, oip + 16));
          out.ascii(code & 1 ? ' to host ' : ' to net ');
        } else {
          out.ascii('redirect-#');
          out.u32dec(code);
          out.byte(32);
          this.ipv4(u32(d, oip + 16));
          out.ascii(' to ');
        }
        this.ipv4(u32(d, bp + 4));
        break;
      case 11:
        if (avail < 28) return this.icmpTrunc(mark);
        if (code === 0) out.ascii('time exceeded in-transit');
        else if (code === 1) out.ascii('ip reassembly time exceeded');
        else {
          out.ascii('time exceeded-#');
          out.u32dec(code);
        }
        break;
      case 12:
        if (code) {
          out.ascii('parameter problem - code ');
          out.u32dec(code);
        } else {
          if (avail < 5) return this.icmpTrunc(mark);
          out.ascii('parameter problem - octet ');
          out.u32dec(d[bp + 4]);
        }
        break;
      case 18:
        if (avail < 12) return this.icmpTrunc(mark);
        out.ascii('address mask is 0x');
        this.hex8(u32(d, bp + 8));
        break;
      case 13:
        if (avail < 8) return this.icmpTrunc(mark);
        out.ascii('time stamp query id ');
        out.u32dec(u16(d, bp + 4));
        out.ascii(' seq ');
        out.u32dec(u16(d, bp + 6));
        break;
      default: {
        this.tok(icmpTypeName(type), 'type-#', type, false);
        break;
      }
    }
    out.ascii(', length ');
    out.u32dec(plen);
  }

  /** " tcp port N", " udp port N" or " protocol P port N": the port an ICMP error quotes. */
  private quotedPort(proto: number, dport: number): void {
    const out = this.out;
    if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) out.ascii(proto === IPPROTO_TCP ? ' tcp port ' : ' udp port ');
    else {
      out.ascii(' protocol ');
      out.u32dec(proto);
      out.ascii(' port ');
    }
    out.u32dec(dport);
  }

  /** A truncated ICMP message: tcpdump printed nothing of it yet (it formats into a buffer). */
  private icmpTrunc(mark: number): void {
    this.out.pos = mark;
    this.truncJ('icmp');
  }

  /** icmp6_print() without -v. */
  private icmp6(bp: number, length: number, end: number): void {
    const out = this.out;
    const d = this.d;
    const avail = end - bp;
    if (length === 0) {
      out.ascii('ICMP6, length 0 (invalid)');
      return;
    }
    if (avail < 1) return this.truncJ('icmp6');
    const type = d[bp];
    out.ascii('ICMP6, ');
    this.tok(icmp6TypeName(type), 'unknown icmp6 type (', type, true);
    if (avail < 2) return this.truncJ('icmp6');
    const code = d[bp + 1];
    const oip = bp + 8;
    switch (type) {
      case 1: {
        out.ascii(', ');
        this.tok(icmp6UnreachName(code), 'unknown unreach code (', code, true);
        if (code <= 3) {
          // the quoted datagram's destination (and source for "beyond scope")
          if (end - oip < 40) return this.truncJ('icmp6');
          out.byte(32);
          out.ipv6(d, oip + 24);
          if (code === 2) {
            out.ascii(', source address ');
            out.ipv6(d, oip + 8);
          }
        } else if (code === 4) {
          const up = this.upperLayer(oip, end);
          if (up < 0) return this.truncJ('icmp6');
          out.ascii(', ');
          out.ipv6(d, oip + 24);
          // (upperLayer() finds TCP and UDP only, after which tcpdump prints no " unreachable")
          this.quotedPort(this.upperProto, u16(d, up + 2));
        } else {
          this.hexOnly(bp, Math.min(length, avail)); // print_unknown_data()
          return;
        }
        break;
      }
      case 2:
        if (avail < 8) return this.truncJ('icmp6');
        out.ascii(', mtu ');
        out.u32dec(u32(d, bp + 4));
        break;
      case 3:
        if (code === 0) {
          if (end - oip < 40) return this.truncJ('icmp6');
          out.ascii(' for ');
          out.ipv6(d, oip + 24);
        } else if (code === 1) out.ascii(' (reassembly)');
        else {
          out.ascii(', unknown code (');
          out.u32dec(code);
          out.byte(41);
        }
        break;
      case 4: {
        if (end - oip < 40) return this.truncJ('icmp6');
        if (code < ICMP6_PARAM_PROBLEMS.length) {
          out.ascii(ICMP6_PARAM_PROBLEMS[code]);
          out.u32dec(u32(d, bp + 4));
        } else {
          out.ascii(', code-#');
          out.u32dec(code);
        }
        break;
      }
      case 128:
      case 129:
        if (avail < 8) return this.truncJ('icmp6');
        out.ascii(', id ');
        out.u32dec(u16(d, bp + 4));
        out.ascii(', seq ');
        out.u32dec(u16(d, bp + 6));
        break;
      case 130:
        if (length === 24) this.mld6(bp, end);
        else if (length >= 28) {
          // mldv2_query_print() without -v
          out.ascii(' v2 [gaddr ');
          if (avail < 24) return this.truncJ('icmp6');
          out.ipv6(d, bp + 8);
          if (avail < 28) return this.truncJ('icmp6');
          const nsrcs = u16(d, bp + 26);
          if (nsrcs > 0) {
            if (length < 28 + nsrcs * 16) out.ascii(' [invalid number of sources]');
            else {
              out.ascii(', ');
              out.u32dec(nsrcs);
              out.ascii(' source(s)');
            }
          }
          out.byte(93);
        } else {
          out.ascii(' unknown-version (len ');
          out.u32dec(length);
          out.ascii(') ');
        }
        break;
      case 131:
      case 132:
        this.mld6(bp, end);
        break;
      case 133:
      case 134:
      case 141:
      case 142:
        break;
      case 135:
      case 136:
        if (avail < 24) return this.truncJ('icmp6');
        out.ascii(type === 135 ? ', who has ' : ', tgt is ');
        out.ipv6(d, bp + 8);
        break;
      case 137:
        if (avail < 24) return this.truncJ('icmp6');
        out.ascii(', ');
        out.ipv6(d, bp + 24);
        if (avail < 40) return this.truncJ('icmp6');
        out.ascii(' to ');
        out.ipv6(d, bp + 8);
        break;
      case 143:
        if (length < 8) {
          out.ascii(' [invalid len ');
          out.u32dec(length);
          out.byte(93);
          return;
        }
        if (avail < 8) return this.truncJ('icmp6');
        out.ascii(', ');
        out.u32dec(u16(d, bp + 6));
        out.ascii(' group record(s)');
        break;
      case 144:
      case 146:
        if (avail < 6) return this.truncJ('icmp6');
        out.ascii(', id 0x');
        this.hex4(u16(d, bp + 4));
        break;
      default:
        out.ascii(', length ');
        out.u32dec(length);
        this.hexOnly(bp, Math.min(length, avail)); // print_unknown_data()
        return;
    }
    out.ascii(', length ');
    out.u32dec(length);
  }

  /** mld6_print(): MLDv1 delay and address, glued to the type name as tcpdump prints them. */
  private mld6(bp: number, end: number): void {
    if (end - bp < 24) return;
    this.out.ascii('max resp delay: ');
    this.out.u32dec(u16(this.d, bp + 4));
    this.out.ascii(' addr: ');
    this.out.ipv6(this.d, bp + 8);
  }

  /** Protocol found by the last upperLayer(). */
  private upperProto = -1;

  /**
   * get_upperlayer() of print-icmp6.c: walks the IPv6 header quoted at `ip` to a TCP/UDP header
   * with its destination port captured; returns its offset, or -1.
   */
  private upperLayer(ip: number, end: number): number {
    const d = this.d;
    if (end - ip < 40) return -1;
    let nh = d[ip + 6];
    let p = ip + 40;
    for (let n = 0; n < 16; n++) {
      switch (nh) {
        case IPPROTO_UDP:
        case IPPROTO_TCP:
          this.upperProto = nh;
          return end - p >= 4 ? p : -1;
        case IPPROTO_HOPOPTS:
        case IPPROTO_DSTOPTS:
        case IPPROTO_ROUTING:
          if (end - p < 2) return -1;
          nh = d[p];
          p += (d[p + 1] + 1) * 8;
          break;
        case IPPROTO_FRAGMENT:
          if (end - p < 4) return -1;
          if (u16(d, p + 2) & 0xfff8) return -1;
          nh = d[p];
          p += 8;
          break;
        case 51: // AH
          if (end - p < 2) return -1;
          nh = d[p];
          p += (d[p + 1] + 2) * 4;
          break;
        default:
          return -1;
      }
    }
    return -1;
  }
}

/** The line printer of `portscope dump`: tcpdump's output format. */
export function createLinePrinter(out: OutBuf, opts: LinePrinterOptions, source: PacketSource): PacketSink {
  void source;
  return new TcpdumpLinePrinter(out, opts);
}
