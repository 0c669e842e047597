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
 * Shape: `planSlot` decides one slot alone; `assemble` adds the one decision that spans slots (which
 * outdated tasks the rolling update stops, given how many slots are in flight) and orders the commands:
 * unwanted slots (by key), wanted slots (by key), rolling-update stops (by key), then one task.delete
 * (by ID). The full orchestrator plans every slot (`planService`); the incremental one re-plans only
 * the slots whose tasks changed and keeps the others' in-flight counts and outdated tasks — the same
 * plan, since a slot's result depends on nothing but its tasks, the service, whether it is wanted, and
 * the time (restart windows, reported through `wakeAt`).
 */
import { type Command, type DesiredState, type Id, isTerminal, type Service, stateRank, type Task } from "../api/index.ts";
import { iso, newTask, type ReconcileContext } from "./context.ts";
import { notBeforeMs, restartDecision } from "./restart.ts";
import { specEqual } from "./spec-equal.ts";

export const HISTORY_PER_SLOT = 5;
/** Tasks being updated at once (Docker's default `--update-parallelism 1`). */
export const UPDATE_PARALLELISM = 1;

export type SlotKey = number | string;
export type SlotKind = "wanted" | "held" | "unwanted";

/** What every slot of a service shares. */
export interface ServiceSlots {
  service: Service;
  /** Desired state for the tasks of slots no longer wanted. */
  unwanted: Extract<DesiredState, "shutdown" | "remove">;
  /** How a new task is placed: `{ slot }` or `{ nodeId }`. */
  place: (key: SlotKey) => { slot?: number; nodeId?: string };
}

export interface SlotPlanInput extends ServiceSlots {
  /** Slots that should run a task, in order (replicas 1..N or eligible node IDs). */
  wanted: readonly SlotKey[];
  /** Slots left as they are (neither wanted nor unwanted). */
  held?: ReadonlySet<SlotKey>;
  /** The service's tasks grouped by slot (including slots not wanted). */
  bySlot: ReadonlyMap<SlotKey | undefined, readonly Task[]>;
}

/** Optional helpers from a caller that plans often (the incremental ControlPlane). */
export interface PlanHooks {
  /** Same answer as `isOutdated` (a cached one). */
  outdated?: (t: Task, svc: Service) => boolean;
  /** Told the time (ms) at which the plan may change with no other change (a restart Window). */
  wakeAt?: (ms: number) => void;
}

/** One slot's part of the plan. */
export interface SlotResult {
  commands: Command[];
  /** 1 if the slot is mid-change (stopping, starting, or failed for good): counts against the update. */
  inFlight: number;
  /** The slot's running task if it is outdated and waits for its turn in the rolling update. */
  outdated?: Task;
  /** Old ended tasks beyond the slot's history. */
  drop: Id[];
}

function byTaskId(a: Task, b: Task): number {
  return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
}

