/** State-machine handlers for task commands: facts reported by agents and the leader. Each is a no-op when it cannot apply (its outcome is still ok: a stale report is not an error). */
import { canAdvance, type Command, type DesiredState, type Task } from "../api/index.ts";
import type { Draft } from "./draft.ts";

type Cmd<K extends Command["kind"]> = Extract<Command, { kind: K }>;

/** `running` and `complete` (a job's task) are the same rank: neither becomes the other. */
const DESIRED_RANK: Record<DesiredState, number> = { running: 0, complete: 0, shutdown: 1, remove: 2 };

function bump(t: Task, at: string): Pick<Task, "Version" | "UpdatedAt"> {
  return { Version: { Index: t.Version.Index + 1 }, UpdatedAt: at };
}

/** Adds a task. Ignored if the ID exists or its service does not (a late create for a removed service). */
export function applyTaskCreate(d: Draft, c: Cmd<"task.create">): void {
  const t = c.task;
  if (!t || typeof t.ID !== "string" || t.ID === "" || d.task(t.ID) !== undefined) return;
  if (d.service(t.ServiceID) === undefined) return;
  d.putTask(t);
}

/** Records an observed state. Ignored unless `canAdvance(current, next)`: states never go back. */
export function applyTaskStatus(d: Draft, c: Cmd<"task.status">): void {
  const t = d.task(c.id);
  if (t === undefined || !c.status || !canAdvance(t.Status.State, c.status.State)) return;
  const next: Task = { ...t, ...bump(t, c.at), Status: c.status };
  if (c.status.State === "running" && t.StartedAt === undefined && typeof c.status.Timestamp === "string") next.StartedAt = c.status.Timestamp;
  d.putTask(next);
}

/** Sets the desired state. Desired state only moves forward too: running → shutdown → remove. */
export function applyTaskDesired(d: Draft, c: Cmd<"task.desired">): void {
  const t = d.task(c.id);
  if (t === undefined || !(c.desired in DESIRED_RANK)) return;
  if (DESIRED_RANK[c.desired] <= DESIRED_RANK[t.DesiredState]) return;
  d.putTask({ ...t, ...bump(t, c.at), DesiredState: c.desired });
}

/** Places a task on a known node: only from new or pending, moving it to `assigned`. */
export function applyTaskAssign(d: Draft, c: Cmd<"task.assign">): void {
  const t = d.task(c.id);
  if (t === undefined || d.node(c.nodeId) === undefined) return;
  if (t.Status.State !== "new" && t.Status.State !== "pending") return;
  d.putTask({
    ...t,
    ...bump(t, c.at),
    NodeID: c.nodeId,
    Status: { Timestamp: c.at, State: "assigned", Message: "scheduler assigned task to node" },
  });
}

/** Keeps a new or pending task pending, with the scheduler's reason as Message and Err. */
export function applyTaskUnschedulable(d: Draft, c: Cmd<"task.unschedulable">): void {
  const t = d.task(c.id);
  if (t === undefined || (t.Status.State !== "new" && t.Status.State !== "pending")) return;
  d.putTask({
    ...t,
    ...bump(t, c.at),
    Status: { Timestamp: c.at, State: "pending", Message: c.message, Err: c.message },
  });
}

/** Forgets tasks; unknown IDs are skipped. */
export function applyTaskDelete(d: Draft, c: Cmd<"task.delete">): void {
  if (!Array.isArray(c.ids)) return;
  for (const id of c.ids) if (d.task(id) !== undefined) d.deleteTask(id);
}
