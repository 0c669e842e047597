/**
 * `--since` values as Docker accepts them: unix seconds (optionally fractional), an RFC3339 date, or a
 * Go duration relative to now ("10m", "1h30m", "1.5s", "250ms"). Pure: `nowMs` is passed in.
 */
import { SwarmError } from "../api/index.ts";

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(?:(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/;
const PART_RE = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g;

/** Milliseconds in a Go duration string, or undefined when it is not one. */
export function parseGoDuration(s: string): number | undefined {
  if (s === "0") return 0;
  if (!DURATION_RE.test(s)) return undefined;
  let ms = 0;
  for (const m of s.matchAll(PART_RE)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  return ms;
}

/** Unix time in (fractional) seconds for a `--since` value; throws INVALID_ARGUMENT. */
export function parseSince(value: string, nowMs: number): number {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const d = parseGoDuration(v);
  if (d !== undefined) return (nowMs - d) / 1000;
  if (/^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?)?$/.test(v)) {
    // Like Docker: a date or time without a zone is UTC.
    const withZone = /T/.test(v) && !/(Z|[+-]\d\d:\d\d)$/.test(v) ? `${v}Z` : v;
    const secs = tsSeconds(withZone);
    if (Number.isFinite(secs)) return secs;
  }
  throw SwarmError.invalid(
    `invalid --since value "${value}": use unix seconds (1700000000), an RFC3339 date (2024-01-02T15:04:05Z) or a duration (10m, 1h30m)`,
  );
}

/** Unix seconds (fractional) of an RFC3339Nano timestamp with nanosecond precision kept. */
export function tsSeconds(ts: string): number {
  const ms = Date.parse(ts);
  if (!Number.isFinite(ms)) return Number.NaN;
  const frac = /\.(\d+)/.exec(ts)?.[1];
  const whole = Math.floor(ms / 1000);
  return frac ? whole + Number(`0.${frac}`) : ms / 1000;
}

/** Docker's `since` query parameter format: "<seconds>.<nanoseconds>". */
export function sinceParam(unixSeconds: number): string {
  const sec = Math.floor(unixSeconds);
  const nanos = Math.round((unixSeconds - sec) * 1e9);
  return `${sec}.${String(Math.min(nanos, 999_999_999)).padStart(9, "0")}`;
}

/** Exact ordering of RFC3339Nano timestamps (floats cannot hold nanoseconds of a unix time). */
export function compareTs(a: string, b: string): number {
  const ka = tsKey(a);
  const kb = tsKey(b);
  return ka[0] !== kb[0] ? ka[0] - kb[0] : ka[1] - kb[1];
}

/** [whole unix seconds, nanoseconds]; [NaN, 0] when not a timestamp. */
export function tsKey(ts: string): [number, number] {
  const ms = Date.parse(ts);
  if (!Number.isFinite(ms)) return [Number.NaN, 0];
  const frac = /\.(\d+)/.exec(ts)?.[1] ?? "";
  return [Math.floor(ms / 1000), Number((frac + "000000000").slice(0, 9))];
}
