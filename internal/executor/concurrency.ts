/**
 * Small concurrency tools for the worker: a semaphore bounding engine calls, and a keyed
 * single-flight so a pull shared by many tasks happens once.
 */
export class Limiter {
  private active = 0;
  private waiting: (() => void)[] = [];
  constructor(readonly max: number) {}

  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await f();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

export class SingleFlight<T> {
  private inflight = new Map<string, Promise<T>>();

  /** Joins the call in flight for `key`, or starts `f`. The key is free again once it settles. */
  do(key: string, f: () => Promise<T>): Promise<T> {
    const existing = this.inflight.get(key);
    if (existing) return existing;
    const p = f().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }
}
