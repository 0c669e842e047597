/**
 * Scheduling filters, in Docker's order: ready → resources → constraints → host ports. A node passes
 * a task if no filter rejects it; `explain` says which filter rejected it and why.
 */
import { type ClusterState, type Id, isTerminal, type Node, stateRank, type Task } from "../api/index.ts";
import { type Constraint, firstUnmet, parseConstraints } from "./constraint.ts";

export type FilterName = "ready" | "resources" | "constraints" | "host-ports";
export const FILTER_ORDER: readonly FilterName[] = ["ready", "resources", "constraints", "host-ports"];

export interface Rejection {
  filter: FilterName;
  /** One line about this node, e.g. `constraint node.role==worker is not satisfied by host-a`. */
  reason: string;
}

/** What the tasks placed on a node hold. */
export interface NodeUsage {
  nanoCPUs: number;
  memoryBytes: number;
  tasks: number;
  byService: Map<Id, number>;
  /** `tcp/8080` → how many tasks on the node publish it in host mode (more than one only by accident). */
  hostPorts: Map<string, number>;
}

export function emptyUsage(): NodeUsage {
  return { nanoCPUs: 0, memoryBytes: 0, tasks: 0, byService: new Map(), hostPorts: new Map() };
}

export function cloneUsage(u: NodeUsage): NodeUsage {
  return { ...u, byService: new Map(u.byService), hostPorts: new Map(u.hostPorts) };
}

/**
 * Host-mode published ports a task publishes, as `proto/port`: from the ports it was created with
 * (Task.Endpoint), which are what its node binds, whatever the service says now.
 */
export function taskHostPorts(t: Task): string[] {
  const ports = t.Endpoint?.Ports;
  if (ports === undefined || ports.length === 0) return NO_PORTS;
  const out: string[] = [];
  for (const p of ports) if (p.PublishMode === "host" && p.PublishedPort > 0) out.push(`${p.Protocol}/${p.PublishedPort}`);
  return out;
}
const NO_PORTS: string[] = [];

/** A task occupies its node from assignment until it is terminal. */
export function occupiesNode(t: Task): boolean {
  return t.NodeID !== undefined && stateRank(t.Status.State) >= stateRank("assigned") && !isTerminal(t.Status.State);
}

/** Adds (sign 1) or removes (sign -1) a task's footprint to or from its node's usage. */
export function addUsage(u: NodeUsage, t: Task, sign: 1 | -1 = 1): void {
  const r = t.Spec.Resources?.Reservations;
  u.nanoCPUs += sign * (r?.NanoCPUs ?? 0);
  u.memoryBytes += sign * (r?.MemoryBytes ?? 0);
  u.tasks += sign;
  const n = (u.byService.get(t.ServiceID) ?? 0) + sign;
  if (n === 0) u.byService.delete(t.ServiceID);
  else u.byService.set(t.ServiceID, n);
  for (const p of taskHostPorts(t)) {
    const c = (u.hostPorts.get(p) ?? 0) + sign;
    if (c === 0) u.hostPorts.delete(p);
    else u.hostPorts.set(p, c);
  }
}

/** Usage per node from every task that occupies one. O(tasks). */
export function usageByNode(state: ClusterState): Map<Id, NodeUsage> {
  const out = new Map<Id, NodeUsage>();
  for (const t of Object.values(state.tasks)) {
    if (!occupiesNode(t)) continue;
    let u = out.get(t.NodeID!);
    if (u === undefined) out.set(t.NodeID!, (u = emptyUsage()));
    addUsage(u, t);
  }
  return out;
}

/**
 * Ready, active, and its container engine answering: the only nodes that take new tasks. (A node
 * whose engine is unreachable keeps its tasks, like a paused one: they come back with the engine.)
 */
export function isAvailable(n: Node): boolean {
  return n.Status.State === "ready" && n.Spec.Availability === "active" && !n.Description.Engine?.Unreachable;
}

/**
 * Whether the node has room for the task's reservations and host ports, given what it holds. The
 * other filters (ready, constraints) do not depend on usage and are checked elsewhere.
 */
export function fitsUsage(node: Node, task: Task, usage: NodeUsage): boolean {
  const r = task.Spec.Resources?.Reservations;
  const res = node.Description.Resources;
  const needCpu = r?.NanoCPUs ?? 0;
  const needMem = r?.MemoryBytes ?? 0;
  if (needCpu > 0 && needCpu > res.NanoCPUs - usage.nanoCPUs) return false;
  if (needMem > 0 && needMem > res.MemoryBytes - usage.memoryBytes) return false;
  if (usage.hostPorts.size > 0) for (const p of taskHostPorts(task)) if (usage.hostPorts.has(p)) return false;
  return true;
}

