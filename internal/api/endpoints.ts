/**
 * The routing mesh's endpoint table (docs/cluster.md "Endpoint tables"): for every published ingress
 * port of every service, the running tasks that serve it and where (their node's address and the host
 * port the task's port is bound to there). The leader computes it from the replicated state and its
 * dispatcher sends it to every node; each node programs its mesh from it. Pure.
 *
 * A task is an endpoint while it runs and is desired running (a task being stopped gets no new
 * connection), on a node that is ready and has an address, with its ingress port bound (`--network
 * host` tasks: at their target port on their node). A node that is down leaves the table with all its
 * tasks at once (not after the orphan grace).
 */
import type { ClusterState, Id } from "./types.ts";

export interface EndpointEntry {
  task: Id;
  node: Id;
  /** The node's address (Status.Addr, as the leader observed it). */
  addr: string;
  /** Host port on that node (the task's target port for `--network host` tasks). */
  port: number;
}

/** One published ingress port of a service and the endpoints that serve it. */
export interface EndpointService {
  /** `<service ID>/<protocol>/<published port>`: the mesh's key for this port. */
  key: string;
  service: Id;
  protocol: "tcp" | "udp";
  publishedPort: number;
  targetPort: number;
  /** Sorted by address, port, task. */
  endpoints: EndpointEntry[];
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The whole table of `state`, sorted by key. */
export function endpointTable(state: ClusterState): EndpointService[] {
  const byKey = new Map<string, EndpointService>();
  const perService = new Map<Id, EndpointService[]>();
  for (const svc of Object.values(state.services)) {
    for (const p of svc.Endpoint?.Ports ?? []) {
      if (p.PublishMode !== "ingress") continue;
      const key = `${svc.ID}/${p.Protocol}/${p.PublishedPort}`;
      const e: EndpointService = { key, service: svc.ID, protocol: p.Protocol, publishedPort: p.PublishedPort, targetPort: p.TargetPort, endpoints: [] };
      byKey.set(key, e);
      const list = perService.get(svc.ID) ?? [];
      list.push(e);
      perService.set(svc.ID, list);
    }
  }
  for (const task of Object.values(state.tasks)) {
    const ports = perService.get(task.ServiceID);
    if (!ports || task.Status.State !== "running" || task.DesiredState !== "running" || !task.NodeID) continue;
    const node = state.nodes[task.NodeID];
    if (!node || node.Status.State !== "ready" || !node.Status.Addr) continue;
    const hostNet = task.Spec.Networks?.some((n) => n.Target === "host") ?? false;
    const bound = task.Status.PortStatus?.Ports ?? [];
    for (const want of ports) {
      const b = bound.find((x) => x.PublishMode === "ingress" && x.Protocol === want.protocol && x.TargetPort === want.targetPort);
      const port = hostNet ? want.targetPort : b?.PublishedPort;
      if (port) want.endpoints.push({ task: task.ID, node: task.NodeID, addr: node.Status.Addr, port });
    }
  }
  const out = [...byKey.values()].sort((a, b) => cmp(a.key, b.key));
  for (const s of out) s.endpoints.sort((a, b) => cmp(a.addr, b.addr) || a.port - b.port || cmp(a.task, b.task));
  return out;
}

/** The task IDs of a table (every endpoint of every port). */
export function endpointTasks(table: readonly EndpointService[]): Set<Id> {
  const out = new Set<Id>();
  for (const s of table) for (const e of s.endpoints) out.add(e.task);
  return out;
}
