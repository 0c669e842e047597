/**
 * The pieces of one reconcile step, shared by the full orchestrator (reconcile.ts) and the incremental
 * one (control-plane.ts): node rules per task, one service's plan, and task-level cleanup. Each is a
 * pure function of what it is given, so the two orchestrators differ only in what they hand over.
 */
import { type Command, type Id, isGlobal, isJob, isTerminal, type Node, replicasOf, type Service, type Task } from "../api/index.ts";
import { isAvailable, type NodeTable } from "../scheduler/index.ts";
import { iso, type ReconcileContext } from "./context.ts";
import { nodeRule } from "./node-rules.ts";
import { type JobSlots, planJob } from "./jobs.ts";
import { rolloutOf, slotFacts, verdict } from "./rollout.ts";
import { isOutdated, type PlanHooks, planService, type SlotKey } from "./slots.ts";

/**
 * A global service's slots: `wanted` = ready, active nodes matching its constraints (by ID); `held` =
 * matching nodes that are paused, down or not ready (their tasks are left alone). Drained and
 * non-matching nodes are neither: their tasks are shut down.
 */
export interface GlobalSlots {
  wanted: Id[];
  wantedSet: Set<Id>;
  held: Set<Id>;
}

export function globalSlots(nodes: NodeTable, svc: Service): GlobalSlots {
  const wanted: Id[] = [];
  const held = new Set<Id>();
  for (const n of nodes.matching(svc.Spec.TaskTemplate.Placement?.Constraints)) {
    if (isAvailable(n)) wanted.push(n.ID);
    else if (n.Spec.Availability !== "drain") held.add(n.ID);
  }
  return { wanted, wantedSet: new Set(wanted), held };
}

/** How many replicas a replicated service wants (0 for a global one); a replicated job's completions. */
export function replicaCount(svc: Service): number {
  const m = svc.Spec.Mode;
  const n = "ReplicatedJob" in m ? m.ReplicatedJob.TotalCompletions : replicasOf(svc.Spec);
  return Math.max(0, Math.floor(n ?? 0));
}

/** A job's slots: completion numbers with the concurrency bound, or a global job's eligible nodes. */
export function jobSlots(svc: Service, slotsOf: (svc: Service) => GlobalSlots): JobSlots {
  const m = svc.Spec.Mode;
  if ("ReplicatedJob" in m) {
    return { wanted: replicaSlots(svc), place: (k) => ({ slot: Number(k) }), maxConcurrent: Math.max(1, Math.floor(m.ReplicatedJob.MaxConcurrent)) };
  }
  const { wanted, held } = slotsOf(svc);
  return { wanted, held, place: (k) => ({ nodeId: String(k) }) };
}

/** Replica numbers 1..N of a replicated service. */
export function replicaSlots(svc: Service): number[] {
  return Array.from({ length: replicaCount(svc) }, (_, i) => i + 1);
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

/** One service's plan from its tasks (any order). `slotsOf` gives a global service's slots. */
export function planOne(
  svc: Service,
  tasks: readonly Task[],
  slotsOf: (svc: Service) => GlobalSlots,
  ctx: ReconcileContext,
  hooks: PlanHooks = {},
): Command[] {
  if (isJob(svc.Spec)) return planJob(svc, group(tasks, (t) => (isGlobal(svc.Spec) ? t.NodeID : t.Slot)), jobSlots(svc, slotsOf), ctx, hooks);
  if (isGlobal(svc.Spec)) {
    const { wanted, held } = slotsOf(svc);
    return planService(
      { service: svc, wanted, held, bySlot: group(tasks, (t) => t.NodeID), unwanted: "shutdown", place: (k) => ({ nodeId: String(k) }) },
      ctx,
      hooks,
    );
  }
  return planService(
    { service: svc, wanted: replicaSlots(svc), bySlot: group(tasks, (t) => t.Slot), unwanted: "remove", place: (k) => ({ slot: Number(k) }) },
    ctx,
    hooks,
  );
}

/**
 * The verdicts of every rolling update in progress (rollout.ts), services by ID, from their tasks as
 * they are after the plan: what the full orchestrator proposes after its steps.
 */
export function verdicts(services: readonly Service[], tasksByService: ReadonlyMap<Id, readonly Task[]>, slotsOf: (svc: Service) => GlobalSlots, ctx: ReconcileContext): Command[] {
  const out: Command[] = [];
  for (const svc of services) {
    if (isJob(svc.Spec) || !rolloutOf(svc).active) continue;
    const global = isGlobal(svc.Spec);
    const wanted: SlotKey[] = global ? slotsOf(svc).wanted : replicaSlots(svc);
    const bySlot = group(tasksByService.get(svc.ID) ?? [], (t) => (global ? t.NodeID : t.Slot));
    const facts = wanted.map((k) => slotFacts(svc, bySlot.get(k) ?? [], (t) => isOutdated(t, svc)));
    for (const c of verdict(svc, facts, wanted.length, ctx)) out.push(c);
  }
  return out;
}

/** `nodeRule` over tasks given in ID order; `node(id)` is undefined for a removed node. */
export function nodeRules(tasks: Iterable<Task>, node: (id: Id) => Node | undefined, ctx: ReconcileContext): Command[] {
  const plan: Command[] = [];
  for (const t of tasks) if (t.NodeID !== undefined) plan.push(...nodeRule(t, node(t.NodeID), ctx));
  return plan;
}

/**
 * Task-level rules, whatever the service, over tasks given in ID order:
 * - a task whose service is gone is desired remove;
 * - a task desired remove is deleted once it has ended, or at once if it was never assigned;
 * - a task desired shutdown that was never assigned is marked shutdown (no agent will ever run it).
 */
export function cleanup(tasks: Iterable<Task>, services: Readonly<Record<Id, Service>>, ctx: ReconcileContext): Command[] {
  const at = iso(ctx.now);
  const plan: Command[] = [];
  const drop: Id[] = [];
  for (const t of tasks) {
    const unassigned = t.Status.State === "new" || t.Status.State === "pending";
    if (!Object.hasOwn(services, t.ServiceID) && t.DesiredState !== "remove") {
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
