import { describe, expect, test } from "bun:test";
import type { ClusterState, Command, Node, ServiceSpec } from "../../internal/api/index.ts";
import { explain, schedule } from "../../internal/scheduler/index.ts";
import { applyCommands, emptyState } from "../../internal/store/index.ts";
import { AT, cmd, node, serviceSpec, task, taskSpec } from "../store/fixtures/objects.ts";

const NOW = Date.parse(AT);

function world(nodes: Node[], services: [string, ServiceSpec][], tasks: ReturnType<typeof task>[]): ClusterState {
  return applyCommands(emptyState(), [
    ...nodes.map(cmd.upsertNode),
    ...services.map(([id, spec]) => cmd.createService(id, spec)),
    ...tasks.map(cmd.createTask),
  ]);
}

const pending = (n: number, serviceId = "s1", spec = taskSpec()) =>
  Array.from({ length: n }, (_, i) => task(`${serviceId}-t${i + 1}`, serviceId, { Slot: i + 1, Spec: spec }));

function placements(plan: Command[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of plan) if (c.kind === "task.assign") out[c.id] = c.nodeId;
  return out;
}

function count(plan: Command[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of Object.values(placements(plan))) out[n] = (out[n] ?? 0) + 1;
  return out;
}

describe("schedule", () => {
  test("pending tasks spread evenly over ready nodes; ties go to the lowest node ID", () => {
    const s = world([node("n1"), node("n2"), node("n3")], [["s1", serviceSpec("web", 7)]], pending(7));
    const plan = schedule(s, { now: NOW });
    expect(count(plan)).toEqual({ n1: 3, n2: 2, n3: 2 });
    expect(plan[0]).toEqual({ kind: "task.assign", id: "s1-t1", nodeId: "n1", at: AT });
    // Applying the plan leaves nothing to schedule.
    expect(schedule(applyCommands(s, plan), { now: NOW })).toEqual([]);
  });

  test("spread counts the same service first, then all tasks", () => {
    // n1 already runs 2 tasks of another service; s1's 2 tasks go to n2 first, then n1 ties on s1 and loses on total.
    const busy = ["a", "b"].map((id) => task(id, "s0", { NodeID: "n1", Status: { Timestamp: AT, State: "running", Message: "" } }));
    const s = world([node("n1"), node("n2")], [["s0", serviceSpec("other", 2)], ["s1", serviceSpec("web", 3)]], [...busy, ...pending(3)]);
    expect(placements(schedule(s, { now: NOW }))).toEqual({ "s1-t1": "n2", "s1-t2": "n1", "s1-t3": "n2" });
  });

  test("nodes that are down, paused or drained take nothing; the reason says so", () => {
    const s = world(
      [node("n1", { Status: { State: "down", Addr: "" } }), node("n2", { Spec: { Role: "worker", Availability: "drain", Labels: {} } })],
      [["s1", serviceSpec("web", 1)]],
      pending(1),
    );
    const plan = schedule(s, { now: NOW });
    expect(plan).toEqual([{ kind: "task.unschedulable", id: "s1-t1", message: "no suitable node (2 nodes not available for new tasks)", at: AT }]);
    // Reported once: scheduling the unchanged state again says nothing new.
    expect(schedule(applyCommands(s, plan), { now: NOW })).toEqual([]);
  });

  test("a node whose container engine does not answer takes nothing until it does; the reason says so", () => {
    const gone = node("n1", { Description: { ...node("n1").Description, Engine: { EngineVersion: "26.1.5", Unreachable: "cannot reach Docker" } } });
    const s = world([gone], [["s1", serviceSpec("web", 1)]], pending(1));
    expect(schedule(s, { now: NOW })).toEqual([{ kind: "task.unschedulable", id: "s1-t1", message: "no suitable node (1 node not available for new tasks)", at: AT }]);
    expect(explain(gone, s.tasks["s1-t1"]!, s)?.reason).toBe("node host-n1's container engine is unreachable (cannot reach Docker)");
    const back = world([node("n1")], [["s1", serviceSpec("web", 1)]], pending(1));
    expect(placements(schedule(back, { now: NOW }))).toEqual({ "s1-t1": "n1" });
  });

  test("constraints filter nodes, with Docker's message when none is left", () => {
    const spec = taskSpec({ Placement: { Constraints: ["node.role==worker"] } });
    const s = world([node("n1"), node("n2", { Spec: { Role: "worker", Availability: "active", Labels: {} } })], [["s1", serviceSpec("web", 2)]], pending(2, "s1", spec));
    expect(count(schedule(s, { now: NOW }))).toEqual({ n2: 2 });
    const onlyManager = world([node("n1")], [["s1", serviceSpec("web", 1)]], pending(1, "s1", spec));
    expect(schedule(onlyManager, { now: NOW })).toEqual([
      { kind: "task.unschedulable", id: "s1-t1", message: "no suitable node (scheduling constraints not satisfied on 1 node)", at: AT },
    ]);
  });

  test("reservations count what is already placed and what this pass places", () => {
    const spec = taskSpec({ Resources: { Reservations: { NanoCPUs: 1e9 } } }); // 1 CPU each, the node has 2
    const s = world([node("n1")], [["s1", serviceSpec("web", 3)]], pending(3, "s1", spec));
    const plan = schedule(s, { now: NOW });
    expect(count(plan)).toEqual({ n1: 2 });
    expect(plan.find((c) => c.kind === "task.unschedulable")).toMatchObject({ id: "s1-t3", message: "no suitable node (insufficient resources on 1 node)" });
    const after = applyCommands(s, plan);
    expect(explain(after.nodes.n1!, after.tasks["s1-t3"]!, after)).toEqual({
      filter: "resources",
      reason: "insufficient CPU on host-n1: needs 1, 0 free",
    });
    // A task that ends frees its reservation.
    const freed = applyCommands(after, [cmd.status("s1-t1", "failed")]);
    expect(placements(schedule(freed, { now: NOW }))).toEqual({ "s1-t3": "n1" });
  });

  test("memory reservations larger than the node never fit", () => {
    const spec = taskSpec({ Resources: { Reservations: { MemoryBytes: 4 * 1024 ** 3 } } });
    const s = world([node("n1")], [["s1", serviceSpec("web", 1)]], pending(1, "s1", spec));
    expect(explain(s.nodes.n1!, s.tasks["s1-t1"]!, s)?.reason).toBe("insufficient memory on host-n1: needs 4096MiB, 2048MiB free");
  });

  test("two tasks publishing the same host-mode port never share a node", () => {
    const hostPort = { Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "host" } as const;
    const spec = serviceSpec("web", 3, { EndpointSpec: { Ports: [hostPort] } });
    // The ports a task publishes are the ones it was created with (Task.Endpoint), as the orchestrator records them.
    const s = world([node("n1"), node("n2")], [["s1", spec]], pending(3).map((t) => ({ ...t, Endpoint: { Ports: [hostPort] } })));
    const plan = schedule(s, { now: NOW });
    expect(count(plan)).toEqual({ n1: 1, n2: 1 });
    expect(plan.find((c) => c.kind === "task.unschedulable")).toMatchObject({ message: "no suitable node (host-mode port already in use on 2 nodes)" });
    // Ingress-mode ports do not conflict.
    const ingress = serviceSpec("web", 3, { EndpointSpec: { Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "ingress" }] } });
    expect(count(schedule(world([node("n1")], [["s1", ingress]], pending(3)), { now: NOW }))).toEqual({ n1: 3 });
  });

  test("a task created for a node (global services) goes only there", () => {
    const t = task("g1", "g", { Slot: undefined, NodeID: "n2" });
    const s = world([node("n1"), node("n2")], [["g", serviceSpec("agent", "global")]], [t]);
    expect(schedule(s, { now: NOW })).toEqual([{ kind: "task.assign", id: "g1", nodeId: "n2", at: AT }]);
    const drained = applyCommands(s, [cmd.upsertNode(node("n2", { Spec: { Role: "manager", Availability: "drain", Labels: {} } }))]);
    expect(schedule(drained, { now: NOW })).toEqual([
      { kind: "task.unschedulable", id: "g1", message: "no suitable node (1 node not available for new tasks)", at: AT },
    ]);
  });

  test("only pending tasks desired running of a known service are scheduled; no nodes means no suitable node", () => {
    const s = world([], [["s1", serviceSpec("web", 2)]], [...pending(1), task("x", "s1", { Slot: 2, DesiredState: "shutdown" })]);
    expect(schedule(s, { now: NOW })).toEqual([{ kind: "task.unschedulable", id: "s1-t1", message: "no suitable node", at: AT }]);
  });

  test("explain without state checks the node alone", () => {
    const t = task("t", "s1", { Spec: taskSpec({ Placement: { Constraints: ["node.labels.zone==edge"] } }) });
    expect(explain(node("n1"), t)).toEqual({ filter: "constraints", reason: "constraint node.labels.zone==edge is not satisfied by host-n1" });
    expect(explain(node("n1", { Spec: { Role: "manager", Availability: "active", Labels: { zone: "edge" } } }), t)).toBeNull();
  });
});

