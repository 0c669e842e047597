// One suite, two runtimes: the in-memory twin must behave like the Docker runtime on what the
// worker relies on. Used by runtime-fake.test.ts and runtime-docker.test.ts.
import { expect, test } from "bun:test";
import type { ContainerRuntime, RuntimeEvent } from "../../internal/executor/index.ts";
import { RuntimeError } from "../../internal/executor/index.ts";
import { waitUntil } from "../harness/wait.ts";

export interface SuiteEnv {
  runtime: ContainerRuntime;
  /** An image present in the runtime. */
  image: string;
  /** An image reference that is absent and cannot be pulled (without leaving loopback). */
  absent: string;
}

export function runtimeSuite(name: string, env: () => SuiteEnv, skip = false): void {
  const labels = (suffix: string) => ({ "com.swarm.test.suite": name, "com.swarm.test.case": suffix });

  test.skipIf(skip)(`${name}: images present and absent`, async () => {
    const { runtime, image, absent } = env();
    expect(await runtime.hasImage(image)).toBe(true);
    expect(await runtime.hasImage(absent)).toBe(false);
    const pullErr = await runtime.pullImage(absent).then(() => undefined, (e: unknown) => e);
    expect(pullErr).toBeInstanceOf(RuntimeError);
    expect((pullErr as RuntimeError).message.length).toBeGreaterThan(0);
    const createErr = await runtime.create({ name: `${name}-noimg`, image: absent, labels: labels("noimg") }).then(() => undefined, (e: unknown) => e);
    expect(createErr).toBeInstanceOf(RuntimeError);
    expect((createErr as RuntimeError).status).toBe(404);
    expect((createErr as RuntimeError).message).toMatch(/^No such image: /);
  }, 30_000);

  test.skipIf(skip)(`${name}: lifecycle of a long-running container, with events`, async () => {
    const { runtime, image } = env();
    const events: RuntimeEvent[] = [];
    const sub = runtime.subscribe(labels("life"), (e) => events.push(e), () => undefined);
    try {
      // let the event stream attach before acting (the engine only sends events after subscription)
      await Bun.sleep(0);
      await waitUntil("subscription", async () => {
        const probe = await runtime.create({ name: `${name}-probe-${Date.now()}`, image, labels: labels("life"), cmd: ["true"] });
        await runtime.remove(probe);
        return events.some((e) => e.containerId === probe);
      }, 5000, 50);
      const id = await runtime.create({ name: `${name}-life`, image, labels: labels("life"), cmd: ["sleep", "1000"], stopTimeoutSec: 1 });
      expect((await runtime.inspect(id))?.status).toBe("created");
      expect((await runtime.inspect(`${name}-life`))?.id).toBe(id);
      const dup = await runtime.create({ name: `${name}-life`, image, labels: labels("life"), cmd: ["true"] }).then(() => undefined, (e: unknown) => e);
      expect((dup as RuntimeError).status).toBe(409);
      await runtime.start(id);
      const info = (await runtime.inspect(id))!;
      expect(info).toMatchObject({ id, name: `${name}-life`, status: "running", running: true });
      expect(info.pid).toBeGreaterThan(0);
      expect(info.labels["com.swarm.test.case"]).toBe("life");
      expect((await runtime.list(labels("life"))).map((c) => c.id)).toContain(id);
      expect(await runtime.list({ "com.swarm.test.case": "nobody-has-this" })).toEqual([]);
      await runtime.stop(id, 1);
      const stopped = (await runtime.inspect(id))!;
      expect(stopped.status).toBe("exited");
      expect(stopped.exitCode).toBe(137);
      await runtime.stop(id, 1); // idempotent
      await runtime.remove(id);
      await runtime.remove(id); // idempotent
      expect(await runtime.inspect(id)).toBeUndefined();
      await waitUntil("die and destroy events", () =>
        events.some((e) => e.containerId === id && e.action === "die" && e.exitCode === 137) &&
        events.some((e) => e.containerId === id && e.action === "destroy"),
      );
    } finally {
      sub.close();
    }
  }, 30_000);

  test.skipIf(skip)(`${name}: exit codes and logs with timestamps`, async () => {
    const { runtime, image } = env();
    const id = await runtime.create({ name: `${name}-exit`, image, labels: labels("exit"), cmd: ["sh", "-c", "echo one; echo two >&2; exit 3"] });
    await runtime.start(id);
    const info = await waitUntil("exited", async () => {
      const i = await runtime.inspect(id);
      return i?.status === "exited" ? i : undefined;
    });
    expect(info.exitCode).toBe(3);
    const lines = await runtime.logs(id);
    // stdout and stderr are separate pipes: their relative order is not fixed
    expect(lines.map((l) => `${l.stream}:${l.line}`).sort()).toEqual(["stderr:two", "stdout:one"]);
    for (const l of lines) expect(l.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
    await runtime.remove(id);
    const missing = await runtime.logs(id).then(() => undefined, (e: unknown) => e);
    expect((missing as RuntimeError).status).toBe(404);
  }, 30_000);
}
