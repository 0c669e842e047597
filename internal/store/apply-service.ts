/**
 * State-machine handlers for service commands. Each returns its Outcome; a refused command changes
 * nothing. Name and published-port conflicts and stale updates are decided here.
 */
import { isJob, OK, specEqual, type Command, type Id, type Outcome, type Service, type ServiceSpec, type UpdateStatus } from "../api/index.ts";
import type { Draft } from "./draft.ts";
import { allocatePorts } from "./ports.ts";

type Cmd<K extends Command["kind"]> = Extract<Command, { kind: K }>;

function nameTaken(d: Draft, name: string, except?: Id): boolean {
  for (const s of Object.values(d.services)) if (s.Spec.Name === name && s.ID !== except) return true;
  return false;
}

function endpointOf(spec: ServiceSpec): Service["Endpoint"] {
  const ports = spec.EndpointSpec?.Ports ?? [];
  return { Spec: { Ports: ports }, Ports: ports };
}

function conflict(message: string): Outcome {
  return { ok: false, code: "CONFLICT", message };
}

function invalid(message: string): Outcome {
  return { ok: false, code: "INVALID_ARGUMENT", message };
}

/**
 * The secrets and configs a spec uses must exist (by ID, with the name the spec gives): a service never
 * references one that was removed meanwhile. NOT_FOUND names the first missing one.
 */
export function missingReference(d: Draft, spec: ServiceSpec): Outcome | undefined {
  const cs = spec.TaskTemplate?.ContainerSpec;
  for (const r of cs?.Secrets ?? []) {
    const s = d.secret(r.SecretID);
    if (s === undefined || s.Spec.Name !== r.SecretName) {
      return { ok: false, code: "NOT_FOUND", message: `secret not found: ${r.SecretName}; create it with \`swarm secret create ${r.SecretName} FILE\`` };
    }
  }
  for (const r of cs?.Configs ?? []) {
    const s = d.config(r.ConfigID);
    if (s === undefined || s.Spec.Name !== r.ConfigName) {
      return { ok: false, code: "NOT_FOUND", message: `config not found: ${r.ConfigName}; create it with \`swarm config create ${r.ConfigName} FILE\`` };
    }
  }
  return undefined;
}

/** A job starts a new iteration at every create, update and rollback: the service's new Version. */
function jobStatus(spec: ServiceSpec, version: number, at: string): Pick<Service, "JobStatus"> {
  return isJob(spec) ? { JobStatus: { JobIteration: { Index: version }, LastExecution: at } } : {};
}

/** Creates a service at Version 1. Refused if the ID exists, the name is taken or a port is published elsewhere. */
export function applyServiceCreate(d: Draft, c: Cmd<"service.create">): Outcome {
  if (!c.id || !c.spec || typeof c.spec.Name !== "string") return invalid("service.create needs an id and a spec");
  if (d.service(c.id) !== undefined) return conflict(`service ID ${c.id} already exists`);
  if (nameTaken(d, c.spec.Name)) {
    return conflict(`service "${c.spec.Name}" already exists: choose another --name or remove it with \`swarm service rm ${c.spec.Name}\``);
  }
  const missing = missingReference(d, c.spec);
  if (missing) return missing;
  const ports = allocatePorts(d.services, c.spec, c.id);
  if (!ports.ok) return conflict(ports.message);
  d.putService({
    ID: c.id,
    Version: { Index: 1 },
    CreatedAt: c.at,
    UpdatedAt: c.at,
    Spec: ports.spec,
    Endpoint: endpointOf(ports.spec),
    ...jobStatus(ports.spec, 1, c.at),
  });
  return { ok: true, value: c.id };
}

/**
 * The UpdateStatus after the spec changes from `before` to `after`: a change of what tasks run (the
 * task template or the published ports) starts a rollout (`updating`), and so does any update of a
 * paused one (Docker: run `service update` again to resume). Otherwise (replicas, labels) unchanged.
 */
function statusAfterUpdate(s: Service, after: ServiceSpec, ports: Service["Endpoint"]["Ports"], at: string): UpdateStatus | undefined {
  const changed = !specEqual(s.Spec.TaskTemplate, after.TaskTemplate) || !specEqual(s.Endpoint.Ports, ports);
  const paused = s.UpdateStatus?.State === "paused" || s.UpdateStatus?.State === "rollback_paused";
  if (changed || paused) return { State: "updating", StartedAt: at, Message: "update in progress" };
  return s.UpdateStatus;
}

