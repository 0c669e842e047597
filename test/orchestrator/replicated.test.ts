import { describe, expect, test } from "bun:test";
import type { Command, ServiceSpec } from "../../internal/api/index.ts";
import { reconcile } from "../../internal/orchestrator/index.ts";
import { cmd, node, serviceSpec, taskSpec } from "../store/fixtures/objects.ts";
import { Sim, T0 } from "./sim.ts";

function cluster(): Sim {
  const sim = new Sim();
  sim.apply([cmd.upsertNode(node("n1"))]);
  return sim;
}

const update = (sim: Sim, id: string, spec: ServiceSpec): void =>
  sim.apply([{ kind: "service.update", id, spec, at: new Date(sim.now).toISOString() }]);

describe("replicated services", () => {
  test("create 3 replicas: slots 1..3 get pending tasks; reconciling again plans nothing", () => {
    const sim = cluster();
    sim.apply([cmd.createService("s1", serviceSpec("web", 3))]);
    const plan = sim.reconcile();
    expect(plan.map((c) => c.kind)).toEqual(["task.create", "task.create", "task.create"]);
    const tasks = sim.tasksOf("s1");
    expect(tasks.map((t) => t.Slot)).toEqual([1, 2, 3]);
    for (const t of tasks) {
      expect(t.Status).toEqual({ Timestamp: new Date(T0).toISOString(), State: "pending", Message: "pending task scheduling" });
      expect(t).toMatchObject({ DesiredState: "running", Attempt: 0, ServiceVersion: 1 });
      expect(t.NodeID).toBeUndefined();
      expect(t.Spec).toEqual(sim.state.services.s1!.Spec.TaskTemplate);
    }
    expect(reconcile(sim.state, { now: T0, newId: sim.newId })).toEqual([]);
  });

  test("create → reconcile → schedule → agent converges to all replicas running", () => {
    const sim = cluster();
    sim.apply([cmd.createService("s1", serviceSpec("web", 3))]);
    sim.settle();
    expect(sim.running("s1").map((t) => [t.Slot, t.NodeID])).toEqual([
      [1, "n1"],
      [2, "n1"],
      [3, "n1"],
    ]);
  });

  test("scale up adds slots; scale down stops the highest slots and forgets them once stopped", () => {
    const sim = cluster();
    sim.apply([cmd.createService("s1", serviceSpec("web", 3))]);
    sim.settle();
    const before = sim.running("s1").map((t) => t.ID);
    update(sim, "s1", serviceSpec("web", 6));
    sim.settle();
    expect(sim.running("s1").map((t) => t.Slot)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(sim.running("s1").slice(0, 3).map((t) => t.ID)).toEqual(before); // untouched

    update(sim, "s1", serviceSpec("web", 2));
    const plan = sim.reconcile();
    expect(plan.filter((c) => c.kind === "task.desired").map((c) => (c as Extract<Command, { kind: "task.desired" }>).desired)).toEqual([
      "remove",
      "remove",
      "remove",
      "remove",
    ]);
    expect(sim.tasksOf("s1").filter((t) => t.DesiredState === "remove").map((t) => t.Slot)).toEqual([3, 4, 5, 6]);
    sim.settle();
    expect(sim.tasksOf("s1").map((t) => [t.Slot, t.Status.State])).toEqual([
      [1, "running"],
      [2, "running"],
    ]);
  });

  test("scale to 0 and back: every task goes, then fresh tasks come", () => {
    const sim = cluster();
    sim.apply([cmd.createService("s1", serviceSpec("web", 2))]);
    sim.settle();
    update(sim, "s1", serviceSpec("web", 0));
    sim.settle();
    expect(sim.tasksOf("s1")).toEqual([]);
    update(sim, "s1", serviceSpec("web", 1));
    sim.settle();
    expect(sim.running("s1").map((t) => t.Slot)).toEqual([1]);
  });

  test("a failed task in slot 2 is replaced after its restart delay, and history is capped at 5", () => {
    const sim = cluster();
    sim.apply([cmd.createService("s1", serviceSpec("web", 3))]);
    sim.settle();
    const failOnce = (id: string) => {
      sim.now += 1000;
      sim.apply([cmd.status(id, "failed", new Date(sim.now).toISOString(), "task: non-zero exit (1)")]);
    };
    const slot2 = sim.current("s1").find((t) => t.Slot === 2)!;
    failOnce(slot2.ID);
    const failedAt = sim.now;
    sim.settle();
    const repl = sim.current("s1").find((t) => t.Slot === 2)!;
    expect(repl.ID).not.toBe(slot2.ID);
    expect(repl.Attempt).toBe(1);
    expect(repl.NotBefore).toBe(new Date(failedAt + 5000).toISOString());
    expect(repl.Status.State).toBe("assigned"); // scheduled, but the agent waits for NotBefore
    expect(sim.state.tasks[slot2.ID]).toMatchObject({ DesiredState: "shutdown", Status: { State: "failed" } });
    sim.now = failedAt + 5000;
    sim.settle();
    expect(sim.state.tasks[repl.ID]!.Status.State).toBe("running");

    // Keep failing slot 2: the slot never holds more than 5 tasks, the newest kept.
    for (let i = 0; i < 8; i++) {
      failOnce(sim.current("s1").find((t) => t.Slot === 2)!.ID);
      sim.now += 5000;
      sim.settle();
    }
    const slot2Tasks = sim.tasksOf("s1").filter((t) => t.Slot === 2);
    expect(slot2Tasks).toHaveLength(5);
    expect(slot2Tasks.map((t) => t.Attempt).sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9]);
    expect(slot2Tasks.filter((t) => t.DesiredState === "running").map((t) => t.Status.State)).toEqual(["running"]);
    // Slots 1 and 3 were never touched.
    expect(sim.tasksOf("s1").filter((t) => t.Slot !== 2)).toHaveLength(2);
  });

  test("restart condition none: an ended task stays ended, is not replaced, and is desired shutdown (like Docker)", () => {
    const sim = cluster();
    const spec = serviceSpec("job", 1, { TaskTemplate: taskSpec({ RestartPolicy: { Condition: "none", Delay: 0, MaxAttempts: 0 } }) });
    sim.apply([cmd.createService("s1", spec)]);
    sim.outcome = () => ({ state: "failed", message: "exit 1" });
    sim.settle();
    expect(sim.tasksOf("s1").map((t) => [t.Status.State, t.DesiredState])).toEqual([["failed", "shutdown"]]);
  });

  test("restart condition on-failure: a completed task stays, a failed or rejected one is replaced", () => {
    const policy = { Condition: "on-failure" as const, Delay: 0, MaxAttempts: 0 };
    const sim = cluster();
    sim.apply([
      cmd.createService("ok", serviceSpec("ok", 1, { TaskTemplate: taskSpec({ RestartPolicy: policy }) })),
      cmd.createService("bad", serviceSpec("bad", 1, { TaskTemplate: taskSpec({ RestartPolicy: policy, ContainerSpec: { Image: "nope" } }) })),
    ]);
    let rejections = 0;
    sim.outcome = (t) => {
      if (t.ServiceID === "ok") return { state: "complete", message: "finished" };
      if (rejections++ < 2) return { state: "rejected", message: "No such image: nope" };
      return undefined;
    };
    sim.settle();
    expect(sim.tasksOf("ok").map((t) => t.Status.State)).toEqual(["complete"]);
    expect(sim.tasksOf("bad").map((t) => [t.Attempt, t.Status.State])).toEqual([
      [0, "rejected"],
      [1, "rejected"],
      [2, "running"],
    ]);
    expect(sim.tasksOf("bad")[0]!.Status.Message).toBe("No such image: nope");
  });

  test("MaxAttempts 2 stops replacing after two replacements", () => {
    const sim = cluster();
    const spec = serviceSpec("flaky", 1, { TaskTemplate: taskSpec({ RestartPolicy: { Condition: "any", Delay: 0, MaxAttempts: 2 } }) });
    sim.apply([cmd.createService("s1", spec)]);
    sim.outcome = () => ({ state: "failed", message: "exit 1" });
    sim.settle();
    expect(sim.tasksOf("s1").map((t) => [t.Attempt, t.Status.State, t.DesiredState])).toEqual([
      [0, "failed", "shutdown"],
      [1, "failed", "shutdown"],
      [2, "failed", "shutdown"],
    ]);
  });

  test("restart condition none: a completed task shows desired Shutdown and holds its slot", () => {
    const sim = cluster();
    const spec = serviceSpec("once", 2, { TaskTemplate: taskSpec({ RestartPolicy: { Condition: "none", Delay: 0, MaxAttempts: 0 } }) });
    sim.apply([cmd.createService("s1", spec)]);
    sim.outcome = () => ({ state: "complete", message: "finished" });
    sim.settle();
    expect(sim.tasksOf("s1").map((t) => [t.Slot, t.Status.State, t.DesiredState])).toEqual([
      [1, "complete", "shutdown"],
      [2, "complete", "shutdown"],
    ]);
    sim.now += 60_000;
    sim.settle();
    expect(sim.tasksOf("s1")).toHaveLength(2);
  });

  test("MaxAttempts within a Window: replacements resume once older attempts leave the window", () => {
    const sim = cluster();
    const RestartPolicy = { Condition: "any" as const, Delay: 0, MaxAttempts: 1, Window: 60e9 };
    sim.apply([cmd.createService("s1", serviceSpec("flaky", 1, { TaskTemplate: taskSpec({ RestartPolicy }) }))]);
    sim.outcome = () => ({ state: "failed", message: "exit 1" });
    sim.settle();
    expect(sim.tasksOf("s1").map((t) => t.Attempt)).toEqual([0, 1]); // one replacement in the window
    sim.now += 61_000;
    sim.settle();
    expect(sim.tasksOf("s1").map((t) => t.Attempt)).toEqual([0, 1, 2]);
  });

  test("the restart delay is measured from when the task ended", () => {
    const sim = cluster();
    const RestartPolicy = { Condition: "any" as const, Delay: 2e9, MaxAttempts: 0 };
    sim.apply([cmd.createService("s1", serviceSpec("w", 1, { TaskTemplate: taskSpec({ RestartPolicy }) }))]);
    sim.settle();
    const first = sim.current("s1")[0]!;
    sim.apply([cmd.status(first.ID, "failed", new Date(T0 + 500).toISOString())]);
    sim.now = T0 + 1500; // the orchestrator notices a second later
    sim.settle();
    expect(sim.current("s1")[0]!.NotBefore).toBe(new Date(T0 + 2500).toISOString());
  });

  test("a service whose tasks fit nowhere stays pending; fixing the constraint replaces them at once", () => {
    const sim = cluster();
    const pinned = (c: string) => serviceSpec("web", 2, { TaskTemplate: taskSpec({ Placement: { Constraints: [c] } }) });
    sim.apply([cmd.createService("s1", pinned("node.role==worker"))]);
    sim.settle();
    expect(sim.tasksOf("s1").map((t) => t.Status)).toEqual([
      expect.objectContaining({ State: "pending", Err: "no suitable node (scheduling constraints not satisfied on 1 node)" }),
      expect.objectContaining({ State: "pending", Err: "no suitable node (scheduling constraints not satisfied on 1 node)" }),
    ]);
    update(sim, "s1", pinned("node.role==manager"));
    sim.reconcile();
    // Both old tasks are shut down together (they held nothing), not one at a time.
    expect(sim.current("s1").map((t) => t.Spec.Placement?.Constraints)).toEqual([["node.role==manager"], ["node.role==manager"]]);
    sim.settle();
    expect(sim.running("s1")).toHaveLength(2);
    expect(sim.tasksOf("s1").filter((t) => t.DesiredState === "shutdown").map((t) => t.Status.State)).toEqual(["shutdown", "shutdown"]);
  });

  test("extra tasks desired running in one slot are shut down, keeping the newest", () => {
    const sim = cluster();
    sim.apply([cmd.createService("s1", serviceSpec("web", 1))]);
    sim.settle();
    const old = sim.current("s1")[0]!;
    sim.now += 1000;
    sim.apply([cmd.createTask({ ...old, ID: "dup", CreatedAt: new Date(sim.now).toISOString() })]);
    sim.settle();
    expect(sim.current("s1").map((t) => t.ID)).toEqual(["dup"]);
    expect(sim.state.tasks[old.ID]).toMatchObject({ DesiredState: "shutdown", Status: { State: "shutdown" } });
  });

  test("service rm: every task is stopped, then forgotten", () => {
    const sim = cluster();
    sim.apply([cmd.createService("s1", serviceSpec("web", 3)), cmd.createService("s2", serviceSpec("db", 1))]);
    sim.settle();
    sim.apply([{ kind: "service.remove", id: "s1", at: new Date(sim.now).toISOString() }]);
    expect(sim.reconcile()).toEqual([]); // running tasks wait for the agent
    expect(sim.agent()).toHaveLength(3);
    const ids = sim.tasksOf("s1").map((t) => t.ID);
    expect(ids).toHaveLength(3);
    expect(sim.reconcile()).toEqual([{ kind: "task.delete", ids }]);
    expect(sim.tasksOf("s1")).toEqual([]);
    expect(sim.running("s2")).toHaveLength(1);
  });

  test("tasks of a service that no longer exists are desired remove; unassigned ones are deleted at once", () => {
    const sim = cluster();
    sim.apply([cmd.createService("s1", serviceSpec("web", 1))]);
    sim.reconcile(); // pending, unassigned
    sim.apply([{ kind: "service.remove", id: "s1", at: new Date(sim.now).toISOString() }]);
    sim.reconcile();
    expect(sim.state.tasks).toEqual({});
  });

  test("tasks on a node removed from the cluster are orphaned and replaced elsewhere", () => {
    const sim = cluster();
    sim.apply([cmd.upsertNode(node("n2")), cmd.createService("s1", serviceSpec("web", 2, { TaskTemplate: taskSpec({ RestartPolicy: { Condition: "on-failure", Delay: 0, MaxAttempts: 0 } }) }))]);
    sim.settle();
    expect(sim.running("s1").map((t) => t.NodeID)).toEqual(["n1", "n2"]);
    const lost = sim.running("s1")[1]!;
    sim.apply([{ kind: "node.remove", id: "n2" }]);
    sim.settle();
    expect(sim.state.tasks[lost.ID]).toMatchObject({ DesiredState: "shutdown", Status: { State: "orphaned" } });
    // Moved, not restarted: the replacement is a fresh task (Attempt 0, no restart delay).
    expect(sim.running("s1").map((t) => [t.Slot, t.NodeID, t.Attempt])).toEqual([
      [1, "n1", 0],
      [2, "n1", 0],
    ]);
  });
});
