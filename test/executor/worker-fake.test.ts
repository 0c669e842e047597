// The worker against the in-memory runtime: the whole lifecycle, fast and deterministic.
import { afterEach, describe, expect, test } from "bun:test";
import { LABEL } from "../../internal/api/index.ts";
import { createFakeRuntime, createWorker, type FakeRuntime, type Worker } from "../../internal/executor/index.ts";
import { createMemoryLogArchive, type LogArchive } from "../../internal/logs/index.ts";
import { waitUntil } from "../harness/wait.ts";
import { CLUSTER, NODE, StoreTwin, makeTask } from "./fixtures.ts";

const IMAGE = "swarm-busybox:latest";
let workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.map((w) => w.close()));
  workers = [];
});

function setup(rt?: FakeRuntime, store = new StoreTwin(), logs: LogArchive = createMemoryLogArchive()) {
  const runtime = rt ?? createFakeRuntime({ images: [IMAGE] });
  const worker = createWorker({ runtime, clusterId: CLUSTER, nodeId: NODE, report: store.report, logs });
  workers.push(worker);
  const sync = async () => {
    await worker.sync(store.assignments());
    await worker.whenIdle();
  };
  return { runtime, worker, store, logs, sync };
}

describe("worker (fake runtime)", () => {
  test("drives a task to running with the container Docker Swarm would create", async () => {
    const { runtime, store, sync } = setup();
    const t = makeTask({ spec: { Env: ["A=1"], Labels: { team: "x" }, Dir: "/tmp", User: "nobody", Hostname: "h1", Command: ["sh", "-c"], Args: ["sleep 5"] } });
    t.Spec.Resources = { Limits: { NanoCPUs: 5e8, MemoryBytes: 64 << 20 } };
    t.Spec.Networks = [{ Target: "host" }];
    store.add(t);
    await sync();
    expect(store.reported(t.ID)).toEqual(["accepted", "preparing", "starting", "running"]);
    const st = store.tasks.get(t.ID)!.Status;
    expect(st.ContainerStatus?.ContainerID).toBeString();
    expect(st.ContainerStatus?.PID).toBeGreaterThan(0);
    const spec = runtime.specOf(st.ContainerStatus!.ContainerID!)!;
    expect(spec.name).toBe(`web.${t.Slot}.${t.ID}`);
    expect(spec.labels).toMatchObject({
      team: "x",
      [LABEL.cluster]: CLUSTER,
      [LABEL.service]: "svc1",
      [LABEL.serviceName]: "web",
      [LABEL.task]: t.ID,
      [LABEL.slot]: String(t.Slot),
      [LABEL.node]: NODE,
    });
    expect(spec).toMatchObject({ env: ["A=1"], entrypoint: ["sh", "-c"], cmd: ["sleep 5"], workingDir: "/tmp", user: "nobody", hostname: "h1", nanoCpus: 5e8, memoryBytes: 64 << 20, networkMode: "host", stopTimeoutSec: 1 });
    expect(store.backwards).toEqual([]);
  });

  test("exit 0 is complete, non-zero is failed with Docker Swarm's error", async () => {
    const { store, sync } = setup();
    const ok = makeTask({ args: ["sh", "-c", "echo hi; exit 0"] });
    const bad = makeTask({ args: ["sh", "-c", "exit 3"] });
    store.add(ok, bad);
    await sync();
    expect(store.state(ok.ID)).toBe("complete");
    expect(store.state(bad.ID)).toBe("failed");
    expect(store.tasks.get(bad.ID)!.Status.Err).toBe("task: non-zero exit (3)");
    expect(store.tasks.get(bad.ID)!.Status.ContainerStatus?.ExitCode).toBe(3);
  });

  test("a container that dies is reported at once through events; terminal tasks never restart", async () => {
    const { runtime, store, sync, worker } = setup();
    const t = makeTask();
    store.add(t);
    await sync();
    runtime.crash(store.tasks.get(t.ID)!.Status.ContainerStatus!.ContainerID!, 2);
    await waitUntil("failed", () => store.state(t.ID) === "failed");
    expect(store.tasks.get(t.ID)!.Status.Err).toBe("task: non-zero exit (2)");
    await sync();
    await worker.whenIdle();
    expect(runtime.stats.starts).toBe(1);
  });

  test("a container removed outside swarm fails its task", async () => {
    const { runtime, store, sync } = setup();
    const t = makeTask();
    store.add(t);
    await sync();
    runtime.removeExternally(store.tasks.get(t.ID)!.Status.ContainerStatus!.ContainerID!);
    await waitUntil("failed", () => store.state(t.ID) === "failed");
  });

  test("an image that cannot be pulled rejects every task with Docker's message, pulling once", async () => {
    const { runtime, store, sync } = setup();
    const tasks = Array.from({ length: 5 }, () => makeTask({ image: "nope" }));
    store.add(...tasks);
    await sync();
    for (const t of tasks) {
      expect(store.state(t.ID)).toBe("rejected");
      expect(store.tasks.get(t.ID)!.Status.Err).toBe("No such image: nope:latest");
    }
    expect(runtime.stats.pulls).toBe(1);
  });

  test("an absent but pullable image is pulled once for many tasks", async () => {
    const runtime = createFakeRuntime();
    runtime.pullable.add("app:1");
    const { store, sync } = setup(runtime);
    const tasks = Array.from({ length: 10 }, () => makeTask({ image: "app:1" }));
    store.add(...tasks);
    await sync();
    expect(tasks.map((t) => store.state(t.ID))).toEqual(tasks.map(() => "running"));
    expect(runtime.stats.pulls).toBe(1);
  });

  test("20 tasks start concurrently, bounded to 8 engine calls at a time, in few report batches", async () => {
    const runtime = createFakeRuntime({ images: [IMAGE] });
    runtime.delayMs = 10;
    const { store, sync } = setup(runtime);
    const tasks = Array.from({ length: 20 }, () => makeTask());
    store.add(...tasks);
    const t0 = performance.now();
    await sync();
    const ms = performance.now() - t0;
    expect(tasks.every((t) => store.state(t.ID) === "running")).toBe(true);
    // creates/starts run in parallel, bounded by the limiter (8); reads (inspect, hasImage) are not bounded
    expect(runtime.stats.peakMutating).toBe(8);
    expect(store.batches.length).toBeLessThan(20 * 4);
    // serialized would be ≥ 20 tasks × (hasImage + create + start + 4 inspects) × 10 ms ≈ 1.4 s
    expect(ms).toBeLessThan(1000);
  });

  test("desired shutdown stops the container and keeps it; unassigning removes it and archives its logs", async () => {
    const { runtime, store, sync, logs } = setup();
    const t = makeTask({ args: ["sh", "-c", "echo hello; echo oops >&2; sleep 100"] });
    store.add(t);
    await sync();
    expect(store.state(t.ID)).toBe("running");
    store.setDesired(t.ID, "shutdown");
    await sync();
    expect(store.state(t.ID)).toBe("shutdown");
    expect(runtime.containers().length).toBe(1);
    store.tasks.delete(t.ID);
    await sync();
    expect(runtime.containers().length).toBe(0);
    const archived = await logs.read(t.ID);
    expect(archived?.map((l) => [l.stream, l.line])).toEqual([["stdout", "hello"], ["stderr", "oops"]]);
    expect(store.backwards).toEqual([]);
  });

  test("desired remove stops, reports shutdown, archives and removes", async () => {
    const { runtime, store, sync, logs } = setup();
    const t = makeTask({ args: ["sh", "-c", "echo bye; sleep 100"] });
    store.add(t);
    await sync();
    store.setDesired(t.ID, "remove");
    await sync();
    expect(store.reported(t.ID).at(-1)).toBe("shutdown");
    expect(runtime.containers()).toEqual([]);
    expect((await logs.read(t.ID))?.map((l) => l.line)).toEqual(["bye"]);
  });

  test("NotBefore delays the start; shutdown during the wait cancels it", async () => {
    const { store, sync, worker, runtime } = setup();
    const notBefore = Date.now() + 300;
    const t = makeTask({ NotBefore: new Date(notBefore).toISOString() });
    const u = makeTask({ NotBefore: new Date(Date.now() + 60_000).toISOString() });
    store.add(t, u);
    await worker.sync(store.assignments());
    await waitUntil("running", () => store.state(t.ID) === "running", 5000);
    const running = store.tasks.get(t.ID)!.Status.Timestamp;
    expect(Date.parse(running)).toBeGreaterThanOrEqual(notBefore);
    expect(store.state(u.ID)).toBe("preparing");
    store.setDesired(u.ID, "shutdown");
    await sync();
    expect(store.state(u.ID)).toBe("shutdown");
    expect(runtime.stats.starts).toBe(1);
  });

  test("adopt after a restart keeps running containers, reports what happened meanwhile, removes strays", async () => {
    const runtime = createFakeRuntime({ images: [IMAGE] });
    const first = setup(runtime);
    const keep = makeTask();
    const dies = makeTask();
    const stray = makeTask({ args: ["sh", "-c", "echo stray; sleep 100"] });
    first.store.add(keep, dies, stray);
    await first.sync();
    await first.worker.close();
    const cid = (id: string) => first.store.tasks.get(id)!.Status.ContainerStatus!.ContainerID!;
    runtime.crash(cid(dies.ID), 0);
    first.store.tasks.delete(stray.ID);
    const creates = runtime.stats.creates;

    const logs = createMemoryLogArchive();
    const second = setup(runtime, first.store, logs);
    await second.worker.adopt();
    await second.sync();
    expect(first.store.state(keep.ID)).toBe("running");
    expect(first.store.state(dies.ID)).toBe("complete");
    expect(runtime.containers().map((c) => c.id).sort()).toEqual([cid(keep.ID), cid(dies.ID)].sort());
    expect((await logs.read(stray.ID))?.map((l) => l.line)).toEqual(["stray"]);
    expect(runtime.stats.creates).toBe(creates);
  });

  test("an unreachable engine is retried with backoff, never failing the task; whenIdle does not hang", async () => {
    const { runtime, store, sync } = setup();
    const t = makeTask();
    store.add(t);
    runtime.unreachable = true;
    await sync();
    expect(store.state(t.ID)).toBe("preparing");
    runtime.unreachable = false;
    await waitUntil("running after the engine is back", () => store.state(t.ID) === "running", 5000);
    expect(store.reported(t.ID)).toEqual(["accepted", "preparing", "starting", "running"]);
  });

  test("when the event stream comes back, strays that appeared meanwhile are found and removed", async () => {
    const { runtime, store, sync } = setup();
    const t = makeTask();
    store.add(t);
    await sync();
    runtime.breakEvents();
    // a container of this node whose task the store no longer knows (e.g. adopt failed at startup)
    const strayTask = makeTask();
    const { createSpecFor } = await import("../../internal/executor/index.ts");
    await runtime.create(createSpecFor(CLUSTER, NODE, strayTask, "old"));
    expect(runtime.containers()).toHaveLength(2);
    await waitUntil("stray removed after resubscribing", () => runtime.containers().length === 1, 5000);
    expect(store.state(t.ID)).toBe("running");
  });

  test("a report that fails is re-sent at the next sync", async () => {
    const { store, sync } = setup();
    const t = makeTask();
    store.add(t);
    store.failNext = 100;
    await sync();
    expect(store.state(t.ID)).toBe("assigned");
    store.failNext = 0;
    await sync();
    await sync();
    expect(store.state(t.ID)).toBe("running");
  });
});
