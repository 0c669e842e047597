/**
 * The pure parts of issue 14 outside the orchestrator: the executor's health rules (a task is running
 * only once healthy; unhealthy fails), the flags of create/update (build-safe.ts through build.ts),
 * and when `--detach=false` reports a paused or rolled-back update.
 */
import { describe, expect, test } from "bun:test";
import { isSwarmError, type Service } from "../../internal/api/index.ts";
import { parseFlags, rolloutFailure } from "../../internal/cli/index.ts";
import { decide, type ContainerObs, type TaskView } from "../../internal/executor/index.ts";
import { buildCreateSpec, buildUpdateSpec, CREATE_FLAGS, UPDATE_FLAGS } from "../../internal/spec/index.ts";

const v = (container: ContainerObs, over: Partial<TaskView> = {}): TaskView => ({ desired: "running", reported: "starting", container, hadContainer: true, nowMs: 0, ...over });
const run = (health?: "starting" | "healthy" | "unhealthy", healthLog = ""): ContainerObs => ({ kind: "running", id: "c", pid: 7, ...(health ? { health, healthLog } : {}) });

describe("executor: health", () => {
  test("starting health: the task stays starting (no running report)", () => {
    expect(decide(v(run("starting")))).toEqual({ kind: "idle" });
    expect(decide(v(run("starting"), { reported: "preparing" }))).toMatchObject({ kind: "report", state: "starting" });
  });
  test("healthy (or no check): running", () => {
    expect(decide(v(run("healthy")))).toMatchObject({ kind: "report", state: "running" });
    expect(decide(v(run()))).toMatchObject({ kind: "report", state: "running" });
  });
  test("unhealthy, before or after running: failed with the probe's output, then stopped", () => {
    for (const reported of ["starting", "running"] as const) {
      expect(decide(v(run("unhealthy", "nope (exit 1)"), { reported }))).toMatchObject({ kind: "report", state: "failed", err: "unhealthy container: nope (exit 1)" });
    }
    expect(decide(v(run("unhealthy"), { reported: "failed" }))).toEqual({ kind: "stop", id: "c" });
  });
  test("a job's task (desired complete) is driven like a running one", () => {
    expect(decide(v({ kind: "none" }, { desired: "complete", reported: "preparing", hadContainer: false }))).toEqual({ kind: "prepare" });
    expect(decide(v({ kind: "exited", id: "c", exitCode: 0, error: "" }, { desired: "complete", reported: "running" }))).toMatchObject({ kind: "report", state: "complete" });
  });
});

const create = (...argv: string[]) => buildCreateSpec(parseFlags(argv, CREATE_FLAGS, { interspersed: false }));
const update = (spec: ReturnType<typeof create>, ...argv: string[]) => buildUpdateSpec(spec, parseFlags(argv, UPDATE_FLAGS));
const refused = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(isSwarmError(e) && e.code).toBe("INVALID_ARGUMENT");
    return (e as Error).message;
  }
  throw new Error("expected INVALID_ARGUMENT");
};

