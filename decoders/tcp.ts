// TCP, RFC 9293 (flags: RFC 3168 ECE/CWR, RFC 9768 AE).
//  0                   16                  31
// |     Source Port    |  Destination Port  |
// |            Sequence Number              |
// |         Acknowledgment Number           |
// |DOff|Rsv|AE|CWR|ECE|URG|ACK|PSH|RST|SYN|FIN|   Window   |
// |      Checksum      |   Urgent Pointer   |
// |           Options (DOff > 5)            |
import { u16, u32, viewOf } from './bytes';
import { DecodeStatus, Layer, type PacketInfo } from './packet-info';

/** The 12 bits after the data offset: 3 reserved bits, AE, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN. */
const TCP_FLAGS_MASK = 0x0fff;
const enum F { SRC_PORT = 0, DST_PORT = 2, SEQ = 4, ACK = 8, OFF_FLAGS = 12, WINDOW = 14, CHECKSUM = 16, URGENT = 18, OPTIONS = 20 }
export const TCP_MIN_HEADER_LEN: number = F.OPTIONS;

/** Option kinds, RFC 9293 / 7323 / 2018. */
export const TcpOpt = { EOL: 0, NOP: 1, MSS: 2, WSCALE: 3, SACK_PERMITTED: 4, SACK: 5, TIMESTAMP: 8 } as const;

/** Decodes the TCP header at b[off .. end) (end: the IP layer's end). Never throws. */
export function decodeTcp(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  const avail = end - off;
  if (avail < F.OPTIONS) return decodeCutPorts(b, off, avail, p);
  // The fixed header as 32-bit words: ports; sequence; acknowledgment; offset, flags, window.
  const v = viewOf(b);
  const ports = v.getUint32(off + F.SRC_PORT);
  const ofw = v.getUint32(off + F.OFF_FLAGS);
  const hlen = (ofw >>> 28) * 4;
  // This path writes the whole transport-layer group (see PacketInfo.rareDirty); a bad or cut
  // header has no payload fields, so the group is reset first.
  if (hlen < F.OPTIONS || avail < hlen) p.resetTransport();
  else p.clearNotTcp();
  p.l4Offset = off;
  p.srcPort = ports >>> 16;
  p.dstPort = ports & 0xffff;
  p.tcpSeq = v.getUint32(off + F.SEQ);
  p.tcpAck = v.getUint32(off + F.ACK);
  p.tcpFlags = (ofw >>> 16) & TCP_FLAGS_MASK;
  p.tcpWindow = ofw & 0xffff;
  p.tcpUrgent = v.getUint16(off + F.URGENT);
  p.tcpHeaderLen = hlen;
  if (hlen < F.OPTIONS) return DecodeStatus.Malformed;
  if (avail < hlen) return DecodeStatus.Truncated;
  p.layers |= Layer.Tcp;
  p.payloadOffset = off + hlen;
  p.payloadLen = avail - hlen;
  return hlen === F.OPTIONS ? DecodeStatus.Ok : decodeTcpOptions(b, off + F.OPTIONS, off + hlen, p);
}

/**
 * A TCP or UDP header cut by the snaplen (both begin with the two ports): the ports when they are
 * there, as tshark shows them; the other fields stay absent.
 */
export function decodeCutPorts(b: Uint8Array, off: number, avail: number, p: PacketInfo): DecodeStatus {
  if (avail >= 4) {
    p.resetTransport();
    p.l4Offset = off;
    p.srcPort = u16(b, off + F.SRC_PORT);
    p.dstPort = u16(b, off + F.DST_PORT);
  }
  return DecodeStatus.Truncated;
}

/** Walks the options at b[o .. end): MSS, window scale, SACK-permitted, timestamps. */
function decodeTcpOptions(b: Uint8Array, o: number, end: number, p: PacketInfo): DecodeStatus {
  p.rareDirty = 1;
  while (o < end) {
    const kind = b[o];
    if (kind === TcpOpt.EOL) break;
    if (kind === TcpOpt.NOP) {
      o++;
      continue;
    }
    if (end - o < 2) return DecodeStatus.Malformed;
    const len = b[o + 1];
    if (len < 2 || end - o < len) return DecodeStatus.Malformed;
    switch (kind) {
      case TcpOpt.MSS:
        if (len === 4) p.tcpMss = u16(b, o + 2);
        break;
      case TcpOpt.WSCALE:
        if (len === 3) p.tcpWscale = b[o + 2];
        break;
      case TcpOpt.SACK_PERMITTED:
        if (len === 2) p.tcpSackOk = 1;
        break;
      case TcpOpt.TIMESTAMP:
        if (len === 10) {
          p.tcpTsVal = u32(b, o + 2);
          p.tcpTsEcr = u32(b, o + 6);
        }
        break;
      default:
        break; // SACK blocks and others: the printer walks them from p.l4Offset
    }
    o += len;
  }
  return DecodeStatus.Ok;
}
