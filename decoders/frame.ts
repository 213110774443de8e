// Entry point of decoding: dispatch on the link type.
import { DecodeStatus, type PacketInfo } from './packet-info';

/**
 * Decodes the frame at data[off .. off+capLen) of the given LINKTYPE_* into `p` (already holding
 * the frame fields; this resets the rest). Never throws on packet bytes.
 */
export function decodeFrame(
  data: Uint8Array,
  off: number,
  capLen: number,
  wireLen: number,
  linkType: number,
  p: PacketInfo,
): DecodeStatus {
  p.reset();
  void data; void off; void capLen; void wireLen; void linkType;
  p.status = DecodeStatus.Unsupported; // TODO(decoders): link-type dispatch
  return p.status;
}
