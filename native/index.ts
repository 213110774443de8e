// Loader and types for portscope's libpcap addon (native/src/portscope.cc, built by
// scripts/build-native.js into native/build/Release/portscope.node).
import * as path from 'node:path';
import { CaptureError } from '../src/capture/batch';

/** The addon is absent (libpcap-dev was missing at install) or cannot be loaded. Exit status 1. */
export class NativeMissingError extends CaptureError {
  constructor(detail?: string) {
    super(
      'filters and live capture need libpcap: apt-get install libpcap-dev, then npm rebuild (or npm run build:native)' +
        (detail ? ` [${detail}]` : ''),
      1,
    );
    this.name = 'NativeMissingError';
  }
}

/** pcap_stats counters. */
export interface NativeStats {
  /** Packets received by the filter (ps_recv). */
  received: number;
  /** Packets dropped by the kernel for lack of buffer space (ps_drop). */
  dropped: number;
  /** Packets dropped by the interface or its driver (ps_ifdrop). */
  ifDropped: number;
}

/** One address of a capture device, as text. */
export interface NativeAddress {
  family: 'inet' | 'inet6' | 'link';
  addr?: string;
  netmask?: string;
  broadaddr?: string;
  dstaddr?: string;
}

/** One entry of pcap_findalldevs. `flags` are PCAP_IF_* bits. */
export interface NativeDevice {
  name: string;
  description?: string;
  flags: number;
  addresses: NativeAddress[];
}

export const PCAP_IF = {
  LOOPBACK: 0x1,
  UP: 0x2,
  RUNNING: 0x4,
  WIRELESS: 0x8,
  CONNECTION_STATUS: 0x30,
  CONNECTED: 0x10,
  DISCONNECTED: 0x20,
  NOT_APPLICABLE: 0x30,
} as const;

/** Options of a live capture handle (pcap_create / pcap_set_* / pcap_activate). */
export interface NativeCaptureOptions {
  snaplen?: number;
  promisc?: boolean;
  immediate?: boolean;
  /** Read timeout (buffer timeout) in milliseconds; tcpdump uses 1000. */
  timeoutMs?: number;
  /** Kernel buffer size in bytes (0: libpcap's default). */
  bufferSize?: number;
  /** Nanosecond time stamp precision (pcap_set_tstamp_precision). */
  nano?: boolean;
  /** Kernel filter expression (pcap_compile with the device's netmask, pcap_setfilter). */
  filter?: string;
  /** LINKTYPE_* to select with pcap_set_datalink; -1 or absent: the device's default. */
  linkType?: number;
  /** Optimise the kernel filter (pcap_compile's optimize; tcpdump -O turns it off). Default true. */
  optimize?: boolean;
}

/** The arrays the addon writes packets into (a PacketBatch's). */
export interface NativeBatchArrays {
  data: Uint8Array;
  offset: Uint32Array;
  capLen: Uint32Array;
  wireLen: Uint32Array;
  tsSec: Float64Array;
  tsNsec: Uint32Array;
  linkType: Uint16Array;
}

/**
 * A live capture handle. It keeps references to the batch arrays given at construction and
 * writes into them only during fill().
 */
export interface NativeCapture {
  /** Drains libpcap into the batch arrays (non-blocking); returns the number of packets stored. */
  fill(): number;
  /** Calls cb(null) once when packets may be ready (cb(message) on a poll error). */
  wait(cb: (err: string | null) => void): void;
  /** Disarms a pending wait without calling it. */
  cancel(): void;
  stats(): NativeStats;
  /** Closes the handle (idempotent). */
  close(): void;
  /** pcap_list_datalinks: the LINKTYPE_* values the device offers (tcpdump -L). */
  datalinks(): number[];
  /** pcap_datalink, as a LINKTYPE_* value. */
  readonly linkType: number;
  /** pcap_snapshot. */
  readonly snaplen: number;
  /** True when time stamps are in nanoseconds. */
  readonly nano: boolean;
  /** pcap_activate's warning (e.g. promiscuous mode not supported), or null. */
  readonly warning: string | null;
}

