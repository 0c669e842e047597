/**
 * Issue 11, defect 8: `--detach=false` on an update to an image that cannot be pulled printed
 * `overall progress: 0 out of 3 tasks` forever. Each slot that is not done now says what is wrong: its
 * newest task's error, else the error of its last failed or rejected task while the replacement waits.
 */
import { expect, test } from "bun:test";
import type { Service, Task, TaskState } from "../../internal/api/index.ts";
import { progressOf } from "../../internal/cli/index.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();
const template = { ContainerSpec: { Image: "nope:latest" }, RestartPolicy: { Condition: "any" as const, Delay: 5e9, MaxAttempts: 0 }, ForceUpdate: 0 };
const svc: Service = {
  ID: "svc", Version: { Index: 2 }, CreatedAt: at(0), UpdatedAt: at(0),
  Spec: { Name: "web", Labels: {}, TaskTemplate: template, Mode: { Replicated: { Replicas: 2 } }, EndpointSpec: { Ports: [] } },
  Endpoint: { Spec: { Ports: [] }, Ports: [] },
};

function task(id: string, slot: number, state: TaskState, ms: number, extra: Partial<Task> = {}, status: Partial<Task["Status"]> = {}): Task {
  return {
    ID: id, Version: { Index: 1 }, CreatedAt: at(ms), UpdatedAt: at(ms), ServiceID: "svc", Slot: slot, Spec: template, ServiceVersion: 2,
    Status: { Timestamp: at(ms), State: state, Message: state, ...status }, DesiredState: "running", Attempt: 0, ...extra,
  };
}

test("a slot whose last task was rejected shows that error while its replacement waits", () => {
  const rejected = task("a", 1, "rejected", 100, { DesiredState: "shutdown" }, { Err: "No such image: nope:latest" });
  const waiting = task("b", 1, "pending", 200);
  const p = progressOf(svc, [rejected, waiting, task("c", 2, "preparing", 150)], T0 + 1000);
  expect(p.done).toBe(0);
  expect(p.lines[0]).toMatchObject({ label: "1/2", state: "pending", message: "No such image: nope:latest" });
  expect(p.lines[1]).toMatchObject({ label: "2/2", state: "preparing", message: "" });
});

test("a task the scheduler cannot place says why", () => {
  const p = progressOf(svc, [task("a", 1, "pending", 100, {}, { Err: "no suitable node (scheduling constraints not satisfied on 1 node)" })], T0 + 1000);
  expect(p.lines[0]!.message).toBe("no suitable node (scheduling constraints not satisfied on 1 node)");
});

test("a running, current task shows no old error", () => {
  const old = task("a", 1, "failed", 100, { DesiredState: "shutdown" }, { Err: "exit 1" });
  const p = progressOf(svc, [old, task("b", 1, "running", 200)], T0 + 10_000);
  expect(p.lines[0]!.message).toBe("");
});
