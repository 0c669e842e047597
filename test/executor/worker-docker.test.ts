// The worker against a real private dockerd: what the fake cannot prove (Docker's messages, signals,
// grace periods, real events, adoption of real containers, concurrency).
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { LABEL } from "../../internal/api/index.ts";
import { createWorker, type Worker } from "../../internal/executor/index.ts";
import { createMemoryLogArchive, type LogArchive } from "../../internal/logs/index.ts";
import { loadTestImage, skipUnlessDocker, startDockerd, waitUntil, type PrivateDockerd } from "../harness/index.ts";
import { CLUSTER, NODE, StoreTwin, makeTask } from "./fixtures.ts";

const skip = skipUnlessDocker("executor worker against a real dockerd");
let d: PrivateDockerd | undefined;
let workers: Worker[] = [];

beforeAll(async () => {
  if (skip) return;
  d = await startDockerd({ name: "worker" });
  await loadTestImage(d.docker);
}, 60_000);
afterEach(async () => {
  await Promise.all(workers.map((w) => w.close()));
  workers = [];
});
afterAll(async () => {
  await d?.stop();
});

function setup(store = new StoreTwin(), logs: LogArchive = createMemoryLogArchive(), init = false) {
  const worker = createWorker({ docker: d!.docker, clusterId: CLUSTER, nodeId: NODE, report: store.report, logs, init });
  workers.push(worker);
  const sync = async () => {
    await worker.sync(store.assignments());
    await worker.whenIdle();
  };
  return { worker, store, logs, sync };
}

const cid = (s: StoreTwin, id: string) => s.tasks.get(id)!.Status.ContainerStatus!.ContainerID!;

