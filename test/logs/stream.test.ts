/**
 * The streaming pieces of cross-node logs: the k-way merge in time order, batching, the in-process
 * channel, and the node's log server under a reader that stops reading (memory stays bounded: the
 * source is not read further than a batch beyond what was written).
 */
import { describe, expect, test } from "bun:test";
import type { LogsMessage } from "../../internal/api/index.ts";
import { batches, Channel, compareTs, createMemoryLogArchive, mergeOrdered, type LogSource } from "../../internal/logs/index.ts";
import { serveLogs } from "../../internal/node/index.ts";
import { waitUntil } from "../harness/index.ts";

async function* from<T>(xs: T[], delayMs = 0): AsyncIterable<T> {
  for (const x of xs) {
    if (delayMs) await Bun.sleep(delayMs);
    yield x;
  }
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const ts = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString().replace("Z", "000000Z");

describe("mergeOrdered", () => {
  test("merges ordered inputs into one ordered sequence, stable on ties, holding one item per input", async () => {
    const a = [1, 4, 4, 9].map((n) => ({ n, from: "a" }));
    const b = [2, 4, 8].map((n) => ({ n, from: "b" }));
    const c: { n: number; from: string }[] = [];
    const out = await all(mergeOrdered([from(a, 1), from(b), from(c)], (x, y) => x.n - y.n));
    expect(out.map((x) => `${x.n}${x.from}`)).toEqual(["1a", "2b", "4a", "4a", "4b", "8b", "9a"]);
  });

  test("stopping early closes every input", async () => {
    let closed = 0;
    async function* endless(start: number): AsyncIterable<number> {
      try {
        for (let i = start; ; i += 2) yield i;
      } finally {
        closed++;
      }
    }
    const out: number[] = [];
    for await (const x of mergeOrdered([endless(0), endless(1)], (p, q) => p - q)) {
      out.push(x);
      if (out.length === 5) break;
    }
    expect(out).toEqual([0, 1, 2, 3, 4]);
    expect(closed).toBe(2);
  });
});

describe("batches", () => {
  test("by count, by size, and by age", async () => {
    expect(await all(batches(from([1, 2, 3, 4, 5]), () => 1, { maxItems: 2, maxBytes: 100, maxDelayMs: 1000 }))).toEqual([[1, 2], [3, 4], [5]]);
    expect(await all(batches(from(["aaa", "b", "cc", "d"]), (s) => s.length, { maxItems: 100, maxBytes: 3, maxDelayMs: 1000 }))).toEqual([["aaa"], ["b", "cc"], ["d"]]);
    // A slow source: each item is sent within maxDelayMs instead of waiting for a full batch.
    const slow = await all(batches(from([1, 2, 3], 30), () => 1, { maxItems: 100, maxBytes: 100, maxDelayMs: 5 }));
    expect(slow).toEqual([[1], [2], [3]]);
  });
});

describe("Channel", () => {
  test("the writer waits beyond its capacity; the reader going away ends the writer", async () => {
    const ch = new Channel<number>(2);
    let written = 0;
    const producer = (async () => {
      for (let i = 0; i < 100; i++) {
        await ch.write(i);
        written++;
      }
    })().catch(() => "stopped");
    await Bun.sleep(20);
    expect(written).toBeLessThanOrEqual(2);
    const it = ch[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(0);
    await it.return!();
    expect(await producer).toBe("stopped");
    expect(ch.signal.aborted).toBe(true);
  });
});

describe("the node's log server", () => {
  test("a reader that stops reading stops the reading of the source (bounded memory)", async () => {
    let produced = 0;
    const source: LogSource = {
      async *containerLogs(_id, opts) {
        for (let i = 0; !opts.signal?.aborted; i++) {
          produced++;
          yield { stream: "stdout", ts: ts(i % 60), line: `chatty ${i}` };
          if (i % 100 === 0) await Bun.sleep(0);
        }
      },
    };
    const ch = new Channel<LogsMessage>(4);
    const ac = new AbortController();
    const done = serveLogs({ source, archive: createMemoryLogArchive() }, { tasks: [{ id: "t1", container: "c1" }], follow: false }, (m) => ch.write(m), ch.signal).catch(() => undefined);
    // Nobody reads: the server fills the channel (4 batches) and one batch more, then waits.
    await waitUntil("the server to stall", async () => {
      const p = produced;
      await Bun.sleep(50);
      return produced === p && p > 0;
    }, 5000);
    expect(produced).toBeLessThanOrEqual(6 * 512 + 2);
    const it = ch[Symbol.asyncIterator]();
    const first = (await it.next()).value as Extract<LogsMessage, { t: "lines" }>;
    expect(first.t).toBe("lines");
    expect(first.lines[0]!.line).toBe("chatty 0");
    await it.return!();
    ac.abort();
    await done;
  });

  test("follow: the history merged in time order, caughtUp, then live lines without repeating any", async () => {
    const lines: Record<string, { stream: "stdout"; ts: string; line: string }[]> = {
      c1: [{ stream: "stdout", ts: ts(1), line: "a1" }, { stream: "stdout", ts: ts(3), line: "a3" }],
      c2: [{ stream: "stdout", ts: ts(2), line: "b2" }, { stream: "stdout", ts: ts(3), line: "b3" }],
    };
    const source: LogSource = {
      async *containerLogs(id, opts) {
        const mine = lines[id]!;
        let i = 0;
        const since = opts.since;
        for (;;) {
          while (i < mine.length) {
            const l = mine[i++]!;
            if (since === undefined || Date.parse(l.ts) / 1000 >= since) yield l;
          }
          if (!opts.follow || opts.signal?.aborted) return;
          await Bun.sleep(10);
        }
      },
    };
    const ch = new Channel<LogsMessage>(4);
    void serveLogs(
      { source, archive: createMemoryLogArchive() },
      { tasks: [{ id: "A", container: "c1" }, { id: "B", container: "c2" }], follow: true },
      (m) => ch.write(m),
      ch.signal,
    ).catch(() => undefined);
    const got: string[] = [];
    const it = ch[Symbol.asyncIterator]();
    for (;;) {
      const m = (await it.next()).value as LogsMessage;
      if (m.t === "caughtUp") {
        got.push("|");
        break;
      }
      for (const l of m.lines) got.push(l.line);
    }
    expect(got).toEqual(["a1", "b2", "a3", "b3", "|"]);
    lines.c2!.push({ stream: "stdout", ts: ts(4), line: "b4" });
    lines.c1!.push({ stream: "stdout", ts: ts(5), line: "a5" });
    const live: string[] = [];
    while (live.length < 2) {
      const m = (await it.next()).value as Extract<LogsMessage, { t: "lines" }>;
      live.push(...m.lines.map((l) => l.line));
    }
    expect(live.sort()).toEqual(["a5", "b4"]);
    await it.return!();
    expect(compareTs(ts(1), ts(2))).toBeLessThan(0);
  });
});
