// Command-line glue for the detectors: threshold options and the alert sink of `dump`.
import * as fs from 'node:fs';
import { last, intArg, type ParsedArgs } from '../cli/getopt';
import { CaptureError } from '../capture/batch';
import { SecuritySink, alertLine, alertJson, type ScanOptions } from './index';

/** --scan-ports N --scan-hosts N --scan-window SEC --scan-timeout SEC (unset: defaults). */
export function scanOptions(a: ParsedArgs): ScanOptions {
  const o: ScanOptions = {};
  const v = (k: string, min: number, max: number): number | undefined => {
    const s = last(a, k);
    return s === undefined ? undefined : intArg(s, `--${k}`, min, max);
  };
  const ports = v('scan-ports', 1, 65536);
  const hosts = v('scan-hosts', 1, 1 << 24);
  const win = v('scan-window', 1, 86400);
  const to = v('scan-timeout', 1, 3600);
  if (ports !== undefined) o.portThreshold = ports;
  if (hosts !== undefined) o.hostThreshold = hosts;
  if (win !== undefined) o.windowSec = win;
  if (to !== undefined) o.timeoutSec = to;
  return o;
}

/** The sink behind `dump --alerts` / `--alerts-json FILE`. */
export function alertSink(a: ParsedArgs, toStderr: boolean, jsonFile: string | undefined): SecuritySink {
  const sink = new SecuritySink({ scan: scanOptions(a) });
  const scans = sink.monitor.scans;
  if (toStderr) scans.onRaise = (al) => process.stderr.write(alertLine(al));
  if (jsonFile !== undefined) {
    let fd = 1;
    if (jsonFile !== '-') {
      try {
        fd = fs.openSync(jsonFile, 'w');
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new CaptureError(`${jsonFile}: ${err.code === 'ENOENT' ? 'No such file or directory' : err.code === 'EACCES' ? 'Permission denied' : err.message}`);
      }
    }
    scans.onFinal = (al) => fs.writeSync(fd, alertJson(al));
  }
  return sink;
}
