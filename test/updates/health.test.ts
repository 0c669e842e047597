/**
 * Health checks through the compiled binary on a real dockerd: a task is Starting until its check
 * passes and only then Running; an unhealthy task fails with the probe's output in `service ps` and is
 * replaced per its restart policy; the image's own HEALTHCHECK applies unless --no-healthcheck.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { skipUnlessDocker, waitUntil } from "../harness/index.ts";
import { startOneNode, type OneNode } from "../cli/fixture.ts";

const skip = skipUnlessDocker("health check tests");

describe.skipIf(skip)("health checks on a one-node cluster", () => {
  let n: OneNode;
  beforeAll(async () => {
    n = await startOneNode("updates-health");
  }, 120_000);
  afterAll(async () => {
    await n?.close();
  }, 120_000);

  const tasks = (service: string) => n.tasks(service);
  const runningContainer = async (service: string) => {
    const list = await n.dockerd.docker.listContainers({ filters: JSON.stringify({ name: [`${service}.`] }) });
    return list[0] ? n.dockerd.docker.getContainer(list[0].Id).inspect() : undefined;
  };

  test("a task is Starting while its check fails within the start period, and Running once healthy", async () => {
    await n.ok(["service", "create", "--detach", "--name", "gated", "--stop-grace-period", "1s", "--health-cmd", "test -f /tmp/ready",
      "--health-interval", "100ms", "--health-retries", "1", "--health-start-period", "60s", n.image, "sleep", "1000"]);
    // The engine has probed (and failed) several times: the task must still be starting.
    const c = await waitUntil("three failed probes", async () => {
      const i = await runningContainer("gated");
      return (i?.State.Health?.Log?.length ?? 0) >= 3 && i;
    }, 30_000, 50);
    expect(c.State.Health?.Status).toBe("starting");
    expect(c.Config.Healthcheck?.Test).toEqual(["CMD-SHELL", "test -f /tmp/ready"]);
    const t = (await tasks("gated"))[0];
    expect(t.CurrentState).toBe("starting");
    expect(await n.ok(["service", "ls"])).toMatch(/gated\s+replicated\s+0\/1/);
    const exec = await n.dockerd.docker.getContainer(c.Id).exec({ Cmd: ["touch", "/tmp/ready"] });
    await exec.start({ Detach: true });
    await waitUntil("the task runs", async () => (await tasks("gated"))[0]?.CurrentState === "running", 30_000, 100);
    expect(await n.ok(["service", "ls"])).toMatch(/gated\s+replicated\s+1\/1/);
    await n.ok(["service", "rm", "gated"]);
  }, 60_000);

  test("an unhealthy task fails with the probe's output and is replaced in its slot", async () => {
    await n.ok(["service", "create", "--detach", "--name", "sick", "--stop-grace-period", "1s", "--restart-delay", "100ms",
      "--health-cmd", "echo probe-said-no; exit 3", "--health-interval", "100ms", "--health-retries", "1", n.image, "sleep", "1000"]);
    const ts = await waitUntil("two failed attempts in slot 1", async () => {
      const ts = await tasks("sick");
      return ts.filter((t: any) => t.CurrentState === "failed").length >= 2 && ts;
    }, 30_000, 100);
    expect(new Set(ts.map((t: any) => t.Slot))).toEqual(new Set([1]));
    const failed = ts.find((t: any) => t.CurrentState === "failed");
    expect(failed.Error).toBe("unhealthy container: probe-said-no (exit 3)");
    expect(await n.ok(["service", "ps", "--no-trunc", "sick"])).toMatch(/Failed .* ago\s+"unhealthy container: probe-said-no \(exit 3\)"/);
    // The failed tasks' containers were stopped.
    await waitUntil("at most one container runs", async () => (await n.dockerd.docker.listContainers({ filters: JSON.stringify({ name: ["sick."] }) })).length <= 1, 30_000, 100);
    await n.ok(["service", "rm", "sick"]);
  }, 60_000);

  test("the image's HEALTHCHECK applies, and --no-healthcheck turns it off", async () => {
    // An image whose HEALTHCHECK always fails: the test image with one change.
    const docker = n.dockerd.docker;
    const tmp = await docker.createContainer({ Image: n.image, Cmd: ["true"] });
    await tmp.commit({ repo: "updates-unhealthy", tag: "1", changes: ["HEALTHCHECK --interval=100ms --retries=1 CMD false"] });
    await tmp.remove();
    expect((await docker.getImage("updates-unhealthy:1").inspect()).Config.Healthcheck?.Test).toEqual(["CMD-SHELL", "false"]);

    await n.ok(["service", "create", "--detach", "--name", "img-check", "--stop-grace-period", "1s", "--restart-delay", "100ms", "updates-unhealthy:1", "sleep", "1000"]);
    await waitUntil("a task failed by the image's check", async () => (await tasks("img-check")).some((t: any) => t.CurrentState === "failed" && /unhealthy container/.test(t.Error)), 30_000, 100);

    await n.ok(["service", "create", "--name", "no-check", "--no-healthcheck", "--stop-grace-period", "1s", "updates-unhealthy:1", "sleep", "1000"]);
    const c = (await runningContainer("no-check"))!;
    expect(c.Config.Healthcheck?.Test).toEqual(["NONE"]);
    expect(c.State.Health).toBeUndefined();
    expect((await tasks("no-check"))[0].CurrentState).toBe("running");
    expect(JSON.parse(await n.ok(["service", "inspect", "no-check"]))[0].Spec.TaskTemplate.ContainerSpec.Healthcheck).toEqual({ Test: ["NONE"] });
    expect(await n.ok(["service", "inspect", "--pretty", "no-check"])).toMatch(/Healthcheck:\tdisabled/);
    await n.ok(["service", "rm", "img-check", "no-check"]);
  }, 60_000);
});