/** Slot keys in a fixed order: none first, then replica numbers, then node IDs (the wanted order). */
export function bySlotKey(a: SlotKey | undefined, b: SlotKey | undefined): number {
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

const DESIRED_RANK: Record<DesiredState, number> = { running: 0, shutdown: 1, remove: 2 };

/** One slot's plan from its tasks (any order). */
export function planSlot(
  s: ServiceSlots,
  key: SlotKey | undefined,
  kind: SlotKind,
  tasks: readonly Task[],
  ctx: ReconcileContext,
  hooks: PlanHooks = {},
): SlotResult {
  const svc = s.service;
  const at = iso(ctx.now);
  const out: SlotResult = { commands: [], inFlight: 0, drop: [] };
  const desire = (t: Task, d: DesiredState) => out.commands.push({ kind: "task.desired", id: t.ID, desired: d, at });
  // A new task is in flight until it runs: it counts against the update's parallelism.
  const create = (attempt: number, nb?: number) => {
    out.commands.push({ kind: "task.create", task: newTask(svc, ctx, s.place(key!), attempt, nb) });
    out.inFlight = 1;
  };
  const sorted = tasks.length > 1 ? [...tasks].sort(newestFirst) : tasks;

  if (kind === "unwanted") {
    for (const t of [...tasks].sort(byTaskId)) if (DESIRED_RANK[t.DesiredState] < DESIRED_RANK[s.unwanted]) desire(t, s.unwanted);
  } else if (kind === "wanted") {
    let running = 0;
    for (const t of sorted) if (t.DesiredState === "running" && ++running > 1) desire(t, "shutdown");
    const cur = running > 0 ? sorted[0] : undefined;
    if (cur === undefined) {
      if (tasks.every((t) => isTerminal(t.Status.State))) create(0);
      else out.inFlight = 1; // the old task is stopping (stop-first update)
    } else {
      const ended = isTerminal(cur.Status.State);
      const old = (hooks.outdated ?? isOutdated)(cur, svc);
      if (old && (ended || isUnassigned(cur))) {
        // Holds nothing: replace with the new spec now.
        desire(cur, "shutdown");
        create(0);
      } else if (old) {
        out.outdated = cur;
      } else if (ended) {
        const policy = svc.Spec.TaskTemplate.RestartPolicy;
        const decision = restartDecision(policy, cur, tasks, ctx.now);
        if (decision.restart) {
          desire(cur, "shutdown");
          create(cur.Attempt + 1, notBeforeMs(policy, cur, ctx.now));
        } else {
          if (decision.retryAtMs !== undefined) hooks.wakeAt?.(decision.retryAtMs);
          if (cur.Status.State !== "complete") out.inFlight = 1; // failed for good: pauses a rolling update
        }
      } else if (stateRank(cur.Status.State) < stateRank("running")) {
        out.inFlight = 1;
      }
    }
  }

  // History: keep HISTORY_PER_SLOT tasks per slot; delete older ended ones.
  for (let i = HISTORY_PER_SLOT; i < sorted.length; i++) {
    const t = sorted[i]!;
    if (isTerminal(t.Status.State) && t.DesiredState !== "running") out.drop.push(t.ID);
  }
  return out;
}

/**
 * The service's plan from its slots' results: `unwanted` and `wanted` hold the slots that may have
 * commands (every slot, or the re-planned ones), each sorted by key; `inFlight` is the total over ALL
 * wanted slots; `outdated()` gives the outdated running tasks of ALL wanted slots, in key order.
 */
export function assemble(
  unwanted: readonly SlotResult[],
  wanted: readonly SlotResult[],
  inFlight: number,
  outdated: () => readonly Task[],
  ctx: ReconcileContext,
): Command[] {
  const plan: Command[] = [];
  const drop: Id[] = [];
  for (const r of unwanted) for (const c of r.commands) plan.push(c);
  for (const r of wanted) for (const c of r.commands) plan.push(c);
  // Rolling update, stop-first: stop the next outdated task(s) when the budget allows.
  let budget = UPDATE_PARALLELISM - inFlight;
  if (budget > 0) {
    const at = iso(ctx.now);
    for (const t of outdated()) {
      if (budget <= 0) break;
      plan.push({ kind: "task.desired", id: t.ID, desired: "shutdown", at });
      budget -= 1;
    }
  }
  for (const r of unwanted) for (const id of r.drop) drop.push(id);
  for (const r of wanted) for (const id of r.drop) drop.push(id);
  if (drop.length > 0) plan.push({ kind: "task.delete", ids: drop.sort() });
  return plan;
}

/** The whole service, every slot (the full orchestrator). Held slots only trim their history. */
export function planService(input: SlotPlanInput, ctx: ReconcileContext, hooks: PlanHooks = {}): Command[] {
  const wantedSet = new Set<SlotKey | undefined>(input.wanted);
  const unwanted: SlotResult[] = [];
  const keys: (SlotKey | undefined)[] = [];
  for (const key of input.bySlot.keys()) if (!wantedSet.has(key)) keys.push(key);
  for (const key of keys.sort(bySlotKey)) {
    const kind: SlotKind = key !== undefined && input.held?.has(key) ? "held" : "unwanted";
    unwanted.push(planSlot(input, key, kind, input.bySlot.get(key)!, ctx, hooks));
  }
  const wanted: SlotResult[] = [];
  let inFlight = 0;
  const outdated: Task[] = [];
  for (const key of [...input.wanted].sort(bySlotKey)) {
    const r = planSlot(input, key, "wanted", input.bySlot.get(key) ?? [], ctx, hooks);
    wanted.push(r);
    inFlight += r.inFlight;
    if (r.outdated) outdated.push(r.outdated);
  }
  return assemble(unwanted, wanted, inFlight, () => outdated, ctx);
}
