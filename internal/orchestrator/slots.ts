/**
 * Reconciles one service's tasks, slot by slot. A slot is a replica number (replicated services) or a
 * node ID (global services). Per wanted slot, the current task is the newest one desired running; a
 * second one desired running is kept only while a start-first update brings up its replacement.
 * Rules, per wanted slot:
 * - the current task ended: it is desired `shutdown` (Docker's restart supervisor) and replaced per
 *   the restart policy (Attempt+1, NotBefore = end + delay). An ended task is never restarted itself.
 *   If the policy says no (condition none, on-failure after a clean exit, attempts used up), the slot
 *   stays held by that ended task: nothing new is created there;
 * - no task desired running: once every task in the slot has ended, create a fresh one (the second
 *   half of a stop-first update, or a task moved off a drained or down node) — unless the slot's newest
 *   task is one the restart policy retired (above), which holds the slot;
 * - the current task is outdated (its Spec differs from the service's TaskTemplate, ForceUpdate
 *   included): rolling update. It waits its turn: at most UpdateConfig.Parallelism slots (0: all) are
 *   in flight at once — stopping, starting, a new task not yet running (or running for less than
 *   UpdateConfig.Delay), or failed for good. Its turn stops it (stop-first) or creates its replacement
 *   beside it (start-first; the old task is stopped once the new one runs). A paused update takes no
 *   turns. Outdated tasks that hold nothing yet (unassigned) or have ended are replaced at once.
 * Slots no longer wanted: replicated → desired remove (scale down); global → desired shutdown.
 * Held slots (a global service's slot on a node that is paused, down or not ready, but still matches)
 * are left as they are: nothing is created, restarted, updated or stopped there.
 * Every slot keeps 5 tasks of history; older ended tasks are deleted.
 *
 * Shape: `planSlot` decides one slot alone; `assemble` adds the one decision that spans slots (which
 * outdated tasks the rolling update takes, given how many slots are in flight) and orders the commands:
 * unwanted slots (by key), wanted slots (by key), rolling-update turns (by key), then one task.delete
 * (by ID). The full orchestrator plans every slot (`planService`); the incremental one re-plans only
 * the slots whose tasks changed and keeps the others' in-flight counts and outdated tasks — the same
 * plan, since a slot's result depends on nothing but its tasks, the service, whether it is wanted, and
 * the time (restart windows and update delays, reported through `wakeAt`).
 */
import { type Command, type DesiredState, type Id, isOutdated, isTerminal, type Service, stateRank, type Task } from "../api/index.ts";
import { iso, msOf, newTask, type ReconcileContext } from "./context.ts";
import { notBeforeMs, restartDecision } from "./restart.ts";
import { rolloutOf, type Rollout } from "./rollout.ts";

export const HISTORY_PER_SLOT = 5;
/** Tasks being updated at once by default (Docker's `--update-parallelism 1`). */
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
  /** Told the time (ms) at which the plan may change with no other change (a restart Window, an update Delay). */
  wakeAt?: (ms: number) => void;
}

/** An outdated running task waiting for its turn in the rolling update, and its slot. */
export interface Waiting {
  key: SlotKey;
  task: Task;
}

/** One slot's part of the plan. */
export interface SlotResult {
  commands: Command[];
  /** 1 if the slot is mid-change (stopping, starting, or failed for good): counts against the update. */
  inFlight: number;
  /** The slot's running task if it is outdated and waits for its turn in the rolling update. */
  outdated?: Waiting;
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
  return newerFirst(a, b);
}

/** By creation time, attempt and ID, newest first, whatever the desired state. */
export function newerFirst(a: Task, b: Task): number {
  if (a.CreatedAt !== b.CreatedAt) return a.CreatedAt > b.CreatedAt ? -1 : 1;
  if (a.Attempt !== b.Attempt) return b.Attempt - a.Attempt;
  return a.ID > b.ID ? -1 : a.ID < b.ID ? 1 : 0;
}

function isUnassigned(t: Task): boolean {
  return t.Status.State === "new" || t.Status.State === "pending";
}

/** Ended by itself (not stopped by swarm, not lost with its node): what the restart policy judges. */
function endedOnItsOwn(t: Task): boolean {
  return t.Status.State === "complete" || t.Status.State === "failed" || t.Status.State === "rejected";
}

export { isOutdated };

