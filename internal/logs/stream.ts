/**
 * Streaming helpers for logs that cross the cluster: a k-way merge in time order that holds one line
 * per input (memory stays bounded by the inputs' own buffers, not by the logs' size), batching for the
 * wire, and a bounded in-process channel with the transport streams' backpressure.
 */

/**
 * Merges inputs that are each ordered by `compare` into one ordered sequence (stable: ties keep the
 * input order). Holds at most one pending item per input. Returning early closes every input.
 */
export async function* mergeOrdered<T>(inputs: AsyncIterable<T>[], compare: (a: T, b: T) => number): AsyncIterable<T> {
  const its = inputs.map((s) => s[Symbol.asyncIterator]());
  const heads: ({ v: T } | null)[] = await Promise.all(its.map(async (it) => {
    const r = await it.next();
    return r.done ? null : { v: r.value };
  }));
  try {
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h && (best < 0 || compare(h.v, heads[best]!.v) < 0)) best = i;
      }
      if (best < 0) return;
      const v = heads[best]!.v;
      const r = await its[best]!.next();
      heads[best] = r.done ? null : { v: r.value };
      yield v;
    }
  } finally {
    await Promise.all(its.map((it, i) => (heads[i] ? it.return?.().catch(() => undefined) : undefined)));
  }
}

export interface BatchLimits {
  maxItems: number;
  maxBytes: number;
  /** A batch is sent at most this long after its first item arrived. */
  maxDelayMs: number;
}

export const DEFAULT_BATCH: BatchLimits = { maxItems: 512, maxBytes: 64 * 1024, maxDelayMs: 20 };

/** Groups items into batches by count, size (`bytes` of each item) and age; never yields an empty one. */
export async function* batches<T>(src: AsyncIterable<T>, bytes: (t: T) => number, limits: BatchLimits = DEFAULT_BATCH): AsyncIterable<T[]> {
  const it = src[Symbol.asyncIterator]();
  let buf: T[] = [];
  let size = 0;
  let pending: Promise<IteratorResult<T>> | undefined;
  let due: Promise<"due"> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let finished = false;
  try {
    for (;;) {
      pending ??= it.next();
      let r: IteratorResult<T> | "due";
      if (buf.length === 0) r = await pending;
      else {
        due ??= new Promise((resolve) => (timer = setTimeout(() => resolve("due"), limits.maxDelayMs)));
        r = await Promise.race([pending, due]);
      }
      if (r === "due") {
        due = undefined;
        const out = buf;
        buf = [];
        size = 0;
        yield out;
        continue;
      }
      pending = undefined;
      if (r.done) {
        finished = true;
        if (buf.length > 0) yield buf;
        return;
      }
      buf.push(r.value);
      size += bytes(r.value);
      if (buf.length >= limits.maxItems || size >= limits.maxBytes) {
        clearTimeout(timer);
        due = undefined;
        const out = buf;
        buf = [];
        size = 0;
        yield out;
      }
    }
  } finally {
    clearTimeout(timer);
    if (!finished) await it.return?.().catch(() => undefined);
  }
}

/**
 * A bounded queue between a producer and a consumer in one process: `write` resolves once the item is
 * within `capacity` of the reader (like a transport stream's credit). The producer ends it with
 * `end(err?)`; the consumer breaking out of iteration aborts `signal`.
 */
export class Channel<T> implements AsyncIterable<T> {
  private readonly queue: T[] = [];
  private done = false;
  private error: unknown;
  private readerWake: (() => void) | undefined;
  private writerWake: (() => void) | undefined;
  private readonly ac = new AbortController();

  constructor(private readonly capacity: number) {}

  get signal(): AbortSignal {
    return this.ac.signal;
  }

  async write(v: T): Promise<void> {
    if (this.ac.signal.aborted) throw new Error("the reader went away");
    this.queue.push(v);
    this.readerWake?.();
    while (this.queue.length > this.capacity && !this.ac.signal.aborted) await new Promise<void>((r) => (this.writerWake = r));
    if (this.ac.signal.aborted) throw new Error("the reader went away");
  }

  end(err?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error = err;
    this.readerWake?.();
  }

  /** A plain iterator (not a generator): `return()` ends a read that is waiting, at once. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    const finish = () => {
      this.ac.abort();
      this.queue.length = 0;
      this.writerWake?.();
      this.readerWake?.();
    };
    return {
      next: async (): Promise<IteratorResult<T>> => {
        for (;;) {
          if (this.ac.signal.aborted) return { value: undefined, done: true };
          if (this.queue.length > 0) {
            const v = this.queue.shift()!;
            this.writerWake?.();
            return { value: v, done: false };
          }
          if (this.done) {
            finish();
            if (this.error !== undefined) throw this.error;
            return { value: undefined, done: true };
          }
          await new Promise<void>((r) => (this.readerWake = r));
          this.readerWake = undefined;
        }
      },
      return: async (): Promise<IteratorResult<T>> => {
        finish();
        return { value: undefined, done: true };
      },
    };
  }
}
