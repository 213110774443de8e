// tcpdump's timestamp column (util-print.c ts_print): default HH:MM:SS.frac in local time, -t
// none, -tt seconds.frac, -ttt delta from the previous packet, -tttt date and time, -ttttt delta
// from the first packet. frac has 6 digits, or 9 with nanosecond precision.
//
// No Date object per packet: the "YYYY-MM-DD HH:MM:SS" text is rebuilt only when the second
// changes, from the UTC offset cached per quarter hour (time zones change offset on such
// boundaries), with integer calendar arithmetic.
import type { OutBuf } from './out';

const ERROR_TEXT = '[Error converting time]';
const TWO32 = 4294967296;

export class TimestampPrinter {
  private readonly nano: boolean;
  /** Text "YYYY-MM-DD HH:MM:SS" (19 bytes) for cachedSec. */
  private readonly text = new Uint8Array(19);
  private cachedSec = -1;
  /** The UTC offset (seconds east) holds for UTC seconds [hourStart, hourStart + 900). */
  private hourStart = -1;
  private offset = 0;
  /** Reference for -ttt / -ttttt (tcpdump's tv_ref; unset while both are 0). */
  private refSec = 0;
  private refFrac = 0;
  /** -tt: the last seconds value and its low 32 bits. */
  private unixSec = -1;
  private unixLo = 0;
  private unixOk = true;

  constructor(
    private readonly format: number,
    nano: boolean,
    /** Local time zone (true, tcpdump's default) or UTC. */
    private readonly local = true,
  ) {
    this.nano = nano;
  }

  /** Writes the timestamp column including its trailing space (nothing for -t). */
  print(out: OutBuf, sec: number, nsec: number): void {
    const frac = this.nano ? nsec : Math.floor(nsec / 1000);
    switch (this.format) {
      case 1:
        return;
      case 2: {
        // tcpdump prints the low 32 bits of the seconds, unsigned, and refuses the top bit.
        if (sec !== this.unixSec) {
          this.unixSec = sec;
          const lo = sec % TWO32;
          this.unixOk = lo < 0x80000000;
          this.unixLo = lo;
        }
        if (!this.unixOk) out.ascii(ERROR_TEXT);
        else {
          out.u32dec(this.unixLo);
          this.frac(out, frac);
        }
        break;
      }
      case 3:
      case 5:
        this.delta(out, sec, frac);
        break;
      case 4:
        this.clock(out, sec, frac, true);
        break;
      default:
        this.clock(out, sec, frac, false);
        break;
    }
    out.byte(32);
  }

  private frac(out: OutBuf, frac: number): void {
    out.byte(46);
    out.u32pad(frac >>> 0, this.nano ? 9 : 6); // a negative delta of out-of-range fractions: tcpdump's %u wrap
  }

  private clock(out: OutBuf, sec: number, frac: number, withDate: boolean): void {
    if (sec % TWO32 >= 0x80000000) {
      out.ascii(ERROR_TEXT);
      return;
    }
    if (sec !== this.cachedSec) this.fill(sec);
    const t = this.text;
    for (let i = withDate ? 0 : 11; i < 19; i++) out.byte(t[i]);
    this.frac(out, frac);
  }

  private delta(out: OutBuf, sec: number, frac: number): void {
    const unit = this.nano ? 1e9 : 1e6;
    if (this.refSec === 0 && this.refFrac === 0) {
      this.refSec = sec;
      this.refFrac = frac;
    }
    let ds = sec - this.refSec;
    let df = frac - this.refFrac;
    const negative = ds < 0 || (ds === 0 && df < 0);
    if (negative) {
      ds = -ds;
      df = -df;
    }
    if (df < 0) {
      ds -= 1;
      df += unit;
    }
    out.byte(negative ? 45 : 32);
    if (ds % TWO32 >= 0x80000000) out.ascii(ERROR_TEXT);
    else {
      const s = ds % 86400;
      out.u32pad(Math.floor(s / 3600), 2);
      out.byte(58);
      out.u32pad(Math.floor((s % 3600) / 60), 2);
      out.byte(58);
      out.u32pad(s % 60, 2);
      this.frac(out, df);
    }
    if (this.format === 3) {
      this.refSec = sec;
      this.refFrac = frac;
    }
  }

  /** Rebuilds `text` for the given UTC second. */
  private fill(sec: number): void {
    this.cachedSec = sec;
    if (this.local) {
      if (sec < this.hourStart || sec >= this.hourStart + 900) {
        this.hourStart = sec - (sec % 900);
        const ms = sec * 1000;
        // getTimezoneOffset() is minutes WEST of UTC; one Date per quarter hour of capture time
        // (offsets change on quarter-hour boundaries in every zone).
        this.offset = Math.abs(ms) <= 8.64e15 ? -new Date(ms).getTimezoneOffset() * 60 : 0;
      }
    }
    const t = sec + (this.local ? this.offset : 0);
    const days = Math.floor(t / 86400);
    const s = t - days * 86400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    const z = days + 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const m = mp < 10 ? mp + 3 : mp - 9;
    const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    const b = this.text;
    put(b, 0, y, 4);
    b[4] = 45;
    put(b, 5, m, 2);
    b[7] = 45;
    put(b, 8, d, 2);
    b[10] = 32;
    put(b, 11, Math.floor(s / 3600), 2);
    b[13] = 58;
    put(b, 14, Math.floor((s % 3600) / 60), 2);
    b[16] = 58;
    put(b, 17, s % 60, 2);
  }
}

/** Writes v as `width` decimal digits (years beyond 9999 keep their low digits). */
function put(b: Uint8Array, at: number, v: number, width: number): void {
  for (let i = width - 1; i >= 0; i--) {
    b[at + i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
}
