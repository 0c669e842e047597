/**
 * `GET /info`, `GET /version` and `GET /swarm` in Docker's shapes. Pure: the backend gathers the facts
 * (this node, its engine's own /info when it answers, the cluster state on a manager).
 */
import { HISTORY_PER_SLOT } from "../orchestrator/index.ts";
import { API_VERSION, MIN_API_VERSION } from "./version.ts";
import { dockerNodeId } from "./to-docker.ts";
import type { ClusterState } from "../api/index.ts";

/** What this node knows about itself, whatever its role. */
export interface LocalFacts {
  /** Full node ID. */
  nodeId: string;
  /** Whether the node belongs to a cluster (Docker's LocalNodeState active / inactive). */
  active: boolean;
  isManager: boolean;
  /** The address other nodes reach this one at, and the cluster (DHT) port. */
  addr: string;
  listenPort: number;
  version: string;
  /** The local Docker engine's own `GET /info`, when it answers: hardware and kernel facts. */
  engine?: Record<string, unknown>;
  /** Heartbeat period of node sessions (Docker's Dispatcher.HeartbeatPeriod), ms. */
  heartbeatMs: number;
  /** Raft: snapshot every N entries, election after N ticks. */
  raft: { snapshotEntries: number; electionTick: number; heartbeatTick: number };
  /** How long a node certificate is valid (Docker's CAConfig.NodeCertExpiry), ms. */
  certValidityMs: number;
}

export function goArch(arch: string = process.arch): string {
  return arch === "x64" ? "amd64" : arch === "ia32" ? "386" : arch;
}

function clusterSpec(f: LocalFacts) {
  return {
    Name: "default",
    Labels: {},
    Orchestration: { TaskHistoryRetentionLimit: HISTORY_PER_SLOT },
    Raft: { SnapshotInterval: f.raft.snapshotEntries, KeepOldSnapshots: 0, LogEntriesForSlowFollowers: 500, ElectionTick: f.raft.electionTick, HeartbeatTick: f.raft.heartbeatTick },
    Dispatcher: { HeartbeatPeriod: f.heartbeatMs * 1e6 },
    CAConfig: { NodeCertExpiry: f.certValidityMs * 1e6 },
    TaskDefaults: {},
    EncryptionConfig: { AutoLockManagers: false },
  };
}

/**
 * The swarm object's version: it changes only when its settings do, and the only settings that change
 * are the join tokens (rotation), so a rotation based on a stale read is refused like Docker's.
 */
export function swarmVersion(st: ClusterState): number {
  const g = st.cluster?.Secrets.TokenGeneration;
  return 1 + (g?.worker ?? 0) + (g?.manager ?? 0);
}

function clusterInfo(f: LocalFacts, st: ClusterState) {
  const c = st.cluster!;
  return {
    ID: c.ID,
    Version: { Index: swarmVersion(st) },
    CreatedAt: c.CreatedAt,
    UpdatedAt: c.CreatedAt,
    Spec: clusterSpec(f),
    TLSInfo: { TrustRoot: c.PublicKey },
    RootRotationInProgress: false,
    DataPathPort: 0,
    DefaultAddrPool: [] as string[],
    SubnetSize: 0,
  };
}

/** `GET /info`: the engine's facts (when it answers) with the swarm part filled in by swarm. */
export function dockerInfo(f: LocalFacts, st: ClusterState | undefined, error?: string) {
  const nodes = st ? Object.values(st.nodes) : [];
  const managers = nodes.filter((n) => n.ManagerStatus);
  const e = f.engine ?? {};
  return {
    ...e,
    ID: typeof e.ID === "string" ? e.ID : dockerNodeId(f.nodeId),
    Name: typeof e.Name === "string" ? e.Name : "",
    ServerVersion: f.version,
    OSType: "linux",
    Architecture: typeof e.Architecture === "string" ? e.Architecture : goArch() === "amd64" ? "x86_64" : "aarch64",
    Swarm: {
      NodeID: f.active ? dockerNodeId(f.nodeId) : "",
      NodeAddr: f.active ? f.addr : "",
      LocalNodeState: f.active ? "active" : "inactive",
      ControlAvailable: f.isManager,
      Error: error ?? "",
      RemoteManagers: managers.map((n) => ({ NodeID: dockerNodeId(n.ID), Addr: n.ManagerStatus!.Addr })),
      ...(st ? { Nodes: nodes.length, Managers: managers.length } : {}),
      ...(st?.cluster ? { Cluster: clusterInfo(f, st) } : {}),
    },
    Warnings: f.engine ? [] : ["WARNING: the node's Docker engine did not answer: engine facts (containers, images, kernel) are missing"],
  };
}

/** `GET /version`. */
export function dockerVersion(f: LocalFacts, runtime: string) {
  const kernel = typeof f.engine?.KernelVersion === "string" ? f.engine.KernelVersion : "";
  const details = { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Arch: goArch(), Os: "linux", KernelVersion: kernel, GitCommit: "", GoVersion: runtime, BuildTime: "", Experimental: "false" };
  return {
    Platform: { Name: `swarm ${f.version}` },
    Components: [{ Name: "Engine", Version: f.version, Details: details }],
    Version: f.version,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: "",
    GoVersion: runtime,
    Os: "linux",
    Arch: goArch(),
    KernelVersion: kernel,
    BuildTime: "",
  };
}

/** `GET /swarm` (managers only): the cluster with its join tokens. */
export function dockerSwarm(f: LocalFacts, st: ClusterState, tokens: { Worker: string; Manager: string }) {
  return { ...clusterInfo(f, st), JoinTokens: tokens };
}
