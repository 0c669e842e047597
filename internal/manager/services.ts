/**
 * The manager's service operations: validate against the current state, then propose commands.
 * Called by the API layer on the leader. Every rejection is a SwarmError and changes nothing.
 */
import { SwarmError, type ClusterState, type Command, type PortConfig, type ServiceSpec } from "../api/index.ts";
import { findService } from "../lookup/index.ts";
import { parseConstraint } from "../scheduler/index.ts";
import { validateServiceName } from "../spec/index.ts";
import { newId } from "./ids.ts";

/** Published ports are allocated from here up, like Docker's 30000-32767 ingress range. */
export const PORT_RANGE = { first: 30000, last: 32767 };

function usedPorts(state: ClusterState, exceptServiceId?: string): Map<string, string> {
  const used = new Map<string, string>();
  for (const s of Object.values(state.services)) {
    if (s.ID === exceptServiceId) continue;
    for (const p of s.Endpoint.Ports) used.set(`${p.PublishedPort}/${p.Protocol}`, s.Spec.Name);
  }
  return used;
}

/**
 * Fills PublishedPort 0 from the range and rejects a port that another service already publishes.
 * Returns a new spec; the input is untouched.
 */
export function allocatePorts(state: ClusterState, spec: ServiceSpec, serviceId?: string, previous: PortConfig[] = []): ServiceSpec {
  const used = usedPorts(state, serviceId);
  const out = structuredClone(spec);
  for (const p of out.EndpointSpec.Ports) {
    if (p.PublishedPort !== 0) {
      const owner = used.get(`${p.PublishedPort}/${p.Protocol}`);
      if (owner) {
        throw SwarmError.conflict(
          `port ${p.PublishedPort}/${p.Protocol} is already published by service "${owner}": choose another published port or remove it there first`,
        );
      }
      used.set(`${p.PublishedPort}/${p.Protocol}`, spec.Name);
    }
  }
  for (const p of out.EndpointSpec.Ports) {
    if (p.PublishedPort !== 0) continue;
    const kept = previous.find((q) => q.TargetPort === p.TargetPort && q.Protocol === p.Protocol);
    if (kept && !used.has(`${kept.PublishedPort}/${p.Protocol}`)) {
      p.PublishedPort = kept.PublishedPort;
    } else {
      let port = PORT_RANGE.first;
      while (port <= PORT_RANGE.last && used.has(`${port}/${p.Protocol}`)) port++;
      if (port > PORT_RANGE.last) throw SwarmError.conflict(`no free published port left in ${PORT_RANGE.first}-${PORT_RANGE.last}`);
      p.PublishedPort = port;
    }
    used.set(`${p.PublishedPort}/${p.Protocol}`, spec.Name);
  }
  return out;
}

function validateSpec(spec: ServiceSpec): void {
  validateServiceName(spec.Name);
  for (const c of spec.TaskTemplate.Placement?.Constraints ?? []) parseConstraint(c);
  if ("Replicated" in spec.Mode) {
    const r = spec.Mode.Replicated.Replicas;
    if (!Number.isInteger(r) || r < 0) throw SwarmError.invalid(`invalid replicas value ${r}: expected a non-negative integer`);
  }
}

export function planCreateService(state: ClusterState, spec: ServiceSpec, at: string): { id: string; commands: Command[] } {
  if (!state.cluster) throw new SwarmError("NOT_INITIALIZED", "this node is not part of a cluster: run `swarm init` first");
  validateSpec(spec);
  if (Object.values(state.services).some((s) => s.Spec.Name === spec.Name)) {
    throw SwarmError.conflict(`service "${spec.Name}" already exists: choose another --name or remove it with \`swarm service rm ${spec.Name}\``);
  }
  const id = newId();
  return { id, commands: [{ kind: "service.create", id, spec: allocatePorts(state, spec, id), at }] };
}

export function planUpdateService(state: ClusterState, ref: string, spec: ServiceSpec, at: string): { id: string; commands: Command[] } {
  const svc = findService(state, ref);
  validateSpec(spec);
  if (spec.Name !== svc.Spec.Name) throw SwarmError.invalid(`renaming a service is not supported`);
  const isGlobalNow = "Global" in svc.Spec.Mode;
  if (isGlobalNow !== "Global" in spec.Mode) throw SwarmError.invalid(`a service's mode cannot change: remove and create it again`);
  const next = allocatePorts(state, spec, svc.ID, svc.Endpoint.Ports);
  return { id: svc.ID, commands: [{ kind: "service.update", id: svc.ID, spec: next, at }] };
}

export function planRemoveServices(state: ClusterState, refs: string[], at: string): { ids: string[]; commands: Command[] } {
  const ids = refs.map((r) => findService(state, r).ID); // resolve all first: one bad ref removes nothing
  return { ids, commands: [...new Set(ids)].map((id) => ({ kind: "service.remove", id, at }) as Command) };
}
