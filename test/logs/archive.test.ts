// One suite for both LogArchive twins: same bounds, same eviction, same answers.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFileLogArchive, createMemoryLogArchive, defaultLogArchiveLimits, encodeBounded, type LogArchive, type LogArchiveLimits, type StampedLine } from "../../internal/logs/index.ts";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const line = (i: number, stream: StampedLine["stream"] = "stdout"): StampedLine => ({
  stream,
  ts: `2026-11-28T12:00:${String(i % 60).padStart(2, "0")}.${String(i).padStart(9, "0")}Z`,
  line: `line ${i} with some text`,
});

/** Larger than a disk block (FILE_COST_BYTES), so its real size decides the eviction. */
const body30 = Array.from({ length: 30 }, (_, i) => ({ ...line(i), line: `${line(i).line} ${"x".repeat(150)}` }));
/** Room for exactly three copies of body30. */
const CAP3 = 3 * Buffer.byteLength(encodeBounded(body30, defaultLogArchiveLimits())) + 100;

const twins: [string, (l?: Partial<LogArchiveLimits>) => Promise<LogArchive>][] = [
  ["memory", async (l) => createMemoryLogArchive(l)],
  [
    "file",
    async (l) => {
      const d = await mkdtemp(join(tmpdir(), "swarm-logs-"));
      dirs.push(d);
      return createFileLogArchive(join(d, "logs"), l);
    },
  ],
];

for (const [name, make] of twins) {
  describe(`LogArchive (${name})`, () => {
    test("save and read back, both streams, empty lines and spaces kept", async () => {
      const a = await make();
      const lines = [line(1), line(2, "stderr"), { stream: "stdout", ts: line(3).ts, line: "" }, { stream: "stdout", ts: line(4).ts, line: "  a  b " }] as StampedLine[];
      expect(await a.read("t1")).toBeUndefined();
      await a.save("t1", lines);
      expect(await a.read("t1")).toEqual(lines);
      expect(await a.list()).toEqual(["t1"]);
      await a.save("t1", [line(9)]); // replaces
      expect(await a.read("t1")).toEqual([line(9)]);
      await a.remove("t1");
      expect(await a.read("t1")).toBeUndefined();
    });

    test("keeps only the newest lines within the per-task line and byte caps", async () => {
      const a = await make({ maxLinesPerTask: 100, maxBytesPerTask: 1 << 20 });
      const many = Array.from({ length: 250 }, (_, i) => line(i));
      await a.save("t", many);
      expect(await a.read("t")).toEqual(many.slice(-100));
      const b = await make({ maxLinesPerTask: 10_000, maxBytesPerTask: 1000 });
      await b.save("t", many);
      const kept = (await b.read("t"))!;
      expect(kept.length).toBeGreaterThan(5);
      expect(kept.length).toBeLessThan(30);
      expect(kept).toEqual(many.slice(-kept.length));
    });

    test("evicts the oldest saved tasks past the total cap, never the one just saved", async () => {
      const a = await make({ maxTotalBytes: CAP3 });
      const body = body30;
      for (const id of ["a", "b", "c", "d"]) await a.save(id, body);
      expect(await a.read("a")).toBeUndefined();
      expect((await a.list()).sort()).toEqual(["b", "c", "d"]);
      const huge = Array.from({ length: 200 }, (_, i) => ({ ...line(i), line: `${line(i).line} ${"x".repeat(150)}` }));
      await a.save("e", huge);
      expect(await a.list()).toEqual(["e"]);
    });

    test("rejects task IDs that are not plain names", async () => {
      const a = await make();
      await expect(a.save("../x", [line(1)])).rejects.toThrow(/invalid task id/);
    });
  });
}

test("the file archive survives a restart and keeps eviction order", async () => {
  const d = await mkdtemp(join(tmpdir(), "swarm-logs-"));
  dirs.push(d);
  const a = createFileLogArchive(d, { maxTotalBytes: CAP3 });
  const body = body30;
  await a.save("old", body);
  await Bun.sleep(15); // distinct mtimes: eviction order after a restart comes from them
  await a.save("new", body);
  const b = createFileLogArchive(d, { maxTotalBytes: CAP3 });
  expect(await b.read("old")).toEqual(body);
  await b.save("newest", body);
  await b.save("newest2", body);
  expect((await b.list()).sort()).toEqual(["new", "newest", "newest2"]);
  expect((await readdir(d)).sort()).toEqual(["new.log", "newest.log", "newest2.log"]);
});
