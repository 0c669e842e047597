import { describe, expect, test } from "bun:test";
import type { ServiceSpec, Task } from "../../internal/api/index.ts";
import { cmd, node, serviceSpec, taskSpec } from "../store/fixtures/objects.ts";
import { Sim } from "./sim.ts";

function withImage(image: string, replicas = 3, force = 0): ServiceSpec {
  return serviceSpec("web", replicas, {
    TaskTemplate: taskSpec({ ContainerSpec: { Image: image }, ForceUpdate: force, RestartPolicy: { Condition: "any", Delay: 0, MaxAttempts: 0 } }),
  });
}

function running3(): Sim {
  const sim = new Sim();
  sim.apply([cmd.upsertNode(node("n1")), cmd.createService("s1", withImage("app:1"))]);
  sim.settle();
  return sim;
}

const update = (sim: Sim, spec: ServiceSpec): void =>
  sim.apply([{ kind: "service.update", id: "s1", spec, at: new Date(sim.now).toISOString() }]);

const images = (tasks: Task[]) => tasks.map((t) => `${t.Slot}:${t.Spec.ContainerSpec.Image}:${t.Status.State}`);

describe("rolling updates (parallelism 1, stop-first)", () => {
  test("one outdated task at a time: stop it, start its replacement, wait until running, then the next", () => {
    const sim = running3();
    update(sim, withImage("app:2"));
    // Step 1: only slot 1 is stopped.
    const p1 = sim.reconcile();
    expect(p1).toEqual([expect.objectContaining({ kind: "task.desired", desired: "shutdown" })]);
    expect(sim.reconcile()).toEqual([]); // waiting for the agent
    sim.agent(); // slot 1 stops
    sim.reconcile(); // replacement created in slot 1
    expect(images(sim.current("s1"))).toEqual(["1:app:2:pending", "2:app:1:running", "3:app:1:running"]);
    expect(sim.reconcile()).toEqual([]); // slot 2 waits until slot 1's new task runs
    sim.schedule();
    expect(sim.reconcile()).toEqual([]);
    sim.agent(); // slot 1's new task runs
    expect(sim.reconcile()).toEqual([expect.objectContaining({ kind: "task.desired", desired: "shutdown" })]);
    sim.settle();
    expect(images(sim.current("s1"))).toEqual(["1:app:2:running", "2:app:2:running", "3:app:2:running"]);
    expect(sim.current("s1").every((t) => t.ServiceVersion === 2 && t.Attempt === 0)).toBe(true);
    // History: each slot keeps its old task, shut down.
    const old = sim.tasksOf("s1").filter((t) => t.DesiredState === "shutdown");
    expect(images(old)).toEqual(["1:app:1:shutdown", "2:app:1:shutdown", "3:app:1:shutdown"]);
  });

  test("at most one slot is ever in transition during an update", () => {
    const sim = running3();
    update(sim, withImage("app:2"));
    for (let i = 0; i < 30; i++) {
      sim.reconcile();
      sim.schedule();
      sim.agent();
      const inTransition = [1, 2, 3].filter((slot) => {
        const cur = sim.tasksOf("s1").filter((t) => t.Slot === slot);
        return cur.some((t) => t.DesiredState === "shutdown" && t.Status.State === "running") || cur.some((t) => t.DesiredState === "running" && t.Status.State !== "running");
      });
      expect(inTransition.length).toBeLessThanOrEqual(1);
    }
    expect(images(sim.current("s1"))).toEqual(["1:app:2:running", "2:app:2:running", "3:app:2:running"]);
  });

  test("--force (ForceUpdate bumped) replaces tasks whose spec is otherwise unchanged", () => {
    const sim = running3();
    const before = sim.current("s1").map((t) => t.ID);
    update(sim, withImage("app:1", 3, 1));
    sim.settle();
    const after = sim.current("s1");
    expect(after.map((t) => t.Status.State)).toEqual(["running", "running", "running"]);
    expect(after.some((t) => before.includes(t.ID))).toBe(false);
  });

  test("changing only the replica count does not replace running tasks", () => {
    const sim = running3();
    const before = sim.current("s1").map((t) => t.ID);
    update(sim, withImage("app:1", 4));
    sim.settle();
    expect(sim.current("s1").slice(0, 3).map((t) => t.ID)).toEqual(before);
  });

  test("a failing new image blocks the update: its slot keeps restarting, the other slots keep the old version", () => {
    const sim = running3();
    sim.outcome = (t) => (t.Spec.ContainerSpec.Image === "app:bad" ? { state: "rejected", message: "No such image: app:bad" } : undefined);
    update(sim, withImage("app:bad"));
    for (let i = 0; i < 4; i++) {
      sim.reconcile();
      sim.schedule();
      sim.agent();
    }
    const slot1 = sim.tasksOf("s1").filter((t) => t.Slot === 1);
    expect(slot1.filter((t) => t.Spec.ContainerSpec.Image === "app:bad").length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...slot1.map((t) => t.Attempt))).toBeGreaterThanOrEqual(1);
    expect(images(sim.current("s1")).slice(1)).toEqual(["2:app:1:running", "3:app:1:running"]);
    // A fixed spec rolls out everywhere.
    update(sim, withImage("app:3"));
    sim.settle();
    expect(images(sim.current("s1"))).toEqual(["1:app:3:running", "2:app:3:running", "3:app:3:running"]);
  });

  test("a new version that fails for good (restart none) pauses the update", () => {
    const sim = new Sim();
    const spec = (image: string) =>
      serviceSpec("web", 2, { TaskTemplate: taskSpec({ ContainerSpec: { Image: image }, RestartPolicy: { Condition: "none", Delay: 0, MaxAttempts: 0 } }) });
    sim.apply([cmd.upsertNode(node("n1")), cmd.createService("s1", spec("app:1"))]);
    sim.settle();
    sim.outcome = (t) => (t.Spec.ContainerSpec.Image === "app:bad" ? { state: "failed", message: "exit 1" } : undefined);
    update(sim, spec("app:bad"));
    sim.settle();
    // The failed task is retired (desired shutdown) and holds its slot; slot 2 keeps the old version.
    expect(images(sim.current("s1"))).toEqual(["2:app:1:running"]);
    expect(images(sim.tasksOf("s1").filter((t) => t.Slot === 1)).pop()).toBe("1:app:bad:failed");
    expect(sim.state.services.s1!.UpdateStatus).toMatchObject({ State: "paused" });
  });
});