describe("scheduling across nodes", () => {
  const labelled = (id: string, labels: Record<string, string>, over: Partial<Node> = {}) =>
    node(id, { Spec: { Role: "worker", Availability: "active", Labels: labels }, ...over });
  const arm = (id: string) => node(id, { Description: { ...node(id).Description, Platform: { OS: "linux", Architecture: "aarch64" } } });
  const placedOn = (constraints: string[], nodes: Node[], n = 4) =>
    Object.keys(count(schedule(world(nodes, [["s1", serviceSpec("web", n)]], pending(n, "s1", taskSpec({ Placement: { Constraints: constraints } }))), { now: NOW }))).sort();

  test("constraints on node.id, node.hostname, node.role, node.labels.X, node.platform.os and .arch, with == and !=", () => {
    const nodes = [node("n1"), labelled("n2", { zone: "edge" }), labelled("n3", { zone: "core" }), arm("n4")];
    expect(placedOn(["node.id==n3"], nodes)).toEqual(["n3"]);
    expect(placedOn(["node.id!=n3"], nodes)).toEqual(["n1", "n2", "n4"]);
    expect(placedOn(["node.hostname==host-n2"], nodes)).toEqual(["n2"]);
    expect(placedOn(["node.hostname!=host-n2"], nodes)).toEqual(["n1", "n3", "n4"]);
    expect(placedOn(["node.role==manager"], nodes)).toEqual(["n1", "n4"]);
    expect(placedOn(["node.role!=manager"], nodes)).toEqual(["n2", "n3"]);
    expect(placedOn(["node.labels.zone==edge"], nodes)).toEqual(["n2"]);
    expect(placedOn(["node.labels.zone!=edge"], nodes)).toEqual(["n1", "n3", "n4"]); // a missing label is not "edge"
    expect(placedOn(["node.platform.arch==aarch64"], nodes)).toEqual(["n4"]);
    expect(placedOn(["node.platform.arch!=aarch64", "node.platform.os==linux"], nodes)).toEqual(["n1", "n2", "n3"]);
    expect(placedOn(["node.platform.os==windows"], nodes)).toEqual([]);
  });

  test("reservations against each node's CPUs and memory: tasks go where they fit; the rest wait with Docker's reason", () => {
    const big = (id: string) => node(id, { Description: { ...node(id).Description, Resources: { NanoCPUs: 8e9, MemoryBytes: 16 * 1024 ** 3 } } });
    const spec = taskSpec({ Resources: { Reservations: { NanoCPUs: 15e8, MemoryBytes: 1024 ** 3 } } }); // 1.5 CPU, 1 GiB
    const s = world([node("n1"), node("n2"), big("n3")], [["s1", serviceSpec("web", 9)]], pending(9, "s1", spec));
    const plan = schedule(s, { now: NOW });
    // n1 and n2 (2 CPUs each) hold one; n3 (8 CPUs) holds five.
    expect(count(plan)).toEqual({ n1: 1, n2: 1, n3: 5 });
    const waiting = plan.filter((c) => c.kind === "task.unschedulable");
    expect(waiting.map((c) => (c as Extract<Command, { kind: "task.unschedulable" }>).message)).toEqual([
      "no suitable node (insufficient resources on 3 nodes)",
      "no suitable node (insufficient resources on 3 nodes)",
    ]);
    // Idempotent, and pending tasks do not hold anything: a pass after the plan says nothing new.
    expect(schedule(applyCommands(s, plan), { now: NOW })).toEqual([]);
  });

  test("the reason counts each node under its first failing filter: ready, resources, constraints, host ports", () => {
    const spec = taskSpec({ Placement: { Constraints: ["node.labels.zone==edge"] }, Resources: { Reservations: { MemoryBytes: 1024 ** 3 } } });
    const nodes = [
      node("n1", { Status: { State: "down", Addr: "" } }),
      labelled("n2", { zone: "edge" }, { Spec: { Role: "worker", Availability: "pause", Labels: { zone: "edge" } } }),
      node("n3", { Description: { ...node("n3").Description, Resources: { NanoCPUs: 1e9, MemoryBytes: 512 * 1024 ** 2 } } }),
      node("n4"),
    ];
    const s = world(nodes, [["s1", serviceSpec("web", 1)]], pending(1, "s1", spec));
    expect(schedule(s, { now: NOW })).toEqual([
      {
        kind: "task.unschedulable",
        id: "s1-t1",
        message: "no suitable node (2 nodes not available for new tasks; insufficient resources on 1 node; scheduling constraints not satisfied on 1 node)",
        at: AT,
      },
    ]);
  });

  test("host-mode published ports conflict per node, across services too; a stopped task frees its port", () => {
    const hostPort = { Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "host" } as const;
    const withPort = (ts: ReturnType<typeof task>[]) => ts.map((t) => ({ ...t, Endpoint: { Ports: [hostPort] } }));
    const holder = withPort([task("h1", "s0", { NodeID: "n2", Status: { Timestamp: AT, State: "running", Message: "" } })]);
    const spec = serviceSpec("web", 3, { EndpointSpec: { Ports: [hostPort] } });
    const s = world([node("n1"), node("n2"), node("n3")], [["s0", { ...spec, Name: "other" }], ["s1", spec]], [...holder, ...withPort(pending(3))]);
    const plan = schedule(s, { now: NOW });
    expect(count(plan)).toEqual({ n1: 1, n3: 1 });
    expect(plan.find((c) => c.kind === "task.unschedulable")).toMatchObject({ id: "s1-t3", message: "no suitable node (host-mode port already in use on 3 nodes)" });
    const freed = applyCommands(applyCommands(s, plan), [cmd.status("h1", "shutdown")]);
    expect(placements(schedule(freed, { now: NOW }))).toEqual({ "s1-t3": "n2" });
  });

  test("only ready, active nodes take tasks", () => {
    const nodes = [
      node("n1", { Status: { State: "down", Addr: "" } }),
      node("n2", { Status: { State: "unknown", Addr: "" } }),
      node("n3", { Spec: { Role: "worker", Availability: "pause", Labels: {} } }),
      node("n4", { Spec: { Role: "worker", Availability: "drain", Labels: {} } }),
      node("n5"),
    ];
    expect(count(schedule(world(nodes, [["s1", serviceSpec("web", 5)]], pending(5)), { now: NOW }))).toEqual({ n5: 5 });
  });

  test("spread over many nodes: each service evenly, then the least loaded nodes", () => {
    const nodes = Array.from({ length: 10 }, (_, i) => node(`n${String(i).padStart(2, "0")}`));
    const s = world(nodes, [["s1", serviceSpec("a", 25)], ["s2", serviceSpec("b", 5)]], [...pending(25, "s1"), ...pending(5, "s2")]);
    const plan = schedule(s, { now: NOW });
    const after = applyCommands(s, plan);
    const per = (svc: string) => Object.values(after.tasks).filter((t) => t.ServiceID === svc).reduce<Record<string, number>>((m, t) => ({ ...m, [t.NodeID!]: (m[t.NodeID!] ?? 0) + 1 }), {});
    expect(Object.values(per("s1")).sort()).toEqual([2, 2, 2, 2, 2, 3, 3, 3, 3, 3]);
    // b's five tasks go to the five nodes holding only two of a.
    expect(Object.keys(per("s2")).every((n) => per("s1")[n] === 2)).toBe(true);
  });
});