/**
 * Whether a task's fit can change with what nodes hold: it reserves CPU or memory, or publishes
 * host-mode ports. A task that does neither fits every ready, active node that matches its constraints.
 */
export function usageSensitive(task: Task): boolean {
  const r = task.Spec.Resources?.Reservations;
  return (r?.NanoCPUs ?? 0) > 0 || (r?.MemoryBytes ?? 0) > 0 || taskHostPorts(task).length > 0;
}

function cpus(n: number): string {
  return `${+(n / 1e9).toFixed(3)}`;
}
function mib(n: number): string {
  return `${Math.round(n / 1024 ** 2)}MiB`;
}

/**
 * Why `node` cannot take `task`, or null if it can. `usage` is what the node's other tasks hold
 * (default: nothing). `constraints` are the task's parsed constraints when the caller has them (or
 * the parse error); by default they are parsed here.
 */
export function explainWith(node: Node, task: Task, usage: NodeUsage = emptyUsage(), constraints?: readonly Constraint[] | Error): Rejection | null {
  const host = node.Description.Hostname || node.ID;
  if (node.Status.State !== "ready") return { filter: "ready", reason: `node ${host} is ${node.Status.State}` };
  if (node.Spec.Availability !== "active") {
    return { filter: "ready", reason: `node ${host} availability is ${node.Spec.Availability}` };
  }
  if (node.Description.Engine?.Unreachable) {
    return { filter: "ready", reason: `node ${host}'s container engine is unreachable (${node.Description.Engine.Unreachable})` };
  }
  const r = task.Spec.Resources?.Reservations;
  const res = node.Description.Resources;
  const needCpu = r?.NanoCPUs ?? 0;
  const needMem = r?.MemoryBytes ?? 0;
  if (needCpu > 0 && needCpu > res.NanoCPUs - usage.nanoCPUs) {
    const free = Math.max(0, res.NanoCPUs - usage.nanoCPUs);
    return { filter: "resources", reason: `insufficient CPU on ${host}: needs ${cpus(needCpu)}, ${cpus(free)} free` };
  }
  if (needMem > 0 && needMem > res.MemoryBytes - usage.memoryBytes) {
    const free = Math.max(0, res.MemoryBytes - usage.memoryBytes);
    return { filter: "resources", reason: `insufficient memory on ${host}: needs ${mib(needMem)}, ${mib(free)} free` };
  }
  let parsed = constraints;
  if (parsed === undefined) {
    try {
      parsed = parseConstraints(task.Spec.Placement?.Constraints);
    } catch (e) {
      parsed = e as Error;
    }
  }
  if (parsed instanceof Error) return { filter: "constraints", reason: parsed.message };
  const unmet = firstUnmet(node, parsed);
  if (unmet) return { filter: "constraints", reason: `constraint ${unmet.text} is not satisfied by ${host}` };
  for (const p of taskHostPorts(task)) {
    if (usage.hostPorts.has(p)) return { filter: "host-ports", reason: `host-mode port ${p} is already in use on ${host}` };
  }
  return null;
}

/** `explainWith` using the state's current usage of the node (O(tasks): for the CLI, not for loops). */
export function explain(node: Node, task: Task, state?: ClusterState): Rejection | null {
  const usage = state ? usageByNode(state).get(node.ID) : undefined;
  return explainWith(node, task, usage);
}

const SUMMARY: Record<FilterName, (n: number) => string> = {
  ready: (n) => `${n} node${n === 1 ? "" : "s"} not available for new tasks`,
  resources: (n) => `insufficient resources on ${n} node${n === 1 ? "" : "s"}`,
  constraints: (n) => `scheduling constraints not satisfied on ${n} node${n === 1 ? "" : "s"}`,
  "host-ports": (n) => `host-mode port already in use on ${n} node${n === 1 ? "" : "s"}`,
};

/** Docker-style summary: `no suitable node (1 node not available for new tasks; insufficient resources on 2 nodes)`. */
export function noSuitableNode(rejections: readonly Rejection[]): string {
  if (rejections.length === 0) return "no suitable node";
  const counts = new Map<FilterName, number>();
  for (const r of rejections) counts.set(r.filter, (counts.get(r.filter) ?? 0) + 1);
  const parts = FILTER_ORDER.filter((f) => counts.has(f)).map((f) => SUMMARY[f](counts.get(f)!));
  return `no suitable node (${parts.join("; ")})`;
}
