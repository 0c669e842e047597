/**
 * Reconciles one service's tasks, slot by slot. A slot is a replica number (replicated services) or a
 * node ID (global services). Per slot, the current task is the one desired running (the newest if,
 * against the invariant, there are several). Rules, per wanted slot:
 * - no current task: once every task in the slot has ended, create a fresh one (this is also the
 *   second half of a stop-first update);
 * - current task ended: replace it per the restart policy (Attempt+1, NotBefore = end + delay) and set
 *   the old one desired shutdown; an ended task is never restarted itself;
 * - current task outdated (its Spec differs from the service's TaskTemplate, ForceUpdate included):
 *   rolling update, parallelism 1, stop-first — unless one slot is already in flight (stopping, or its
 *   new task not yet running, or its new task failed for good), set one outdated task desired shutdown.
 *   Outdated tasks that hold nothing yet (unassigned) or have ended are replaced at once.
 * Slots no longer wanted: replicated → desired remove (scale down); global → desired shutdown.
 * Held slots (a global service's slot on a node that is paused, down or not ready, but still matches)
 * are left as they are: nothing is created, restarted, updated or stopped there.
 * Every slot keeps 5 tasks of history; older ended tasks are deleted.
 *
 * The plan does not depend on the order of the tasks given (the incremental and the full orchestrator
 * gather them differently): slots and tasks are visited in a fixed order.
 */
import { type Command, type DesiredState, isTerminal, type Service, stateRank, type Task } from "../api/index.ts";
import { iso, newTask, type ReconcileContext } from "./context.ts";
import { notBeforeMs, restartDecision } from "./restart.ts";
import { specEqual } from "./spec-equal.ts";

export const HISTORY_PER_SLOT = 5;
/** Tasks being updated at once (Docker's default `--update-parallelism 1`). */
export const UPDATE_PARALLELISM = 1;

export type SlotKey = number | string;

export interface SlotPlanInput {
  service: Service;
  /** Slots that should run a task, in order (replicas 1..N or eligible node IDs). */
  wanted: readonly SlotKey[];
  /** Slots left as they are (neither wanted nor unwanted). */
  held?: ReadonlySet<SlotKey>;
  /** The service's tasks grouped by slot (including slots not wanted). */
  bySlot: ReadonlyMap<SlotKey | undefined, readonly Task[]>;
  /** Desired state for the tasks of slots no longer wanted. */
  unwanted: Extract<DesiredState, "shutdown" | "remove">;
  /** How a new task is placed: `{ slot }` or `{ nodeId }`. */
  place: (key: SlotKey) => { slot?: number; nodeId?: string };
}

/** Optional helpers from a caller that plans often (the incremental ControlPlane). */
export interface PlanHooks {
  /** Same answer as `isOutdated` (a cached one). */
  outdated?: (t: Task, svc: Service) => boolean;
  /** Told the time (ms) at which the plan may change with no other change (a restart Window). */
  wakeAt?: (ms: number) => void;
}

function byTaskId(a: Task, b: Task): number {
  return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
}

/** Slot keys in a fixed order: none first, then replica numbers, then node IDs. */
function bySlotKey(a: SlotKey | undefined, b: SlotKey | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  if (typeof a !== typeof b) return typeof a === "number" ? -1 : 1;
  return a < b ? -1 : 1;
}

/** Newest first: the current task, then by creation time, attempt and ID. */
export function newestFirst(a: Task, b: Task): number {
  const ra = a.DesiredState === "running" ? 1 : 0;
  const rb = b.DesiredState === "running" ? 1 : 0;
  if (ra !== rb) return rb - ra;
  if (a.CreatedAt !== b.CreatedAt) return a.CreatedAt > b.CreatedAt ? -1 : 1;
  if (a.Attempt !== b.Attempt) return b.Attempt - a.Attempt;
  return a.ID > b.ID ? -1 : a.ID < b.ID ? 1 : 0;
}

function isUnassigned(t: Task): boolean {
  return t.Status.State === "new" || t.Status.State === "pending";
}

