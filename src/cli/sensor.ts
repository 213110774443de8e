// `portscope sensor`: a headless sensor. Reads a live interface (until a signal) or a capture file
// (to its end) through the same source/filter/statistics pipeline as `profile`, and exports:
//   --prometheus [HOST:]PORT  GET /metrics, read from the statistics at scrape time
//   --ipfix HOST:PORT         IPFIX (RFC 7011) flow records over UDP
//   --ndjson FILE|-           Zeek conn.log-style flow lines and notice-style alert lines
// At the end every exporter is flushed (flows still open are exported as ended). With -r FILE and
// --prometheus the sensor keeps serving /metrics after the end of the file, until a signal or
// --exit-after SEC, so Prometheus can scrape the final values.
import * as os from 'node:os';
import { getopt, count, last, intArg, UsageError } from './getopt';
import { openSource, writeBanner, pipelineFilter } from './source';
import { statsOptions } from './profile';
import { CaptureError } from '../capture/batch';
import { runPipeline, type PacketSink } from '../pipeline';
import { TrafficStats } from '../stats/index';
import { parseEndpoint } from '../export/endpoint';
import { IpfixExporter } from '../export/ipfix';
import { NdjsonExporter } from '../export/ndjson';
import { PrometheusExporter, DEFAULT_TOP_PORTS } from '../export/prometheus';

export const SENSOR_SPEC = {
  short: { r: 'arg', i: 'arg', c: 'arg', F: 'arg', s: 'arg', B: 'arg', Z: 'arg', p: 'flag', h: 'flag' },
  long: {
    prometheus: 'arg', ipfix: 'arg', ndjson: 'arg', sensor: 'arg', 'exit-after': 'arg', 'top-ports': 'arg',
    'active-timeout': 'arg', 'template-refresh': 'arg', 'observation-domain': 'arg', 'ipfix-rate': 'arg',
    'max-flows': 'arg', 'max-hosts': 'arg', mtu: 'arg', top: 'arg', 'udp-timeout': 'arg', 'tcp-timeout': 'arg',
    help: 'flag', 'immediate-mode': 'flag', 'time-stamp-precision': 'arg', 'buffer-size': 'arg',
    'snapshot-length': 'arg', 'no-promiscuous-mode': 'flag',
  },
} as const satisfies { short: Record<string, 'flag' | 'arg'>; long: Record<string, 'flag' | 'arg'> };

export const SENSOR_USAGE = `Usage: portscope sensor (-r FILE | -i IFACE) [-c count] [-F file] [expression]
                        [--prometheus [HOST:]PORT] [--ipfix HOST:PORT] [--ndjson FILE|-]
                        [--sensor NAME] [--exit-after SEC] [--top-ports N]
                        [--active-timeout SEC] [--template-refresh SEC] [--observation-domain ID]
                        [--ipfix-rate MSGS]
                        [--max-flows N] [--udp-timeout SEC] [--tcp-timeout SEC]

Headless: runs until a signal (SIGINT, SIGTERM, SIGHUP) or the end of the file, then flushes every
exporter. At least one exporter is required.
  --prometheus [HOST:]PORT  serve /metrics (all addresses without HOST); with -r FILE keep serving
                            after the end of the file until a signal or --exit-after SEC
  --ipfix HOST:PORT         IPFIX over UDP to a collector (nfcapd, ...); --active-timeout SEC
                            (default 60, 0 = off) of packet time between interim records of long
                            flows, templates resent every --template-refresh SEC (default 60),
                            at most --ipfix-rate messages a second (default 5000, ~140k records/s)
  --ndjson FILE|-           one line per finished flow (Zeek conn.log names) and per scan alert
  --sensor NAME             the "sensor" label and _system_name (default: the host name)
  --top-ports N             (proto, port) pairs with Prometheus series of their own (default ${DEFAULT_TOP_PORTS});
                            the rest are summed into port="other"
  --exit-after SEC          -i: stop capturing after SEC seconds; -r: stop serving SEC seconds after
                            the end of the file
Live capture options as in dump: -s -p -B --immediate-mode -Z.`;

