// tshark's `-T fields -e FIELD ... [-E header=y] [-E separator=,]` output.
//
// Tunnels: tshark decodes every layer it recognises, so a field that occurs in several layers
// (IP-in-IP, GRE, VXLAN, the header quoted by an ICMP error) prints all values, outer first. The
// pipeline's PacketInfo describes only the outer packet (what statistics count) and records where
// an encapsulated packet starts (encapOffset/encapType). This printer owns a small fixed array
// of extra PacketInfo records and decodes the inner layers into them, one after another, only
// for the packets that have them: nothing is allocated per packet and the hot path of the other
// sinks pays nothing.
import type { PacketSink } from '../pipeline';
import type { OutBuf } from './out';
import { UsageError } from '../cli/getopt';
import { Layer, PacketInfo } from '../../decoders/packet-info';
import { decodeEncapsulated } from '../../decoders/frame';
import { isIpv6Ext, ipv6ExtLen, IPV6_HEADER_LEN } from '../../decoders/ipv6';
import { IpProto } from '../../decoders/ip-proto';
import { EtherType, MIN_ETHERTYPE } from '../../decoders/ethertype';

/** The fields this printer knows, in tshark's names. */
export const FIELD_NAMES = [
  'frame.number',
  'frame.time_epoch',
  'frame.len',
  'frame.cap_len',
  'frame.interface_id',
  'eth.src',
  'eth.dst',
  'eth.type',
  'vlan.id',
  'sll.etype',
  'null.family',
  'ip.src',
  'ip.dst',
  'ipv6.src',
  'ipv6.dst',
  'ip.proto',
  'ipv6.nxt',
  'ip.flags.mf',
  'ip.frag_offset',
  'ipv6.fraghdr.offset',
  'ipv6.fraghdr.more',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.flags',
  'udp.srcport',
  'udp.dstport',
  'icmp.type',
  'icmp.code',
  'icmpv6.type',
  'arp.opcode',
  'ip.ttl',
  'ip.id',
  'ipv6.hlim',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.window_size_value',
  'udp.length',
  'icmpv6.code',
  /** Relative to the first packet this printer sees (the first accepted one when filtering). */
  'frame.time_relative',
] as const;
export type FieldName = (typeof FIELD_NAMES)[number];

const enum F {
  FrameNumber,
  TimeEpoch,
  FrameLen,
  CapLen,
  InterfaceId,
  EthSrc,
  EthDst,
  EthType,
  VlanId,
  SllEtype,
  NullFamily,
  IpSrc,
  IpDst,
  Ipv6Src,
  Ipv6Dst,
  IpProto,
  Ipv6Nxt,
  IpFlagsMf,
  IpFragOffset,
  Ipv6FragOffset,
  Ipv6FragMore,
  TcpSrcPort,
  TcpDstPort,
  TcpFlags,
  UdpSrcPort,
  UdpDstPort,
  IcmpType,
  IcmpCode,
  Icmpv6Type,
  ArpOpcode,
  IpTtl,
  IpId,
  Ipv6Hlim,
  TcpSeqRaw,
  TcpAckRaw,
  TcpWindow,
  UdpLength,
  Icmpv6Code,
  TimeRelative,
}

const FIELD_IDS = new Map<string, number>(FIELD_NAMES.map((n, i) => [n, i]));

/** Most layers decoded for one packet (the outer one included). */
export const MAX_LAYERS = 16;

export interface FieldsOptions {
  /** Print the header line (-E header=y). */
  header: boolean;
  /** Between fields (-E separator=/t|/s|C). */
  separator: number;
  /** Between repeated values of one field (-E aggregator=,|/s|C). */
  aggregator: number;
  /** Which values of a repeated field (-E occurrence=f|l|a): 1 first, -1 last, 0 all. */
  occurrence: number;
  /** Prepend a UTF-8 byte-order mark (-E bom=y). */
  bom: boolean;
  /** Quote each field (-E quote=d|s|n): 0 none, else the quote byte. */
  quote: number;
  /** Print frame.interface_id (pcapng); classic pcap has no interface id, tshark leaves it empty. */
  interfaceIds: boolean;
}

