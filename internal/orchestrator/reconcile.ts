/**
 * The orchestrator: turns services into tasks. `reconcile(state, ctx)` is pure and returns a plan of
 * commands; the caller (the leader's agent) proposes it, lets the scheduler place new tasks, and calls
 * reconcile again on every state change.
 *
 * Idempotent: applying the plan and reconciling again yields [] (the plan is computed to a fixed point:
 * steps that follow from the plan itself, such as deleting a task the plan just marked for removal, are
 * part of the same plan). Only agents' status reports or spec changes make it do more.
 */
import { type ClusterState, type Command, type Id, isGlobal, isTerminal, replicasOf, type Service, type Task } from "../api/index.ts";
import { nodeMatches } from "../scheduler/index.ts";
import { applyCommands } from "../store/index.ts";
import { iso, type ReconcileContext } from "./context.ts";
import { planService, type SlotKey } from "./slots.ts";

/** Bound on the fixed-point iteration; a plan converges in 3 steps in practice. */
const MAX_STEPS = 8;

export function reconcile(state: ClusterState, ctx: ReconcileContext): Command[] {
  const plan: Command[] = [];
  let s = state;
  for (let i = 0; i < MAX_STEPS; i++) {
    const step = reconcileStep(s, ctx);
    if (step.length === 0) break;
    plan.push(...step);
    s = applyCommands(s, step);
  }
  return plan;
}

function byId<T extends { ID: Id }>(a: T, b: T): number {
  return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
}

/** One pass over every service, then task-level cleanup. */
export function reconcileStep(state: ClusterState, ctx: ReconcileContext): Command[] {
  const tasksByService = new Map<Id, Task[]>();
  for (const t of Object.values(state.tasks)) {
    const list = tasksByService.get(t.ServiceID);
    if (list) list.push(t);
    else tasksByService.set(t.ServiceID, [t]);
  }
  const plan: Command[] = [];
  for (const svc of Object.values(state.services).sort(byId)) {
    plan.push(...planOne(state, svc, tasksByService.get(svc.ID) ?? [], ctx));
  }
  plan.push(...cleanup(state, ctx));
  return plan;
}

function group(tasks: readonly Task[], key: (t: Task) => SlotKey | undefined): Map<SlotKey | undefined, Task[]> {
  const out = new Map<SlotKey | undefined, Task[]>();
  for (const t of tasks) {
    const k = key(t);
    const list = out.get(k);
    if (list) list.push(t);
    else out.set(k, [t]);
  }
  return out;
}

/** Nodes a global service should run on: ready, active, matching its constraints; sorted by ID. */
export function eligibleNodes(state: ClusterState, svc: Service): Id[] {
  const constraints = svc.Spec.TaskTemplate.Placement?.Constraints;
  return Object.values(state.nodes)
    .filter((n) => n.Status.State === "ready" && n.Spec.Availability === "active" && nodeMatches(n, constraints))
    .sort(byId)
    .map((n) => n.ID);
}

/** The slots a service should fill: replicas 1..N, or eligible node IDs for global services. */
export function wantedSlots(state: ClusterState, svc: Service): (number | string)[] {
  if (isGlobal(svc.Spec)) return eligibleNodes(state, svc);
  const n = Math.max(0, Math.floor(replicasOf(svc.Spec) ?? 0));
  return Array.from({ length: n }, (_, i) => i + 1);
}

function planOne(state: ClusterState, svc: Service, tasks: Task[], ctx: ReconcileContext): Command[] {
  if (isGlobal(svc.Spec)) {
    // TODO(multi-node): tasks on nodes that are down should become orphaned after a grace period.
    const eligible = eligibleNodes(state, svc);
    return planService(
      { service: svc, wanted: eligible, bySlot: group(tasks, (t) => t.NodeID), unwanted: "shutdown", place: (k) => ({ nodeId: String(k) }) },
      ctx,
    );
  }
  // TODO(multi-node): replicated tasks on nodes that are down should become orphaned and be replaced.
  const wanted = wantedSlots(state, svc);
  return planService(
    { service: svc, wanted, bySlot: group(tasks, (t) => t.Slot), unwanted: "remove", place: (k) => ({ slot: Number(k) }) },
    ctx,
  );
}

/**
 * Task-level rules, whatever the service:
 * - a task whose service is gone is desired remove;
 * - a task desired remove is deleted once it has ended, or at once if it was never assigned;
 * - a task desired shutdown that was never assigned is marked shutdown (no agent will ever run it);
 * - a live task on a node that was removed from the cluster is marked orphaned (no agent will report
 *   on it again); its slot is then handled like any ended task (restart policy, or deletion).
 */
function cleanup(state: ClusterState, ctx: ReconcileContext): Command[] {
  const at = iso(ctx.now);
  const plan: Command[] = [];
  const drop: Id[] = [];
  for (const t of Object.values(state.tasks).sort(byId)) {
    const unassigned = t.Status.State === "new" || t.Status.State === "pending";
    if (t.NodeID !== undefined && !unassigned && !isTerminal(t.Status.State) && state.nodes[t.NodeID] === undefined) {
      plan.push({
        kind: "task.status",
        id: t.ID,
        status: { Timestamp: at, State: "orphaned", Message: "task orphaned: its node was removed from the cluster" },
        at,
      });
    } else if (state.services[t.ServiceID] === undefined && t.DesiredState !== "remove") {
      plan.push({ kind: "task.desired", id: t.ID, desired: "remove", at });
    } else if (t.DesiredState === "remove" && (isTerminal(t.Status.State) || unassigned)) {
      drop.push(t.ID);
    } else if (t.DesiredState === "shutdown" && unassigned) {
      plan.push({
        kind: "task.status",
        id: t.ID,
        status: { Timestamp: at, State: "shutdown", Message: "shut down before it was scheduled" },
        at,
      });
    }
  }
  if (drop.length > 0) plan.push({ kind: "task.delete", ids: drop });
  return plan;
}
