/**
 * The cluster's metrics as Prometheus families, from what one node knows: the replicated state (on a
 * manager), its Raft status, its transport and its routing mesh. Pure: the daemon gathers the inputs
 * at scrape time. Every known label value is reported, zeros included, so a series never vanishes
 * when its count drops to 0 (Prometheus' `absent` and rates stay meaningful).
 */
import { ALL_TASK_STATES, type ClusterState } from "../api/index.ts";
import type { Family } from "./exposition.ts";

export interface MetricsInput {
  /** This manager's state (no barrier); absent on a worker or outside a cluster. */
  state?: ClusterState;
  /** Whether this node belongs to a cluster, and runs a manager. */
  active: boolean;
  isManager: boolean;
  raft?: { term: number; commit: number; applied: number; isLeader: boolean; hasLeader: boolean };
  transportPeers: number;
  /** The routing mesh backend in use (null: none yet, or none works, see `error`). */
  mesh: { backend: string | null; error: string | null } | null;
  /** Published ingress ports and the task endpoints behind them (internal/node `meshInputs`). */
  meshCounts?: { publishedPorts: number; endpoints: number };
  /** Resident memory of the agent, bytes. */
  rssBytes: number;
}

const NODE_STATES = ["ready", "down", "unknown", "disconnected"] as const;
const AVAILABILITIES = ["active", "pause", "drain"] as const;
const ROLES = ["manager", "worker"] as const;
const MESH_BACKENDS = ["ipvs", "nftables", "userspace", "none"] as const;

const gauge = (name: string, help: string, value: number): Family => ({ name, help, type: "gauge", samples: [{ value }] });

export function clusterFamilies(i: MetricsInput): Family[] {
  const out: Family[] = [
    gauge("swarm_node_active", "1 when this node belongs to a cluster", i.active ? 1 : 0),
    gauge("swarm_node_manager", "1 when this node runs a manager (its metrics include the cluster's state)", i.isManager ? 1 : 0),
  ];
  const st = i.state;
  if (st) {
    const nodes = new Map<string, number>();
    for (const s of NODE_STATES) for (const a of AVAILABILITIES) for (const r of ROLES) nodes.set(`${s}|${a}|${r}`, 0);
    for (const n of Object.values(st.nodes)) {
      const k = `${n.Status.State}|${n.Spec.Availability}|${n.Spec.Role}`;
      nodes.set(k, (nodes.get(k) ?? 0) + 1);
    }
    out.push({
      name: "swarm_nodes",
      help: "Nodes by status, availability and role",
      type: "gauge",
      samples: [...nodes].map(([k, value]) => {
        const [status, availability, role] = k.split("|") as [string, string, string];
        return { labels: { status, availability, role }, value };
      }),
    });
    const services = Object.values(st.services);
    out.push({
      name: "swarm_services",
      help: "Services by mode",
      type: "gauge",
      samples: ["replicated", "global"].map((mode) => ({ labels: { mode }, value: services.filter((s) => ("Global" in s.Spec.Mode ? "global" : "replicated") === mode).length })),
    });
    const tasks = new Map<string, number>(ALL_TASK_STATES.map((s) => [s, 0]));
    for (const t of Object.values(st.tasks)) tasks.set(t.Status.State, (tasks.get(t.Status.State) ?? 0) + 1);
    out.push({ name: "swarm_tasks", help: "Tasks by observed state (history included)", type: "gauge", samples: [...tasks].map(([state, value]) => ({ labels: { state }, value })) });
    let desired = 0;
    for (const t of Object.values(st.tasks)) if (t.DesiredState === "running") desired++;
    out.push(gauge("swarm_tasks_desired_running", "Tasks whose desired state is running", desired));
  }
  if (i.raft) {
    out.push(
      gauge("swarm_raft_term", "This manager's current Raft term", i.raft.term),
      gauge("swarm_raft_commit_index", "Highest Raft log index known committed", i.raft.commit),
      gauge("swarm_raft_applied_index", "Highest Raft log index applied to this manager's state", i.raft.applied),
      gauge("swarm_raft_leader", "1 when this manager is the Raft leader", i.raft.isLeader ? 1 : 0),
      gauge("swarm_raft_has_leader", "1 when this manager knows a leader (0: no quorum, or an election)", i.raft.hasLeader ? 1 : 0),
    );
  }
  out.push(gauge("swarm_transport_peers", "Connected cluster transport peers", i.transportPeers));
  const backend = i.mesh?.backend ?? "none";
  out.push({
    name: "swarm_mesh_backend",
    help: "The routing mesh backend in use (1 for the one in use)",
    type: "gauge",
    samples: MESH_BACKENDS.map((b) => ({ labels: { backend: b }, value: b === backend ? 1 : 0 })),
  });
  out.push(gauge("swarm_mesh_error", "1 when the routing mesh reports an error", i.mesh?.error ? 1 : 0));
  if (i.meshCounts) {
    out.push(
      gauge("swarm_mesh_published_ports", "Published ingress ports the routing mesh answers on", i.meshCounts.publishedPorts),
      gauge("swarm_mesh_endpoints", "Task endpoints behind the published ports", i.meshCounts.endpoints),
    );
  }
  out.push(gauge("process_resident_memory_bytes", "Resident memory size of the agent in bytes", i.rssBytes));
  return out;
}
