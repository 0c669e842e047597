/** Jobs: replicated-job (completions, max concurrent) and global-job; completed tasks are never restarted. */
import { describe, expect, test } from "bun:test";
import type { ServiceSpec } from "../../internal/api/index.ts";
import { cmd, node, serviceSpec, taskSpec } from "../store/fixtures/objects.ts";
import { Sim } from "./sim.ts";

const onFailure = { Condition: "on-failure" as const, Delay: 0, MaxAttempts: 0 };

function job(total: number, maxConcurrent: number): ServiceSpec {
  return serviceSpec("backup", 1, { Mode: { ReplicatedJob: { TotalCompletions: total, MaxConcurrent: maxConcurrent } }, TaskTemplate: taskSpec({ RestartPolicy: onFailure }) });
}

describe("jobs", () => {
  test("replicated-job: runs TotalCompletions tasks, at most MaxConcurrent at once; completed ones stay Complete", () => {
    const sim = new Sim();
    sim.apply([cmd.upsertNode(node("n1")), cmd.createService("s1", job(5, 2))]);
    sim.outcome = () => ({ state: "complete", message: "finished" });
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      sim.reconcile();
      sim.schedule();
      peak = Math.max(peak, sim.tasksOf("s1").filter((t) => t.Status.State !== "complete").length);
      sim.agent();
    }
    expect(peak).toBe(2);
    const tasks = sim.tasksOf("s1");
    expect(tasks.map((t) => [t.Slot, t.Status.State, t.DesiredState])).toEqual([1, 2, 3, 4, 5].map((s) => [s, "complete", "complete"]));
    expect(sim.settle()).toBe(1); // nothing is ever restarted
  });

  test("a failed job task is replaced per the restart policy; the slot is done once a task completes", () => {
    const sim = new Sim();
    sim.apply([cmd.upsertNode(node("n1")), cmd.createService("s1", job(1, 1))]);
    let tries = 0;
    sim.outcome = () => (tries++ < 2 ? { state: "failed", message: "exit 1" } : { state: "complete", message: "finished" });
    sim.settle();
    expect(sim.tasksOf("s1").map((t) => [t.Attempt, t.Status.State, t.DesiredState])).toEqual([
      [0, "failed", "shutdown"],
      [1, "failed", "shutdown"],
      [2, "complete", "complete"],
    ]);
  });

  test("updating a job runs it again (a new iteration); the old iteration's tasks are left as they ended", () => {
    const sim = new Sim();
    sim.apply([cmd.upsertNode(node("n1")), cmd.createService("s1", job(2, 2))]);
    sim.outcome = () => ({ state: "complete", message: "finished" });
    sim.settle();
    const spec = { ...sim.state.services.s1!.Spec, TaskTemplate: { ...sim.state.services.s1!.Spec.TaskTemplate, ForceUpdate: 1 } };
    sim.apply([{ kind: "service.update", id: "s1", spec, at: new Date(sim.now).toISOString() }]);
    expect(sim.state.services.s1!.JobStatus!.JobIteration.Index).toBe(2);
    sim.settle();
    const tasks = sim.tasksOf("s1");
    expect(tasks).toHaveLength(4);
    expect(tasks.filter((t) => t.JobIteration!.Index === 2).map((t) => t.Status.State)).toEqual(["complete", "complete"]);
  });

  test("global-job: one task per node, each to completion; a node that joins later runs it too", () => {
    const sim = new Sim();
    sim.apply([cmd.upsertNode(node("n1")), cmd.upsertNode(node("n2")), cmd.createService("s1", { ...job(1, 1), Mode: { GlobalJob: {} } })]);
    sim.outcome = () => ({ state: "complete", message: "finished" });
    sim.settle();
    expect(sim.tasksOf("s1").map((t) => [t.NodeID, t.Status.State])).toEqual([["n1", "complete"], ["n2", "complete"]].sort());
    sim.apply([cmd.upsertNode(node("n3"))]);
    sim.settle();
    expect(sim.tasksOf("s1").filter((t) => t.Status.State === "complete")).toHaveLength(3);
  });
});
