// Ethernet (IEEE 802.3), with 802.1Q / 802.1ad / Q-in-Q tags and 802.2 LLC / SNAP.
//
//  0                   6                   12      14
// | destination MAC   | source MAC        | type  | payload ...
//
// type >= 0x0600: Ethernet II EtherType. type <= 1500: IEEE 802.3 length, followed by an
// 802.2 LLC header (DSAP, SSAP, control); DSAP = SSAP = 0xaa, control 3 is SNAP: OUI (3 bytes) +
// protocol id (2 bytes), an EtherType when the OUI is 0.
import { u16 } from './bytes';
import { DecodeStatus, Layer, type PacketInfo } from './packet-info';
import { decodeNetwork } from './network';

const enum F { DST = 0, SRC = 6, TYPE = 12, PAYLOAD = 14 }
export const ETH_HEADER_LEN: number = F.PAYLOAD;

/** Largest 802.3 length field; larger values are EtherTypes. */
export const IEEE_802_3_MAX_LEN = 1500;

/** LLC header (DSAP, SSAP, control) and SNAP (OUI 3, PID 2). */
const LLC_LEN = 3;
const SNAP_LEN = 5;
const LLC_SAP_SNAP = 0xaa;
const LLC_UI = 0x03;

/** Decodes the Ethernet frame at b[off .. end). Never throws. */
export function decodeEthernet(b: Uint8Array, off: number, end: number, p: PacketInfo): DecodeStatus {
  if (end - off < F.PAYLOAD) {
    p.resetLink();
    return DecodeStatus.Truncated;
  }
  const type = u16(b, off + F.TYPE);
  // (decodeNetwork sets netType; an 802.3 frame has none unless SNAP names one)
  if (type <= IEEE_802_3_MAX_LEN) p.resetLink();
  p.ethDstOff = off + F.DST;
  p.ethSrcOff = off + F.SRC;
  p.ethType = type;
  p.layers |= Layer.Ethernet;
  const o = off + F.PAYLOAD;
  if (type <= IEEE_802_3_MAX_LEN) return decodeLlc(b, o, end, p);
  return decodeNetwork(b, o, end, type, p); // VLAN tags too
}

/** 802.2 LLC, and SNAP with OUI 0 (an EtherType). Other SAPs are values, not errors. */
export function decodeLlc(b: Uint8Array, o: number, end: number, p: PacketInfo): DecodeStatus {
  if (end - o < LLC_LEN) return DecodeStatus.Truncated;
  p.layers |= Layer.Llc;
  if (b[o] !== LLC_SAP_SNAP || b[o + 1] !== LLC_SAP_SNAP || b[o + 2] !== LLC_UI) return DecodeStatus.Ok;
  o += LLC_LEN;
  if (end - o < SNAP_LEN) return DecodeStatus.Truncated;
  if (b[o] !== 0 || b[o + 1] !== 0 || b[o + 2] !== 0) return DecodeStatus.Ok;
  return decodeNetwork(b, o + SNAP_LEN, end, u16(b, o + 3), p);
}
