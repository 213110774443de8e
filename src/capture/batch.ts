// One batch of captured packets: the shape shared by the file readers and live capture.
//
// One data buffer plus parallel typed arrays, one slot per packet. The batch object, its arrays
// and its data buffer are owned by the source and REUSED: everything is valid only until the
// source is asked for the next batch. Sinks that keep bytes (the pcap writer) copy them; the flow
// table copies numbers.

/** Default number of packet slots in one batch. */
export const BATCH_SLOTS = 8192;

export class PacketBatch {
  /** Packet bytes; packet i is data[offset[i] .. offset[i] + capLen[i]). */
  data: Uint8Array;
  /** Number of packets in this batch (slots 0 .. count-1 are valid). */
  count = 0;
  /** Start of each packet's bytes in `data`. */
  readonly offset: Uint32Array;
  /** Captured length (bytes present in `data`). */
  readonly capLen: Uint32Array;
  /** Original length on the wire. */
  readonly wireLen: Uint32Array;
  /** Timestamp, whole seconds since the Unix epoch (may exceed 2^32 in pcapng, hence Float64). */
  readonly tsSec: Float64Array;
  /** Timestamp, nanoseconds within the second (0 .. 999,999,999). */
  readonly tsNsec: Uint32Array;
  /** LINKTYPE_* value of each packet (pcapng files may mix link types). */
  readonly linkType: Uint16Array;
  /** Interface index (pcapng interface id; 0 for classic pcap and live capture). */
  readonly ifIndex: Uint32Array;
  /** Byte offset of the packet's record in the file, for messages; -1 when live. */
  readonly fileOffset: Float64Array;

  constructor(slots = BATCH_SLOTS, data: Uint8Array = new Uint8Array(0)) {
    this.data = data;
    this.offset = new Uint32Array(slots);
    this.capLen = new Uint32Array(slots);
    this.wireLen = new Uint32Array(slots);
    this.tsSec = new Float64Array(slots);
    this.tsNsec = new Uint32Array(slots);
    this.linkType = new Uint16Array(slots);
    this.ifIndex = new Uint32Array(slots);
    this.fileOffset = new Float64Array(slots);
  }

  get slots(): number {
    return this.offset.length;
  }
}

/** Capture-file or live-interface timestamp precision as written by a pcap writer. */
export type TsPrecision = 'micro' | 'nano';

/** Description of one capture interface (classic pcap has exactly one). */
export interface InterfaceInfo {
  linkType: number;
  snaplen: number;
  name?: string;
  /** Classic pcap: the header's whole link-type field, FCS-length bits included (tcpdump -w keeps them). */
  linkTypeField?: number;
}

/**
 * A source of packet batches: a capture file (classic pcap or pcapng, from a path or stdin) or a
 * live interface. A file and a live interface run the same pipeline.
 */
export interface PacketSource {
  /** Name for messages: the file path, "-" for stdin, or the interface name. */
  readonly name: string;
  /** Interfaces known so far (grows while a pcapng file is read). */
  readonly interfaces: readonly InterfaceInfo[];
  /** Precision of the source's timestamps (for writers that copy them). */
  readonly precision: TsPrecision;
  /**
   * Yields batches until the end of the file or until stopped. The same PacketBatch object is
   * yielded every time; its contents are valid only until the next iteration step.
   */
  batches(): AsyncIterable<PacketBatch>;
  /** Ask the source to stop at the next batch boundary (signals, -c N). */
  stop(): void;
  /** A problem met at the end that still lets the packets read so far stand (a file cut short). */
  readonly warning: SourceWarning | null;
}

/** A file cut mid-record: every complete packet was delivered; tcpdump exits 1 after it. */
export interface SourceWarning {
  message: string;
  exitCode: number;
}

/** Fatal, user-facing capture error: one line, a tcpdump-like exit status. */
export class CaptureError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CaptureError';
  }
}