/** tshark's /t, /s or a character (of a longer value, tshark takes the first). */
function charOption(e: string, v: string): number {
  if (v === '/t') return 9;
  if (v === '/s') return 32;
  const c = v.length > 0 ? v.charCodeAt(0) : -1;
  if (c >= 32 && c < 127) return c;
  throw new UsageError(`"${e}" is not a valid field output option=value pair (a printable ASCII character, /t or /s)`);
}

function yesNo(e: string, v: string): boolean {
  if (v === 'y' || v === 'Y') return true;
  if (v === 'n' || v === 'N') return false;
  throw new UsageError(`"${e}" is not a valid field output option=value pair (y or n)`);
}

/** Parses tshark's -E options (header=y, separator=/t, aggregator=, occurrence=a, quote=n). */
export function parseFieldsOptions(eOptions: readonly string[]): FieldsOptions {
  const o: FieldsOptions = { header: false, separator: 9, aggregator: 44, occurrence: 0, quote: 0, bom: false, interfaceIds: false };
  for (const e of eOptions) {
    const eq = e.indexOf('=');
    const k = eq < 0 ? e : e.slice(0, eq);
    const v = eq < 0 ? '' : e.slice(eq + 1);
    switch (k) {
      case 'header':
        o.header = yesNo(e, v);
        break;
      case 'bom':
        o.bom = yesNo(e, v);
        break;
      case 'separator':
        o.separator = charOption(e, v);
        break;
      case 'aggregator':
        o.aggregator = charOption(e, v);
        break;
      case 'occurrence':
        if (v === 'f') o.occurrence = 1;
        else if (v === 'l') o.occurrence = -1;
        else if (v === 'a') o.occurrence = 0;
        else throw new UsageError(`"${e}" is not a valid field output option=value pair (f, l or a)`);
        break;
      case 'quote':
        if (v === 'd') o.quote = 34;
        else if (v === 's') o.quote = 39;
        else if (v === 'n') o.quote = 0;
        else throw new UsageError(`"${e}" is not a valid field output option=value pair (d, s or n)`);
        break;
      default:
        throw new UsageError(
          `"${e}" is not a valid field output option=value pair (bom, header, separator, occurrence, aggregator, quote)`,
        );
    }
  }
  return o;
}

/** Maps field names to ids; unknown names are a UsageError, as tshark's "Some fields aren't valid". */
export function compileFields(fields: readonly string[]): Uint8Array {
  const bad = fields.filter((f) => !FIELD_IDS.has(f));
  if (bad.length > 0) {
    throw new UsageError(`Some fields aren't valid: ${bad.join(' ')} (known fields: ${FIELD_NAMES.join(' ')})`);
  }
  return Uint8Array.from(fields, (f) => FIELD_IDS.get(f)!);
}

export class FieldsPrinter implements PacketSink {
  private readonly ids: Uint8Array;
  private readonly opts: FieldsOptions;
  /** layers[0] is the pipeline's record for the current packet; the rest are ours. */
  private readonly layers: PacketInfo[] = [];
  private nLayers = 0;
  private data: Uint8Array = new Uint8Array(0);
  /** Values written so far in the current field (for the aggregator and occurrence). */
  private nValues = 0;
  /** Output position where the current value starts (occurrence=l overwrites). */
  private fieldStart = 0;
  private headerDone = false;
  private firstSec = -1;
  private firstNsec = 0;

  constructor(
    private readonly out: OutBuf,
    fields: readonly string[],
    opts: FieldsOptions,
    private readonly names: readonly string[] = fields,
  ) {
    this.ids = compileFields(fields);
    this.opts = opts;
    // Slot 0 is replaced by the pipeline's record on every packet.
    for (let i = 0; i < MAX_LAYERS; i++) this.layers.push(new PacketInfo());
  }

