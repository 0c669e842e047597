/**
 * Issue 11, defect 1: an empty image reached dockerode, the engine answered a redirect for `/images//json`,
 * dockerode followed it to a host named `images`, and the DNS failure was an unhandled error event that
 * killed the agent — on every start, since the spec was stored. These tests run against a private dockerd:
 * no malformed reference reaches the engine, a redirect is never followed, and a task with a bad spec is
 * rejected alone while the worker carries on.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { dockerClient } from "../../internal/daemon/docker.ts";
import { createWorker, dockerRuntime, type Worker } from "../../internal/executor/index.ts";
import { RuntimeError } from "../../internal/executor/runtime.ts";
import { createMemoryLogArchive } from "../../internal/logs/index.ts";
import { loadTestImage, skipUnlessDocker, startDockerd, type PrivateDockerd } from "../harness/index.ts";
import { CLUSTER, NODE, StoreTwin, makeTask } from "../executor/fixtures.ts";

const skip = skipUnlessDocker("malformed references against a real dockerd");
let d: PrivateDockerd | undefined;
let workers: Worker[] = [];
let uncaught: unknown[] = [];
const onUncaught = (e: unknown) => uncaught.push(e);

beforeAll(async () => {
  if (skip) return;
  d = await startDockerd({ name: "hostile-refs" });
  await loadTestImage(d.docker);
}, 60_000);
afterEach(async () => {
  await Promise.all(workers.map((w) => w.close()));
  workers = [];
});
afterAll(async () => {
  await d?.stop();
});

/** Runs `fn`, then waits a moment for stray error events; returns the errors nobody handled. */
async function unhandledDuring(fn: () => Promise<unknown>): Promise<unknown[]> {
  uncaught = [];
  process.on("uncaughtException", onUncaught);
  try {
    await fn();
    // A followed redirect fails in a DNS lookup some milliseconds after the call returned.
    await Bun.sleep(300);
  } finally {
    process.off("uncaughtException", onUncaught);
  }
  return uncaught;
}

const BAD_REFS = ["", " ", "a//b", "../../containers/json", "busybox?x=1", "busybox#x", "/busybox", "busybox/"];

describe.skipIf(skip)("malformed references never reach the engine", () => {
  for (const ref of BAD_REFS) {
    test(`image ${JSON.stringify(ref)}: hasImage, pullImage and create refuse it with status 400`, async () => {
      const rt = dockerRuntime(d!.docker);
      const errors: unknown[] = [];
      const stray = await unhandledDuring(async () => {
        for (const call of [() => rt.hasImage(ref), () => rt.pullImage(ref), () => rt.create({ name: "x1", image: ref, labels: {} })]) {
          await call().then(
            () => errors.push("no error"),
            (e) => errors.push(e),
          );
        }
      });
      expect(stray).toEqual([]);
      for (const e of errors) {
        expect(e).toBeInstanceOf(RuntimeError);
        expect((e as RuntimeError).status).toBe(400);
        expect((e as RuntimeError).message).toContain("invalid image reference");
      }
    });
  }

  test("container IDs and names: empty or path-like ones are refused the same way", async () => {
    const rt = dockerRuntime(d!.docker);
    const stray = await unhandledDuring(async () => {
      for (const id of ["", "a/b", "..", "x y", "a//b"]) {
        for (const call of [() => rt.inspect(id), () => rt.start(id), () => rt.stop(id, 1), () => rt.remove(id), () => rt.logs(id)]) {
          const e = await call().then(() => undefined, (err) => err);
          expect(e).toBeInstanceOf(RuntimeError);
          expect((e as RuntimeError).status).toBe(400);
        }
      }
    });
    expect(stray).toEqual([]);
  });

  test("the agent's Docker client never follows a redirect (a raw `//` path fails, it does not escape)", async () => {
    const docker = dockerClient(d!.host);
    let caught: unknown;
    const stray = await unhandledDuring(async () => {
      caught = await docker.getImage("").inspect().then(() => undefined, (e) => e);
    });
    expect(stray).toEqual([]);
    expect(String(caught)).toMatch(/redirect/i);
  });
});

describe.skipIf(skip)("a task whose spec cannot become a container is rejected alone", () => {
  test("an empty image rejects that task with the reason; the other task runs", async () => {
    const store = new StoreTwin();
    const worker = createWorker({ docker: d!.docker, clusterId: CLUSTER, nodeId: NODE, report: store.report, logs: createMemoryLogArchive() });
    workers.push(worker);
    const bad = makeTask({ image: "" });
    const good = makeTask({});
    store.add(bad, good);
    const stray = await unhandledDuring(async () => {
      await worker.sync(store.assignments());
      await worker.whenIdle();
    });
    expect(stray).toEqual([]);
    expect(store.state(bad.ID)).toBe("rejected");
    expect(store.tasks.get(bad.ID)!.Status.Err).toMatch(/invalid task spec: invalid image reference ""/);
    expect(store.state(good.ID)).toBe("running");
  }, 30_000);

  test("a task without a ContainerSpec (a malformed stored spec) is rejected, not retried forever", async () => {
    const store = new StoreTwin();
    const worker = createWorker({ docker: d!.docker, clusterId: CLUSTER, nodeId: NODE, report: store.report, logs: createMemoryLogArchive() });
    workers.push(worker);
    const bad = makeTask({});
    (bad.Spec as unknown as Record<string, unknown>).ContainerSpec = undefined;
    store.add(bad);
    await worker.sync(store.assignments());
    await worker.whenIdle();
    expect(store.state(bad.ID)).toBe("rejected");
    expect(store.tasks.get(bad.ID)!.Status.Err).toMatch(/^invalid task spec: /);
  }, 30_000);
});
