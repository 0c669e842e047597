/**
 * The scheduler: places pending tasks on nodes. Pure: (state, ctx) → plan of task.assign /
 * task.unschedulable commands. Idempotent: scheduling again after applying the plan yields [] unless
 * something changed (a task that still fits nowhere is not re-reported with the same reason).
 *
 * Which tasks: desired running, state new or pending, of a known service. A task without a node may
 * go anywhere; a task created for a node (global services) may only go there.
 * Where: nodes that pass every filter (filters.ts), then spread: fewest tasks of the same service,
 * then fewest tasks overall, then lowest node ID (determinism). Tasks placed earlier in the same pass
 * count, so a burst of tasks spreads out and cannot oversubscribe resources or host ports.
 */
import type { ClusterState, Command, Id, Node, Task } from "../api/index.ts";
import { addUsage, emptyUsage, explainWith, type NodeUsage, noSuitableNode, type Rejection, usageByNode } from "./filters.ts";

export interface ScheduleContext {
  /** Milliseconds since the epoch: the time stamped on the commands. */
  now: number;
}

function byAge(a: Task, b: Task): number {
  if (a.CreatedAt !== b.CreatedAt) return a.CreatedAt < b.CreatedAt ? -1 : 1;
  if (a.ServiceID !== b.ServiceID) return a.ServiceID < b.ServiceID ? -1 : 1;
  if ((a.Slot ?? 0) !== (b.Slot ?? 0)) return (a.Slot ?? 0) - (b.Slot ?? 0);
  return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
}

/** Tasks the scheduler should place, oldest first. */
export function schedulable(state: ClusterState): Task[] {
  return Object.values(state.tasks)
    .filter(
      (t) =>
        t.DesiredState === "running" &&
        (t.Status.State === "new" || t.Status.State === "pending") &&
        state.services[t.ServiceID] !== undefined,
    )
    .sort(byAge);
}

export function schedule(state: ClusterState, ctx: ScheduleContext): Command[] {
  const at = new Date(ctx.now).toISOString();
  const nodes: Node[] = Object.values(state.nodes).sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
  const usage = usageByNode(state);
  const usageOf = (id: Id): NodeUsage => {
    let u = usage.get(id);
    if (u === undefined) usage.set(id, (u = emptyUsage()));
    return u;
  };
  const plan: Command[] = [];
  for (const task of schedulable(state)) {
    const service = state.services[task.ServiceID];
    const candidates = task.NodeID !== undefined ? nodes.filter((n) => n.ID === task.NodeID) : nodes;
    const fits: Node[] = [];
    const rejected: Rejection[] = [];
    for (const n of candidates) {
      const why = explainWith(n, task, service, usageOf(n.ID));
      if (why) rejected.push(why);
      else fits.push(n);
    }
    if (fits.length === 0) {
      const message = noSuitableNode(rejected);
      if (task.Status.Err !== message || task.Status.State !== "pending") {
        plan.push({ kind: "task.unschedulable", id: task.ID, message, at });
      }
      continue;
    }
    let best = fits[0]!;
    for (const n of fits.slice(1)) if (better(usageOf(n.ID), usageOf(best.ID), task.ServiceID)) best = n;
    addUsage(usageOf(best.ID), task, service);
    plan.push({ kind: "task.assign", id: task.ID, nodeId: best.ID, at });
  }
  return plan;
}

/** Spread: fewer tasks of the same service, then fewer tasks overall. Ties keep the earlier (lower ID) node. */
function better(a: NodeUsage, b: NodeUsage, serviceId: Id): boolean {
  const sa = a.byService.get(serviceId) ?? 0;
  const sb = b.byService.get(serviceId) ?? 0;
  if (sa !== sb) return sa < sb;
  return a.tasks < b.tasks;
}
