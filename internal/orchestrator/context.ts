/** What the orchestrator needs from outside: the time, fresh IDs and its tunables. Nothing else is impure. */
import { type Id, isJob, type Service, type Task } from "../api/index.ts";

/**
 * How long a node stays `down` (since `Node.Status.Timestamp`) before its replicated tasks are
 * orphaned and replaced elsewhere: long enough to ride out a leader change or a short network blip
 * (the leader already waited `nodeDownMs` before recording the node down), short enough to meet the
 * "tasks running elsewhere ≤ 6 s after a node dies" target (docs/cluster.md, Liveness).
 */
export const DEFAULT_ORPHAN_GRACE_MS = 2000;

export interface ReconcileContext {
  /** Milliseconds since the epoch, stamped on created tasks and commands. */
  now: number;
  /** A fresh, unique task ID per call (the agent uses random IDs; tests a counter). */
  newId: () => Id;
  /** See DEFAULT_ORPHAN_GRACE_MS (the default). */
  orphanGraceMs?: number;
}

export function orphanGraceMs(ctx: ReconcileContext): number {
  return ctx.orphanGraceMs ?? DEFAULT_ORPHAN_GRACE_MS;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Milliseconds of an ISO timestamp, or `fallback` if it does not parse. */
export function msOf(ts: string | undefined, fallback: number): number {
  const v = ts === undefined ? NaN : Date.parse(ts);
  return Number.isFinite(v) ? v : fallback;
}

export const PENDING_MESSAGE = "pending task scheduling";

/** A new task of the service's current spec, pending, desired running (Docker's new → pending); a job's desired complete. */
export function newTask(
  svc: Service,
  ctx: ReconcileContext,
  where: { slot?: number; nodeId?: Id },
  attempt: number,
  notBeforeMs?: number,
): Task {
  const at = iso(ctx.now);
  const t: Task = {
    ID: ctx.newId(),
    Version: { Index: 1 },
    CreatedAt: at,
    UpdatedAt: at,
    ServiceID: svc.ID,
    Spec: svc.Spec.TaskTemplate,
    ServiceVersion: svc.Version.Index,
    Status: { Timestamp: at, State: "pending", Message: PENDING_MESSAGE },
    DesiredState: "running",
    Attempt: attempt,
  };
  if (isJob(svc.Spec)) {
    // A job's task runs until it exits; it belongs to the service's current iteration.
    t.DesiredState = "complete";
    t.JobIteration = { Index: svc.JobStatus?.JobIteration.Index ?? svc.Version.Index };
  }
  if (svc.Endpoint.Ports.length > 0) t.Endpoint = { Ports: svc.Endpoint.Ports.map((p) => ({ ...p })) };
  if (where.slot !== undefined) t.Slot = where.slot;
  if (where.nodeId !== undefined) t.NodeID = where.nodeId;
  if (notBeforeMs !== undefined && notBeforeMs > ctx.now) t.NotBefore = iso(notBeforeMs);
  return t;
}
