/**
 * What the visualizer page shows, from one manager's state: nodes as columns, tasks as cards. Pure.
 *
 * Which tasks are cards: every task not yet ended (pending ones, without a node, go to an
 * "unassigned" lane), and on a node that is down, the tasks it ran when it went down (their state or
 * orphaned, shown greyed as `last`), so a dead host still shows what it was running.
 */
import { isTerminal, type ClusterState, type Node, type Task } from "../api/index.ts";

export interface NodeCard {
  id: string;
  hostname: string;
  role: string;
  status: string;
  availability: string;
  engine: string;
  addr: string;
  leader: boolean;
  self: boolean;
}

export interface TaskCard {
  id: string;
  serviceId: string;
  service: string;
  /** "web.3" or "web.<node id>" for global services. */
  name: string;
  slot: number | null;
  nodeId: string | null;
  state: string;
  desired: string;
  image: string;
  error: string;
  since: string;
  /** Shown on a down node: what it ran when it went down. */
  last: boolean;
}

export interface ServiceCard {
  id: string;
  name: string;
  image: string;
  mode: "replicated" | "global";
  replicas: number | null;
  running: number;
}

export interface ClusterView {
  /** False on a worker or outside a cluster: `error` says why. */
  manager: boolean;
  error?: string;
  clusterId: string | null;
  index: number;
  leader: string | null;
  nodes: NodeCard[];
  services: ServiceCard[];
  tasks: TaskCard[];
}

export function notManagerView(error: string): ClusterView {
  return { manager: false, error, clusterId: null, index: 0, leader: null, nodes: [], services: [], tasks: [] };
}

function wentDownAt(n: Node): number {
  return n.Status.Timestamp ? Date.parse(n.Status.Timestamp) : 0;
}

/** `nodes` carry ManagerStatus as the answering manager sees it (api `nodeView`). */
export function clusterView(st: ClusterState, nodes: Node[], selfId: string, leaderId: string | null): ClusterView {
  const byNode = new Map(nodes.map((n) => [n.ID, n]));
  const cards: TaskCard[] = [];
  const card = (t: Task, last: boolean): TaskCard => {
    const svc = st.services[t.ServiceID];
    const service = svc?.Spec.Name ?? t.ServiceID;
    return {
      id: t.ID,
      serviceId: t.ServiceID,
      service,
      name: `${service}.${t.Slot ?? t.NodeID?.slice(0, 12)}`,
      slot: t.Slot ?? null,
      nodeId: t.NodeID ?? null,
      state: t.Status.State,
      desired: t.DesiredState,
      image: t.Spec.ContainerSpec.Image,
      error: t.Status.Err ?? "",
      since: t.Status.Timestamp,
      last,
    };
  };
  for (const t of Object.values(st.tasks)) {
    const node = t.NodeID ? byNode.get(t.NodeID) : undefined;
    if (node?.Status.State === "down") {
      // What the node ran when it went down: tasks it still held then (running, or orphaned since).
      const ended = isTerminal(t.Status.State);
      const lastRun = !ended || (t.Status.State === "orphaned" && Date.parse(t.Status.Timestamp) >= wentDownAt(node));
      if (lastRun) cards.push(card(t, true));
    } else if (!isTerminal(t.Status.State) && t.DesiredState !== "remove") {
      cards.push(card(t, false));
    }
  }
  cards.sort((a, b) => a.service.localeCompare(b.service) || (a.slot ?? 0) - (b.slot ?? 0) || a.id.localeCompare(b.id));
  const services: ServiceCard[] = Object.values(st.services)
    .map((s) => ({
      id: s.ID,
      name: s.Spec.Name,
      image: s.Spec.TaskTemplate.ContainerSpec.Image,
      mode: ("Global" in s.Spec.Mode ? "global" : "replicated") as ServiceCard["mode"],
      replicas: "Replicated" in s.Spec.Mode ? s.Spec.Mode.Replicated.Replicas : null,
      running: Object.values(st.tasks).filter((t) => t.ServiceID === s.ID && t.DesiredState === "running" && t.Status.State === "running").length,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    manager: true,
    clusterId: st.cluster?.ID ?? null,
    index: st.index,
    leader: leaderId,
    nodes: nodes
      .map((n) => ({
        id: n.ID,
        hostname: n.Description.Hostname,
        role: n.Spec.Role,
        status: n.Status.State,
        availability: n.Spec.Availability,
        engine: n.Description.Engine.Unreachable ? "unreachable" : n.Description.Engine.EngineVersion,
        addr: n.Status.Addr,
        leader: n.ID === leaderId,
        self: n.ID === selfId,
      }))
      .sort((a, b) => (a.role === b.role ? 0 : a.role === "manager" ? -1 : 1) || a.hostname.localeCompare(b.hostname)),
    services,
    tasks: cards,
  };
}
