/**
 * The orchestrator: turns services into tasks. `reconcile(state, ctx)` is pure and returns a plan of
 * commands; the caller (the leader) proposes it, lets the scheduler place new tasks, and calls
 * reconcile again on every state change and on a timer (orphan grace periods, restart windows).
 *
 * Idempotent: applying the plan and reconciling again yields [] (the plan is computed to a fixed point:
 * steps that follow from the plan itself, such as deleting a task the plan just marked for removal, are
 * part of the same plan). Only agents' status reports, spec or node changes, or time make it do more.
 *
 * After the steps, the verdicts of rolling updates in progress (service.update-status, service.rollback:
 * see rollout.ts), services by ID; the next reconcile sees them committed.
 *
 * One step: if a node rule fires for any task (node-rules.ts: removed, down past the grace period,
 * drained), the step is those commands alone; otherwise every service's plan (by service ID), then
 * task-level cleanup (by task ID).
 *
 * This walks the whole state every step: it is the reference. The leader uses `ControlPlane`
 * (control-plane.ts), which plans only what changed and yields the same commands in the same order.
 */
import type { ClusterState, Command, Id, Service, Task } from "../api/index.ts";
import { isGlobal } from "../api/index.ts";
import { NodeTable } from "../scheduler/index.ts";
import { applyCommands } from "../store/index.ts";
import type { ReconcileContext } from "./context.ts";
import { cleanup, globalSlots, nodeRules, planOne, replicaSlots, verdicts } from "./service-plan.ts";

/** Bound on the fixed-point iteration; a plan converges in 3 steps in practice. */
export const MAX_STEPS = 8;

export function reconcile(state: ClusterState, ctx: ReconcileContext): Command[] {
  const plan: Command[] = [];
  let s = state;
  for (let i = 0; i < MAX_STEPS; i++) {
    const step = reconcileStep(s, ctx);
    if (step.length === 0) break;
    plan.push(...step);
    s = applyCommands(s, step);
  }
  // Then the rolling updates' verdicts (pause, roll back, complete), on the tasks as the plan leaves them.
  const tasksByService = new Map<Id, Task[]>();
  for (const t of Object.values(s.tasks)) {
    const list = tasksByService.get(t.ServiceID);
    if (list) list.push(t);
    else tasksByService.set(t.ServiceID, [t]);
  }
  const table = new NodeTable(s.nodes);
  plan.push(...verdicts(Object.values(s.services).sort(byId), tasksByService, (svc) => globalSlots(table, svc), ctx));
  return plan;
}

export function byId<T extends { ID: Id }>(a: T, b: T): number {
  return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
}

/** One step over the whole state (see the top of this file). */
export function reconcileStep(state: ClusterState, ctx: ReconcileContext): Command[] {
  const tasks = Object.values(state.tasks).sort(byId);
  const rules = nodeRules(tasks, (id) => (Object.hasOwn(state.nodes, id) ? state.nodes[id] : undefined), ctx);
  if (rules.length > 0) return rules;
  const tasksByService = new Map<Id, Task[]>();
  for (const t of tasks) {
    const list = tasksByService.get(t.ServiceID);
    if (list) list.push(t);
    else tasksByService.set(t.ServiceID, [t]);
  }
  const table = new NodeTable(state.nodes);
  const slotsOf = (svc: Service) => globalSlots(table, svc);
  const plan: Command[] = [];
  for (const svc of Object.values(state.services).sort(byId)) {
    plan.push(...planOne(svc, tasksByService.get(svc.ID) ?? [], slotsOf, ctx));
  }
  plan.push(...cleanup(tasks, state.services, ctx));
  return plan;
}

/** Nodes a global service should run new tasks on: ready, active, matching its constraints; by ID. */
export function eligibleNodes(state: ClusterState, svc: Service): Id[] {
  return globalSlots(new NodeTable(state.nodes), svc).wanted;
}

/** The slots a service should fill: replicas 1..N, or eligible node IDs for global services. */
export function wantedSlots(state: ClusterState, svc: Service): (number | string)[] {
  return isGlobal(svc.Spec) ? eligibleNodes(state, svc) : replicaSlots(svc);
}