  /** Writes the header line now (also done before the first packet when -E header=y). */
  private writeHeader(): void {
    this.headerDone = true;
    const out = this.out;
    if (this.opts.bom) {
      out.byte(0xef);
      out.byte(0xbb);
      out.byte(0xbf);
    }
    if (!this.opts.header) return;
    for (let i = 0; i < this.names.length; i++) {
      if (i > 0) out.byte(this.opts.separator);
      out.ascii(this.names[i]);
    }
    out.byte(10);
  }

  onPacket(p: PacketInfo, data: Uint8Array): void {
    if (!this.headerDone) this.writeHeader();
    if (this.firstSec < 0) {
      this.firstSec = p.tsSec;
      this.firstNsec = p.tsNsec;
    }
    this.data = data;
    const layers = this.layers;
    layers[0] = p;
    let n = 1;
    let cur = p;
    while (cur.encapOffset >= 0 && n < MAX_LAYERS) {
      const inner = layers[n];
      inner.capEnd = cur.encapEnd;
      decodeEncapsulated(data, cur.encapOffset, cur.encapEnd, cur.encapType, inner);
      n++;
      cur = inner;
    }
    this.nLayers = n;
    const out = this.out;
    const ids = this.ids;
    const q = this.opts.quote;
    for (let i = 0; i < ids.length; i++) {
      if (i > 0) out.byte(this.opts.separator);
      if (q !== 0) out.byte(q);
      this.nValues = 0;
      this.fieldStart = out.pos;
      this.field(ids[i], p);
      // tshark quotes values, not empty fields.
      if (q !== 0) {
        if (out.pos === this.fieldStart) out.pos--;
        else out.byte(q);
      }
    }
    out.byte(10);
    out.maybeFlush();
  }

  onBatchEnd(): void {
    this.out.maybeFlush();
  }

  finish(): void {
    if (!this.headerDone) this.writeHeader();
  }

  /**
   * Starts one value of the current field; false when -E occurrence excludes it. The caller
   * writes the value right after a true answer.
   */
  private value(): boolean {
    const occ = this.opts.occurrence;
    const k = ++this.nValues;
    if (occ === 0) {
      if (k > 1) this.out.byte(this.opts.aggregator);
      return true;
    }
    if (occ < 0) {
      // The last one wins: start over (unless a very long line was flushed meanwhile).
      if (k > 1 && this.out.pos >= this.fieldStart) this.out.pos = this.fieldStart;
      else if (k > 1) this.out.byte(this.opts.aggregator);
      return true;
    }
    return k === 1;
  }

  private field(id: number, p: PacketInfo): void {
    const out = this.out;
    switch (id) {
      case F.FrameNumber:
        out.dec(p.frameNumber);
        return;
      case F.TimeEpoch:
        out.int(p.tsSec);
        out.byte(46);
        out.decPad(p.tsNsec, 9);
        return;
      case F.TimeRelative: {
        let s = p.tsSec - this.firstSec;
        let ns = p.tsNsec - this.firstNsec;
        if (ns < 0) {
          ns += 1e9;
          s--;
        }
        if (s < 0) {
          // before the first packet: tshark prints a negative time
          out.byte(45);
          if (ns > 0) {
            ns = 1e9 - ns;
            s = -s - 1;
          } else s = -s;
        }
        out.dec(s);
        out.byte(46);
        out.decPad(ns, 9);
        return;
      }
      case F.FrameLen:
        out.dec(p.wireLen);
        return;
      case F.CapLen:
        out.dec(p.capLen);
        return;
      case F.InterfaceId:
        if (this.opts.interfaceIds) out.dec(p.ifIndex);
        return;
    }
    const layers = this.layers;
    for (let l = 0; l < this.nLayers; l++) this.layerField(id, layers[l]);
  }

