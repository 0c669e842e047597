/**
 * This node's copy of the cluster's endpoint table (docs/cluster.md "Endpoint tables"), as the
 * leader's dispatcher sends it: a full table, then changed and removed ports, each with the version
 * (Raft index) it was computed at. The routing mesh is programmed from it (`tableInputs`).
 *
 * Contract: `received` is false until the first full table of this run: until then the mesh keeps
 * what the kernel holds (rules a previous agent left keep serving while this one starts).
 */
import { endpointTable, type ClusterState, type EndpointService, type Id, type SessionMessage } from "../api/index.ts";
import type { Endpoint, PublishedService } from "../mesh/index.ts";

type EndpointsMessage = Extract<SessionMessage, { t: "endpoints" }>;

export interface MeshInputs {
  services: PublishedService[];
  endpoints: Endpoint[];
}

export class EndpointView {
  version = 0;
  received = false;
  private services = new Map<string, EndpointService>();
  private readonly listeners = new Set<() => void>();

  apply(m: EndpointsMessage): void {
    if (!Number.isSafeInteger(m.version) || !Array.isArray(m.services) || !Array.isArray(m.removed)) return;
    if (m.full) {
      this.services = new Map();
      this.received = true;
    } else if (!this.received) {
      return; // a delta before any full table (cannot happen within a session): wait for the full one
    }
    for (const k of m.removed) this.services.delete(k);
    for (const s of m.services) if (s && typeof s.key === "string" && Array.isArray(s.endpoints)) this.services.set(s.key, s);
    this.version = m.version;
    for (const fn of [...this.listeners]) fn();
  }

  table(): EndpointService[] {
    return [...this.services.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/**
 * Where this node reaches its own tasks without a hop: the container's address on its bridge network
 * (a connection DNAT'ed straight to it keeps the client's source address; see docs/cluster.md
 * "Client address").
 */
export interface LocalTargets {
  self: Id;
  /** task ID → container IPv4, for this node's running tasks whose address is known. */
  containers: ReadonlyMap<Id, string>;
}

/**
 * The mesh's input for a table. The mesh keys each published port separately
 * (`<service>/<proto>/<published>`), so a service that publishes several ports forwards each only to
 * the matching container port. Endpoints of this node with a known container address go straight to
 * the container's target port (`local`).
 */
export function tableInputs(table: readonly EndpointService[], local?: LocalTargets): MeshInputs {
  const services: PublishedService[] = [];
  const endpoints: Endpoint[] = [];
  for (const s of table) {
    services.push({ serviceId: s.key, publishedPort: s.publishedPort, protocol: s.protocol });
    for (const e of s.endpoints) {
      const ip = local && e.node === local.self ? local.containers.get(e.task) : undefined;
      if (ip) endpoints.push({ serviceId: s.key, nodeIp: ip, hostPort: s.targetPort, targetPort: s.targetPort, local: true });
      else endpoints.push({ serviceId: s.key, nodeIp: e.addr, hostPort: e.port, targetPort: s.targetPort });
    }
  }
  return { services, endpoints };
}

/** The mesh's input for a whole state (tests, and a node that holds the replicated state). */
export function meshInputs(state: ClusterState): MeshInputs {
  return tableInputs(endpointTable(state));
}
