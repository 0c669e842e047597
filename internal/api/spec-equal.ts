import type { Service, Task } from "./types.ts";
/**
 * Deep equality of plain data (specs), treating a key whose value is undefined as absent: a spec that
 * went through JSON or msgpack compares equal to the original.
 */
export function specEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => specEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) return false;
  return ak.every((k) => Object.hasOwn(bo, k) && specEqual(ao[k], bo[k]));
}

/**
 * The task's spec or its published ports differ from the service's current ones. Shared by the
 * orchestrator (what to replace) and by clients that wait for convergence (the CLI, the Docker API).
 */
export function isOutdated(t: Task, svc: Service): boolean {
  return !specEqual(t.Spec, svc.Spec.TaskTemplate) || !specEqual(t.Endpoint?.Ports ?? [], svc.Endpoint.Ports);
}
