// Byte readers shared by every decoder. One line each; callers check lengths first.

export function u8(b: Uint8Array, o: number): number {
  return b[o];
}
export function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
export function u16le(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
export function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
export function u32le(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

let viewBytes: Uint8Array | null = null;
let view: DataView = new DataView(new ArrayBuffer(0));

/**
 * A DataView over b's bytes (same indices as b), for the decoders' word reads: one getUint32 is
 * one bounds check and one load where the byte math above is four of each. One view is cached
 * per array (batches reuse their data buffer), so a new one is made only when b changes.
 */
export function viewOf(b: Uint8Array): DataView {
  return b === viewBytes ? view : newView(b);
}

function newView(b: Uint8Array): DataView {
  view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  viewBytes = b;
  return view;
}
