/**
 * A rolling update as a whole (Docker's updater, made level-triggered): how it proceeds (the update or
 * rollback config in force) and when it is judged. The state machine starts a rollout when a service's
 * task template changes (UpdateStatus `updating`) or a rollback starts (`rollback_started`); the
 * orchestrator moves it on with these verdicts, proposed after the slots' plans:
 *
 * - failures: a task of the new spec, created since the rollout started, that failed or was rejected
 *   before it ran or within `Monitor` of starting to run (Docker's rule). When failures / slots exceed
 *   `MaxFailureRatio`, `FailureAction` applies: `pause` (UpdateStatus paused: no more slots are taken),
 *   `rollback` (`service.rollback` to PreviousSpec), `continue` (nothing). A failing rollback pauses.
 * - completion: every wanted slot runs one task of the new spec, the last of them for `Monitor`:
 *   UpdateStatus completed (or rollback_completed).
 *
 * Pure. A verdict depends on the slots' facts (`slotFacts`, from their tasks only) and the time
 * (completion waits for Monitor: reported through `wakeAt`).
 */
import { type Command, type Id, isTerminal, type Service, type Task, type UpdateConfig, updateConfigOf } from "../api/index.ts";
import { iso, msOf, type ReconcileContext } from "./context.ts";

export interface Rollout {
  /** An update or rollback is in progress (UpdateStatus updating or rollback_started). */
  active: boolean;
  /** The rollout is a rollback (RollbackConfig applies). */
  rollback: boolean;
  /** Paused by a failure: no slot takes a turn until the next `service update`. */
  paused: boolean;
  /** Slots in flight at once; 0 means all. */
  parallelism: number;
  delayMs: number;
  monitorMs: number;
  startFirst: boolean;
  startedAtMs: number;
  cfg: UpdateConfig;
}

const cache = new WeakMap<Service, Rollout>();

export function rolloutOf(svc: Service): Rollout {
  let r = cache.get(svc);
  if (r !== undefined) return r;
  const st = svc.UpdateStatus?.State;
  const rollback = st === "rollback_started" || st === "rollback_paused" || st === "rollback_completed";
  const cfg = updateConfigOf(svc.Spec, rollback);
  r = {
    active: st === "updating" || st === "rollback_started",
    rollback,
    paused: st === "paused" || st === "rollback_paused",
    parallelism: Math.max(0, Math.floor(cfg.Parallelism)),
    delayMs: cfg.Delay / 1e6,
    monitorMs: cfg.Monitor / 1e6,
    startFirst: cfg.Order === "start-first",
    startedAtMs: msOf(svc.UpdateStatus?.StartedAt, 0),
    cfg,
  };
  cache.set(svc, r);
  return r;
}

/** What one wanted slot tells the verdict. Depends only on the slot's tasks and the service. */
export interface SlotFacts {
  /** Failed tasks of this rollout in the slot, and the earliest (by status time, then ID). */
  failures: number;
  firstFailure?: { id: Id; ts: string };
  /** The slot's only live task runs the current spec (any old one has stopped): since when it runs (ms). */
  doneSinceMs?: number;
}

export const NO_FACTS: SlotFacts = { failures: 0 };

function earlier(a: { id: Id; ts: string } | undefined, b: { id: Id; ts: string }): boolean {
  return a === undefined || b.ts < a.ts || (b.ts === a.ts && b.id < a.id);
}

/** The slot's facts for an active rollout (NO_FACTS otherwise). `outdated` is `isOutdated` (maybe cached). */
export function slotFacts(svc: Service, tasks: readonly Task[], outdated: (t: Task) => boolean): SlotFacts {
  const r = rolloutOf(svc);
  if (!r.active) return NO_FACTS;
  let failures = 0;
  let firstFailure: SlotFacts["firstFailure"];
  let live: Task | undefined;
  let liveCount = 0;
  for (const t of tasks) {
    if (!isTerminal(t.Status.State)) {
      live = t;
      liveCount += 1;
    }
    if (t.Status.State !== "failed" && t.Status.State !== "rejected") continue;
    if (msOf(t.CreatedAt, 0) < r.startedAtMs || outdated(t)) continue;
    const ranFor = t.StartedAt === undefined ? 0 : msOf(t.Status.Timestamp, 0) - msOf(t.StartedAt, 0);
    if (ranFor > r.monitorMs) continue;
    failures += 1;
    const f = { id: t.ID, ts: t.Status.Timestamp };
    if (earlier(firstFailure, f)) firstFailure = f;
  }
  const out: SlotFacts = { failures };
  if (firstFailure !== undefined) out.firstFailure = firstFailure;
  if (liveCount === 1 && live!.DesiredState === "running" && live!.Status.State === "running" && !outdated(live!)) out.doneSinceMs = msOf(live!.StartedAt ?? live!.Status.Timestamp, 0);
  return out;
}

/**
 * The rollout's verdict from the facts of every wanted slot (`slots` of them), or [] while it goes on.
 * Completion wakes the caller (`wakeAt`) when Monitor will have passed.
 */
export function verdict(svc: Service, facts: Iterable<SlotFacts>, slots: number, ctx: ReconcileContext, wakeAt?: (ms: number) => void): Command[] {
  const r = rolloutOf(svc);
  const st = svc.UpdateStatus;
  if (!r.active || st === undefined) return [];
  let failures = 0;
  let first: SlotFacts["firstFailure"];
  let done = 0;
  let lastStart = r.startedAtMs;
  for (const f of facts) {
    failures += f.failures;
    if (f.firstFailure !== undefined && earlier(first, f.firstFailure)) first = f.firstFailure;
    if (f.doneSinceMs !== undefined) {
      done += 1;
      lastStart = Math.max(lastStart, f.doneSinceMs);
    }
  }
  const at = iso(ctx.now);
  const from = { State: st.State, StartedAt: st.StartedAt };
  const status = (State: NonNullable<Service["UpdateStatus"]>["State"], Message: string, completed = false): Command => ({
    kind: "service.update-status",
    id: svc.ID,
    from,
    status: { State, StartedAt: st.StartedAt, Message, ...(completed ? { CompletedAt: at } : {}) },
  });
  if (failures > 0 && failures / Math.max(slots, 1) > r.cfg.MaxFailureRatio && r.cfg.FailureAction !== "continue") {
    const task = first!.id;
    if (r.rollback) return [status("rollback_paused", `rollback paused due to failure or early termination of task ${task}`)];
    if (r.cfg.FailureAction === "rollback" && svc.PreviousSpec !== undefined) {
      return [{ kind: "service.rollback", id: svc.ID, message: `update rolled back due to failure or early termination of task ${task}`, version: svc.Version.Index, at }];
    }
    return [status("paused", `update paused due to failure or early termination of task ${task}`)];
  }
  if (done < slots) return [];
  const completeAt = lastStart + r.monitorMs;
  if (ctx.now < completeAt) {
    wakeAt?.(completeAt);
    return [];
  }
  return [r.rollback ? status("rollback_completed", "rollback completed", true) : status("completed", "update completed", true)];
}
