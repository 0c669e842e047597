/**
 * Jobs (`--mode replicated-job`, `--mode global-job`): tasks that run to completion. Each create,
 * update or rollback of a job is a new iteration (Service.JobStatus.JobIteration); tasks carry the
 * iteration they belong to and are desired `complete`. Per slot (a completion number 1..TotalCompletions,
 * or an eligible node for a global job), for the current iteration:
 * - a task that completed (exit 0): the slot is done; nothing is ever restarted there;
 * - a task that failed or was rejected: desired shutdown, and replaced per the restart policy
 *   (Attempt+1, NotBefore), or the slot stays failed for good;
 * - a task stopped or lost with its node (shutdown, orphaned): replaced at once;
 * - no task: created, at most MaxConcurrent live at once for a replicated job (in slot order).
 * Live tasks of earlier iterations are stopped; slots no longer wanted are stopped; held slots (a
 * global job on a paused or down node) are left alone. Each slot keeps 5 tasks of history.
 *
 * One call plans the whole service (the concurrency bound spans slots): the incremental ControlPlane
 * re-plans a job whole whenever any of its tasks changes. Pure.
 */
import { type Command, type Id, isDesiredLive, isTerminal, type Service, type Task } from "../api/index.ts";
import { iso, newTask, type ReconcileContext } from "./context.ts";
import { notBeforeMs, restartDecision } from "./restart.ts";
import { bySlotKey, HISTORY_PER_SLOT, newerFirst, type PlanHooks, type SlotKey } from "./slots.ts";

export interface JobSlots {
  /** Completion numbers 1..TotalCompletions, or eligible node IDs. */
  wanted: readonly SlotKey[];
  /** Global job: matching nodes that are paused, down or not ready. */
  held?: ReadonlySet<SlotKey>;
  /** How a new task is placed. */
  place: (key: SlotKey) => { slot?: number; nodeId?: string };
  /** Undefined: no bound (a global job). */
  maxConcurrent?: number;
}

export function iterationOf(svc: Service): number {
  return svc.JobStatus?.JobIteration.Index ?? svc.Version.Index;
}

export function planJob(svc: Service, bySlot: ReadonlyMap<SlotKey | undefined, readonly Task[]>, slots: JobSlots, ctx: ReconcileContext, hooks: PlanHooks = {}): Command[] {
  const at = iso(ctx.now);
  const iteration = iterationOf(svc);
  const policy = svc.Spec.TaskTemplate.RestartPolicy;
  const plan: Command[] = [];
  const drop: Id[] = [];
  const desire = (t: Task) => plan.push({ kind: "task.desired", id: t.ID, desired: "shutdown", at });
  const create = (key: SlotKey, attempt: number, nb?: number) => plan.push({ kind: "task.create", task: newTask(svc, ctx, slots.place(key), attempt, nb) });
  const wanted = new Set<SlotKey | undefined>(slots.wanted);

  const keys = [...new Set<SlotKey | undefined>([...bySlot.keys(), ...slots.wanted])].sort(bySlotKey);
  let active = 0;
  const empty: SlotKey[] = [];
  for (const key of keys) {
    const tasks = [...(bySlot.get(key) ?? [])].sort(newerFirst);
    for (let i = HISTORY_PER_SLOT; i < tasks.length; i++) {
      const t = tasks[i]!;
      if (isTerminal(t.Status.State) && !isDesiredLive(t.DesiredState)) drop.push(t.ID);
    }
    if (!wanted.has(key)) {
      if (key !== undefined && slots.held?.has(key)) continue;
      for (const t of tasks) if (isDesiredLive(t.DesiredState)) desire(t);
      continue;
    }
    const mine = tasks.filter((t) => t.JobIteration?.Index === iteration);
    for (const t of tasks) if (t.JobIteration?.Index !== iteration && isDesiredLive(t.DesiredState)) desire(t);
    const cur = mine[0];
    if (cur === undefined) {
      // An earlier iteration's task still stopping occupies the slot until it has ended.
      if (tasks.some((t) => !isTerminal(t.Status.State))) active += 1;
      else empty.push(key!);
      continue;
    }
    const state = cur.Status.State;
    if (state === "complete") continue;
    if (!isTerminal(state)) {
      active += 1;
      continue;
    }
    if (isDesiredLive(cur.DesiredState)) desire(cur);
    if (state === "failed" || state === "rejected") {
      const decision = restartDecision(policy, cur, mine, ctx.now);
      if (decision.restart) {
        create(key!, cur.Attempt + 1, notBeforeMs(policy, cur, ctx.now));
        active += 1;
      } else if (decision.retryAtMs !== undefined) hooks.wakeAt?.(decision.retryAtMs);
    } else {
      create(key!, cur.Attempt); // stopped by swarm or lost with its node: run it again
      active += 1;
    }
  }
  for (const key of empty) {
    if (slots.maxConcurrent !== undefined && active >= slots.maxConcurrent) break;
    create(key, 0);
    active += 1;
  }
  if (drop.length > 0) plan.push({ kind: "task.delete", ids: drop.sort() });
  return plan;
}
