/**
 * Rolling updates and rollbacks through the compiled binary on a real dockerd: update and rollback
 * configs in `service inspect`, start-first versus stop-first seen in the containers' run times,
 * `service rollback` and `service update --rollback`, an update whose health check fails pausing (or
 * rolling back, per --update-failure-action), and bad flag values refused without changing anything.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { skipUnlessDocker, waitUntil } from "../harness/index.ts";
import { startOneNode, type OneNode } from "../cli/fixture.ts";

const skip = skipUnlessDocker("rolling update tests");

describe.skipIf(skip)("rolling updates on a one-node cluster", () => {
  let n: OneNode;
  beforeAll(async () => {
    n = await startOneNode("updates-roll");
  }, 120_000);
  afterAll(async () => {
    await n?.close();
  }, 120_000);

  const inspect = async (service: string) => JSON.parse(await n.ok(["service", "inspect", service]))[0];
  const tasks = (service: string) => n.tasks(service);
  const updateState = (service: string, state: string) =>
    waitUntil(`${service}: UpdateStatus ${state}`, async () => {
      const s = await inspect(service);
      return s.UpdateStatus?.State === state && s;
    }, 30_000, 100);
  /** Containers of a service with their run interval and health check (newest first). */
  const containers = async (service: string) => {
    const list = await n.dockerd.docker.listContainers({ all: true, filters: JSON.stringify({ name: [`${service}.`] }) });
    const out = await Promise.all(list.map(async (c) => {
      const i = await n.dockerd.docker.getContainer(c.Id).inspect();
      const end = Date.parse(i.State.FinishedAt);
      return { start: Date.parse(i.State.StartedAt), end: end > 0 ? end : Infinity, running: i.State.Running, test: i.Config.Healthcheck?.Test, args: i.Config.Cmd };
    }));
    return out.sort((a, b) => b.start - a.start);
  };
  const base = ["--stop-grace-period", "1s", "--update-monitor", "500ms", "--rollback-monitor", "500ms"];

  test("update and rollback configs are stored and shown; an update completes; service rollback returns to the previous spec", async () => {
    await n.ok(["service", "create", "--name", "web", "--replicas", "2", ...base, "--update-parallelism", "2", "--update-delay", "100ms",
      "--update-order", "start-first", "--update-failure-action", "continue", "--update-max-failure-ratio", "0.5", "--rollback-parallelism", "0", n.image, "sleep", "1000"]);
    let s = await inspect("web");
    expect(s.Spec.UpdateConfig).toEqual({ Parallelism: 2, Delay: 1e8, FailureAction: "continue", Monitor: 5e8, MaxFailureRatio: 0.5, Order: "start-first" });
    expect(s.Spec.RollbackConfig).toEqual({ Parallelism: 0, Delay: 0, FailureAction: "pause", Monitor: 5e8, MaxFailureRatio: 0, Order: "stop-first" });
    const pretty = await n.ok(["service", "inspect", "--pretty", "web"]);
    expect(pretty).toMatch(/UpdateConfig:\n Parallelism:\t2\n Delay:\t\t0.1s\n On failure:\tcontinue/);
    expect(pretty).toMatch(/Update order:\s+start-first/);

    await n.ok(["service", "update", "--args", "sleep 2000", "web"]);
    s = await updateState("web", "completed");
    expect(s.UpdateStatus.Message).toBe("update completed");
    expect(s.UpdateStatus.CompletedAt).toBeDefined();
    expect(await n.ok(["service", "inspect", "--pretty", "web"])).toMatch(/UpdateStatus:\n State:\t\tcompleted/);

    const r = await n.run(["service", "rollback", "web"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/overall progress: rolling back update: 2 out of 2 tasks/);
    expect(r.stdout).toMatch(/rollback: (manually requested rollback|rollback completed)\nverify: Service converged/);
    s = await updateState("web", "rollback_completed");
    expect(s.Spec.TaskTemplate.ContainerSpec.Args).toEqual(["sleep", "1000"]);
    expect(s.PreviousSpec.TaskTemplate.ContainerSpec.Args).toEqual(["sleep", "2000"]);
    const running = (await containers("web")).filter((c) => c.running);
    expect(running.map((c) => c.args)).toEqual([["sleep", "1000"], ["sleep", "1000"]]);

    // `update --rollback` goes back again (to the spec it replaced), and takes no other change.
    const bad = await n.run(["service", "update", "--rollback", "--replicas", "3", "web"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--rollback cannot be combined with --replicas/);
    await n.ok(["service", "update", "--rollback", "web"]);
    s = await updateState("web", "rollback_completed");
    expect(s.Spec.TaskTemplate.ContainerSpec.Args).toEqual(["sleep", "2000"]);
    await n.ok(["service", "rm", "web"]);
  }, 90_000);

  test("a service never updated has nothing to roll back to", async () => {
    await n.ok(["service", "create", "--detach", "--name", "fresh", ...base, n.image, "sleep", "1000"]);
    const r = await n.run(["service", "rollback", "fresh"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not have a previous spec to roll back to/);
    await n.ok(["service", "rm", "fresh"]);
  }, 60_000);

  test("start-first starts the new task before stopping the old one; stop-first the reverse", async () => {
    for (const order of ["start-first", "stop-first"]) {
      const name = `one-${order}`;
      await n.ok(["service", "create", "--name", name, ...base, "--update-order", order, n.image, "sleep", "1000"]);
      await n.ok(["service", "update", "--args", "sleep 1001", name]);
      await updateState(name, "completed");
      const [newer, older] = await containers(name);
      expect(newer!.args).toEqual(["sleep", "1001"]);
      expect(older!.args).toEqual(["sleep", "1000"]);
      if (order === "start-first") expect(newer!.start).toBeLessThan(older!.end);
      else expect(newer!.start).toBeGreaterThanOrEqual(older!.end);
      await n.ok(["service", "rm", name]);
    }
  }, 90_000);

  const healthy = ["--health-cmd", "true", "--health-interval", "100ms", "--health-retries", "1"];
  const unhealthy = ["--health-cmd", "false", "--health-interval", "100ms", "--health-retries", "1"];

  test("an update whose health check fails pauses (failure action pause): one slot tried, the other keeps the old spec", async () => {
    await n.ok(["service", "create", "--name", "paused", "--replicas", "2", ...base, ...healthy, n.image, "sleep", "1000"]);
    const r = await n.run(["service", "update", ...unhealthy, "paused"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/update paused: update paused due to failure or early termination of task \w+/);
    const s = await inspect("paused");
    expect(s.UpdateStatus.State).toBe("paused");
    const failed = (await tasks("paused")).filter((t: any) => t.CurrentState === "failed");
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0].Error).toMatch(/unhealthy container/);
    expect(await n.ok(["service", "ps", "--no-trunc", "paused"])).toMatch(/Failed .* ago\s+"unhealthy container/);
    // Parallelism 1: the second slot was never taken; its task still runs the old, healthy spec.
    const old = (await containers("paused")).filter((c) => c.running && c.test?.[1] === "true");
    expect(old.length).toBeGreaterThanOrEqual(1);
    await n.ok(["service", "rm", "paused"]);
  }, 90_000);

  test("an update whose health check fails rolls back with --update-failure-action rollback", async () => {
    await n.ok(["service", "create", "--name", "rolled", "--replicas", "2", ...base, ...healthy, "--update-failure-action", "rollback", n.image, "sleep", "1000"]);
    const r = await n.run(["service", "update", ...unhealthy, "rolled"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/service rolled back: update rolled back due to failure or early termination of task \w+/);
    expect(r.stdout).toMatch(/rollback: update rolled back due to failure or early termination of task \w+/);
    const s = await updateState("rolled", "rollback_completed");
    expect(s.Spec.TaskTemplate.ContainerSpec.Healthcheck.Test).toEqual(["CMD-SHELL", "true"]);
    await waitUntil("two healthy tasks of the old spec run", async () => (await containers("rolled")).filter((c) => c.running && c.test?.[1] === "true").length === 2, 30_000, 100);
    expect((await containers("rolled")).filter((c) => c.running && c.test?.[1] === "false")).toEqual([]);
    await n.ok(["service", "rm", "rolled"]);
  }, 90_000);

  test("bad update and health flags name the flag, exit 1 and change nothing", async () => {
    await n.ok(["service", "create", "--detach", "--name", "steady", ...base, n.image, "sleep", "1000"]);
    const before = await inspect("steady");
    const cases: [string[], RegExp][] = [
      [["--update-failure-action", "explode"], /--update-failure-action.*use pause, continue, rollback/],
      [["--rollback-failure-action", "rollback"], /--rollback-failure-action.*use pause, continue/],
      [["--update-order", "sideways"], /--update-order.*stop-first or start-first/],
      [["--update-max-failure-ratio", "1.5"], /--update-max-failure-ratio.*from 0 to 1/],
      [["--update-parallelism", "-1"], /--update-parallelism/],
      [["--update-delay", "soon"], /--update-delay/],
      [["--health-retries", "x"], /--health-retries/],
      [["--health-interval", "10us"], /--health-interval.*at least 1ms/],
      [["--no-healthcheck", "--health-cmd", "true"], /--no-healthcheck conflicts with --health-\* options/],
      [["--publish-add", "mode=host,published=8099,target=80", "--update-order", "start-first"], /start-first cannot be used with host-mode published ports/],
    ];
    for (const [flags, err] of cases) {
      const r = await n.run(["service", "update", ...flags, "steady"]);
      expect({ flags, code: r.code }).toEqual({ flags, code: 1 });
      expect(r.stderr).toMatch(err);
    }
    expect((await inspect("steady")).Version).toEqual(before.Version);
    await n.ok(["service", "rm", "steady"]);
  }, 60_000);
});
