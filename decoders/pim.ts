// PIM, RFC 7761: version|type (1), reserved (1), checksum (2). A Register message (type 1)
// carries flags (4) and then the multicast data packet, which tshark decodes as another layer.
import { DecodeStatus, type PacketInfo } from './packet-info';
import { setEncapIp } from './encap';

const PIM_HEADER_LEN = 4;
const PIM_V2_REGISTER = 0x21;
const REGISTER_FLAGS_LEN = 4;

export function decodePim(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  if (end - off < PIM_HEADER_LEN) return DecodeStatus.Truncated;
  p.resetTransport(); // PIM writes only l4Offset of the transport-layer group
  p.l4Offset = off;
  if (b[off] !== PIM_V2_REGISTER) return DecodeStatus.Ok;
  const o = off + PIM_HEADER_LEN + REGISTER_FLAGS_LEN;
  setEncapIp(b, p, o, end);
  return DecodeStatus.Ok;
}
