// Network endpoints given on the command line: "PORT", "HOST:PORT", "[IPV6]:PORT".
import { UsageError } from '../cli/getopt';

export interface Endpoint {
  /** Host name or address ('' when only a port was given). */
  host: string;
  port: number;
}

/**
 * Parses `[HOST:]PORT` (`requireHost`: HOST:PORT). IPv6 addresses go in brackets. Bad text is a
 * UsageError naming the option and the text.
 */
export function parseEndpoint(text: string, option: string, requireHost: boolean): Endpoint {
  let host = '';
  let portText = text;
  const m = /^\[([^\]]*)\]:(.*)$/.exec(text);
  if (m !== null) {
    host = m[1];
    portText = m[2];
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
      if (host.includes(':')) throw new UsageError(`invalid ${option} ${JSON.stringify(text)} (write an IPv6 address in brackets: [ADDR]:PORT)`);
    }
  }
  if (requireHost && host === '') throw new UsageError(`invalid ${option} ${JSON.stringify(text)} (expected HOST:PORT)`);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535 || (requireHost && Number(portText) === 0)) {
    throw new UsageError(`invalid ${option} ${JSON.stringify(text)} (bad port ${JSON.stringify(portText)})`);
  }
  if (/[\s/]/.test(host)) throw new UsageError(`invalid ${option} ${JSON.stringify(text)} (bad host)`);
  return { host, port: Number(portText) };
}
