import { expect, test } from "bun:test";
import { LogMerger, interleave, mergeSorted, readTaskLogs, createMemoryLogArchive, type LogSource, type StampedLine } from "../../internal/logs/index.ts";

/** A controllable stream: push values, then end. */
function channel<T>() {
  const q: T[] = [];
  let done = false;
  let wake: (() => void) | undefined;
  let returned = false;
  const it: AsyncIterable<T> = {
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          if (q.length) yield q.shift()!;
          else if (done) return;
          else await new Promise<void>((r) => (wake = r));
        }
      } finally {
        returned = true;
      }
    },
  };
  return {
    it,
    push: (v: T) => (q.push(v), wake?.()),
    end: () => ((done = true), wake?.()),
    get returned() {
      return returned;
    },
  };
}

test("LogMerger yields from streams added while it runs and ends after end() when all streams ended", async () => {
  const m = new LogMerger<string>();
  const a = channel<string>();
  const b = channel<string>();
  m.add(a.it);
  const got: string[] = [];
  const reading = (async () => {
    for await (const v of m) got.push(v);
  })();
  a.push("a1");
  await Bun.sleep(0);
  m.add(b.it); // a task that started later
  b.push("b1");
  a.push("a2");
  a.end();
  m.end();
  b.push("b2");
  b.end();
  await reading;
  expect(got.filter((v) => v.startsWith("a"))).toEqual(["a1", "a2"]);
  expect(got.filter((v) => v.startsWith("b"))).toEqual(["b1", "b2"]);
});

test("LogMerger.close() stops a follow that never ends, and stops its streams", async () => {
  const m = new LogMerger<string>();
  const a = channel<string>();
  m.add(a.it);
  const got: string[] = [];
  const reading = (async () => {
    for await (const v of m) {
      got.push(v);
      if (got.length === 2) await m.close();
    }
  })();
  a.push("x");
  a.push("y");
  a.push("z");
  await reading;
  expect(got).toEqual(["x", "y"]);
  expect(a.returned).toBe(true);
});

test("interleave and mergeSorted", async () => {
  const src = (lines: StampedLine[]): LogSource => ({
    async *containerLogs() {
      yield* lines;
    },
  });
  const archive = createMemoryLogArchive();
  const t = (id: string) => ({ ID: id, Status: { ContainerStatus: { ContainerID: id } } });
  const s1 = src([{ stream: "stdout", ts: "2026-01-01T00:00:01.000000002Z", line: "late" }, { stream: "stdout", ts: "2026-01-01T00:00:03Z", line: "last" }]);
  const s2 = src([{ stream: "stderr", ts: "2026-01-01T00:00:01.000000001Z", line: "early" }]);
  const merged = await mergeSorted([readTaskLogs(s1, archive, t("a")), readTaskLogs(s2, archive, t("b"))]);
  expect(merged.map((l) => `${l.taskId}:${l.line}`)).toEqual(["b:early", "a:late", "a:last"]);
  const all: string[] = [];
  for await (const l of interleave([readTaskLogs(s1, archive, t("a")), readTaskLogs(s2, archive, t("b"))])) all.push(l.line);
  expect(all.sort()).toEqual(["early", "last", "late"]);
});

test("readTaskLogs falls back to the archive only when the container is gone", async () => {
  const archive = createMemoryLogArchive();
  await archive.save("gone", [
    { stream: "stdout", ts: "2026-01-01T00:00:01Z", line: "one" },
    { stream: "stderr", ts: "2026-01-01T00:00:02Z", line: "two" },
    { stream: "stdout", ts: "2026-01-01T00:00:03Z", line: "three" },
  ]);
  const missing: LogSource = {
    containerLogs() {
      return {
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(Object.assign(new Error("No such container"), { statusCode: 404 })) }),
      };
    },
  };
  const broken: LogSource = {
    containerLogs() {
      return {
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(Object.assign(new Error("engine down"), { statusCode: 500 })) }),
      };
    },
  };
  const ref = { ID: "gone", Status: { ContainerStatus: { ContainerID: "c1" } } };
  const read = async (src: LogSource, opts = {}) => {
    const out: string[] = [];
    for await (const l of readTaskLogs(src, archive, ref, opts)) out.push(l.line);
    return out;
  };
  expect(await read(missing)).toEqual(["one", "two", "three"]);
  expect(await read(missing, { tail: 2 })).toEqual(["two", "three"]);
  expect(await read(missing, { since: "2026-01-01T00:00:02Z" })).toEqual(["two", "three"]);
  expect(await read(missing, { since: "2026-01-01T00:00:02Z", tail: 1 })).toEqual(["three"]);
  expect(await read(missing, { tail: 0 })).toEqual([]);
  await expect(read(broken)).rejects.toThrow("engine down");
});
