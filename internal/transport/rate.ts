/**
 * Token buckets keyed by who is asking (a host, a peer): `burst` tokens each, refilled at `perSecond`.
 * Pure apart from the injected clock. The key table is bounded: beyond `maxKeys` the whole table is
 * dropped (every key starts with a full bucket again), which is cheap and only ever lenient.
 */
export interface BucketOptions {
  burst: number;
  perSecond: number;
  maxKeys?: number;
  now?: () => number;
}

export class Buckets {
  private readonly table = new Map<string, { tokens: number; at: number }>();
  private readonly now: () => number;

  constructor(private readonly o: BucketOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Takes a token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    const t = this.now();
    let b = this.table.get(key);
    if (!b) {
      if (this.table.size >= (this.o.maxKeys ?? 4096)) this.table.clear();
      b = { tokens: this.o.burst, at: t };
      this.table.set(key, b);
    }
    b.tokens = Math.min(this.o.burst, b.tokens + ((t - b.at) / 1000) * this.o.perSecond);
    b.at = t;
    if (b.tokens < 1) return false;
    b.tokens--;
    return true;
  }

  forget(key: string): void {
    this.table.delete(key);
  }
}
