/**
 * What a node's status (ready/down) and availability (active/pause/drain) do to the tasks on it.
 * Scenarios on a one-process cluster (Sim): reference orchestrator + scheduler, with the incremental
 * ControlPlane checked against them on every reconcile.
 */
import { describe, expect, test } from "bun:test";
import type { Node, NodeAvailability, ServiceSpec, Task } from "../../internal/api/index.ts";
import { serviceProgress } from "../../internal/orchestrator/index.ts";
import { cmd, node, serviceSpec, taskSpec } from "../store/fixtures/objects.ts";
import { Sim } from "./sim.ts";

const iso = (ms: number) => new Date(ms).toISOString();

function cluster(...ids: string[]): Sim {
  const sim = new Sim();
  sim.apply(ids.map((id) => cmd.upsertNode(node(id))));
  return sim;
}

/** The leader records a status change with the time it happened. */
function setStatus(sim: Sim, id: string, state: Node["Status"]["State"], timestamp: string | null = iso(sim.now)): void {
  const n = sim.state.nodes[id]!;
  const Status: Node["Status"] = { State: state, Addr: n.Status.Addr };
  if (timestamp !== null) Status.Timestamp = timestamp;
  sim.apply([cmd.upsertNode({ ...n, Status })]);
}

function setAvailability(sim: Sim, id: string, availability: NodeAvailability): void {
  const n = sim.state.nodes[id]!;
  sim.apply([cmd.upsertNode({ ...n, Spec: { ...n.Spec, Availability: availability } })]);
}

const web = (replicas: number): ServiceSpec =>
  serviceSpec("web", replicas, { TaskTemplate: taskSpec({ RestartPolicy: { Condition: "any", Delay: 5e9, MaxAttempts: 0 } }) });

function perNode(tasks: Task[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tasks) out[t.NodeID ?? "-"] = (out[t.NodeID ?? "-"] ?? 0) + 1;
  return out;
}

