// Synthetic capture generator for benchmarks: a classic pcap (Ethernet, microsecond timestamps) of
// N small frames, deterministic for a given seed, written in large chunks.
//
//   node dist/scripts/gen-capture.js OUT.pcap [--count N] [--flows N] [--seed N]
//
// Traffic mix (per flow, chosen by a hash of the flow number and the seed): 70 % TCP over IPv4,
// 20 % UDP over IPv4, 1 % ICMP echo over IPv4, 6 % TCP over IPv6, 3 % UDP over IPv6. Server ports: TCP
// 443 / 80 / 22 / 8080 / 25 / others, UDP 53 / 123 / 443 / others; client ports are ephemeral.
// Flows are picked with a skew (a few flows carry most packets, as on a real link); --flows sets how
// many distinct flows exist (default 1000; 1000000 for a flow-table stress test). IPv4 frames are 60
// bytes (Ethernet minimum, TCP padded), IPv6 frames 74 (TCP) or 62 (UDP). IPv4 header checksums are
// right; TCP and ICMP checksums are not computed (0), UDP over IPv4 uses 0 ("no checksum"); UDP over
// IPv4 carries an 18-byte DNS query (or response) for ". NS".
import * as fs from 'node:fs';
import { u16 } from '../decoders/bytes';

export interface GenOptions {
  count: number;
  flows: number;
  seed: number;
}

const CHUNK = 8 << 20;
const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const KIND_TCP4 = 0, KIND_UDP4 = 1, KIND_ICMP4 = 2, KIND_TCP6 = 3, KIND_UDP6 = 4;
// TCP flags.
const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;
const TCP_SERVER_PORTS = [443, 443, 443, 443, 443, 443, 80, 80, 80, 80, 80, 22, 8080, 25] as const;
const UDP_SERVER_PORTS = [53, 53, 53, 53, 53, 123, 123, 443, 443, 5353] as const;
/** Server networks: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (RFC 5737). */
const SERVER_NETS = [0xc0000200, 0xc6336400, 0xcb007100] as const;