const DESIRED_RANK: Record<DesiredState, number> = { running: 0, complete: 0, shutdown: 1, remove: 2 };

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
  const outdated = (t: Task) => (hooks.outdated ?? isOutdated)(t, svc);
  const sorted = tasks.length > 1 ? [...tasks].sort(newestFirst) : tasks;

  if (kind === "unwanted") {
    for (const t of [...tasks].sort(byTaskId)) if (DESIRED_RANK[t.DesiredState] < DESIRED_RANK[s.unwanted]) desire(t, s.unwanted);
  } else if (kind === "wanted") {
    const rollout = rolloutOf(svc);
    const policy = svc.Spec.TaskTemplate.RestartPolicy;
    const live = sorted.filter((t) => t.DesiredState === "running");
    for (let i = 2; i < live.length; i++) desire(live[i]!, "shutdown");
    let cur: Task | undefined = live[0];
    let prev: Task | undefined = live[1];
    // Two desired running: a start-first update's new task (cur) beside the task it replaces (prev).
    if (cur !== undefined && prev !== undefined) {
      if (isTerminal(prev.Status.State)) {
        desire(prev, "shutdown");
        prev = undefined;
      } else if (outdated(cur) && !outdated(prev)) {
        // The newer task is no longer what the service asks for (a rollback): keep the older one.
        desire(cur, "shutdown");
        cur = prev;
        prev = undefined;
      } else if (cur.Status.State === "running") {
        desire(prev, "shutdown"); // the replacement runs: the old task goes
        prev = undefined;
      }
      // else: the replacement is on its way (or failed: replaced below); the old task keeps serving
    }
    if (cur === undefined) {
      if (!tasks.every((t) => isTerminal(t.Status.State))) out.inFlight = 1; // the old task is stopping (stop-first update)
      else {
        const latest = tasks.length > 1 ? [...tasks].sort(newerFirst)[0] : tasks[0];
        if (latest !== undefined && endedOnItsOwn(latest) && !outdated(latest)) {
          // Retired by the restart policy: it holds the slot until the policy allows a replacement.
          held(latest);
        } else create(0);
      }
    } else if (isTerminal(cur.Status.State)) {
      desire(cur, "shutdown");
      if (outdated(cur)) create(0);
      else held(cur);
      if (prev !== undefined) out.inFlight = 1;
    } else if (outdated(cur)) {
      if (isUnassigned(cur)) {
        // Holds nothing: replace with the new spec now.
        desire(cur, "shutdown");
        create(0);
      } else {
        const latest = [...tasks].sort(newerFirst)[0]!;
        // The slot's last try of the current spec failed for good: no new try until the spec changes.
        if (latest !== cur && !outdated(latest) && endedOnItsOwn(latest) && latest.Status.State !== "complete" && !restartDecision(policy, latest, tasks, ctx.now).restart) {
          out.inFlight = 1;
        } else out.outdated = { key: key!, task: cur };
      }
    } else if (prev !== undefined || stateRank(cur.Status.State) < stateRank("running")) {
      out.inFlight = 1;
    } else if (rollout.active && rollout.delayMs > 0 && cur.StartedAt !== undefined && msOf(cur.CreatedAt, 0) >= rollout.startedAtMs) {
      // Update Delay: a slot updated by this rollout takes no new turn until its task has run this long.
      const until = msOf(cur.StartedAt, ctx.now) + rollout.delayMs;
      if (ctx.now < until) {
        out.inFlight = 1;
        hooks.wakeAt?.(until);
      }
    }

    /** `t` ended on its own and is the slot's newest: replace it if the restart policy says so. */
    function held(t: Task): void {
      if (!endedOnItsOwn(t)) return create(0); // stopped or lost with its node: not the policy's call
      const decision = restartDecision(policy, t, tasks, ctx.now);
      if (decision.restart) return create(t.Attempt + 1, notBeforeMs(policy, t, ctx.now));
      if (decision.retryAtMs !== undefined) hooks.wakeAt?.(decision.retryAtMs);
      if (t.Status.State !== "complete") out.inFlight = 1; // failed for good: pauses a rolling update
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
  s: ServiceSlots,
  unwanted: readonly SlotResult[],
  wanted: readonly SlotResult[],
  inFlight: number,
  outdated: () => readonly Waiting[],
  ctx: ReconcileContext,
): Command[] {
  const plan: Command[] = [];
  const drop: Id[] = [];
  for (const r of unwanted) for (const c of r.commands) plan.push(c);
  for (const r of wanted) for (const c of r.commands) plan.push(c);
  // Rolling update: the next outdated slots take their turn when the budget allows.
  const rollout: Rollout = rolloutOf(s.service);
  let budget = rollout.paused ? 0 : rollout.parallelism === 0 ? Infinity : rollout.parallelism - inFlight;
  if (budget > 0) {
    const at = iso(ctx.now);
    for (const w of outdated()) {
      if (budget <= 0) break;
      if (rollout.startFirst) plan.push({ kind: "task.create", task: newTask(s.service, ctx, s.place(w.key), 0) });
      else plan.push({ kind: "task.desired", id: w.task.ID, desired: "shutdown", at });
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
  const outdated: Waiting[] = [];
  for (const key of [...input.wanted].sort(bySlotKey)) {
    const r = planSlot(input, key, "wanted", input.bySlot.get(key) ?? [], ctx, hooks);
    wanted.push(r);
    inFlight += r.inFlight;
    if (r.outdated) outdated.push(r.outdated);
  }
  return assemble(input, unwanted, wanted, inFlight, () => outdated, ctx);
}