describe("worker (real dockerd)", () => {
  test.skipIf(skip)("an image that is absent and cannot be pulled rejects the task with Docker's message", async () => {
    const { store, sync } = setup();
    const t = makeTask({ image: "127.0.0.1:1/nope" });
    store.add(t);
    await sync();
    expect(store.reported(t.ID)).toEqual(["accepted", "preparing", "rejected"]);
    expect(store.tasks.get(t.ID)!.Status.Err).toBe("No such image: 127.0.0.1:1/nope:latest");
  }, 30_000);

  test.skipIf(skip)("engine errors become the task's error: bad mount rejected, missing executable failed", async () => {
    const { store, sync } = setup();
    store.serviceName = "errs";
    const badMount = makeTask({ spec: { Mounts: [{ Type: "bind", Source: "/nonexistent/swarm-test-path", Target: "/data" }] } });
    const noExe = makeTask({ args: ["no-such-binary"] });
    store.add(badMount, noExe);
    await sync();
    expect(store.state(badMount.ID)).toBe("rejected");
    expect(store.tasks.get(badMount.ID)!.Status.Err).toContain("/nonexistent/swarm-test-path");
    expect(store.state(noExe.ID)).toBe("failed");
    expect(store.tasks.get(noExe.ID)!.Status.Err).toStartWith("starting container failed: ");
    expect(store.tasks.get(noExe.ID)!.Status.Err).toContain("no-such-binary");
  }, 30_000);

  test.skipIf(skip)("mounts, env, workdir, user, hostname and limits reach the container", async () => {
    const { store, sync } = setup();
    store.serviceName = "spec";
    const t = makeTask({
      args: ["sleep", "1000"],
      spec: {
        Env: ["A=1"], Dir: "/tmp", User: "nobody", Hostname: "h-1", Labels: { team: "blue" },
        Mounts: [{ Type: "tmpfs", Target: "/scratch" }, { Type: "bind", Source: "/tmp", Target: "/host-tmp", ReadOnly: true }],
      },
    });
    t.Spec.Resources = { Limits: { NanoCPUs: 5e8, MemoryBytes: 64 * 1024 * 1024 } };
    store.add(t);
    await sync();
    expect(store.state(t.ID)).toBe("running");
    const info = await d!.docker.getContainer(cid(store, t.ID)).inspect();
    expect(info.Config.Env).toContain("A=1");
    expect(info.Config.WorkingDir).toBe("/tmp");
    expect(info.Config.User).toBe("nobody");
    expect(info.Config.Hostname).toBe("h-1");
    expect(info.Config.Labels.team).toBe("blue");
    expect(info.HostConfig.NanoCpus).toBe(5e8);
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(info.Mounts.map((m) => [m.Type, m.Destination, m.RW]).sort()).toEqual([["bind", "/host-tmp", false], ["tmpfs", "/scratch", true]]);
    expect((info.Config as { StopTimeout?: number }).StopTimeout).toBe(1);
  }, 30_000);

  test.skipIf(skip)("runs containers: running with PID, exit 0 complete, exit 3 failed, death seen through events", async () => {
    const { store, sync } = setup();
    store.serviceName = "runs";
    const long = makeTask({ args: ["ping", "127.0.0.1"] });
    const ok = makeTask({ args: ["sh", "-c", "exit 0"] });
    const bad = makeTask({ args: ["sh", "-c", "exit 3"] });
    store.add(long, ok, bad);
    await sync();
    await waitUntil("exits observed", () => store.state(ok.ID) === "complete" && store.state(bad.ID) === "failed");
    expect(store.tasks.get(bad.ID)!.Status.Err).toBe("task: non-zero exit (3)");
    expect(store.state(long.ID)).toBe("running");
    expect(store.tasks.get(long.ID)!.Status.ContainerStatus!.PID).toBeGreaterThan(0);
    const info = await d!.docker.getContainer(cid(store, long.ID)).inspect();
    expect(info.Name).toBe(`/runs.${long.Slot}.${long.ID}`);
    expect(info.Config.Labels[LABEL.task]).toBe(long.ID);
    expect(info.Config.Labels[LABEL.cluster]).toBe(CLUSTER);
    // killed behind our back: reported at once (events), never restarted
    await d!.docker.getContainer(cid(store, long.ID)).kill();
    await waitUntil("failed after kill", () => store.state(long.ID) === "failed", 5000);
    expect(store.tasks.get(long.ID)!.Status.Err).toBe("task: non-zero exit (137)");
    expect(store.backwards).toEqual([]);
  }, 30_000);

  test.skipIf(skip)("shutdown honours the grace period: SIGTERM first, SIGKILL after it", async () => {
    const { store, sync } = setup();
    store.serviceName = "grace";
    const polite = makeTask({ args: ["sh", "-c", "trap 'echo got-term; exit 0' TERM; while true; do sleep 0.05; done"], spec: { StopGracePeriod: 5e9 } });
    const stubborn = makeTask({ args: ["sleep", "1000"], spec: { StopGracePeriod: 1e9 } });
    store.add(polite, stubborn);
    await sync();
    expect([store.state(polite.ID), store.state(stubborn.ID)]).toEqual(["running", "running"]);
    store.setDesired(polite.ID, "shutdown");
    store.setDesired(stubborn.ID, "shutdown");
    const t0 = performance.now();
    await sync();
    const ms = performance.now() - t0;
    expect([store.state(polite.ID), store.state(stubborn.ID)]).toEqual(["shutdown", "shutdown"]);
    const p = await d!.docker.getContainer(cid(store, polite.ID)).inspect();
    const s = await d!.docker.getContainer(cid(store, stubborn.ID)).inspect();
    expect(p.State.ExitCode).toBe(0); // handled SIGTERM within its 5 s grace
    expect(s.State.ExitCode).toBe(137); // PID 1 ignores SIGTERM: killed after 1 s
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(5000);
  }, 30_000);

  test.skipIf(skip)("with init, a program that ignores SIGTERM as PID 1 stops without waiting the grace period", async () => {
    const { store, sync } = setup(new StoreTwin(), createMemoryLogArchive(), true);
    store.serviceName = "init";
    const t = makeTask({ args: ["ping", "127.0.0.1"], spec: { StopGracePeriod: 20e9 } });
    store.add(t);
    await sync();
    expect(store.state(t.ID)).toBe("running");
    store.setDesired(t.ID, "shutdown");
    const t0 = performance.now();
    await sync();
    expect(store.state(t.ID)).toBe("shutdown");
    expect(performance.now() - t0).toBeLessThan(10_000);
    const info = await d!.docker.getContainer(cid(store, t.ID)).inspect();
    expect(info.HostConfig.Init).toBe(true);
    expect(info.State.ExitCode).toBe(143); // SIGTERM, not SIGKILL
  }, 30_000);

  test.skipIf(skip)("removal archives the logs, and a restarted worker adopts what it finds", async () => {
    const logs = createMemoryLogArchive();
    const first = setup(new StoreTwin(), logs);
    const store = first.store;
    store.serviceName = "adopt";
    const keep = makeTask({ args: ["sh", "-c", "echo kept; sleep 1000"] });
    const gone = makeTask({ args: ["sh", "-c", "echo archived-1; echo archived-2 >&2; sleep 1000"] });
    const dies = makeTask({ args: ["sleep", "1000"] });
    store.add(keep, gone, dies);
    await first.sync();
    await first.worker.close(); // the agent goes away; containers keep running
    await d!.docker.getContainer(cid(store, dies.ID)).kill();
    store.tasks.delete(gone.ID);

    const second = setup(store, logs);
    await second.worker.adopt(store.assignments());
    await second.worker.whenIdle();
    expect(store.state(keep.ID)).toBe("running");
    expect(store.state(dies.ID)).toBe("failed");
    const left = await d!.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL.service}=svc1`, `${LABEL.serviceName}=adopt`] }) });
    expect(left.map((c) => c.Id).sort()).toEqual([cid(store, keep.ID), cid(store, dies.ID)].sort());
    // stdout and stderr are separate pipes: their relative order is not fixed
    expect((await logs.read(gone.ID))?.map((l) => `${l.stream}:${l.line}`).sort()).toEqual(["stderr:archived-2", "stdout:archived-1"]);

    // service removal: every container stopped and removed
    store.setDesired(keep.ID, "remove");
    store.setDesired(dies.ID, "remove");
    await second.sync();
    expect(store.state(keep.ID)).toBe("shutdown");
    expect((await logs.read(keep.ID))?.map((l) => l.line)).toEqual(["kept"]);
    const after = await d!.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL.serviceName}=adopt`] }) });
    expect(after).toEqual([]);
  }, 30_000);

  test.skipIf(skip)("survives a Docker restart: stopped containers are reported, events resume", async () => {
    const { store, sync } = setup();
    store.serviceName = "restart";
    const t = makeTask({ args: ["sleep", "1000"], spec: { StopGracePeriod: 0 } });
    store.add(t);
    await sync();
    expect(store.state(t.ID)).toBe("running");
    await d!.restart();
    await waitUntil("task failed after the engine restart", () => store.state(t.ID) === "failed", 20_000);
    // the event stream is back: a new task's crash is still seen at once
    const u = makeTask({ args: ["sleep", "1000"], spec: { StopGracePeriod: 0 } });
    store.add(u);
    await sync();
    expect(store.state(u.ID)).toBe("running");
    await d!.docker.getContainer(cid(store, u.ID)).kill();
    await waitUntil("crash after restart reported", () => store.state(u.ID) === "failed", 10_000);
  }, 60_000);

  test.skipIf(skip)("20 tasks start concurrently", async () => {
    const { store, sync } = setup();
    store.serviceName = "many";
    const one = makeTask({ args: ["sleep", "1000"], spec: { StopGracePeriod: 0 } });
    store.add(one);
    const s0 = performance.now();
    await sync();
    console.log(`1 task running after ${(performance.now() - s0).toFixed(0)} ms`);
    expect(store.state(one.ID)).toBe("running");
    store.tasks.delete(one.ID);
    const tasks = Array.from({ length: 20 }, () => makeTask({ args: ["sleep", "1000"], spec: { StopGracePeriod: 0 } }));
    store.add(...tasks);
    const t0 = performance.now();
    await sync();
    const ms = performance.now() - t0;
    console.log(`20 tasks running after ${ms.toFixed(0)} ms (${store.batches.length} report batches)`);
    expect(tasks.every((t) => store.state(t.ID) === "running")).toBe(true);
    for (const t of tasks) store.tasks.delete(t.ID);
    await sync();
    const left = await d!.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL.serviceName}=many`] }) });
    expect(left).toEqual([]);
  }, 60_000);
});
