import { describe, expect, test } from "bun:test";
import { serviceProgress } from "../../internal/orchestrator/index.ts";
import { cmd, node, serviceSpec, taskSpec } from "../store/fixtures/objects.ts";
import { Sim } from "./sim.ts";

describe("serviceProgress", () => {
  test("counts slots from creation to convergence, through scale-down and a rolling update", () => {
    const sim = new Sim();
    sim.apply([cmd.upsertNode(node("n1")), cmd.createService("s1", serviceSpec("web", 3))]);
    const p = () => serviceProgress(sim.state, sim.state.services.s1!);
    expect(p()).toMatchObject({ desired: 3, running: 0, updated: 0, stopping: 0, converged: false });
    expect(p().slots.map((s) => [s.key, s.task])).toEqual([
      [1, undefined],
      [2, undefined],
      [3, undefined],
    ]);
    sim.reconcile();
    sim.schedule();
    expect(p().slots.map((s) => s.task?.Status.State)).toEqual(["assigned", "assigned", "assigned"]);
    sim.agent();
    expect(p()).toMatchObject({ desired: 3, running: 3, updated: 3, stopping: 0, converged: true });

    sim.apply([{ kind: "service.update", id: "s1", spec: serviceSpec("web", 2), at: "x" }]);
    sim.reconcile();
    expect(p()).toMatchObject({ desired: 2, running: 2, stopping: 1, converged: false });
    sim.settle();
    expect(p().converged).toBe(true);

    const spec2 = serviceSpec("web", 2, { TaskTemplate: taskSpec({ ContainerSpec: { Image: "busybox:2" } }) });
    sim.apply([{ kind: "service.update", id: "s1", spec: spec2, at: "x" }]);
    expect(p()).toMatchObject({ desired: 2, running: 2, updated: 0, converged: false });
    sim.reconcile();
    expect(p()).toMatchObject({ running: 1, updated: 0, stopping: 1 });
    sim.settle();
    expect(p()).toMatchObject({ desired: 2, running: 2, updated: 2, stopping: 0, converged: true });
  });

  test("a global service wants one slot per eligible node", () => {
    const sim = new Sim();
    sim.apply([cmd.upsertNode(node("n1")), cmd.upsertNode(node("n2", { Status: { State: "down", Addr: "" } })), cmd.createService("g", serviceSpec("agent", "global"))]);
    sim.settle();
    expect(serviceProgress(sim.state, sim.state.services.g!)).toMatchObject({ desired: 1, running: 1, converged: true, slots: [{ key: "n1" }] });
  });
});
