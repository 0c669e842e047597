// readTaskLogs against a real private dockerd: live containers (tail, since, follow, timestamps) and
// the archive once the executor removed the container.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createWorker } from "../../internal/executor/index.ts";
import { createFileLogArchive, interleave, mergeSorted, readTaskLogs, tsSeconds, type TaskLogLine } from "../../internal/logs/index.ts";
import { loadTestImage, skipUnlessDocker, startDockerd, waitUntil, type PrivateDockerd } from "../harness/index.ts";
import { CLUSTER, NODE, StoreTwin, makeTask } from "../executor/fixtures.ts";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const skip = skipUnlessDocker("logs reader against a real dockerd");
let d: PrivateDockerd | undefined;
let dir = "";
let image = "";

beforeAll(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), "swarm-logs-"));
  d = await startDockerd({ name: "logs" });
  image = await loadTestImage(d.docker);
}, 60_000);
afterAll(async () => {
  await d?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function run(name: string, script: string): Promise<string> {
  const c = await d!.docker.createContainer({ name, Image: image, Cmd: ["sh", "-c", script] });
  await c.start();
  return c.id;
}
async function all(it: AsyncIterable<TaskLogLine>): Promise<TaskLogLine[]> {
  const out: TaskLogLine[] = [];
  for await (const l of it) out.push(l);
  return out;
}
const ref = (id: string, cid?: string) => ({ ID: id, Status: { ContainerStatus: cid ? { ContainerID: cid } : {} } });
const text = (ls: TaskLogLine[]) => ls.map((l) => `${l.stream}:${l.line}`);

describe("readTaskLogs (real dockerd)", () => {
  test.skipIf(skip)("live container: all lines with timestamps, tail per task, since as number or string", async () => {
    const archive = createFileLogArchive(join(dir, "a1"));
    const cid = await run("live", "echo one; echo two >&2; sleep 0.3; echo three; sleep 1000");
    const task = ref("task1", cid);
    const lines = await waitUntil("three lines", async () => {
      const ls = await all(readTaskLogs(d!.docker, archive, task));
      return ls.length === 3 ? ls : undefined;
    });
    // stdout and stderr are separate pipes: their relative order within one instant is not fixed
    expect(text(lines).slice(0, 2).sort()).toEqual(["stderr:two", "stdout:one"]);
    expect(text(lines)[2]).toBe("stdout:three");
    for (const l of lines) {
      expect(l.taskId).toBe("task1");
      expect(l.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
    }
    expect(text(await all(readTaskLogs(d!.docker, archive, task, { tail: 1 })))).toEqual(["stdout:three"]);
    expect(await all(readTaskLogs(d!.docker, archive, task, { tail: 0 }))).toEqual([]);
    const since = tsSeconds(lines[2]!.ts) - 0.1;
    expect(text(await all(readTaskLogs(d!.docker, archive, task, { since })))).toEqual(["stdout:three"]);
    const sinceIso = new Date(Math.floor(since * 1000)).toISOString();
    expect(text(await all(readTaskLogs(d!.docker, archive, task, { since: sinceIso })))).toEqual(["stdout:three"]);
    expect(text(await all(readTaskLogs(d!.docker, archive, task, { since: "1h" })))).toHaveLength(3);
    // by container name when the task has no ContainerID yet
    expect(await all(readTaskLogs(d!.docker, archive, ref("task1"), { containerName: "live" }))).toHaveLength(3);
    // no container, no archive: nothing
    expect(await all(readTaskLogs(d!.docker, archive, ref("ghost", "0".repeat(64))))).toEqual([]);
  }, 30_000);

  test.skipIf(skip)("follow streams new lines until the container exits, or until aborted", async () => {
    const archive = createFileLogArchive(join(dir, "a2"));
    const cid = await run("follow", "i=0; while [ $i -lt 5 ]; do echo n$i; i=$((i+1)); sleep 0.1; done");
    const got = await all(readTaskLogs(d!.docker, archive, ref("tf", cid), { follow: true }));
    expect(got.map((l) => l.line)).toEqual(["n0", "n1", "n2", "n3", "n4"]);

    const cid2 = await run("follow2", "while true; do echo tick; sleep 0.1; done");
    const ac = new AbortController();
    const seen: string[] = [];
    for await (const l of readTaskLogs(d!.docker, archive, ref("tf2", cid2), { follow: true, tail: 0, signal: ac.signal })) {
      seen.push(l.line);
      if (seen.length === 3) ac.abort();
    }
    expect(seen).toEqual(["tick", "tick", "tick"]);
  }, 30_000);

  test.skipIf(skip)("after the executor removes a container, its logs are read from the archive", async () => {
    const archive = createFileLogArchive(join(dir, "a3"));
    const store = new StoreTwin();
    store.serviceName = "arch";
    const worker = createWorker({ docker: d!.docker, clusterId: CLUSTER, nodeId: NODE, report: store.report, logs: archive });
    try {
      const a = makeTask({ args: ["sh", "-c", "echo a-one; echo a-err >&2; sleep 0.2; echo a-two; sleep 1000"], spec: { StopGracePeriod: 0 } });
      const b = makeTask({ args: ["sh", "-c", "sleep 0.1; echo b-one; sleep 1000"], spec: { StopGracePeriod: 0 } });
      store.add(a, b);
      await worker.sync(store.assignments());
      await worker.whenIdle();
      const taskA = () => store.tasks.get(a.ID)!;
      await waitUntil("a-two logged", async () => (await all(readTaskLogs(d!.docker, archive, taskA()))).length === 3);
      const live = text(await all(readTaskLogs(d!.docker, archive, taskA())));
      const removedTask = structuredClone(taskA());
      store.tasks.delete(a.ID); // scaled down: container stopped and removed
      await worker.sync(store.assignments());
      await worker.whenIdle();
      expect(await d!.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`com.swarm.task.id=${a.ID}`] }) })).toEqual([]);
      const archived = await all(readTaskLogs(d!.docker, archive, removedTask));
      expect(text(archived)).toEqual(live);
      expect(text(await all(readTaskLogs(d!.docker, archive, removedTask, { tail: 1 })))).toEqual(["stdout:a-two"]);
      const since = tsSeconds(archived[2]!.ts) - 0.05;
      expect(text(await all(readTaskLogs(d!.docker, archive, removedTask, { since })))).toEqual(["stdout:a-two"]);
      const followArchived = await all(readTaskLogs(d!.docker, archive, removedTask, { follow: true }));
      expect(followArchived).toHaveLength(3);
      // a fresh archive over the same dir (agent restart) still has them
      const again = createFileLogArchive(join(dir, "a3"));
      expect(text(await all(readTaskLogs(d!.docker, again, removedTask)))).toEqual(live);

      // merged with a live task by time
      const taskB = store.tasks.get(b.ID)!;
      await waitUntil("b-one", async () => (await all(readTaskLogs(d!.docker, archive, taskB))).length === 1);
      const merged = await mergeSorted([readTaskLogs(d!.docker, archive, removedTask), readTaskLogs(d!.docker, archive, taskB)]);
      expect(merged.map((l) => l.line).sort()).toEqual(["a-err", "a-one", "a-two", "b-one"]);
      const times = merged.map((l) => tsSeconds(l.ts));
      expect(times).toEqual([...times].sort((x, y) => x - y));
      const inter = await all(interleave([readTaskLogs(d!.docker, archive, removedTask), readTaskLogs(d!.docker, archive, taskB)]));
      expect(inter.map((l) => l.line).sort()).toEqual(["a-err", "a-one", "a-two", "b-one"]);
    } finally {
      await worker.close();
    }
  }, 60_000);
});
