/**
 * Bounded logging of what strangers and peers cause. Every value a peer controls is clipped before
 * it reaches a log line or a message (`clip`), and warnings a peer can trigger at will (refusals,
 * bad frames, forbidden calls) go through a LogLimiter: a token bucket per message text, so a flood
 * of them costs a few lines per interval and one summary of how many were suppressed.
 */
import type { Logger } from "./types.ts";

/** `s` cut to `max` characters (with a marker saying how long it was). */
export function clip(s: unknown, max = 200): string {
  const str = typeof s === "string" ? s : String(s);
  return str.length <= max ? str : `${str.slice(0, max)}…(${str.length} chars)`;
}

export interface LogLimiterOptions {
  /** Lines per message text allowed in a burst, and refilled per intervalMs. */
  burst?: number;
  intervalMs?: number;
  now?: () => number;
}

export class LogLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; suppressed: number }>();
  private readonly burst: number;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly log: Logger,
    o: LogLimiterOptions = {},
  ) {
    this.burst = o.burst ?? 20;
    this.intervalMs = o.intervalMs ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  warn(obj: Record<string, unknown>, msg: string): void {
    const t = this.now();
    let b = this.buckets.get(msg);
    if (!b) {
      if (this.buckets.size >= 64) this.buckets.clear(); // message texts are ours: a handful
      b = { tokens: this.burst, at: t, suppressed: 0 };
      this.buckets.set(msg, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / this.intervalMs) * this.burst);
    b.at = t;
    if (b.tokens < 1) {
      b.suppressed++;
      return;
    }
    b.tokens--;
    const extra = b.suppressed > 0 ? { suppressed: b.suppressed } : {};
    b.suppressed = 0;
    this.log.warn({ ...obj, ...extra }, msg);
  }
}