/** The task's spec or its published ports differ from the service's current ones. */
export function isOutdated(t: Task, svc: Service): boolean {
  return !specEqual(t.Spec, svc.Spec.TaskTemplate) || !specEqual(t.Endpoint?.Ports ?? [], svc.Endpoint.Ports);
}

export function planService(input: SlotPlanInput, ctx: ReconcileContext, hooks: PlanHooks = {}): Command[] {
  const { service: svc } = input;
  const outdated = hooks.outdated ?? isOutdated;
  const at = iso(ctx.now);
  const plan: Command[] = [];
  const desire = (t: Task, d: DesiredState) => plan.push({ kind: "task.desired", id: t.ID, desired: d, at });
  let inFlight = 0;
  // A new task is in flight until it runs: it counts against the update's parallelism.
  const create = (key: SlotKey, attempt: number, nb?: number) => {
    plan.push({ kind: "task.create", task: newTask(svc, ctx, input.place(key), attempt, nb) });
    inFlight += 1;
  };
  const wanted = new Set<SlotKey | undefined>(input.wanted);
  const held = input.held;

  // Slots no longer wanted.
  const unwanted: (SlotKey | undefined)[] = [];
  for (const key of input.bySlot.keys()) if (!wanted.has(key) && !(key !== undefined && held?.has(key))) unwanted.push(key);
  for (const key of unwanted.sort(bySlotKey)) {
    for (const t of [...input.bySlot.get(key)!].sort(byTaskId)) {
      if (stateRankDesired(t.DesiredState) < stateRankDesired(input.unwanted)) desire(t, input.unwanted);
    }
  }

  const outdatedRunning: Task[] = [];
  for (const key of input.wanted) {
    const tasks = [...(input.bySlot.get(key) ?? [])].sort(newestFirst);
    const running = tasks.filter((t) => t.DesiredState === "running");
    for (const extra of running.slice(1)) desire(extra, "shutdown");
    const cur = running[0];
    if (cur === undefined) {
      if (tasks.every((t) => isTerminal(t.Status.State))) create(key, 0);
      else inFlight += 1; // the old task is stopping (stop-first update)
      continue;
    }
    const ended = isTerminal(cur.Status.State);
    const old = outdated(cur, svc);
    if (old && (ended || isUnassigned(cur))) {
      // Holds nothing: replace with the new spec now.
      desire(cur, "shutdown");
      create(key, 0);
    } else if (old) {
      outdatedRunning.push(cur);
    } else if (ended) {
      const policy = svc.Spec.TaskTemplate.RestartPolicy;
      const decision = restartDecision(policy, cur, tasks, ctx.now);
      if (decision.restart) {
        desire(cur, "shutdown");
        create(key, cur.Attempt + 1, notBeforeMs(policy, cur, ctx.now));
      } else {
        if (decision.retryAtMs !== undefined) hooks.wakeAt?.(decision.retryAtMs);
        if (cur.Status.State !== "complete") inFlight += 1; // failed for good: pauses a rolling update
      }
    } else if (stateRank(cur.Status.State) < stateRank("running")) {
      inFlight += 1;
    }
  }

  // Rolling update, stop-first: stop the next outdated task(s) when the budget allows.
  let budget = UPDATE_PARALLELISM - inFlight;
  for (const t of outdatedRunning) {
    if (budget <= 0) break;
    desire(t, "shutdown");
    budget -= 1;
  }

  // History: keep HISTORY_PER_SLOT tasks per slot; delete older ended ones.
  const drop: string[] = [];
  for (const tasks of input.bySlot.values()) {
    if (tasks.length <= HISTORY_PER_SLOT) continue;
    const sorted = [...tasks].sort(newestFirst);
    for (const t of sorted.slice(HISTORY_PER_SLOT)) {
      if (isTerminal(t.Status.State) && t.DesiredState !== "running") drop.push(t.ID);
    }
  }
  if (drop.length > 0) plan.push({ kind: "task.delete", ids: drop.sort() });
  return plan;
}

const DESIRED_RANK: Record<DesiredState, number> = { running: 0, shutdown: 1, remove: 2 };
function stateRankDesired(d: DesiredState): number {
  return DESIRED_RANK[d];
}
