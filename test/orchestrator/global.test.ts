import { describe, expect, test } from "bun:test";
import type { Node } from "../../internal/api/index.ts";
import { cmd, node, serviceSpec, taskSpec } from "../store/fixtures/objects.ts";
import { Sim } from "./sim.ts";

const at = (sim: Sim) => new Date(sim.now).toISOString();

function threeNodes(): Sim {
  const sim = new Sim();
  sim.apply([cmd.upsertNode(node("n1")), cmd.upsertNode(node("n2")), cmd.upsertNode(node("n3"))]);
  return sim;
}

describe("global services", () => {
  test("one task per eligible node, each created for its node and running there", () => {
    const sim = threeNodes();
    sim.apply([cmd.createService("g", serviceSpec("agent", "global"))]);
    const plan = sim.reconcile();
    expect(plan.map((c) => (c.kind === "task.create" ? [c.task.NodeID, c.task.Slot] : c.kind))).toEqual([
      ["n1", undefined],
      ["n2", undefined],
      ["n3", undefined],
    ]);
    sim.settle();
    expect(sim.running("g").map((t) => t.NodeID).sort()).toEqual(["n1", "n2", "n3"]);
  });

  test("constraints pick the nodes; a node that stops matching gets its task shut down", () => {
    const sim = threeNodes();
    const labelled = (id: string, zone: string): Node => node(id, { Spec: { Role: "worker", Availability: "active", Labels: { zone } } });
    sim.apply([cmd.upsertNode(labelled("n2", "edge")), cmd.upsertNode(labelled("n3", "edge"))]);
    sim.apply([cmd.createService("g", serviceSpec("agent", "global", { TaskTemplate: taskSpec({ Placement: { Constraints: ["node.labels.zone==edge"] } }) }))]);
    sim.settle();
    expect(sim.running("g").map((t) => t.NodeID).sort()).toEqual(["n2", "n3"]);
    sim.apply([cmd.upsertNode(labelled("n3", "core"))]);
    sim.settle();
    expect(sim.running("g").map((t) => t.NodeID)).toEqual(["n2"]);
    expect(sim.tasksOf("g").find((t) => t.NodeID === "n3")).toMatchObject({ DesiredState: "shutdown", Status: { State: "shutdown" } });
  });

  test("draining a node shuts its task down; a node that joins gets one; reactivating brings a fresh task", () => {
    const sim = threeNodes();
    sim.apply([cmd.createService("g", serviceSpec("agent", "global"))]);
    sim.settle();
    sim.apply([cmd.upsertNode(node("n2", { Spec: { Role: "manager", Availability: "drain", Labels: {} } }))]);
    sim.apply([cmd.upsertNode(node("n4"))]);
    sim.settle();
    expect(sim.running("g").map((t) => t.NodeID).sort()).toEqual(["n1", "n3", "n4"]);
    sim.apply([cmd.upsertNode(node("n2"))]);
    sim.settle();
    expect(sim.running("g").map((t) => t.NodeID).sort()).toEqual(["n1", "n2", "n3", "n4"]);
    expect(sim.tasksOf("g").filter((t) => t.NodeID === "n2").map((t) => t.Status.State)).toEqual(["shutdown", "running"]);
  });

  test("a failed global task is replaced on the same node per the restart policy", () => {
    const sim = threeNodes();
    sim.apply([cmd.createService("g", serviceSpec("agent", "global", { TaskTemplate: taskSpec({ RestartPolicy: { Condition: "any", Delay: 0, MaxAttempts: 0 } }) }))]);
    sim.settle();
    const onN2 = sim.current("g").find((t) => t.NodeID === "n2")!;
    sim.apply([cmd.status(onN2.ID, "failed", at(sim))]);
    sim.settle();
    const repl = sim.current("g").find((t) => t.NodeID === "n2")!;
    expect(repl.ID).not.toBe(onN2.ID);
    expect(repl).toMatchObject({ Attempt: 1, Status: { State: "running" } });
  });

  test("a global service is updated one node at a time", () => {
    const sim = threeNodes();
    const spec = (image: string) => serviceSpec("agent", "global", { TaskTemplate: taskSpec({ ContainerSpec: { Image: image } }) });
    sim.apply([cmd.createService("g", spec("a:1"))]);
    sim.settle();
    sim.apply([{ kind: "service.update", id: "g", spec: spec("a:2"), at: at(sim) }]);
    const plan = sim.reconcile();
    expect(plan).toHaveLength(1);
    sim.settle();
    expect(sim.running("g").map((t) => t.Spec.ContainerSpec.Image)).toEqual(["a:2", "a:2", "a:2"]);
  });
});
