/**
 * The manager's service operations: validate against the current state, then plan commands. Called
 * by the API layer on any manager (the commands are proposed through the leader). Conflicts with
 * concurrent writers — a taken name, a published port, a stale version — are decided by the state
 * machine when the commands apply (internal/store), and come back as outcomes.
 */
import { modeName, SwarmError, type ClusterState, type Command, type ServiceSpec } from "../api/index.ts";
import { findService } from "../lookup/index.ts";
import { parseConstraint } from "../scheduler/index.ts";
import { validateServiceName } from "../spec/index.ts";
import { newId } from "./ids.ts";

function validateSpec(spec: ServiceSpec): void {
  validateServiceName(spec.Name);
  for (const c of spec.TaskTemplate.Placement?.Constraints ?? []) parseConstraint(c);
  if ("Replicated" in spec.Mode) {
    const r = spec.Mode.Replicated.Replicas;
    if (!Number.isInteger(r) || r < 0) throw SwarmError.invalid(`invalid replicas value ${r}: expected a non-negative integer`);
  }
}

function requireCluster(state: ClusterState): void {
  if (!state.cluster) throw new SwarmError("NOT_INITIALIZED", "this node is not part of a cluster: run `swarm init` first");
}

export function planCreateService(state: ClusterState, spec: ServiceSpec, at: string): { id: string; commands: Command[] } {
  requireCluster(state);
  validateSpec(spec);
  const id = newId();
  return { id, commands: [{ kind: "service.create", id, spec, at }] };
}

/** `version`: the service version the caller's spec was based on (refused in apply if stale). */
export function planUpdateService(state: ClusterState, ref: string, spec: ServiceSpec, at: string, version?: number): { id: string; commands: Command[] } {
  const svc = findService(state, ref);
  validateSpec(spec);
  if (spec.Name !== svc.Spec.Name) throw SwarmError.invalid(`renaming a service is not supported`);
  if (modeName(svc.Spec) !== modeName(spec)) {
    throw SwarmError.invalid(`a service's mode cannot change (${modeName(svc.Spec)} to ${modeName(spec)}): remove and create it again`);
  }
  const cmd: Command = { kind: "service.update", id: svc.ID, spec, at };
  if (version !== undefined) cmd.version = version;
  return { id: svc.ID, commands: [cmd] };
}

/**
 * `service rollback` / `service update --rollback`: back to the previous spec (refused in apply if the
 * service changed since `version`, or has no previous spec by then).
 */
export function planRollbackService(state: ClusterState, ref: string, at: string, version?: number): { id: string; commands: Command[] } {
  const svc = findService(state, ref);
  if (svc.PreviousSpec === undefined) {
    throw SwarmError.conflict(`service ${svc.Spec.Name} does not have a previous spec to roll back to: it was never updated`);
  }
  const cmd: Command = { kind: "service.rollback", id: svc.ID, message: "manually requested rollback", at };
  if (version !== undefined) cmd.version = version;
  return { id: svc.ID, commands: [cmd] };
}

export function planRemoveServices(state: ClusterState, refs: string[], at: string): { ids: string[]; commands: Command[] } {
  const ids = refs.map((r) => findService(state, r).ID); // resolve all first: one bad ref removes nothing
  return { ids, commands: [...new Set(ids)].map((id) => ({ kind: "service.remove", id, at }) as Command) };
}
