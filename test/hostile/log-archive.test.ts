/**
 * Issue 11, defect 6: the log archive grew without bound — a crash-looping service added ~96 files in
 * 30 s, kept after `rm`; empty files were never evicted by the byte budget; forgotten-tasks.json held
 * full task specs and was rewritten on every change. Bounded in files, bytes (every file costs at least
 * a disk block) and entries, and a removed service is forgotten with its archived logs.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClusterState, Task } from "../../internal/api/index.ts";
import { ForgottenTasks, MAX_ENTRIES } from "../../internal/daemon/log-index.ts";
import { createFileLogArchive, createMemoryLogArchive, FILE_COST_BYTES } from "../../internal/logs/index.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "swarm-hostile-archive-"));
  dirs.push(d);
  return d;
};

describe("the archive is bounded in files and bytes, empty files included", () => {
  for (const [name, make] of [
    ["memory", () => createMemoryLogArchive({ maxFiles: 50 })],
    ["file", () => createFileLogArchive(tmp(), { maxFiles: 50 })],
  ] as const) {
    test(`${name}: a crash loop of 500 tasks with no output keeps 50 copies, the newest`, async () => {
      const a = make();
      for (let i = 0; i < 500; i++) await a.save(`t${i}`, []);
      const kept = await a.list();
      expect(kept).toHaveLength(50);
      expect(kept).toContain("t499");
      expect(kept).not.toContain("t0");
    });

    test(`${name}: empty copies count against the byte budget`, async () => {
      const a = name === "memory" ? createMemoryLogArchive({ maxTotalBytes: 10 * FILE_COST_BYTES }) : createFileLogArchive(tmp(), { maxTotalBytes: 10 * FILE_COST_BYTES });
      for (let i = 0; i < 100; i++) await a.save(`t${i}`, []);
      expect(await a.list()).toHaveLength(10);
    });
  }
});

const AT = "2026-01-01T00:00:00.000Z";
function task(id: string, serviceId: string): Task {
  return {
    ID: id, Version: { Index: 1 }, CreatedAt: AT, UpdatedAt: new Date().toISOString(), ServiceID: serviceId, Slot: 1, NodeID: "n1",
    Spec: { ContainerSpec: { Image: "busybox:latest", Env: ["BIG=" + "x".repeat(2000)] }, RestartPolicy: { Condition: "any", Delay: 0, MaxAttempts: 0 }, ForceUpdate: 0 },
    ServiceVersion: 1, Status: { Timestamp: AT, State: "failed", Message: "x", ContainerStatus: { ContainerID: `c-${id}` } }, DesiredState: "shutdown", Attempt: 0,
  };
}
function state(services: string[], tasks: Task[]): ClusterState {
  return {
    index: 1, nodes: {}, tasks: Object.fromEntries(tasks.map((t) => [t.ID, t])),
    services: Object.fromEntries(services.map((id) => [id, { ID: id } as never])),
  };
}

describe("forgotten tasks", () => {
  test("entries hold no spec, are capped, and the file is written once for a burst of changes", async () => {
    const dir = tmp();
    const archive = createMemoryLogArchive();
    const f = new ForgottenTasks(dir, archive);
    const all = Array.from({ length: MAX_ENTRIES + 500 }, (_, i) => task(`t${i}`, "s1"));
    for (const t of all) await archive.save(t.ID, [{ ts: AT, stream: "stdout", line: "hi" }]);
    // One task forgotten per change, as a crash loop does.
    for (let i = 0; i < all.length; i++) f.observe(state(["s1"], all.slice(i)), state(["s1"], all.slice(i + 1)));
    expect(f.size).toBe(MAX_ENTRIES);
    await f.flush();
    const file = readFileSync(join(dir, "forgotten-tasks.json"), "utf8");
    const saved = JSON.parse(file) as Task[];
    expect(saved).toHaveLength(MAX_ENTRIES);
    expect(saved[0]!.Spec).toBeUndefined();
    expect(file.length).toBeLessThan(MAX_ENTRIES * 400);
  });

  test("a removed service is forgotten with its archived logs; other services keep theirs", async () => {
    const archive = createMemoryLogArchive();
    const f = new ForgottenTasks(tmp(), archive);
    const a1 = task("a1", "A");
    const b1 = task("b1", "B");
    const a2 = task("a2", "A");
    for (const t of [a1, b1, a2]) await archive.save(t.ID, [{ ts: AT, stream: "stdout", line: "x" }]);
    f.observe(state(["A", "B"], [a1, b1, a2]), state(["A", "B"], [a2]));
    expect(f.ofService("A").map((t) => t.ID)).toEqual(["a1"]);
    // `service rm A`: the service goes, then its last task once its container is removed.
    f.observe(state(["A", "B"], [a2]), state(["B"], [a2]));
    f.observe(state(["B"], [a2]), state(["B"], []));
    await Bun.sleep(0);
    expect(f.ofService("A")).toEqual([]);
    expect(f.ofService("B").map((t) => t.ID)).toEqual(["b1"]);
    expect((await archive.list()).sort()).toEqual(["b1"]);
  });
});
