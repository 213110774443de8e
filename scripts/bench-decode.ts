// Micro-benchmark of decoding speed (ns/packet) into one reused PacketInfo, and of the -T fields
// printer. Run: npx tsc -p . && node dist/scripts/bench-decode.js [millions of packets, default 10]
// Times are this process's CPU time (user + system) per packet, the best of 5 rounds, so that
// other load on the machine inflates them as little as possible; wall-clock is shown beside.
import { decodeFrame } from '../decoders/frame';
import { PacketInfo, DecodeStatus } from '../decoders/packet-info';
import { FieldsPrinter, parseFieldsOptions } from '../src/print/fields';
import { OutBuf } from '../src/print/out';

const SLOTS = 4096;

/** One batch-like buffer of SLOTS packets built from a template, with varying ports/addresses. */
function batch(template: string, l4: number): { data: Uint8Array; offset: Uint32Array; len: number } {
  const t = Buffer.from(template, 'hex');
  const data = new Uint8Array(t.length * SLOTS);
  const offset = new Uint32Array(SLOTS);
  for (let i = 0; i < SLOTS; i++) {
    const o = i * t.length;
    data.set(t, o);
    data[o + 29] = i & 0xff; // source address low byte
    data[o + l4] = 0x80 | (i >> 8); // source port
    data[o + l4 + 1] = i & 0xff;
    offset[i] = o;
  }
  return { data, offset, len: t.length };
}

const CASES = [
  {
    name: 'Ethernet/IPv4/UDP',
    hex: '66778899aabb00112233445508004500002012344000401114970a0000010a00000214e90035000c000061626364',
    l4: 34,
  },
  {
    name: 'Ethernet/IPv4/TCP (MSS, SACK-perm, TS, WS options)',
    hex:
      '66778899aabb00112233445508004500003c12344000400614860a0000010a0000029c400050000003e800000000' +
      'a002faf000000000020405b40402080a000000010000000001030307',
    l4: 34,
  },
  {
    name: 'Ethernet/802.1Q/IPv6/UDP',
    hex:
      '66778899aabb0011223344558100206486dd60000000000c114020010db800000000000000000000000120010db8' +
      '00000000000000000000000214e90035000c000061626364',
    l4: 58,
  },
];

function bench(total: number): void {
  const p = new PacketInfo();
  for (const c of CASES) {
    const b = batch(c.hex, c.l4);
    let check = 0;
    const rounds = Math.max(1, Math.floor(total / SLOTS / 5));
    // Warm-up so the optimising compiler has run.
    for (let r = 0; r < 200; r++) for (let i = 0; i < SLOTS; i++) decodeFrame(b.data, b.offset[i], b.len, b.len, 1, p);
    let best = Infinity;
    let wall = Infinity;
    for (let k = 0; k < 5; k++) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < SLOTS; i++) {
          if (decodeFrame(b.data, b.offset[i], b.len, b.len, 1, p) === DecodeStatus.Ok) check += p.srcPort & 1;
        }
      }
      wall = Math.min(wall, Number(process.hrtime.bigint() - t0) / (rounds * SLOTS));
      const cpu = process.cpuUsage(c0);
      best = Math.min(best, ((cpu.user + cpu.system) * 1000) / (rounds * SLOTS));
    }
    console.log(
      `decode ${c.name.padEnd(52)} ${best.toFixed(1).padStart(6)} ns/packet CPU (${(1000 / best).toFixed(1)} Mpps; ` +
        `wall ${wall.toFixed(1)} ns; check ${check % 1000})`,
    );
  }

  // The fields printer (decode + format) on Ethernet/IPv4/UDP, into memory.
  const c = CASES[0];
  const b = batch(c.hex, c.l4);
  const out = new OutBuf(-1, 1 << 20);
  const fields = ['frame.number', 'frame.time_epoch', 'eth.src', 'ip.src', 'ip.dst', 'ip.proto', 'udp.srcport', 'udp.dstport'];
  const pr = new FieldsPrinter(out, fields, parseFieldsOptions([]));
  const rounds = Math.max(1, Math.floor(total / 10 / SLOTS));
  let bytes = 0;
  const c0 = process.cpuUsage();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < SLOTS; i++) {
      p.frameNumber = r * SLOTS + i + 1;
      p.tsSec = 1700000000;
      p.tsNsec = i;
      p.capLen = p.wireLen = b.len;
      p.frameStart = b.offset[i];
      p.capEnd = b.offset[i] + b.len;
      decodeFrame(b.data, b.offset[i], b.len, b.len, 1, p);
      pr.onPacket(p, b.data);
      if (out.pos > 900_000) {
        bytes += out.pos;
        out.pos = 0;
      }
    }
  }
  const cpu = process.cpuUsage(c0);
  const ns = ((cpu.user + cpu.system) * 1000) / (rounds * SLOTS);
  console.log(`fields ${fields.length} fields (decode + format), Ethernet/IPv4/UDP`.padEnd(59) + ` ${ns.toFixed(1).padStart(6)} ns/packet CPU (${bytes} bytes)`);
}

bench(Number(process.argv[2] ?? 10) * 1e6);