describe("a node that goes down", () => {
  test("past the grace period: its replicated tasks are orphaned and replaced elsewhere at once; global tasks stay", () => {
    const sim = cluster("n1", "n2", "n3");
    sim.apply([cmd.createService("web", web(6)), cmd.createService("g", serviceSpec("agent", "global"))]);
    sim.settle();
    expect(perNode(sim.running("web"))).toEqual({ n1: 2, n2: 2, n3: 2 });
    const lost = sim.running("web").filter((t) => t.NodeID === "n3");
    const globalOnN3 = sim.current("g").find((t) => t.NodeID === "n3")!;

    sim.now += 1000;
    const downAt = sim.now;
    setStatus(sim, "n3", "down");
    sim.now = downAt + 1999;
    expect(sim.settle()).toBe(1); // nothing to do within the grace period
    sim.now = downAt + 2000;
    const plan = sim.reconcile();
    expect(plan.slice(0, 4)).toEqual(
      lost.flatMap((t) => [
        { kind: "task.status", id: t.ID, status: { Timestamp: iso(sim.now), State: "orphaned", Message: "task orphaned: node host-n3 is down" }, at: iso(sim.now) },
        { kind: "task.desired", id: t.ID, desired: "shutdown", at: iso(sim.now) },
      ]),
    );
    expect(plan.slice(4).map((c) => (c.kind === "task.create" ? [c.task.Slot, c.task.Attempt, c.task.NotBefore] : c.kind))).toEqual(
      lost.map((t) => [t.Slot, 0, undefined]), // moved, not restarted: no restart delay
    );
    sim.settle();
    expect(perNode(sim.running("web"))).toEqual({ n1: 3, n2: 3 });
    for (const t of lost) expect(sim.state.tasks[t.ID]).toMatchObject({ DesiredState: "shutdown", Status: { State: "orphaned" } });
    expect(sim.state.tasks[globalOnN3.ID]).toEqual(globalOnN3); // not moved, not replaced, not stopped

    // The node comes back: nothing changes for the tasks already replaced, and nothing moves back.
    sim.now += 5000;
    setStatus(sim, "n3", "ready");
    const before = sim.state.tasks;
    sim.settle();
    for (const t of lost) expect(sim.state.tasks[t.ID]).toBe(before[t.ID]!);
    expect(perNode(sim.running("web"))).toEqual({ n1: 3, n2: 3 });
    expect(sim.current("g").find((t) => t.NodeID === "n3")!.ID).toBe(globalOnN3.ID);
  });

  test("back within the grace period: nothing happens at all", () => {
    const sim = cluster("n1", "n2");
    sim.apply([cmd.createService("web", web(2))]);
    sim.settle();
    const tasks = sim.state.tasks;
    setStatus(sim, "n2", "down");
    sim.now += 1500;
    sim.settle();
    setStatus(sim, "n2", "ready");
    sim.now += 10_000;
    sim.settle();
    expect(sim.state.tasks).toBe(tasks);
  });

  test("the grace period is ReconcileContext.orphanGraceMs; the ControlPlane says when to look again", () => {
    const sim = cluster("n1", "n2");
    sim.orphanGraceMs = 500;
    sim.apply([cmd.createService("web", web(2))]);
    sim.settle();
    const downAt = sim.now;
    setStatus(sim, "n2", "down");
    expect(sim.reconcile()).toEqual([]);
    expect(sim.plane.plan(sim.state, sim.ctx).nextCheckAtMs).toBe(downAt + 500);
    sim.now = downAt + 499;
    expect(sim.reconcile()).toEqual([]);
    sim.now = downAt + 500;
    expect(sim.reconcile().map((c) => c.kind)).toEqual(["task.status", "task.desired", "task.create"]);
    expect(sim.plane.plan(sim.state, sim.ctx).nextCheckAtMs).toBeUndefined();
  });

  test("a down node whose status has no time counts as down long enough", () => {
    const sim = cluster("n1", "n2");
    sim.apply([cmd.createService("web", web(2))]);
    sim.settle();
    setStatus(sim, "n2", "down", null);
    sim.settle();
    expect(perNode(sim.running("web"))).toEqual({ n1: 2 });
  });

  test("a task already told to stop on a down node holds its slot until orphaned, then is forgotten (scale down)", () => {
    const sim = cluster("n1", "n2");
    sim.apply([cmd.createService("web", web(2))]);
    sim.settle();
    const onN2 = sim.running("web").find((t) => t.NodeID === "n2")!;
    setStatus(sim, "n2", "down");
    sim.apply([{ kind: "service.update", id: "web", spec: web(1), at: iso(sim.now) }]);
    sim.settle();
    expect(sim.state.tasks[onN2.ID]).toMatchObject({ DesiredState: "remove", Status: { State: "running" } });
    sim.now += 2000;
    sim.settle();
    expect(sim.state.tasks[onN2.ID]).toBeUndefined();
    expect(sim.running("web").map((t) => [t.Slot, t.NodeID])).toEqual([[1, "n1"]]);
  });

  test("a global service's task on a down node is neither wanted nor stopping in its progress", () => {
    const sim = cluster("n1", "n2");
    sim.apply([cmd.createService("g", serviceSpec("agent", "global"))]);
    sim.settle();
    setStatus(sim, "n2", "down");
    sim.now += 60_000;
    sim.settle();
    expect(sim.current("g").map((t) => [t.NodeID, t.Status.State])).toEqual([
      ["n1", "running"],
      ["n2", "running"],
    ]);
    expect(serviceProgress(sim.state, sim.state.services.g!)).toMatchObject({ desired: 1, running: 1, stopping: 0, converged: true });
  });
});

