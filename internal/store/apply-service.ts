/**
 * State-machine handlers for service commands. Each returns its Outcome; a refused command changes
 * nothing. Name and published-port conflicts and stale updates are decided here.
 */
import { OK, type Command, type Id, type Outcome, type Service, type ServiceSpec } from "../api/index.ts";
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

/** Creates a service at Version 1. Refused if the ID exists, the name is taken or a port is published elsewhere. */
export function applyServiceCreate(d: Draft, c: Cmd<"service.create">): Outcome {
  if (!c.id || !c.spec || typeof c.spec.Name !== "string") return invalid("service.create needs an id and a spec");
  if (d.service(c.id) !== undefined) return conflict(`service ID ${c.id} already exists`);
  if (nameTaken(d, c.spec.Name)) {
    return conflict(`service "${c.spec.Name}" already exists: choose another --name or remove it with \`swarm service rm ${c.spec.Name}\``);
  }
  const ports = allocatePorts(d.services, c.spec, c.id);
  if (!ports.ok) return conflict(ports.message);
  d.putService({
    ID: c.id,
    Version: { Index: 1 },
    CreatedAt: c.at,
    UpdatedAt: c.at,
    Spec: ports.spec,
    Endpoint: endpointOf(ports.spec),
  });
  return { ok: true, value: c.id };
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
  const ports = allocatePorts(d.services, c.spec, c.id, s.Endpoint.Ports);
  if (!ports.ok) return conflict(ports.message);
  d.putService({
    ...s,
    Version: { Index: s.Version.Index + 1 },
    UpdatedAt: c.at,
    Spec: ports.spec,
    PreviousSpec: s.Spec,
    Endpoint: endpointOf(ports.spec),
  });
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
