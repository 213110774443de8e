// Where a profile's time goes: runs the profile pipeline over FILE with parts of the work switched
// on, and prints the CPU time of each run (subtract neighbouring lines for one part's cost).
//
//   node dist/scripts/profile-parts.js FILE [read|decode|flows|nodetect|full ...]
//
//   read      the reader only (every record, all batch fields), a sink that does nothing
//   decode    + decoding every packet
//   flows     + the flow table (FlowTable.add), nothing else
//   nodetect  + every statistic (TrafficStats without services and scan detection)
//   full      + services and scan detection: what `portscope profile` computes
import { openCaptureFile } from '../src/capture/open';
import { runPipeline, type PacketSink } from '../src/pipeline';
import { TrafficStats } from '../src/stats/index';
import type { PacketInfo } from '../decoders/packet-info';

const MODES = ['read', 'decode', 'flows', 'nodetect', 'full'] as const;
type Mode = (typeof MODES)[number];

async function run(file: string, mode: Mode): Promise<string> {
  const src = await openCaptureFile(file);
  const stats = new TrafficStats(mode === 'full' ? {} : { detect: false });
  const nothing: PacketSink = { onPacket(): void {} };
  const flowsOnly: PacketSink = {
    onPacket(p: PacketInfo, d: Uint8Array): void {
      if (p.ipVersion !== 0) stats.flows.add(p, d);
    },
    onBatchEnd(): void {
      stats.flows.expire();
    },
  };
  const sink = mode === 'read' || mode === 'decode' ? nothing : mode === 'flows' ? flowsOnly : stats;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const st = await runPipeline(src, { decode: mode !== 'read', sinks: [sink] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1000;
  return `${mode.padEnd(9)} ${st.seen} packets  wall ${wall.toFixed(0).padStart(6)} ms  cpu ${cpu.toFixed(0).padStart(6)} ms  ${((cpu * 1e6) / Math.max(1, st.seen)).toFixed(0).padStart(4)} ns/packet`;
}

async function main(): Promise<void> {
  const [file, ...rest] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: profile-parts.js FILE [read|decode|flows|nodetect|full ...]');
  const modes = rest.length > 0 ? rest : [...MODES];
  for (const m of modes) {
    if (!(MODES as readonly string[]).includes(m)) throw new Error(`unknown part ${JSON.stringify(m)} (${MODES.join(', ')})`);
    // (one process: later runs share the warm JIT; the pipeline's sink call site sees several
    // sink classes, as it does in any run with more than one sink)
    process.stdout.write((await run(file, m as Mode)) + '\n');
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`profile-parts: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
