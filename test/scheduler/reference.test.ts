/**
 * `schedule` (NodeTable caches, spread heaps, the no-fit memo) against the plainest scheduler that
 * states the rules: every pending task oldest first, every node by ID, `explainWith` on each, the
 * first node with the fewest tasks of the service then fewest tasks. Random seeded clusters with
 * statuses, availabilities, labels, resources, constraints, reservations and host-mode ports.
 */
import { describe, expect, test } from "bun:test";
import type { ClusterState, Command, Node, PortConfig, Task } from "../../internal/api/index.ts";
import { explainWith, noSuitableNode, occupiesNode, type Rejection, schedule, usageByNode } from "../../internal/scheduler/index.ts";
import { applyCommands, emptyState } from "../../internal/store/index.ts";
import { AT, cmd, node, serviceSpec, task, taskSpec } from "../store/fixtures/objects.ts";

const NOW = Date.parse(AT);

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The rules, plainly: O(tasks × nodes), no caches. */
function naiveSchedule(state: ClusterState): Command[] {
  const at = new Date(NOW).toISOString();
  const nodes = Object.values(state.nodes).sort((a, b) => (a.ID < b.ID ? -1 : 1));
  const usage = usageByNode(state);
  const tasks = Object.values(state.tasks)
    .filter((t) => t.DesiredState === "running" && (t.Status.State === "new" || t.Status.State === "pending") && state.services[t.ServiceID] !== undefined)
    .sort((a, b) => (a.CreatedAt !== b.CreatedAt ? (a.CreatedAt < b.CreatedAt ? -1 : 1) : a.ServiceID !== b.ServiceID ? (a.ServiceID < b.ServiceID ? -1 : 1) : (a.Slot ?? 0) - (b.Slot ?? 0) || (a.ID < b.ID ? -1 : 1)));
  const plan: Command[] = [];
  for (const t of tasks) {
    const candidates = t.NodeID !== undefined ? nodes.filter((n) => n.ID === t.NodeID) : nodes;
    const fits: Node[] = [];
    const rejected: Rejection[] = [];
    for (const n of candidates) {
      const why = explainWith(n, t, usage.get(n.ID));
      if (why) rejected.push(why);
      else fits.push(n);
    }
    if (fits.length === 0) {
      const message = noSuitableNode(rejected);
      if (t.Status.Err !== message || t.Status.State !== "pending") plan.push({ kind: "task.unschedulable", id: t.ID, message, at });
      continue;
    }
    const score = (n: Node) => [usage.get(n.ID)?.byService.get(t.ServiceID) ?? 0, usage.get(n.ID)?.tasks ?? 0] as const;
    let best = fits[0]!;
    for (const n of fits.slice(1)) {
      const [sa, ta] = score(n);
      const [sb, tb] = score(best);
      if (sa < sb || (sa === sb && ta < tb)) best = n;
    }
    // Placing it: recompute the node's usage from scratch with the task on it.
    const placed: Task = { ...t, NodeID: best.ID, Status: { ...t.Status, State: "assigned" } };
    const all = Object.values(state.tasks).filter((x) => x.ID !== t.ID);
    state = { ...state, tasks: Object.fromEntries([...all, placed].map((x) => [x.ID, x])) };
    const fresh = usageByNode(state);
    usage.set(best.ID, fresh.get(best.ID)!);
    plan.push({ kind: "task.assign", id: t.ID, nodeId: best.ID, at });
  }
  return plan;
}

function randomCluster(r: () => number): ClusterState {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const nodes: Node[] = Array.from({ length: 3 + Math.floor(r() * 8) }, (_, i) => {
    const n = node(`n${i}`);
    return {
      ...n,
      Spec: { Role: pick(["manager", "worker"] as const), Availability: pick(["active", "active", "active", "pause", "drain"] as const), Labels: (r() < 0.5 ? { zone: pick(["a", "b"]) } : {}) as Record<string, string> },
      Description: { ...n.Description, Resources: { NanoCPUs: pick([1e9, 2e9, 4e9]), MemoryBytes: pick([1, 2, 4]) * 1024 ** 3 } },
      Status: { State: r() < 0.85 ? "ready" : "down", Addr: "" },
    };
  });
  const services = Array.from({ length: 1 + Math.floor(r() * 5) }, (_, i) => {
    const port: PortConfig[] = r() < 0.3 ? [{ Protocol: "tcp", TargetPort: 80, PublishedPort: 8000 + Math.floor(r() * 2), PublishMode: "host" }] : [];
    const spec = taskSpec({
      ...(r() < 0.4 ? { Placement: { Constraints: [pick(["node.labels.zone==a", "node.role!=manager", "node.labels.zone!=b", "node.hostname!=host-n1"])] } } : {}),
      ...(r() < 0.5 ? { Resources: { Reservations: { NanoCPUs: pick([0, 5e8, 1e9]), MemoryBytes: pick([0, 512 * 1024 ** 2]) } } } : {}),
    });
    return { id: `s${i}`, global: r() < 0.2, spec, port };
  });
  const cmds: Command[] = [...nodes.map(cmd.upsertNode), ...services.map((s) => cmd.createService(s.id, serviceSpec(`svc${s.id}`, s.global ? "global" : 1, { TaskTemplate: s.spec, EndpointSpec: { Ports: s.port } })))];
  let seq = 0;
  for (let i = 0; i < 10 + Math.floor(r() * 50); i++) {
    const s = pick(services);
    const state = pick(["pending", "pending", "pending", "new", "running", "assigned", "failed"] as const);
    const onNode = state === "running" || state === "assigned" || state === "failed" ? pick(nodes).ID : s.global ? pick(nodes).ID : undefined;
    const t = task(`t${String(++seq).padStart(3, "0")}`, s.id, {
      Slot: s.global ? undefined : i,
      Spec: s.spec,
      CreatedAt: new Date(NOW + Math.floor(r() * 5) * 1000).toISOString(),
      Status: { Timestamp: AT, State: state, Message: "", ...(r() < 0.2 ? { Err: "no suitable node (1 node not available for new tasks)" } : {}) },
      ...(onNode !== undefined ? { NodeID: onNode } : {}),
      ...(s.port.length > 0 ? { Endpoint: { Ports: s.port } } : {}),
      ...(r() < 0.1 ? { DesiredState: "shutdown" as const } : {}),
    });
    cmds.push(cmd.createTask(t));
  }
  return applyCommands(emptyState(), cmds);
}

describe("schedule ≡ the plain rules", () => {
  test.each(Array.from({ length: 300 }, (_, i) => i + 1))("seed %i", (seed) => {
    const state = randomCluster(rng(seed));
    expect(schedule(state, { now: NOW })).toEqual(naiveSchedule(state));
  });

  test("the random clusters place, refuse and stay quiet, each in many seeds", () => {
    const kinds = new Map<string, number>();
    for (let seed = 1; seed <= 300; seed++) {
      const state = randomCluster(rng(seed));
      const plan = schedule(state, { now: NOW });
      for (const c of plan) kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
      const waiting = Object.values(state.tasks).filter((t) => !occupiesNode(t) && t.Status.State === "pending").length;
      kinds.set("quiet", (kinds.get("quiet") ?? 0) + (waiting > plan.length ? 1 : 0));
    }
    expect(kinds.get("task.assign")).toBeGreaterThan(1000);
    expect(kinds.get("task.unschedulable")).toBeGreaterThan(300);
    expect(kinds.get("quiet")).toBeGreaterThan(20);
  });
});
