// Interface counters (IPTraf's detailed interface statistics), rates by packet time, and packet
// size distributions. Fixed-size typed arrays; nothing allocated per packet.
import { DecodeStatus, Layer, type PacketInfo } from '../../decoders/packet-info';

/** Counter classes; each has packets and bytes (frame wire lengths). */
export const COUNTER_NAMES = [
  'total', 'ipv4', 'ipv6', 'tcp', 'udp', 'icmp', 'otherIp', 'nonIp', 'arp', 'broadcast', 'multicast',
  'fragments', 'truncated', 'malformed', 'badIpChecksum', 'unsupported',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];
/** Indexes of COUNTER_NAMES as compile-time constants (a property load per use otherwise). */
const enum K {
  total, ipv4, ipv6, tcp, udp, icmp, otherIp, nonIp, arp, broadcast, multicast,
  fragments, truncated, malformed, badIpChecksum, unsupported,
}
if (COUNTER_NAMES.indexOf('unsupported') !== K.unsupported || COUNTER_NAMES.indexOf('badIpChecksum') !== K.badIpChecksum) {
  throw new Error('counters: K is out of step with COUNTER_NAMES');
}

const RING = 64; // seconds of per-second history (>= the longest rate window)
export const RATE_WINDOWS = [1, 10, 60] as const;

export interface Rate {
  windowSec: number;
  /** null when no whole second has been seen yet. */
  packetsPerSec: number | null;
  bitsPerSec: number | null;
}

export interface CountersSnapshot {
  packets: Record<CounterName, number>;
  bytes: Record<CounterName, number>;
  /** First and last packet time (epoch µs), 0 when no packets. */
  firstUs: number;
  lastUs: number;
  rates: Rate[];
}

export class InterfaceCounters {
  readonly packets = new Float64Array(COUNTER_NAMES.length);
  readonly bytes = new Float64Array(COUNTER_NAMES.length);
  private readonly ringSec = new Float64Array(RING).fill(-1);
  private readonly ringPkts = new Float64Array(RING);
  private readonly ringBytes = new Float64Array(RING);
  firstSec = -1;
  latestSec = -1;
  /** First and last packet time (epoch µs) in a typed array: updating them allocates nothing. */
  private readonly times = new Float64Array(2);
  get firstUs(): number {
    return this.times[0];
  }
  get lastUs(): number {
    return this.times[1];
  }

  // the current second's counts, moved into the ring when the second changes
  private curSec = -1;
  private curPkts = 0;
  private curBytes = 0;

  private second(sec: number): void {
    this.flushSecond();
    this.curSec = sec;
    if (this.firstSec < 0 || sec < this.firstSec) this.firstSec = sec;
    if (sec > this.latestSec) this.latestSec = sec;
  }

  private flushSecond(): void {
    const s = this.curSec;
    if (s < 0 || this.curPkts === 0) return;
    if (s > this.latestSec - RING) {
      const slot = s % RING;
      if (this.ringSec[slot] !== s) {
        this.ringSec[slot] = s;
        this.ringPkts[slot] = 0;
        this.ringBytes[slot] = 0;
      }
      this.ringPkts[slot] += this.curPkts;
      this.ringBytes[slot] += this.curBytes;
    }
    this.curPkts = 0;
    this.curBytes = 0;
  }

  private inc(k: number, len: number): void {
    this.packets[k]++;
    this.bytes[k] += len;
  }

  onPacket(p: PacketInfo, data: Uint8Array): void {
    const len = p.wireLen;
    this.inc(K.total, len);
    const ts = p.tsSec * 1e6 + Math.floor(p.tsNsec / 1000);
    const tm = this.times;
    if (tm[0] === 0 || ts < tm[0]) tm[0] = ts;
    if (ts > tm[1]) tm[1] = ts;
    // per-second ring (by packet time, so a replayed file and a live capture agree)
    const sec = p.tsSec;
    if (sec !== this.curSec) this.second(sec);
    this.curPkts++;
    this.curBytes += len;

    const st = p.status;
    if (st === DecodeStatus.Truncated) this.inc(K.truncated, len);
    else if (st === DecodeStatus.Malformed) this.inc(K.malformed, len);
    else if (st === DecodeStatus.Unsupported) this.inc(K.unsupported, len);

    const v = p.ipVersion;
    let bcast = false;
    let mcast = false;
    const d = p.ethDstOff;
    if (d >= 0) {
      const b0 = data[d];
      if (b0 === 0xff && data[d + 1] === 0xff && data[d + 2] === 0xff && data[d + 3] === 0xff && data[d + 4] === 0xff && data[d + 5] === 0xff) bcast = true;
      else mcast = (b0 & 1) !== 0;
    } else if (p.sllPktType >= 0) {
      bcast = p.sllPktType === 1;
      mcast = p.sllPktType === 2;
    } else if (v === 4) {
      bcast = p.dst4 === 0xffffffff;
      mcast = p.dst4 >>> 28 === 14;
    } else if (v === 6 && p.dst6Off >= 0) mcast = data[p.dst6Off] === 0xff;
    if (bcast) this.inc(K.broadcast, len);
    if (mcast) this.inc(K.multicast, len);

    if (v === 0) {
      if (st !== DecodeStatus.Unsupported) this.inc(K.nonIp, len);
      if ((p.layers & Layer.Arp) !== 0 || p.netType === 0x0806) this.inc(K.arp, len);
      return;
    }
    this.inc(v === 4 ? K.ipv4 : K.ipv6, len);
    if ((p.layers & Layer.Fragment) !== 0) this.inc(K.fragments, len);
    if (p.ipChecksumOk === 0) this.inc(K.badIpChecksum, len);
    const proto = p.ipProto;
    if (proto === 6) this.inc(K.tcp, len);
    else if (proto === 17) this.inc(K.udp, len);
    else if (proto === 1 || proto === 58) this.inc(K.icmp, len);
    else this.inc(K.otherIp, len);
  }

