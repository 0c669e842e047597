/**
 * Published-port allocation, decided in apply (docs/cluster.md: conflicts are decided by the state
 * machine, never by a plan computed before proposing). Deterministic: the same state and spec always
 * give the same ports, so every manager applies the same result.
 */
import type { Id, PortConfig, Service, ServiceSpec } from "../api/index.ts";

/** Published ports are allocated from here up, like Docker's 30000-32767 ingress range. */
export const PORT_RANGE = { first: 30000, last: 32767 };

export type PortResult = { ok: true; spec: ServiceSpec } | { ok: false; message: string };

function usedPorts(services: Readonly<Record<Id, Service>>, exceptServiceId?: Id): Map<string, string> {
  const used = new Map<string, string>();
  for (const s of Object.values(services)) {
    if (s.ID === exceptServiceId) continue;
    for (const p of s.Endpoint.Ports) if (p.PublishMode !== "host") used.set(`${p.PublishedPort}/${p.Protocol}`, s.Spec.Name);
  }
  return used;
}

/**
 * Only ingress ports are cluster-wide (every node answers on them); host-mode ports bind on the nodes
 * that run the tasks, so they conflict per node and the scheduler handles them (as Docker's allocator).
 *
 * Fills PublishedPort 0 from the range (keeping the port a previous version of the service had for the
 * same target) and refuses a port that another service already publishes. Returns a new spec.
 */
export function allocatePorts(
  services: Readonly<Record<Id, Service>>,
  spec: ServiceSpec,
  serviceId?: Id,
  previous: readonly PortConfig[] = [],
): PortResult {
  const used = usedPorts(services, serviceId);
  const out = structuredClone(spec);
  const ports = out.EndpointSpec?.Ports ?? [];
  for (const p of ports) {
    if (p.PublishedPort === 0 || p.PublishMode === "host") continue;
    const owner = used.get(`${p.PublishedPort}/${p.Protocol}`);
    if (owner) {
      return {
        ok: false,
        message: `port ${p.PublishedPort}/${p.Protocol} is already published by service "${owner}": choose another published port or remove it there first`,
      };
    }
    used.set(`${p.PublishedPort}/${p.Protocol}`, spec.Name);
  }
  for (const p of ports) {
    if (p.PublishedPort !== 0) continue;
    const kept = previous.find((q) => q.TargetPort === p.TargetPort && q.Protocol === p.Protocol);
    if (kept && !used.has(`${kept.PublishedPort}/${p.Protocol}`)) {
      p.PublishedPort = kept.PublishedPort;
    } else {
      let port = PORT_RANGE.first;
      while (port <= PORT_RANGE.last && used.has(`${port}/${p.Protocol}`)) port++;
      if (port > PORT_RANGE.last) return { ok: false, message: `no free published port left in ${PORT_RANGE.first}-${PORT_RANGE.last}` };
      p.PublishedPort = port;
    }
    used.set(`${p.PublishedPort}/${p.Protocol}`, spec.Name);
  }
  return { ok: true, spec: out };
}
