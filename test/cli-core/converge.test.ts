/**
 * `--detach=false` convergence: every slot's newest task runs the current spec, nothing extra runs,
 * and each running task has stayed up for the monitor window — no fixed wait for tasks that were
 * already stable.
 */
import { describe, expect, test } from "bun:test";
import type { Service, Task, TaskState } from "../../internal/api/index.ts";
import { progressBar, progressOf } from "../../internal/cli/index.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();
const template = { ContainerSpec: { Image: "busybox:latest" }, RestartPolicy: { Condition: "any" as const, Delay: 5e9, MaxAttempts: 0 }, ForceUpdate: 0 };

function service(replicas: number): Service {
  return {
    ID: "svc", Version: { Index: 1 }, CreatedAt: at(0), UpdatedAt: at(0),
    Spec: { Name: "web", Labels: {}, TaskTemplate: template, Mode: { Replicated: { Replicas: replicas } }, EndpointSpec: { Ports: [] } },
    Endpoint: { Spec: { Ports: [] }, Ports: [] },
  };
}

function task(slot: number, state: TaskState, sinceMs: number, extra: Partial<Task> = {}): Task {
  return {
    ID: `t${slot}-${sinceMs}`, Version: { Index: 1 }, CreatedAt: at(sinceMs - 100), UpdatedAt: at(sinceMs), ServiceID: "svc", Slot: slot,
    Spec: template, ServiceVersion: 1, Status: { Timestamp: at(sinceMs), State: state, Message: "" }, DesiredState: "running", Attempt: 0,
    ...extra,
  };
}

describe("convergence", () => {
  test("tasks running for longer than the window: converged at once", () => {
    const p = progressOf(service(2), [task(1, "running", 0), task(2, "running", 0)], T0 + 5000);
    expect(p).toMatchObject({ done: 2, total: 2, converged: true, verifyRemainingMs: 0 });
  });

  test("a task that just started makes the verify phase wait out the rest of its window", () => {
    const p = progressOf(service(2), [task(1, "running", 0), task(2, "running", 4700)], T0 + 5000, 1000);
    expect(p.allRunning).toBe(true);
    expect(p.converged).toBe(false);
    expect(p.verifyRemainingMs).toBe(700);
  });

  test("a task that died inside the window is not converged while its replacement starts", () => {
    const dead = task(1, "failed", 4800, { DesiredState: "shutdown" });
    const replacement = task(1, "starting", 4900, { ID: "t1-new" });
    const p = progressOf(service(1), [dead, replacement], T0 + 5000);
    expect(p.converged).toBe(false);
    expect(p.lines[0]).toMatchObject({ label: "1/1", state: "starting" });
  });

  test("a rejected task shows its error on its line", () => {
    const p = progressOf(service(1), [task(1, "rejected", 100, { Status: { Timestamp: at(100), State: "rejected", Message: "preparing", Err: "No such image: nope:latest" } })], T0 + 200);
    expect(p.lines[0]!.message).toBe("No such image: nope:latest");
  });

  test("after a scale-down, extra slots still running keep it from converging", () => {
    const p = progressOf(service(1), [task(1, "running", 0), task(2, "running", 0, { DesiredState: "remove" })], T0 + 5000);
    expect(p.done).toBe(1);
    expect(p.converged).toBe(false);
  });

  test("a task running an old spec does not count after an update", () => {
    const old = task(1, "running", 0, { Spec: { ...template, ContainerSpec: { Image: "busybox:old" } } });
    expect(progressOf(service(1), [old], T0 + 5000).done).toBe(0);
  });

  test("progress bars follow the task state", () => {
    expect(progressBar("running")).toBe(`[${"=".repeat(49)}>]`);
    expect(progressBar("preparing").length).toBe(52);
    expect(progressBar("failed")).toBe("");
  });
});
