import { describe, expect, test } from "bun:test";
import type { ClusterState, Command } from "../../internal/api/index.ts";
import { applyCommand, applyCommands, emptyState } from "../../internal/store/index.ts";
import { AT, cmd, node, serviceSpec, task } from "./fixtures/objects.ts";

const LATER = "2026-01-01T00:01:00.000Z";

function run(cmds: Command[], from: ClusterState = emptyState()): ClusterState {
  return cmds.reduce(applyCommand, from);
}

function base(): ClusterState {
  return run([
    { kind: "cluster.init", cluster: { ID: "c1", CreatedAt: AT, Spec: { Name: "default" }, PublicKey: "", Secrets: { KeySeed: "", DiscoveryKey: "", TokenGeneration: { worker: 1, manager: 1 } }, Revoked: [] } },
    cmd.upsertNode(node("n1")),
    cmd.createService("s1", serviceSpec("web", 2)),
    cmd.createTask(task("t1", "s1", { Slot: 1 })),
    cmd.createTask(task("t2", "s1", { Slot: 2 })),
  ]);
}

describe("state machine", () => {
  test("an empty state has index 0 and no objects", () => {
    expect(emptyState()).toEqual({ index: 0, nodes: {}, services: {}, tasks: {} });
  });

  test("a cluster with a node, a service and two tasks; index counts every command", () => {
    const s = base();
    expect(s.index).toBe(5);
    expect(s.cluster?.ID).toBe("c1");
    expect(Object.keys(s.nodes)).toEqual(["n1"]);
    expect(s.services.s1!.Version.Index).toBe(1);
    expect(s.services.s1!.CreatedAt).toBe(AT);
    expect(Object.keys(s.tasks).sort()).toEqual(["t1", "t2"]);
  });

  test("applying never mutates the input state (copy-on-write)", () => {
    const s = base();
    const before = structuredClone(s);
    const cmds: Command[] = [
      { kind: "service.update", id: "s1", spec: serviceSpec("web", 3), at: LATER },
      { kind: "task.assign", id: "t1", nodeId: "n1", at: LATER },
      cmd.status("t1", "running", LATER),
      { kind: "task.desired", id: "t2", desired: "shutdown", at: LATER },
      { kind: "task.delete", ids: ["t2"] },
      { kind: "service.remove", id: "s1", at: LATER },
      { kind: "node.remove", id: "n1" },
    ];
    const after = applyCommands(s, cmds);
    expect(s).toEqual(before);
    expect(after).not.toBe(s);
    expect(after.index).toBe(s.index + cmds.length);
    expect(run(cmds, s)).toEqual(after); // batch == fold
  });

  test("a second cluster.init is ignored", () => {
    const s = applyCommand(base(), {
      kind: "cluster.init",
      cluster: { ID: "c2", CreatedAt: LATER, Spec: { Name: "x" }, PublicKey: "", Secrets: { KeySeed: "", DiscoveryKey: "", TokenGeneration: { worker: 1, manager: 1 } }, Revoked: [] },
    });
    expect(s.cluster?.ID).toBe("c1");
  });

  test("a duplicate service name or ID is a no-op except for the index", () => {
    const s = base();
    const dupName = applyCommand(s, cmd.createService("s2", serviceSpec("web")));
    expect(Object.keys(dupName.services)).toEqual(["s1"]);
    expect(dupName.index).toBe(s.index + 1);
    const dupId = applyCommand(s, cmd.createService("s1", serviceSpec("other")));
    expect(dupId.services.s1!.Spec.Name).toBe("web");
  });

  test("service.update bumps the version, keeps the previous spec and sets UpdatedAt", () => {
    const s = applyCommand(base(), { kind: "service.update", id: "s1", spec: serviceSpec("web", 5), at: LATER });
    const svc = s.services.s1!;
    expect(svc.Version.Index).toBe(2);
    expect(svc.UpdatedAt).toBe(LATER);
    expect(svc.CreatedAt).toBe(AT);
    expect(svc.Spec.Mode).toEqual({ Replicated: { Replicas: 5 } });
    expect(svc.PreviousSpec?.Mode).toEqual({ Replicated: { Replicas: 2 } });
  });

  test("service.update of an unknown service, or renaming onto another service's name, is a no-op", () => {
    let s = applyCommand(base(), cmd.createService("s2", serviceSpec("db")));
    const unknown = applyCommand(s, { kind: "service.update", id: "nope", spec: serviceSpec("x"), at: LATER });
    expect(unknown.services).toEqual(s.services);
    s = applyCommand(s, { kind: "service.update", id: "s2", spec: serviceSpec("web"), at: LATER });
    expect(s.services.s2!.Spec.Name).toBe("db");
  });

  test("service.remove deletes the service and marks its tasks desired remove", () => {
    let s = applyCommand(base(), cmd.createService("s2", serviceSpec("db")));
    s = applyCommand(s, cmd.createTask(task("t3", "s2")));
    s = applyCommand(s, { kind: "service.remove", id: "s1", at: LATER });
    expect(s.services.s1).toBeUndefined();
    expect(s.tasks.t1!.DesiredState).toBe("remove");
    expect(s.tasks.t2!.DesiredState).toBe("remove");
    expect(s.tasks.t1!.UpdatedAt).toBe(LATER);
    expect(s.tasks.t3!.DesiredState).toBe("running");
  });

  test("a task for an unknown service, or with a duplicate ID, is not created", () => {
    const s = base();
    expect(applyCommand(s, cmd.createTask(task("t9", "nope"))).tasks.t9).toBeUndefined();
    const dup = applyCommand(s, cmd.createTask(task("t1", "s1", { Slot: 7 })));
    expect(dup.tasks.t1!.Slot).toBe(1);
  });

  test("a task's state only moves forward, and a terminal state is final", () => {
    let s = base();
    s = applyCommand(s, { kind: "task.assign", id: "t1", nodeId: "n1", at: LATER });
    s = applyCommand(s, cmd.status("t1", "running", LATER));
    expect(s.tasks.t1!.Status.State).toBe("running");
    const v = s.tasks.t1!.Version.Index;
    s = applyCommand(s, cmd.status("t1", "starting", LATER)); // backwards: ignored
    expect(s.tasks.t1!.Status.State).toBe("running");
    expect(s.tasks.t1!.Version.Index).toBe(v);
    s = applyCommand(s, cmd.status("t1", "failed", LATER, "exit 1"));
    s = applyCommand(s, cmd.status("t1", "complete", LATER)); // terminal → terminal: ignored
    expect(s.tasks.t1!.Status).toMatchObject({ State: "failed", Message: "exit 1" });
  });

  test("desired state only moves forward: running → shutdown → remove", () => {
    let s = applyCommand(base(), { kind: "task.desired", id: "t1", desired: "shutdown", at: LATER });
    expect(s.tasks.t1!.DesiredState).toBe("shutdown");
    s = applyCommand(s, { kind: "task.desired", id: "t1", desired: "running", at: LATER });
    expect(s.tasks.t1!.DesiredState).toBe("shutdown");
    s = applyCommand(s, { kind: "task.desired", id: "t1", desired: "remove", at: LATER });
    expect(s.tasks.t1!.DesiredState).toBe("remove");
  });

  test("task.assign sets the node and state assigned, only from new or pending and to a known node", () => {
    let s = applyCommand(base(), { kind: "task.assign", id: "t1", nodeId: "ghost", at: LATER });
    expect(s.tasks.t1!.NodeID).toBeUndefined();
    s = applyCommand(s, { kind: "task.assign", id: "t1", nodeId: "n1", at: LATER });
    expect(s.tasks.t1!.NodeID).toBe("n1");
    expect(s.tasks.t1!.Status.State).toBe("assigned");
    s = applyCommand(s, cmd.upsertNode(node("n2")));
    s = applyCommand(s, { kind: "task.assign", id: "t1", nodeId: "n2", at: LATER });
    expect(s.tasks.t1!.NodeID).toBe("n1");
  });

  test("task.unschedulable keeps the task pending with the reason as message and error", () => {
    const reason = "no suitable node (scheduling constraints not satisfied on 1 node)";
    const s = applyCommand(base(), { kind: "task.unschedulable", id: "t1", message: reason, at: LATER });
    expect(s.tasks.t1!.Status).toEqual({ Timestamp: LATER, State: "pending", Message: reason, Err: reason });
    const assigned = applyCommand(s, { kind: "task.assign", id: "t2", nodeId: "n1", at: LATER });
    const again = applyCommand(assigned, { kind: "task.unschedulable", id: "t2", message: reason, at: LATER });
    expect(again.tasks.t2!.Status.State).toBe("assigned");
  });

  test("task.delete forgets known tasks and skips unknown ones", () => {
    const s = applyCommand(base(), { kind: "task.delete", ids: ["t1", "nope"] });
    expect(Object.keys(s.tasks)).toEqual(["t2"]);
  });

  test("node.upsert replaces a node; node.remove forgets it", () => {
    let s = applyCommand(base(), cmd.upsertNode(node("n1", { Status: { State: "down", Addr: "x" } })));
    expect(s.nodes.n1!.Status.State).toBe("down");
    s = applyCommand(s, { kind: "node.remove", id: "n1" });
    expect(s.nodes).toEqual({});
  });

  test("an unknown command kind is a no-op that still advances the index", () => {
    const s = base();
    const after = applyCommand(s, { kind: "from.the.future" } as unknown as Command);
    expect(after).toEqual({ ...s, index: s.index + 1 });
  });
});