describe("node availability", () => {
  test("drain: replicated tasks stop there and are replaced elsewhere (stop-first); global tasks there are shut down", () => {
    const sim = cluster("n1", "n2", "n3");
    sim.apply([cmd.createService("web", web(3)), cmd.createService("g", serviceSpec("agent", "global"))]);
    sim.settle();
    const webOnN2 = sim.running("web").find((t) => t.NodeID === "n2")!;
    const gOnN2 = sim.running("g").find((t) => t.NodeID === "n2")!;
    setAvailability(sim, "n2", "drain");
    const plan = sim.reconcile();
    expect(plan.map((c) => (c.kind === "task.desired" ? [c.id, c.desired] : c.kind)).sort()).toEqual(
      [
        [gOnN2.ID, "shutdown"],
        [webOnN2.ID, "shutdown"],
      ].sort(),
    );
    expect(sim.reconcile()).toEqual([]); // the replacement waits until the old task has stopped
    sim.agent();
    expect(sim.reconcile().map((c) => (c.kind === "task.create" ? c.task.Slot : c.kind))).toEqual([webOnN2.Slot]);
    sim.settle();
    expect(perNode(sim.running("web"))).toEqual({ n1: 2, n3: 1 });
    expect(perNode(sim.running("g"))).toEqual({ n1: 1, n3: 1 });
    expect(sim.state.tasks[webOnN2.ID]).toMatchObject({ DesiredState: "shutdown", Status: { State: "shutdown" } });

    // Active again: the global service comes back there; replicated tasks stay where they are.
    setAvailability(sim, "n2", "active");
    sim.settle();
    expect(perNode(sim.running("g"))).toEqual({ n1: 1, n2: 1, n3: 1 });
    expect(perNode(sim.running("web"))).toEqual({ n1: 2, n3: 1 });
  });

  test("pause: running tasks keep running; nothing new is placed there until it is active again", () => {
    const sim = cluster("n1", "n2", "n3");
    sim.apply([
      cmd.createService("web", web(3)),
      cmd.createService("g", serviceSpec("agent", "global", { TaskTemplate: taskSpec({ RestartPolicy: { Condition: "any", Delay: 0, MaxAttempts: 0 } }) })),
    ]);
    sim.settle();
    setAvailability(sim, "n2", "pause");
    const tasks = sim.state.tasks;
    sim.settle();
    expect(sim.state.tasks).toBe(tasks);

    sim.apply([{ kind: "service.update", id: "web", spec: web(7), at: iso(sim.now) }, cmd.createService("g2", serviceSpec("agent2", "global"))]);
    sim.settle();
    expect(perNode(sim.running("web"))).toEqual({ n1: 3, n2: 1, n3: 3 });
    expect(perNode(sim.running("g2"))).toEqual({ n1: 1, n3: 1 });
    // A global task that fails on a paused node is not replaced there while it is paused.
    const gOnN2 = sim.running("g").find((t) => t.NodeID === "n2")!;
    sim.apply([cmd.status(gOnN2.ID, "failed", iso(sim.now))]);
    sim.settle();
    expect(sim.current("g").filter((t) => t.NodeID === "n2").map((t) => [t.ID, t.Status.State])).toEqual([[gOnN2.ID, "failed"]]);
    expect(serviceProgress(sim.state, sim.state.services.g!)).toMatchObject({ desired: 2, running: 2, stopping: 0, converged: true });

    setAvailability(sim, "n2", "active");
    sim.settle();
    expect(perNode(sim.running("g"))).toEqual({ n1: 1, n2: 1, n3: 1 });
    expect(perNode(sim.running("g2"))).toEqual({ n1: 1, n2: 1, n3: 1 });
    expect(sim.current("g").find((t) => t.NodeID === "n2")!.Attempt).toBe(1);
  });

  test("a global service runs on nodes that join later, and not on ones whose constraints stop matching", () => {
    const sim = cluster("n1");
    sim.apply([cmd.createService("g", serviceSpec("agent", "global", { TaskTemplate: taskSpec({ Placement: { Constraints: ["node.platform.arch==x86_64"] } }) }))]);
    sim.settle();
    sim.apply([cmd.upsertNode(node("n2")), cmd.upsertNode(node("n3", { Description: { ...node("n3").Description, Platform: { OS: "linux", Architecture: "aarch64" } } }))]);
    sim.settle();
    expect(perNode(sim.running("g"))).toEqual({ n1: 1, n2: 1 });
  });
});