describe("flags", () => {
  test("health flags land in the spec; update edits them; --no-healthcheck disables", () => {
    const s = create("--name", "h", "--health-cmd", "curl -f localhost", "--health-interval", "2s", "--health-timeout", "1s", "--health-retries", "4", "--health-start-period", "10s", "img");
    expect(s.TaskTemplate.ContainerSpec.Healthcheck).toEqual({ Test: ["CMD-SHELL", "curl -f localhost"], Interval: 2e9, Timeout: 1e9, Retries: 4, StartPeriod: 10e9 });
    const u = update(s, "--health-retries", "1");
    expect(u.TaskTemplate.ContainerSpec.Healthcheck).toEqual({ ...s.TaskTemplate.ContainerSpec.Healthcheck, Retries: 1 });
    expect(update(s, "--no-healthcheck").TaskTemplate.ContainerSpec.Healthcheck).toEqual({ Test: ["NONE"] });
    expect(create("--name", "x", "img").TaskTemplate.ContainerSpec.Healthcheck).toBeUndefined();
  });
  test("update and rollback configs: defaults filled in, edits kept across updates", () => {
    const s = create("--name", "u", "--update-parallelism", "3", "--rollback-order", "start-first", "img");
    expect(s.UpdateConfig).toEqual({ Parallelism: 3, Delay: 0, FailureAction: "pause", Monitor: 5e9, MaxFailureRatio: 0, Order: "stop-first" });
    expect(s.RollbackConfig?.Order).toBe("start-first");
    const u = update(s, "--update-delay", "10s", "--update-failure-action", "rollback");
    expect(u.UpdateConfig).toEqual({ ...s.UpdateConfig!, Delay: 10e9, FailureAction: "rollback" });
    expect(u.RollbackConfig).toEqual(s.RollbackConfig!);
    expect(create("--name", "x", "img").UpdateConfig).toBeUndefined();
  });
  test("job modes", () => {
    expect(create("--name", "j", "--mode", "replicated-job", "--replicas", "5", "--max-concurrent", "2", "img").Mode).toEqual({ ReplicatedJob: { TotalCompletions: 5, MaxConcurrent: 2 } });
    expect(create("--name", "j", "--mode", "replicated-job", "img").Mode).toEqual({ ReplicatedJob: { TotalCompletions: 1, MaxConcurrent: 1 } });
    expect(create("--name", "g", "--mode", "global-job", "img").Mode).toEqual({ GlobalJob: {} });
    const j = create("--name", "j", "--mode", "replicated-job", "--replicas", "5", "--max-concurrent", "2", "img");
    expect(update(j, "--replicas", "8").Mode).toEqual({ ReplicatedJob: { TotalCompletions: 8, MaxConcurrent: 2 } });
  });
  test("bad values name their flag", () => {
    expect(refused(() => create("--name", "x", "--update-parallelism", "two", "img"))).toMatch(/--update-parallelism/);
    expect(refused(() => create("--name", "x", "--rollback-monitor", "1y", "img"))).toMatch(/--rollback-monitor/);
    expect(refused(() => create("--name", "x", "--health-start-period", "1ns", "img"))).toMatch(/--health-start-period/);
    expect(refused(() => create("--name", "x", "--mode", "global", "--max-concurrent", "1", "img"))).toMatch(/--max-concurrent/);
    const s = create("--name", "x", "img");
    expect(refused(() => update(s, "--max-concurrent", "2"))).toMatch(/--max-concurrent can only be used with replicated-job mode/);
  });
});

describe("--detach=false verdicts", () => {
  const svc = (UpdateStatus?: Service["UpdateStatus"]) => ({ ID: "s", Spec: { Name: "web" }, UpdateStatus }) as unknown as Service;
  test("a status left by an earlier update is not this command's", () => {
    expect(rolloutFailure(svc({ State: "paused", StartedAt: "t0", Message: "m" }), { since: "t0" })).toBeUndefined();
  });
  test("paused fails at once; an update rolled back fails once the rollback completed; a manual rollback does not", () => {
    expect(rolloutFailure(svc({ State: "paused", StartedAt: "t1", Message: "update paused due to x" }), { since: "t0" })?.message).toMatch(/^update paused: update paused due to x/);
    const w: { since: string | undefined; rolledBack?: string } = { since: "t0" };
    expect(rolloutFailure(svc({ State: "rollback_started", StartedAt: "t2", Message: "update rolled back due to y" }), w)).toBeUndefined();
    expect(rolloutFailure(svc({ State: "rollback_completed", StartedAt: "t2", Message: "rollback completed" }), w)?.message).toBe("service rolled back: update rolled back due to y");
    const manual: { since: string | undefined; rolledBack?: string } = { since: "t0" };
    expect(rolloutFailure(svc({ State: "rollback_started", StartedAt: "t2", Message: "manually requested rollback" }), manual)).toBeUndefined();
    expect(rolloutFailure(svc({ State: "rollback_completed", StartedAt: "t2", Message: "rollback completed" }), manual)).toBeUndefined();
  });
});
