// Packet timestamps inside the statistics: epoch MICROseconds in one double (exact up to the
// year 2255; nanosecond captures are rounded down to the microsecond).

export function tsMicros(sec: number, nsec: number): number {
  return sec * 1e6 + Math.floor(nsec / 1000);
}

/** Epoch seconds with microsecond decimals, for reports (JSON number). */
export function microsToSeconds(us: number): number {
  return Math.round(us) / 1e6;
}

/** ISO 8601 UTC text of epoch microseconds, microsecond precision. */
export function microsToIso(us: number): string {
  const ms = Math.floor(us / 1000);
  const d = new Date(ms);
  const frac = String(Math.round(us - ms * 1000)).padStart(3, '0');
  return d.toISOString().replace(/Z$/, frac + 'Z');
}
