/**
 * What the Docker-compatible API needs from the agent: reads behind the manager's barrier, the same
 * write operations as swarm's own API (planned by the manager, conflicts decided in the state machine),
 * and the log stream of a service. internal/daemon implements it over its `Api`; tests can implement
 * it over a one-process cluster.
 */
import type { ClusterState, LogRecord, LogWarning, Node, NodeAvailability, ServiceSpec, Task } from "../api/index.ts";
import type { LocalFacts } from "./system.ts";

/** A change of one node, as swarm's node planner takes it (internal/manager `NodeChanges`). */
export interface NodeChanges {
  availability?: NodeAvailability;
  labelAdd?: Record<string, string>;
  labelRm?: string[];
  role?: "manager" | "worker";
}

export interface LogStreamOptions {
  follow: boolean;
  tail?: number;
  /** What `--since` accepts (the Docker CLI sends unix seconds). */
  since?: string;
}

export interface DockerBackend {
  /** This node, whatever its role (never throws). */
  local(): Promise<LocalFacts>;
  /**
   * The cluster state after a read barrier. Throws SwarmError NOT_A_MANAGER on a worker and
   * NOT_INITIALIZED outside a cluster, with Docker's words.
   */
  read(): Promise<ClusterState>;
  /** A node with its ManagerStatus as this manager sees it (leader, reachability): api `nodeView`. */
  nodeView(n: Node): Node;
  /** The full ID of this node. */
  readonly nodeId: string;
  /** A spec already checked by the schema; returns the new service's ID. */
  createService(spec: ServiceSpec): Promise<string>;
  /** `version`: the Version.Index the spec was based on (stale → CONFLICT). */
  updateService(ref: string, spec: ServiceSpec, version?: number): Promise<void>;
  removeService(ref: string): Promise<void>;
  updateNode(ref: string, changes: NodeChanges): Promise<void>;
  removeNode(ref: string, force: boolean): Promise<void>;
  joinTokens(): Promise<{ Worker: string; Manager: string }>;
  rotateToken(role: "worker" | "manager"): Promise<void>;
  /**
   * Writes every log line of the service, from every node, until done (or `signal` aborts when
   * following); a node that cannot be read is a warning naming it. `write` may return a promise: the
   * stream waits for it (a slow reader slows the nodes down).
   */
  serviceLogs(serviceId: string, opts: LogStreamOptions, write: (r: LogRecord | LogWarning) => unknown, signal: AbortSignal): Promise<void>;
  /** A task that is no longer in the state but whose logs are kept (logs of removed tasks). */
  forgottenTask(id: string): Task | undefined;
  /** Checks and normalizes a spec (internal/spec `parseServiceSpec`; loaded lazily by the daemon). */
  parseSpec(spec: unknown): Promise<ServiceSpec>;
  /** Back to the service's PreviousSpec, as `swarm service rollback` (UpdateStatus rollback_started). */
  rollbackService(ref: string, version?: number): Promise<void>;
  /** A new secret (sealed by the manager before it is proposed) or config; returns its ID. */
  createFile(kind: "secret" | "config", f: { name: string; labels: Record<string, string>; data: Uint8Array }): Promise<string>;
  /** Refused (CONFLICT) while a service uses it. */
  removeFile(kind: "secret" | "config", ref: string): Promise<void>;
  /** Whether the secret (opened on this manager) or config with this ID holds exactly `data`. */
  sameFileData(kind: "secret" | "config", id: string, data: Uint8Array): Promise<boolean>;
}