export async function sensorMain(argv: readonly string[]): Promise<number> {
  const a = getopt(argv, SENSOR_SPEC);
  if (count(a, 'h') || count(a, 'help')) {
    process.stdout.write(SENSOR_USAGE + '\n');
    return 0;
  }
  const promS = last(a, 'prometheus');
  const ipfixS = last(a, 'ipfix');
  const ndjsonS = last(a, 'ndjson');
  if (promS === undefined && ipfixS === undefined && ndjsonS === undefined) {
    throw new UsageError('sensor: give at least one exporter: --prometheus [HOST:]PORT, --ipfix HOST:PORT or --ndjson FILE');
  }
  const prom = promS === undefined ? null : parseEndpoint(promS, '--prometheus', false);
  const ipfixAt = ipfixS === undefined ? null : parseEndpoint(ipfixS, '--ipfix', true);
  const sensor = last(a, 'sensor') ?? os.hostname();
  if (!/^[\x21-\x7e]{1,128}$/.test(sensor)) throw new UsageError('invalid --sensor name (1 to 128 printable ASCII characters, no spaces)');
  const num = (k: string, what: string, min: number, max?: number): number | undefined => {
    const s = last(a, k);
    return s === undefined ? undefined : intArg(s, what, min, max);
  };
  const exitAfter = num('exit-after', '--exit-after', 0, 1 << 30);
  const topPorts = num('top-ports', '--top-ports', 0, 131072);
  const activeTimeout = num('active-timeout', '--active-timeout', 0, 1 << 30);
  const templateRefresh = num('template-refresh', '--template-refresh', 1, 1 << 30);
  const domainId = num('observation-domain', '--observation-domain', 0, 0xffffffff);
  const ipfixRate = num('ipfix-rate', '--ipfix-rate', 1, 1_000_000);
  const maxPackets = num('c', 'packet count -c', 1) ?? 0;
  const sopts = statsOptions(a);

  const opened = await openSource(a);
  const { source } = opened;
  const live = opened.iface !== undefined;
  await writeBanner(opened, true, true);
  const filter = pipelineFilter(opened);
  const stats = new TrafficStats(sopts);
  const flows = stats.flows;

  let ndjson: NdjsonExporter | null = null;
  let ipfix: IpfixExporter | null = null;
  let metrics: PrometheusExporter | null = null;
  const alertCounts: Record<string, number> = { 'port-scan': 0, 'address-scan': 0 };
  try {
    if (ndjsonS !== undefined) ndjson = NdjsonExporter.open(ndjsonS, flows, sensor);
    if (ipfixAt !== null) {
      ipfix = await IpfixExporter.open(flows, { host: ipfixAt.host, port: ipfixAt.port, activeTimeoutSec: activeTimeout, templateRefreshSec: templateRefresh, domainId, messagesPerSec: ipfixRate });
    }
    if (prom !== null) {
      const { LiveSource } = await import('../capture/live');
      const liveStats = () => (source instanceof LiveSource ? source.stats() : null);
      metrics = new PrometheusExporter(stats, {
        sensor,
        topPorts,
        captureStats: liveStats,
        alertsByType: () => alertCounts,
        exporterRecords: () => ({ ...(ipfix !== null ? { ipfix: ipfix.records } : {}), ...(ndjson !== null ? { ndjson: ndjson.flowsWritten + ndjson.alertsWritten } : {}) }),
      });
      await metrics.listen(prom.host, prom.port);
    }
  } catch (e) {
    ndjson?.close();
    await ipfix?.close();
    await metrics?.close();
    throw e instanceof UsageError || e instanceof CaptureError ? e : new CaptureError((e as Error).message);
  }

  flows.onFlowEnd = (id, reason) => {
    if (ipfix !== null) ipfix.flowEnded(id, reason);
    if (ndjson !== null) ndjson.flowEnded(id, reason);
  };
  const scans = stats.security?.scans;
  if (scans) {
    scans.onRaise = (al) => {
      alertCounts[al.type] = (alertCounts[al.type] ?? 0) + 1;
    };
    scans.onFinal = (al) => ndjson?.alert(al);
  }
  const exportSink: PacketSink = {
    onPacket() {},
    onBatchEnd() {
      ipfix?.onBatchEnd();
      ndjson?.onBatchEnd();
    },
  };

  // Signals: a live source stops itself (LiveSource); a file run stops reading, or stops serving.
  let wake: (() => void) | null = null;
  let signalled = false;
  const onSignal = (): void => {
    signalled = true;
    source.stop();
    if (wake !== null) wake();
  };
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  if (!live) for (const s of sigs) process.on(s, onSignal);
  const captureTimer = live && exitAfter !== undefined ? setTimeout(() => source.stop(), exitAfter * 1000) : null;
  // Live: flows idle while no packet arrives are still flushed to the exporters every second.
  const tick = live ? setInterval(() => {
    flows.expire();
    exportSink.onBatchEnd!();
  }, 1000) : null;
  tick?.unref();
  let ps;
  try {
    ps = await runPipeline(source, { filter, decode: true, sinks: [stats, exportSink], maxPackets });
  } finally {
    if (captureTimer !== null) clearTimeout(captureTimer);
    if (tick !== null) clearInterval(tick);
    ndjson?.close();
    await ipfix?.close();
  }
  if (live) process.stderr.write((await import('../capture/live')).liveSummary(source, ps.accepted));
  if (ipfix !== null && (ipfix.messagesDropped > 0 || ipfix.sendErrors > 0)) {
    process.stderr.write(`portscope: ipfix: ${ipfix.messagesDropped} messages dropped (send queue full), ${ipfix.sendErrors} send errors\n`);
  }
  if (metrics !== null && !live && !signalled && exitAfter !== 0) {
    process.stderr.write(`portscope: end of ${opened.readFile}; serving /metrics on port ${metrics.port} until a signal${exitAfter !== undefined ? ` or ${exitAfter} s` : ''}\n`);
    await new Promise<void>((resolve) => {
      wake = resolve;
      if (exitAfter !== undefined) setTimeout(resolve, exitAfter * 1000).unref();
    });
  }
  await metrics?.close();
  for (const s of sigs) process.removeListener(s, onSignal);
  if (source.warning) {
    process.stderr.write(`portscope: ${source.warning.message}\n`);
    return source.warning.exitCode;
  }
  return 0;
}