  /** Rate over the last `w` whole seconds before the current (latest) second. */
  rate(w: number): Rate {
    this.flushSecond();
    const latest = this.latestSec;
    const span = Math.min(w, latest - this.firstSec);
    if (latest < 0 || span <= 0) return { windowSec: w, packetsPerSec: null, bitsPerSec: null };
    let pk = 0;
    let by = 0;
    for (let s = latest - span; s < latest; s++) {
      const slot = s % RING;
      if (this.ringSec[slot] === s) {
        pk += this.ringPkts[slot];
        by += this.ringBytes[slot];
      }
    }
    return { windowSec: w, packetsPerSec: pk / span, bitsPerSec: (by * 8) / span };
  }

  /**
   * Packets and bytes of each of the last `pk.length` seconds by packet time, oldest first, the
   * latest (possibly still filling) second last; 0 for seconds without packets. Returns the latest
   * second (epoch), -1 before the first packet. For the dashboard's throughput chart (additive).
   */
  perSecond(pk: Float64Array, by: Float64Array): number {
    this.flushSecond();
    const latest = this.latestSec;
    const n = Math.min(pk.length, RING);
    pk.fill(0);
    by.fill(0);
    if (latest < 0) return -1;
    for (let i = 0; i < n; i++) {
      const s = latest - (n - 1 - i);
      const slot = ((s % RING) + RING) % RING;
      if (this.ringSec[slot] === s) {
        pk[pk.length - n + i] = this.ringPkts[slot];
        by[pk.length - n + i] = this.ringBytes[slot];
      }
    }
    return latest;
  }

  snapshot(): CountersSnapshot {
    const pk = {} as Record<CounterName, number>;
    const by = {} as Record<CounterName, number>;
    COUNTER_NAMES.forEach((n, i) => {
      pk[n] = this.packets[i];
      by[n] = this.bytes[i];
    });
    return {
      packets: pk,
      bytes: by,
      firstUs: this.firstUs,
      lastUs: this.lastUs,
      rates: RATE_WINDOWS.map((w) => this.rate(w)),
    };
  }
}

export const SIZE_BUCKETS = 20;
export const DEFAULT_MTU = 1500;

export interface SizeBucket {
  min: number;
  max: number | null;
  packets: number;
}

export interface SizesSnapshot {
  mtu: number;
  bucketWidth: number;
  /** IPTraf's 20 brackets of the MTU ((len - 1) / (MTU / 20)), then one for longer frames. */
  mtuBuckets: SizeBucket[];
  /** Power-of-two buckets [2^k, 2^(k+1)). */
  pow2Buckets: SizeBucket[];
}

/** Packet size breakdown by frame wire length. */
export class PacketSizes {
  readonly width: number;
  readonly mtuCounts = new Float64Array(SIZE_BUCKETS + 1);
  readonly pow2Counts = new Float64Array(33);

  constructor(readonly mtu = DEFAULT_MTU) {
    this.width = Math.max(1, Math.floor(mtu / SIZE_BUCKETS));
  }

  add(len: number): void {
    let i = len === 0 ? 0 : Math.floor((len - 1) / this.width);
    if (i > SIZE_BUCKETS) i = SIZE_BUCKETS;
    this.mtuCounts[i]++;
    this.pow2Counts[len === 0 ? 0 : 31 - Math.clz32(len)]++;
  }

  snapshot(): SizesSnapshot {
    const w = this.width;
    const mtuBuckets: SizeBucket[] = [];
    for (let i = 0; i < SIZE_BUCKETS; i++) mtuBuckets.push({ min: i * w + 1, max: (i + 1) * w, packets: this.mtuCounts[i] });
    mtuBuckets.push({ min: SIZE_BUCKETS * w + 1, max: null, packets: this.mtuCounts[SIZE_BUCKETS] });
    const pow2Buckets: SizeBucket[] = [];
    let last = 0;
    for (let k = 0; k < 33; k++) if (this.pow2Counts[k] > 0) last = k;
    for (let k = 0; k <= last; k++) pow2Buckets.push({ min: k === 0 ? 0 : 2 ** k, max: 2 ** (k + 1) - 1, packets: this.pow2Counts[k] });
    return { mtu: this.mtu, bucketWidth: w, mtuBuckets, pow2Buckets };
  }
}