/** Error thrown by `new Capture(...)` and fill(): libpcap's text plus its status. */
export interface NativeCaptureError extends Error {
  /** PCAP_ERROR_* value (-5 no such device, -8 permission denied, ...); -100 for a filter compile error. */
  status: number;
  /** ENODEV, EPERM, ENETDOWN, ETSTAMP or EPCAP. */
  code: string;
}

export interface NativeAddon {
  /**
   * `linkType` is a LINKTYPE_* value (as in files and batches; 101 RAW is mapped to DLT_RAW).
   * pcap_open_dead(linkType, snaplen) + pcap_compile(expr, optimize, PCAP_NETMASK_UNKNOWN): the
   * program flat as [code, jt, jf, k] * n. Throws an Error whose message is pcap_geterr's text.
   */
  compile(expr: string, linkType: number, snaplen: number, optimize?: boolean): Uint32Array;
  /**
   * As compile, but exactly as `tcpdump -r` compiles: on a savefile handle (an in-memory pcap header
   * with this LINKTYPE_ value and snaplen) with netmask 0, so savefile-only refusals ("inbound/
   * outbound not supported on Ethernet when reading savefiles") and `ip broadcast` match tcpdump.
   */
  compileSavefile?(expr: string, linkType: number, snaplen: number, optimize?: boolean): Uint32Array;
  /**
   * As `tcpdump -d` compiles without -r / -i: pcap_open_dead(dlt, snaplen), netmask 0. `dlt` is a
   * DLT_ value (datalinkNameToVal's).
   */
  compileDead?(expr: string, dlt: number, snaplen: number, optimize?: boolean): Uint32Array;
  /** libpcap's bpf_image for each instruction: the lines `tcpdump -d` prints. */
  image?(prog: Uint32Array): string[];
  /** pcap_datalink_name_to_val: the DLT_ value of a name like EN10MB, LINUX_SLL, RAW; -1 if unknown. */
  datalinkNameToVal?(name: string): number;
  /** libpcap's bpf_filter on one packet (the program must pass bpf_validate, else it throws). */
  offlineFilter(prog: Uint32Array, data: Uint8Array, capLen: number, wireLen: number): number;
  /** bpf_validate. */
  validate(prog: Uint32Array): boolean;
  /** pcap_lib_version(). */
  libVersion(): string;
  /** pcap_findalldevs. */
  findAllDevs(): NativeDevice[];
  /** [name, description] of a LINKTYPE_* value (pcap_datalink_val_to_name/_description), or null. */
  datalinkName(linkType: number): [string, string] | null;
  /** The user's uid and primary gid (getpwnam_r), or null when there is no such user. */
  getpwnam(name: string): { uid: number; gid: number } | null;
  /** Opens and activates a live capture (throws NativeCaptureError). */
  Capture: new (device: string, options: NativeCaptureOptions, batch: NativeBatchArrays) => NativeCapture;
}

/** Where the build puts the addon (relative to this file, in the source tree or in dist/native). */
function candidates(): string[] {
  const env = process.env.PORTSCOPE_NATIVE;
  const list = [
    path.resolve(__dirname, 'build/Release/portscope.node'),
    path.resolve(__dirname, '../../native/build/Release/portscope.node'),
  ];
  return env ? [env, ...list] : list;
}

let cached: NativeAddon | null = null;

/** Loads the addon once; throws NativeMissingError (one line) when it is not available. */
export function loadNative(): NativeAddon {
  if (cached !== null) return cached;
  let firstError: string | undefined;
  for (const file of candidates()) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached = require(file) as NativeAddon;
      return cached;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(file)) continue;
      // Present but unloadable (e.g. libpcap.so missing at run time): say why, on one line.
      firstError ??= String(err.message).split('\n')[0];
    }
  }
  throw new NativeMissingError(firstError);
}

/** True when the addon can be loaded (tests skip live parts otherwise). */
export function nativeAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}