  /** Writes the values of field `id` found in one decoded layer record. */
  private layerField(id: number, L: PacketInfo): void {
    const out = this.out;
    const b = this.data;
    const eth = (L.layers & Layer.Ethernet) !== 0;
    const v4 = L.ipVersion === 4 || L.ipCutVersion === 4;
    const v6 = L.ipVersion === 6 || L.ipCutVersion === 6;
    switch (id) {
      case F.EthSrc:
        if (eth && this.value()) out.mac(b, L.ethSrcOff);
        return;
      case F.EthDst:
        if (eth && this.value()) out.mac(b, L.ethDstOff);
        return;
      case F.EthType:
        if (eth && L.ethType >= MIN_ETHERTYPE && this.value()) hex4(out, L.ethType);
        return;
      case F.VlanId:
        if (L.vlanCount > 0) this.vlanIds(L);
        return;
      case F.SllEtype:
        if (L.sllProto >= MIN_ETHERTYPE && sllProtoIsEtherType(b, L) && this.value()) hex4(out, L.sllProto);
        return;
      case F.NullFamily:
        if (L.nullFamily >= 0 && this.value()) out.dec(L.nullFamily);
        return;
      case F.IpSrc:
        if (v4 && v4Has(L, 16) && this.value()) out.ipv4(L.src4);
        return;
      case F.IpDst:
        if (v4 && v4Has(L, 20) && this.value()) out.ipv4(L.dst4);
        return;
      case F.Ipv6Src:
        if (v6 && L.src6Off >= 0 && this.value()) out.ipv6(b, L.src6Off);
        return;
      case F.Ipv6Dst:
        if (v6 && L.dst6Off >= 0 && this.value()) out.ipv6(b, L.dst6Off);
        return;
      case F.IpProto:
        if (v4 && v4Has(L, 10) && this.value()) out.dec(L.ipFirstProto);
        return;
      case F.Ipv6Nxt:
        // The fixed header's only: extension headers have fields of their own in tshark.
        if (v6 && L.ipFirstProto >= 0 && this.value()) out.dec(L.ipFirstProto);
        return;
      case F.IpFlagsMf:
        if (v4 && v4Has(L, 7) && this.value()) out.dec(L.ipMf);
        return;
      case F.IpFragOffset:
        if (v4 && v4Has(L, 8) && this.value()) out.dec(L.ipFragOffset / 8);
        return;
      case F.Ipv6FragOffset:
      case F.Ipv6FragMore:
        if (v6 && L.ip6FragHdrOff >= 0) this.ipv6FragmentHeaders(L, id === F.Ipv6FragMore);
        return;
      case F.IpTtl:
        if (v4 && v4Has(L, 9) && this.value()) out.dec(L.ipTtl);
        return;
      case F.IpId:
        if (v4 && v4Has(L, 6) && this.value()) hex4(out, L.ipId);
        return;
      case F.Ipv6Hlim:
        if (v6 && (L.ipVersion === 6 || L.capEnd - L.l3Offset >= 8) && this.value()) out.dec(L.ipTtl);
        return;
      case F.ArpOpcode:
        if (L.arpOp >= 0 && this.value()) out.dec(L.arpOp);
        return;
    }
    const proto = L.ipProto;
    const l4 = L.l4Offset;
    if (l4 < 0) return;
    switch (id) {
      case F.TcpSrcPort:
        if (proto === IpProto.TCP && this.value()) out.dec(L.srcPort);
        return;
      case F.TcpDstPort:
        if (proto === IpProto.TCP && this.value()) out.dec(L.dstPort);
        return;
      case F.TcpFlags:
        if (proto === IpProto.TCP && L.tcpHeaderLen > 0 && this.value()) hex4(out, L.tcpFlags);
        return;
      case F.TcpSeqRaw:
        if (proto === IpProto.TCP && L.tcpHeaderLen > 0 && this.value()) out.dec(L.tcpSeq);
        return;
      case F.TcpAckRaw:
        if (proto === IpProto.TCP && L.tcpHeaderLen > 0 && this.value()) out.dec(L.tcpAck);
        return;
      case F.TcpWindow:
        if (proto === IpProto.TCP && L.tcpHeaderLen > 0 && this.value()) out.dec(L.tcpWindow);
        return;
      case F.UdpSrcPort:
        if (proto === IpProto.UDP && this.value()) out.dec(L.srcPort);
        return;
      case F.UdpDstPort:
        if (proto === IpProto.UDP && this.value()) out.dec(L.dstPort);
        return;
      case F.UdpLength:
        if (proto === IpProto.UDP && L.udpLen >= 0 && this.value()) out.dec(L.udpLen);
        return;
      case F.IcmpType:
        if (proto === IpProto.ICMP && this.value()) out.dec(L.icmpType);
        return;
      case F.IcmpCode:
        if (proto === IpProto.ICMP && this.value()) out.dec(L.icmpCode);
        return;
      case F.Icmpv6Type:
        if (proto === IpProto.ICMPV6 && this.value()) out.dec(L.icmpType);
        return;
      case F.Icmpv6Code:
        if (proto === IpProto.ICMPV6 && this.value()) out.dec(L.icmpCode);
        return;
    }
  }

