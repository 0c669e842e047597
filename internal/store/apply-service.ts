/** State-machine handlers for service commands. Each is a no-op when it cannot apply. */
import type { Command, Id, Service, ServiceSpec } from "../api/index.ts";
import type { Draft } from "./draft.ts";

type Cmd<K extends Command["kind"]> = Extract<Command, { kind: K }>;

function nameTaken(d: Draft, name: string, except?: Id): boolean {
  for (const s of Object.values(d.services)) if (s.Spec.Name === name && s.ID !== except) return true;
  return false;
}

function endpointOf(spec: ServiceSpec): Service["Endpoint"] {
  const ports = spec.EndpointSpec?.Ports ?? [];
  return { Spec: { Ports: ports }, Ports: ports };
}

/** Creates a service at Version 1. Ignored if the ID exists or the name is taken. */
export function applyServiceCreate(d: Draft, c: Cmd<"service.create">): void {
  if (!c.id || !c.spec || d.service(c.id) !== undefined || nameTaken(d, c.spec.Name)) return;
  d.putService({
    ID: c.id,
    Version: { Index: 1 },
    CreatedAt: c.at,
    UpdatedAt: c.at,
    Spec: c.spec,
    Endpoint: endpointOf(c.spec),
  });
}

/**
 * Replaces the spec, keeps the old one as PreviousSpec, bumps Version.Index by one and sets UpdatedAt.
 * Ignored for an unknown service or a rename onto another service's name.
 */
export function applyServiceUpdate(d: Draft, c: Cmd<"service.update">): void {
  const s = d.service(c.id);
  if (s === undefined || !c.spec || nameTaken(d, c.spec.Name, c.id)) return;
  d.putService({
    ...s,
    Version: { Index: s.Version.Index + 1 },
    UpdatedAt: c.at,
    Spec: c.spec,
    PreviousSpec: s.Spec,
    Endpoint: endpointOf(c.spec),
  });
}

/** Deletes the service and marks every task of it desired `remove` (the agent then removes them). */
export function applyServiceRemove(d: Draft, c: Cmd<"service.remove">): void {
  if (d.service(c.id) === undefined) return;
  d.deleteService(c.id);
  for (const t of Object.values(d.tasks)) {
    if (t.ServiceID !== c.id || t.DesiredState === "remove") continue;
    d.putTask({ ...t, DesiredState: "remove", UpdatedAt: c.at, Version: { Index: t.Version.Index + 1 } });
  }
}
