/**
 * Jobs and run-once tasks through the compiled binary on a real dockerd: `--mode replicated-job` with
 * `--max-concurrent`, `--mode global-job`, completed tasks never restarted, `--restart-condition none`
 * leaving its completed task desired Shutdown, and bad flag values refused before anything changes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { skipUnlessDocker } from "../harness/index.ts";
import { startOneNode, type OneNode } from "../cli/fixture.ts";

const skip = skipUnlessDocker("job tests");

describe.skipIf(skip)("jobs on a one-node cluster", () => {
  let n: OneNode;
  beforeAll(async () => {
    n = await startOneNode("updates-jobs");
  }, 120_000);
  afterAll(async () => {
    await n?.close();
  }, 120_000);

  const tasks = (service: string) => n.tasks(service);

  /** [start, end] of every container of a service, from the engine (ms). */
  const runs = async (service: string) => {
    const list = await n.dockerd.docker.listContainers({ all: true, filters: JSON.stringify({ name: [`${service}.`] }) });
    return Promise.all(list.map(async (c) => {
      const i = await n.dockerd.docker.getContainer(c.Id).inspect();
      return { start: Date.parse(i.State.StartedAt), end: Date.parse(i.State.FinishedAt), exit: i.State.ExitCode };
    }));
  };

  test("a replicated job runs --replicas completions, at most --max-concurrent at once, and --detach=false waits for it", async () => {
    const r = await n.run(["service", "create", "--name", "batch", "--mode", "replicated-job", "--replicas", "3", "--max-concurrent", "1", n.image, "sh", "-c", "sleep 0.3"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // --detach=false returned: the job has completed.
    const ts = await tasks("batch");
    expect(ts).toHaveLength(3);
    for (const t of ts) {
      expect(t.CurrentState).toBe("complete");
      expect(t.DesiredState).toBe("complete");
    }
    expect(new Set(ts.map((t: any) => t.Slot))).toEqual(new Set([1, 2, 3]));
    // One at a time: the containers' run intervals do not overlap.
    const rs = (await runs("batch")).sort((a, b) => a.start - b.start);
    expect(rs).toHaveLength(3);
    for (let i = 1; i < rs.length; i++) expect(rs[i]!.start).toBeGreaterThanOrEqual(rs[i - 1]!.end);
    expect(await n.ok(["service", "ls"])).toMatch(/batch\s+replicated-job\s+0\/0 \(3\/3 completed\)/);
    expect(await n.ok(["service", "ps", "batch"])).toMatch(/Complete\s+Complete/);
    const inspect = JSON.parse(await n.ok(["service", "inspect", "batch"]))[0];
    expect(inspect.Spec.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 3 } });
    // Completed tasks are never restarted: a barrier service converging means the orchestrator ran since.
    await n.ok(["service", "create", "--name", "barrier-1", "--stop-grace-period", "1s", n.image, "sleep", "1000"]);
    expect(await tasks("batch")).toHaveLength(3);
    expect(await runs("batch")).toHaveLength(3);
    // An update is a new iteration: the job runs again (here with 2 completions: `scale` sets them).
    const scaled = await n.run(["service", "scale", "batch=2"]);
    expect(scaled.stderr).toBe("");
    expect(scaled.code).toBe(0);
    const again = (await tasks("batch")).filter((t: any) => t.CurrentState === "complete");
    expect(again.length).toBeGreaterThanOrEqual(5);
    expect(await n.ok(["service", "ls"])).toMatch(/batch\s+replicated-job\s+0\/0 \(2\/2 completed\)/);
    await n.ok(["service", "rm", "batch", "barrier-1"]);
  }, 60_000);

  test("a global job runs one task on the node to completion", async () => {
    await n.ok(["service", "create", "--name", "everywhere", "--mode", "global-job", n.image, "true"]);
    const ts = await tasks("everywhere");
    expect(ts).toHaveLength(1);
    expect(ts[0].CurrentState).toBe("complete");
    expect(ts[0].Slot).toBeUndefined();
    expect(await n.ok(["service", "ls"])).toMatch(/everywhere\s+global-job\s+0\/0 \(1\/1 completed\)/);
    await n.ok(["service", "rm", "everywhere"]);
  }, 60_000);

  test("a job whose task fails is retried per its restart policy until it completes", async () => {
    // Fails on the first attempt (no marker yet), completes on the second: the marker lives on a bind mount.
    const dir = `${n.dataDir}/job-marker`;
    await Bun.write(`${dir}/.keep`, "");
    await n.ok([
      "service", "create", "--name", "flaky-job", "--mode", "replicated-job", "--restart-delay", "100ms", "--mount", `type=bind,src=${dir},dst=/m`,
      n.image, "sh", "-c", "if [ -f /m/seen ]; then exit 0; fi; touch /m/seen; exit 4",
    ]);
    const ts = await tasks("flaky-job");
    expect(ts.map((t: any) => t.CurrentState).sort()).toEqual(["complete", "failed"]);
    expect(ts.find((t: any) => t.CurrentState === "failed").Error).toMatch(/non-zero exit \(4\)/);
    await n.ok(["service", "rm", "flaky-job"]);
  }, 60_000);

  test("--restart-condition none: the completed task is desired Shutdown and not restarted", async () => {
    await n.ok(["service", "create", "--name", "once", "--restart-condition", "none", "--detach", n.image, "true"]);
    const { waitUntil } = await import("../harness/index.ts");
    await waitUntil("the task completes and is desired shutdown", async () => {
      const t = (await tasks("once"))[0];
      return t?.CurrentState === "complete" && t.DesiredState === "shutdown";
    }, 20_000, 100);
    await n.ok(["service", "create", "--name", "barrier-2", "--stop-grace-period", "1s", n.image, "sleep", "1000"]);
    expect(await tasks("once")).toHaveLength(1);
    expect(await n.ok(["service", "ps", "once"])).toMatch(/Shutdown\s+Complete/);
    await n.ok(["service", "rm", "once", "barrier-2"]);
  }, 60_000);

  test("bad job flags are refused with the flag named, and nothing is created", async () => {
    const cases: [string[], RegExp][] = [
      [["--mode", "replicated-job", "--replicas", "2", "--max-concurrent", "3"], /--max-concurrent \(3\) cannot be larger than --replicas \(2\)/],
      [["--mode", "replicated", "--max-concurrent", "2"], /--max-concurrent can only be used with replicated-job mode/],
      [["--mode", "global-job", "--replicas", "2"], /--replicas can only be used with replicated or replicated-job mode/],
      [["--mode", "cron"], /invalid mode "cron"/],
      [["--mode", "replicated-job", "--update-parallelism", "2"], /jobs have no rolling updates/],
      [["--mode", "replicated-job", "--max-concurrent", "x"], /max-concurrent|replicas/],
    ];
    for (const [flags, err] of cases) {
      const r = await n.run(["service", "create", "--name", "badjob", ...flags, n.image, "true"]);
      expect({ flags, code: r.code }).toEqual({ flags, code: 1 });
      expect(r.stderr).toMatch(err);
    }
    expect(await n.ok(["service", "ls", "-q"])).toBe("");
  }, 60_000);
});