  /** ipv6.fraghdr.offset / .more of every fragment header (a chain may hold several). */
  private ipv6FragmentHeaders(L: PacketInfo, more: boolean): void {
    const b = this.data;
    let nh = L.ipFirstProto;
    let o = L.l3Offset + IPV6_HEADER_LEN;
    const end = L.ipEnd;
    // Every extension header is at least 8 bytes long: the walk ends with the packet.
    while (isIpv6Ext(nh) && end - o >= 2) {
      const len = ipv6ExtLen(b, o, nh);
      if (end - o < len) return;
      if (nh === IpProto.FRAGMENT && this.value()) {
        const w = (b[o + 2] << 8) | b[o + 3];
        this.out.dec(more ? w & 1 : w >> 3);
      }
      nh = b[o];
      o += len;
    }
  }

  /** vlan.id: tshark's "vlan" dissector takes 802.1Q (0x8100) and 0x9100 tags; 802.1ad has its own. */
  private vlanIds(L: PacketInfo): void {
    const b = this.data;
    for (let n = 0; n < L.vlanCount; n++) {
      const o = L.vlanTagOffs[n];
      const tpid = (b[o - 2] << 8) | b[o - 1];
      if ((tpid === EtherType.VLAN || tpid === EtherType.QINQ_OLD) && this.value()) this.out.dec(((b[o] << 8) | b[o + 1]) & 0x0fff);
    }
  }
}

/**
 * sll.etype: the protocol field is an EtherType unless the ARPHRD type gives it another meaning
 * (778 IPGRE: a GRE protocol type, sll.gretype; 824 NETLINK: a netlink family).
 */
function sllProtoIsEtherType(b: Uint8Array, L: PacketInfo): boolean {
  const hatypeOff = (L.layers & Layer.Sll2) !== 0 ? L.frameStart + 8 : L.frameStart + 2;
  const hatype = (b[hatypeOff] << 8) | b[hatypeOff + 1];
  return hatype !== 778 && hatype !== 824;
}

/** Is an IPv4 header field ending `n` bytes into the header captured (cut headers keep the rest)? */
function v4Has(L: PacketInfo, n: number): boolean {
  return L.ipVersion === 4 || L.capEnd - L.l3Offset >= n;
}

/** tshark's 0x%04x. */
function hex4(out: OutBuf, v: number): void {
  out.byte(48);
  out.byte(120);
  out.hex2((v >> 8) & 0xff);
  out.hex2(v & 0xff);
}

/**
 * The `-T fields` sink. `options` are the -E values (header=y, separator=...); `interfaceIds`
 * says whether the source has interface ids (pcapng) for frame.interface_id.
 */
export function createFieldsPrinter(
  out: OutBuf,
  fields: string[],
  options: string[],
  interfaceIds = false,
): PacketSink {
  const opts = parseFieldsOptions(options);
  opts.interfaceIds = interfaceIds;
  return new FieldsPrinter(out, fields, opts);
}
