// The floor under any per-packet profile in JavaScript: portscope's own file reader, plus the least
// work a flow profile can do per packet. For Ethernet/IPv4 TCP and UDP packets without options or
// fragments it reads the addresses and ports from fixed offsets, finds the flow in an open-addressing
// table over typed arrays (canonical key, so both directions meet) and adds packets, bytes and the
// last timestamp; everything else is only counted. No TCP state, no hosts, ports, stations,
// counters or scan detection, no report: a real profile does all of these on top.
//
//   node dist/scripts/profile-floor.js FILE
//
// scripts/bench-profile.ts times it beside `portscope profile` and `tcpdump --count`, to show how
// much of the profile's time any JavaScript design must spend.
import { openCaptureFile } from '../src/capture/open';
import type { PacketBatch } from '../src/capture/batch';

const SLOTS = 1 << 20;
const MASK = SLOTS - 1;
const keys = new Int32Array(SLOTS * 4);
const used = new Uint8Array(SLOTS);
const vals = new Float64Array(SLOTS * 8);
let flows = 0;
let other = 0;

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return h ^ (h >>> 16);
}

function countBatch(b: PacketBatch): void {
  const d = b.data;
  const offA = b.offset;
  const capA = b.capLen;
  const wireA = b.wireLen;
  const secA = b.tsSec;
  const nsA = b.tsNsec;
  for (let i = 0, n = b.count; i < n; i++) {
    const o = offA[i];
    if (capA[i] < 38 || d[o + 12] !== 8 || d[o + 13] !== 0 || d[o + 14] !== 0x45) {
      other++;
      continue;
    }
    const proto = d[o + 23];
    if ((proto !== 6 && proto !== 17) || (d[o + 20] & 0x3f) !== 0 || d[o + 21] !== 0) {
      other++;
      continue;
    }
    const src = (d[o + 26] << 24) | (d[o + 27] << 16) | (d[o + 28] << 8) | d[o + 29];
    const dst = (d[o + 30] << 24) | (d[o + 31] << 16) | (d[o + 32] << 8) | d[o + 33];
    const sp = (d[o + 34] << 8) | d[o + 35];
    const dp = (d[o + 36] << 8) | d[o + 37];
    const srcIsA = src !== dst ? src >>> 0 < dst >>> 0 : sp <= dp;
    const a = srcIsA ? src : dst;
    const z = srcIsA ? dst : src;
    const pp = srcIsA ? (sp << 16) | dp : (dp << 16) | sp;
    let h = mix(Math.imul(a ^ Math.imul(z, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(pp, 0xc2b2ae35) ^ proto) & MASK;
    for (;;) {
      if (used[h] === 0) {
        used[h] = 1;
        keys[h * 4] = a;
        keys[h * 4 + 1] = z;
        keys[h * 4 + 2] = pp;
        keys[h * 4 + 3] = proto;
        flows++;
        break;
      }
      if (keys[h * 4] === a && keys[h * 4 + 1] === z && keys[h * 4 + 2] === pp && keys[h * 4 + 3] === proto) break;
      h = (h + 1) & MASK;
    }
    const k = h * 8 + (srcIsA ? 0 : 1);
    vals[k]++;
    vals[k + 2] += wireA[i];
    vals[h * 8 + 4] = secA[i] * 1e6 + Math.floor(nsA[i] / 1000);
  }
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: profile-floor.js FILE');
  const src = await openCaptureFile(file);
  let seen = 0;
  for await (const b of src.batches()) {
    seen += b.count;
    countBatch(b);
  }
  process.stdout.write(`${seen} packets, ${flows} IPv4 TCP/UDP flows, ${other} other packets\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`profile-floor: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