/**
 * Replaces the spec, keeps the old one as PreviousSpec, bumps Version.Index by one and sets UpdatedAt.
 * Refused for an unknown service, a rename onto another service's name, a published port another
 * service holds, or a `version` that is not the current one (the update was based on a stale read).
 */
export function applyServiceUpdate(d: Draft, c: Cmd<"service.update">): Outcome {
  const s = d.service(c.id);
  if (s === undefined) return { ok: false, code: "NOT_FOUND", message: `service ${c.id} not found` };
  if (!c.spec || typeof c.spec.Name !== "string") return invalid("service.update needs a spec");
  if (c.version !== undefined && c.version !== s.Version.Index) {
    return conflict(
      `update out of sequence: service "${s.Spec.Name}" is at version ${s.Version.Index}, the update was based on version ${c.version}; read it again and retry`,
    );
  }
  if (nameTaken(d, c.spec.Name, c.id)) return conflict(`service "${c.spec.Name}" already exists`);
  const missing = missingReference(d, c.spec);
  if (missing) return missing;
  const ports = allocatePorts(d.services, c.spec, c.id, s.Endpoint.Ports);
  if (!ports.ok) return conflict(ports.message);
  const endpoint = endpointOf(ports.spec);
  const next: Service = {
    ...s,
    Version: { Index: s.Version.Index + 1 },
    UpdatedAt: c.at,
    Spec: ports.spec,
    PreviousSpec: s.Spec,
    Endpoint: endpoint,
    ...jobStatus(ports.spec, s.Version.Index + 1, c.at),
  };
  const status = statusAfterUpdate(s, ports.spec, endpoint.Ports, c.at);
  if (status) next.UpdateStatus = status;
  d.putService(next);
  return OK;
}

/** Back to the previous spec, which the current one replaces as PreviousSpec (Docker's rollback). */
export function applyServiceRollback(d: Draft, c: Cmd<"service.rollback">): Outcome {
  const s = d.service(c.id);
  if (s === undefined) return { ok: false, code: "NOT_FOUND", message: `service ${c.id} not found` };
  if (c.version !== undefined && c.version !== s.Version.Index) {
    return conflict(`rollback out of sequence: service "${s.Spec.Name}" changed meanwhile (version ${s.Version.Index}); read it again and retry`);
  }
  const prev = s.PreviousSpec;
  if (prev === undefined) return conflict(`service "${s.Spec.Name}" does not have a previous spec to roll back to`);
  const missing = missingReference(d, prev);
  if (missing) return conflict(`cannot roll back service "${s.Spec.Name}": its previous spec uses a ${missing.ok ? "" : missing.message}`);
  const ports = allocatePorts(d.services, prev, c.id, s.Endpoint.Ports);
  if (!ports.ok) return conflict(`cannot roll back service "${s.Spec.Name}": ${ports.message}`);
  d.putService({
    ...s,
    Version: { Index: s.Version.Index + 1 },
    UpdatedAt: c.at,
    Spec: ports.spec,
    PreviousSpec: s.Spec,
    Endpoint: endpointOf(ports.spec),
    UpdateStatus: { State: "rollback_started", StartedAt: c.at, Message: typeof c.message === "string" ? c.message : "rollback started" },
    ...jobStatus(ports.spec, s.Version.Index + 1, c.at),
  });
  return OK;
}

/** The orchestrator's verdict on a rollout; a no-op (ok) once the rollout it judged is not current. */
export function applyServiceUpdateStatus(d: Draft, c: Cmd<"service.update-status">): Outcome {
  const s = d.service(c.id);
  if (s === undefined || !c.status || typeof c.status.State !== "string" || !c.from) return OK;
  if (s.UpdateStatus?.State !== c.from.State || s.UpdateStatus.StartedAt !== c.from.StartedAt) return OK;
  d.putService({ ...s, UpdateStatus: { ...c.status } });
  return OK;
}

/** Deletes the service and marks every task of it desired `remove` (the agent then removes them). */
export function applyServiceRemove(d: Draft, c: Cmd<"service.remove">): Outcome {
  if (d.service(c.id) === undefined) return { ok: false, code: "NOT_FOUND", message: `service ${c.id} not found` };
  d.deleteService(c.id);
  for (const t of Object.values(d.tasks)) {
    if (t.ServiceID !== c.id || t.DesiredState === "remove") continue;
    d.putTask({ ...t, DesiredState: "remove", UpdatedAt: c.at, Version: { Index: t.Version.Index + 1 } });
  }
  return OK;
}
