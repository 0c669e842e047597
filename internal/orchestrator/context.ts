/** What the orchestrator needs from outside: the time and fresh IDs. Nothing else is impure. */
import type { Id, Service, Task } from "../api/index.ts";

export interface ReconcileContext {
  /** Milliseconds since the epoch, stamped on created tasks and commands. */
  now: number;
  /** A fresh, unique task ID per call (the agent uses random IDs; tests a counter). */
  newId: () => Id;
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

/** A new task of the service's current spec, pending, desired running (Docker's new → pending). */
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
  if (svc.Endpoint.Ports.length > 0) t.Endpoint = { Ports: svc.Endpoint.Ports.map((p) => ({ ...p })) };
  if (where.slot !== undefined) t.Slot = where.slot;
  if (where.nodeId !== undefined) t.NodeID = where.nodeId;
  if (notBeforeMs !== undefined && notBeforeMs > ctx.now) t.NotBefore = iso(notBeforeMs);
  return t;
}
