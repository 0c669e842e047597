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
 * Every slot keeps 5 tasks of history; older ended tasks are deleted.
 */
import { type Command, type DesiredState, isTerminal, type Service, stateRank, type Task } from "../api/index.ts";
import { iso, newTask, type ReconcileContext } from "./context.ts";
import { notBeforeMs, shouldRestart } from "./restart.ts";
import { specEqual } from "./spec-equal.ts";

export const HISTORY_PER_SLOT = 5;
/** Tasks being updated at once (Docker's default `--update-parallelism 1`). */
export const UPDATE_PARALLELISM = 1;

export type SlotKey = number | string;

export interface SlotPlanInput {
  service: Service;
  /** Slots that should run a task, in order (replicas 1..N or eligible node IDs). */
  wanted: readonly SlotKey[];
  /** The service's tasks grouped by slot (including slots not wanted). */
  bySlot: ReadonlyMap<SlotKey | undefined, readonly Task[]>;
  /** Desired state for the tasks of slots no longer wanted. */
  unwanted: Extract<DesiredState, "shutdown" | "remove">;
  /** How a new task is placed: `{ slot }` or `{ nodeId }`. */
  place: (key: SlotKey) => { slot?: number; nodeId?: string };
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

export function planService(input: SlotPlanInput, ctx: ReconcileContext): Command[] {
  const { service: svc } = input;
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

  // Slots no longer wanted.
  for (const [key, tasks] of input.bySlot) {
    if (wanted.has(key)) continue;
    for (const t of tasks) {
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
    if (isOutdated(cur, svc) && (ended || isUnassigned(cur))) {
      // Holds nothing: replace with the new spec now.
      desire(cur, "shutdown");
      create(key, 0);
    } else if (isOutdated(cur, svc)) {
      outdatedRunning.push(cur);
    } else if (ended) {
      if (shouldRestart(svc.Spec.TaskTemplate.RestartPolicy, cur, tasks, ctx.now)) {
        desire(cur, "shutdown");
        create(key, cur.Attempt + 1, notBeforeMs(svc.Spec.TaskTemplate.RestartPolicy, cur, ctx.now));
      } else if (cur.Status.State !== "complete") {
        inFlight += 1; // failed for good: pauses a rolling update
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
    const sorted = [...tasks].sort(newestFirst);
    for (const t of sorted.slice(HISTORY_PER_SLOT)) {
      if (isTerminal(t.Status.State) && t.DesiredState !== "running") drop.push(t.ID);
    }
  }
  if (drop.length > 0) plan.push({ kind: "task.delete", ids: drop });
  return plan;
}

const DESIRED_RANK: Record<DesiredState, number> = { running: 0, shutdown: 1, remove: 2 };
function stateRankDesired(d: DesiredState): number {
  return DESIRED_RANK[d];
}