/** A 32-bit integer hash (lowbias32): flow properties are derived from it, so nothing is stored per flow. */
function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Writes the capture; returns its size in bytes. */
export function generateCapture(out: string, o: GenOptions): number {
  const fd = fs.openSync(out, 'w');
  const buf = new Uint8Array(CHUNK);
  let pos = 0;
  let total = 0;
  const flush = (): void => {
    let done = 0;
    while (done < pos) done += fs.writeSync(fd, buf, done, pos - done);
    total += pos;
    pos = 0;
  };
  const w16 = (v: number): void => {
    buf[pos++] = (v >>> 8) & 0xff;
    buf[pos++] = v & 0xff;
  };
  const w32 = (v: number): void => {
    buf[pos++] = (v >>> 24) & 0xff;
    buf[pos++] = (v >>> 16) & 0xff;
    buf[pos++] = (v >>> 8) & 0xff;
    buf[pos++] = v & 0xff;
  };
  const le32 = (v: number): void => {
    buf[pos++] = v & 0xff;
    buf[pos++] = (v >>> 8) & 0xff;
    buf[pos++] = (v >>> 16) & 0xff;
    buf[pos++] = (v >>> 24) & 0xff;
  };
  const zeros = (n: number): void => {
    buf.fill(0, pos, pos + n);
    pos += n;
  };
  try {
    // Global header: magic, v2.4, thiszone 0, sigfigs 0, snaplen 262144, LINKTYPE_ETHERNET.
    le32(0xa1b2c3d4);
    buf[pos++] = 2; buf[pos++] = 0; buf[pos++] = 4; buf[pos++] = 0;
    le32(0); le32(0); le32(262144); le32(1);

    // xorshift32, seeded: per-packet randomness (flow choice, direction, flags, time gaps).
    let rnd = (o.seed >>> 0) || 0x9e3779b9;
    const next = (): number => {
      rnd ^= rnd << 13;
      rnd ^= rnd >>> 17;
      rnd ^= rnd << 5;
      return rnd >>> 0;
    };
    const seedMix = hash32(o.seed ^ 0x5bd1e995);
    let tsSec = 1_700_000_000;
    let tsUsec = 0;
    const flows = Math.max(1, o.flows);

    for (let n = 0; n < o.count; n++) {
      if (pos + 128 > CHUNK) flush();
      // Skewed flow choice: u^2 puts most packets on low flow numbers.
      const u = next() / 4294967296;
      const flow = Math.floor(u * u * flows);
      const h = hash32(flow ^ seedMix);
      const h2 = hash32(h);
      const pct = h % 100;
      const kind = pct < 70 ? KIND_TCP4 : pct < 90 ? KIND_UDP4 : pct < 91 ? KIND_ICMP4 : pct < 97 ? KIND_TCP6 : KIND_UDP6;
      const tcp = kind === KIND_TCP4 || kind === KIND_TCP6;
      const serverPort = h2 % 5 === 4
        ? 1024 + (h2 >>> 8) % 8976 // an unusual service port, 1024-9999
        : tcp ? TCP_SERVER_PORTS[(h2 >>> 4) % TCP_SERVER_PORTS.length] : UDP_SERVER_PORTS[(h2 >>> 4) % UDP_SERVER_PORTS.length];
      const clientPort = 32768 + ((h >>> 7) % 28232);
      const r = next();
      const toServer = (r & 1) === 0;

      // Time: 1-20 microseconds apart.
      tsUsec += 1 + ((r >>> 1) % 20);
      if (tsUsec >= 1_000_000) {
        tsUsec -= 1_000_000;
        tsSec++;
      }
      const v6 = kind === KIND_TCP6 || kind === KIND_UDP6;
      const frameLen = v6 ? (tcp ? 74 : 62) : 60;
      le32(tsSec); le32(tsUsec); le32(frameLen); le32(frameLen);
      const frameStart = pos;

      // Ethernet: client MAC 02:00:<flow>, server (gateway) MAC 02:01:00:00:00:01.
      const cMac0 = 0x0200, cMac1 = flow >>> 0;
      if (toServer) {
        w16(0x0201); w32(0x00000001); w16(cMac0); w32(cMac1);
      } else {
        w16(cMac0); w32(cMac1); w16(0x0201); w32(0x00000001);
      }
      w16(v6 ? ETH_IPV6 : ETH_IPV4);

      // Addresses: clients 10.0.0.0/8 (one per flow), servers in the documentation ranges.
      const client4 = (10 << 24) | ((flow + 1) & 0xffffff);
      const server4 = (SERVER_NETS[h2 % 3] | (1 + ((h2 >>> 3) % 254))) >>> 0;
      const proto = tcp ? 6 : kind === KIND_ICMP4 ? 1 : 17;
      const l4Len = tcp ? 20 : 8 + (v6 ? 0 : 18); // UDP over IPv4 carries 18 payload bytes to fill 60
      const ipStart = pos;
      if (!v6) {
        const totalLen = 20 + (kind === KIND_ICMP4 ? 26 : l4Len);
        w16(0x4500); w16(totalLen); w16((n * 7) & 0xffff); w16(0x4000);
        buf[pos++] = toServer ? 64 : 57; buf[pos++] = proto; w16(0);
        w32(toServer ? client4 : server4); w32(toServer ? server4 : client4);
        let sum = 0;
        for (let i = ipStart; i < ipStart + 20; i += 2) sum += u16(buf, i);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
        const ck = ~sum & 0xffff;
        buf[ipStart + 10] = ck >>> 8;
        buf[ipStart + 11] = ck & 0xff;
      } else {
        w32(0x60000000); w16(l4Len); buf[pos++] = proto; buf[pos++] = 64;
        // 2001:db8:c::<flow> and 2001:db8:5::<server>
        const c = toServer;
        for (let side = 0; side < 2; side++) {
          const isClient = (side === 0) === c;
          w32(0x20010db8); w32(isClient ? 0x000c0000 : 0x00050000); w32(0); w32(isClient ? flow : h2 & 0xffff);
        }
      }
      if (kind === KIND_ICMP4) {
        // Echo request / reply with 18 bytes of data; checksum left 0.
        buf[pos++] = toServer ? 8 : 0; buf[pos++] = 0; w16(0); w16(flow & 0xffff); w16(n & 0xffff);
        zeros(18);
      } else {
        const sport = toServer ? clientPort : serverPort;
        const dport = toServer ? serverPort : clientPort;
        w16(sport); w16(dport);
        if (tcp) {
          const f = (r >>> 8) % 100;
          const flags = f < 2 ? (toServer ? SYN : SYN | ACK) : f < 4 ? FIN | ACK : f < 5 ? RST | ACK : f < 45 ? PSH | ACK : ACK;
          w32(hash32(h ^ n)); w32(flags & ACK ? hash32(h2 ^ n) : 0);
          buf[pos++] = 0x50; buf[pos++] = flags; w16(65535); w16(0); w16(0);
        } else {
          w16(l4Len); w16(0);
          if (!v6) {
            // 18 payload bytes: a DNS query (response) for the root's NS records, whatever the port.
            w16(n & 0xffff); w16(toServer ? 0x0100 : 0x8180); w16(1); w16(0); w16(0); w16(0);
            buf[pos++] = 0; w16(2); w16(1); buf[pos++] = 0;
          }
        }
      }
      // Ethernet padding to the 60-byte minimum.
      if (pos - frameStart < frameLen) zeros(frameLen - (pos - frameStart));
    }
    flush();
  } finally {
    fs.closeSync(fd);
  }
  return total;
}

const USAGE = 'usage: gen-capture OUT.pcap [--count N] [--flows N] [--seed N]';

function parseArgs(argv: readonly string[]): { out: string; opts: GenOptions } {
  const opts: GenOptions = { count: 5_000_000, flows: 1000, seed: 1 };
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--count' || a === '--flows' || a === '--seed') {
      const v = argv[++i];
      if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${a}: expected a non-negative integer, got ${JSON.stringify(v ?? '')}`);
      opts[a.slice(2) as keyof GenOptions] = Number(v);
    } else if (a.startsWith('-') || out !== undefined) {
      throw new Error(`unexpected argument ${JSON.stringify(a)}`);
    } else {
      out = a;
    }
  }
  if (out === undefined) throw new Error('no output file');
  return { out, opts };
}

if (require.main === module) {
  try {
    const { out, opts } = parseArgs(process.argv.slice(2));
    const t0 = process.hrtime.bigint();
    const bytes = generateCapture(out, opts);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stderr.write(`${out}: ${opts.count} packets, ${opts.flows} flows, seed ${opts.seed}, ${bytes} bytes in ${s.toFixed(2)} s\n`);
  } catch (e) {
    process.stderr.write(`gen-capture: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}
