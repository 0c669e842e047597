/**
 * Scheduling filters, in Docker's order: ready → resources → constraints → host ports. A node passes
 * a task if no filter rejects it; `explain` says which filter rejected it and why.
 */
import { type ClusterState, type Id, isTerminal, type Node, type Service, stateRank, type Task } from "../api/index.ts";
import { firstUnmet, parseConstraints } from "./constraint.ts";

export type FilterName = "ready" | "resources" | "constraints" | "host-ports";
export const FILTER_ORDER: readonly FilterName[] = ["ready", "resources", "constraints", "host-ports"];

export interface Rejection {
  filter: FilterName;
  /** One line about this node, e.g. `constraint node.role==worker is not satisfied by host-a`. */
  reason: string;
}

/** What the tasks already placed on a node use. */
export interface NodeUsage {
  nanoCPUs: number;
  memoryBytes: number;
  tasks: number;
  byService: Map<Id, number>;
  /** `tcp/8080` for every host-mode published port in use. */
  hostPorts: Set<string>;
}

export function emptyUsage(): NodeUsage {
  return { nanoCPUs: 0, memoryBytes: 0, tasks: 0, byService: new Map(), hostPorts: new Set() };
}

/** Host-mode published ports of a service, as `proto/port`. */
export function hostPortsOf(service: Service | undefined): string[] {
  return (service?.Spec.EndpointSpec?.Ports ?? [])
    .filter((p) => p.PublishMode === "host" && p.PublishedPort > 0)
    .map((p) => `${p.Protocol}/${p.PublishedPort}`);
}

/** A task occupies its node from assignment until it is terminal. */
export function occupiesNode(t: Task): boolean {
  return t.NodeID !== undefined && stateRank(t.Status.State) >= stateRank("assigned") && !isTerminal(t.Status.State);
}

/** Adds a task's footprint to its node's usage (used while a scheduling pass places tasks). */
export function addUsage(u: NodeUsage, t: Task, service: Service | undefined): void {
  const r = t.Spec.Resources?.Reservations;
  u.nanoCPUs += r?.NanoCPUs ?? 0;
  u.memoryBytes += r?.MemoryBytes ?? 0;
  u.tasks += 1;
  u.byService.set(t.ServiceID, (u.byService.get(t.ServiceID) ?? 0) + 1);
  for (const p of hostPortsOf(service)) u.hostPorts.add(p);
}

/** Usage per node from every task that occupies one. */
export function usageByNode(state: ClusterState): Map<Id, NodeUsage> {
  const out = new Map<Id, NodeUsage>();
  for (const t of Object.values(state.tasks)) {
    if (!occupiesNode(t)) continue;
    let u = out.get(t.NodeID!);
    if (u === undefined) out.set(t.NodeID!, (u = emptyUsage()));
    addUsage(u, t, state.services[t.ServiceID]);
  }
  return out;
}

function cpus(n: number): string {
  return `${+(n / 1e9).toFixed(3)}`;
}
function mib(n: number): string {
  return `${Math.round(n / 1024 ** 2)}MiB`;
}

/**
 * Why `node` cannot take `task`, or null if it can. `usage` is what the node's other tasks hold
 * (default: nothing); `service` supplies host-mode ports (default: none).
 */
export function explainWith(node: Node, task: Task, service: Service | undefined, usage: NodeUsage = emptyUsage()): Rejection | null {
  const host = node.Description.Hostname || node.ID;
  if (node.Status.State !== "ready") return { filter: "ready", reason: `node ${host} is ${node.Status.State}` };
  if (node.Spec.Availability !== "active") {
    return { filter: "ready", reason: `node ${host} availability is ${node.Spec.Availability}` };
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
  let unmet;
  try {
    unmet = firstUnmet(node, parseConstraints(task.Spec.Placement?.Constraints));
  } catch (e) {
    return { filter: "constraints", reason: (e as Error).message };
  }
  if (unmet) return { filter: "constraints", reason: `constraint ${unmet.text} is not satisfied by ${host}` };
  for (const p of hostPortsOf(service)) {
    if (usage.hostPorts.has(p)) return { filter: "host-ports", reason: `host-mode port ${p} is already in use on ${host}` };
  }
  return null;
}

/** `explainWith` using the state's current usage of the node and the task's service. */
export function explain(node: Node, task: Task, state?: ClusterState): Rejection | null {
  const usage = state ? usageByNode(state).get(node.ID) : undefined;
  return explainWith(node, task, state?.services[task.ServiceID], usage);
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
