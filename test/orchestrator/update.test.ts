import { describe, expect, test } from "bun:test";
import { type ServiceSpec, type Task, UPDATE_DEFAULTS, type UpdateConfig } from "../../internal/api/index.ts";
import { applyWithOutcomes } from "../../internal/store/index.ts";
import { AT, cmd, node, serviceSpec, taskSpec } from "../store/fixtures/objects.ts";
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

describe("rolling updates: UpdateConfig", () => {
  const cfg = (over: Partial<UpdateConfig>): UpdateConfig => ({ ...UPDATE_DEFAULTS, Monitor: 0, ...over });
  function start(replicas: number, over: Partial<UpdateConfig>, rollback?: Partial<UpdateConfig>): Sim {
    const sim = new Sim();
    const spec = withImage("app:1", replicas);
    spec.UpdateConfig = cfg(over);
    if (rollback) spec.RollbackConfig = cfg(rollback);
    sim.apply([cmd.upsertNode(node("n1")), cmd.createService("s1", spec)]);
    sim.settle();
    return sim;
  }
  /** Reconcile, schedule and run a fixed number of times (a task that keeps failing never settles). */
  const rounds = (sim: Sim, n: number) => {
    for (let i = 0; i < n; i++) {
      sim.reconcile();
      sim.schedule();
      sim.agent();
    }
  };
  const next = (sim: Sim, image: string): ServiceSpec => ({ ...sim.state.services.s1!.Spec, TaskTemplate: { ...sim.state.services.s1!.Spec.TaskTemplate, ContainerSpec: { Image: image } } });
  /** Slots with a task that is neither settled running nor ended: what is in flight now. */
  const inFlight = (sim: Sim) =>
    [...new Set(sim.tasksOf("s1").filter((t) => (t.DesiredState === "running" && t.Status.State !== "running") || (t.DesiredState === "shutdown" && t.Status.State === "running")).map((t) => t.Slot))].length;

  test("parallelism 2: two slots at a time, never more, until every slot runs the new image; then completed", () => {
    const sim = start(5, { Parallelism: 2 });
    update(sim, next(sim, "app:2"));
    expect(sim.state.services.s1!.UpdateStatus).toMatchObject({ State: "updating", Message: "update in progress" });
    let peak = 0;
    for (let i = 0; i < 40; i++) {
      sim.reconcile();
      peak = Math.max(peak, inFlight(sim));
      sim.schedule();
      sim.agent();
    }
    expect(peak).toBe(2);
    expect(images(sim.current("s1"))).toEqual([1, 2, 3, 4, 5].map((n) => `${n}:app:2:running`));
    expect(sim.state.services.s1!.UpdateStatus).toMatchObject({ State: "completed", Message: "update completed", CompletedAt: expect.any(String) });
  });

  test("parallelism 0 updates every slot at once", () => {
    const sim = start(4, { Parallelism: 0 });
    update(sim, next(sim, "app:2"));
    const p = sim.reconcile();
    expect(p.filter((c) => c.kind === "task.desired")).toHaveLength(4);
  });

  test("delay: a slot's next turn waits until its new task has run for the delay", () => {
    const sim = start(2, { Parallelism: 1, Delay: 10e9 });
    update(sim, next(sim, "app:2"));
    sim.settle(); // slot 1 updated and running; slot 2 waits for the delay
    expect(images(sim.current("s1"))).toEqual(["1:app:2:running", "2:app:1:running"]);
    const wake = sim.plane.plan(sim.state, sim.ctx).nextCheckAtMs;
    expect(wake).toBe(sim.now + 10_000);
    sim.now += 9_999;
    sim.settle();
    expect(images(sim.current("s1"))).toEqual(["1:app:2:running", "2:app:1:running"]);
    sim.now += 1;
    sim.settle();
    expect(images(sim.current("s1"))).toEqual(["1:app:2:running", "2:app:2:running"]);
  });

  test("start-first: the new task runs beside the old one, which stops only once the new one runs", () => {
    const sim = start(1, { Order: "start-first" });
    const old = sim.current("s1")[0]!;
    update(sim, next(sim, "app:2"));
    const p = sim.reconcile();
    expect(p.map((c) => c.kind)).toEqual(["task.create"]);
    sim.schedule();
    expect(images(sim.current("s1"))).toEqual(["1:app:1:running", "1:app:2:assigned"]);
    expect(sim.reconcile()).toEqual([]); // the old one keeps serving
    sim.agent(); // the new one runs
    expect(sim.reconcile()).toEqual([expect.objectContaining({ kind: "task.desired", id: old.ID, desired: "shutdown" })]);
    sim.settle();
    expect(images(sim.current("s1"))).toEqual(["1:app:2:running"]);
    expect(sim.state.services.s1!.UpdateStatus!.State).toBe("completed");
  });

  test("start-first: a new task that fails leaves the old one running; the update pauses", () => {
    const sim = start(2, { Order: "start-first" });
    sim.outcome = (t) => (t.Spec.ContainerSpec.Image === "app:bad" ? { state: "failed", message: "exit 1" } : undefined);
    update(sim, next(sim, "app:bad"));
    rounds(sim, 12);
    expect(sim.state.services.s1!.UpdateStatus).toMatchObject({ State: "paused", Message: expect.stringMatching(/^update paused due to failure or early termination of task /) });
    expect(images(sim.running("s1"))).toEqual(["1:app:1:running", "2:app:1:running"]);
  });

  test("failure action pause: the first failed task pauses the update; other slots keep the old version; update again resumes", () => {
    const sim = start(3, {});
    sim.outcome = (t) => (t.Spec.ContainerSpec.Image === "app:bad" ? { state: "failed", message: "exit 1" } : undefined);
    update(sim, next(sim, "app:bad"));
    rounds(sim, 12);
    const st = sim.state.services.s1!.UpdateStatus!;
    expect(st.State).toBe("paused");
    expect(images(sim.running("s1"))).toEqual(["2:app:1:running", "3:app:1:running"]);
    update(sim, next(sim, "app:3"));
    sim.settle();
    expect(images(sim.current("s1"))).toEqual(["1:app:3:running", "2:app:3:running", "3:app:3:running"]);
    expect(sim.state.services.s1!.UpdateStatus).toMatchObject({ State: "completed" });
  });

  test("max failure ratio: failures up to the ratio are tolerated", () => {
    const sim = start(4, { Parallelism: 0, MaxFailureRatio: 0.5 });
    sim.outcome = (t) => (t.Spec.ContainerSpec.Image === "app:2" && t.Slot === 1 && t.Attempt === 0 ? { state: "failed", message: "exit 1" } : undefined);
    update(sim, next(sim, "app:2"));
    sim.settle();
    expect(sim.state.services.s1!.UpdateStatus).toMatchObject({ State: "completed" });
  });

  test("monitor: a task that fails within Monitor of starting counts; after it, it does not", () => {
    const sim = start(1, { Monitor: 5e9 });
    update(sim, next(sim, "app:2"));
    sim.settle();
    expect(sim.state.services.s1!.UpdateStatus!.State).toBe("updating"); // running, but not for 5 s yet
    sim.now += 4_000;
    const t = sim.current("s1")[0]!;
    sim.apply([cmd.status(t.ID, "failed", new Date(sim.now).toISOString())]);
    sim.settle();
    expect(sim.state.services.s1!.UpdateStatus!.State).toBe("paused");

    const sim2 = start(1, { Monitor: 5e9 });
    update(sim2, next(sim2, "app:2"));
    sim2.settle();
    sim2.now += 5_000;
    sim2.settle();
    expect(sim2.state.services.s1!.UpdateStatus!.State).toBe("completed");
  });

  test("failure action rollback: the previous spec comes back with the rollback config; rollback_completed", () => {
    const sim = start(3, { FailureAction: "rollback" }, { Parallelism: 0 });
    sim.outcome = (t) => (t.Spec.ContainerSpec.Image === "app:bad" ? { state: "failed", message: "exit 1" } : undefined);
    update(sim, next(sim, "app:bad"));
    rounds(sim, 12);
    sim.settle();
    const svc = sim.state.services.s1!;
    expect(svc.Spec.TaskTemplate.ContainerSpec.Image).toBe("app:1");
    expect(svc.PreviousSpec!.TaskTemplate.ContainerSpec.Image).toBe("app:bad");
    expect(svc.UpdateStatus).toMatchObject({ State: "rollback_completed", Message: "rollback completed" });
    expect(images(sim.current("s1"))).toEqual(["1:app:1:running", "2:app:1:running", "3:app:1:running"]);
    const rb = sim.log.flat().find((c) => c.kind === "service.rollback");
    expect(rb).toMatchObject({ message: expect.stringMatching(/^update rolled back due to failure or early termination of task /) });
  });

  test("a manual rollback (service.rollback) rolls the previous spec out and refuses without one", () => {
    const sim = start(2, {}, {});
    update(sim, next(sim, "app:2"));
    sim.settle();
    sim.apply([{ kind: "service.rollback", id: "s1", message: "manually requested rollback", at: new Date(sim.now).toISOString() }]);
    expect(sim.state.services.s1!.UpdateStatus).toMatchObject({ State: "rollback_started", Message: "manually requested rollback" });
    sim.settle();
    expect(images(sim.current("s1"))).toEqual(["1:app:1:running", "2:app:1:running"]);
    expect(sim.state.services.s1!.UpdateStatus!.State).toBe("rollback_completed");
    const fresh = new Sim();
    fresh.apply([cmd.createService("s1", withImage("app:1"))]);
    const r = applyWithOutcomes(fresh.state, [{ kind: "service.rollback", id: "s1", message: "m", at: AT }]);
    expect(r.outcomes[0]).toMatchObject({ ok: false, code: "CONFLICT" });
  });
});
