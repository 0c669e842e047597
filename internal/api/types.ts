/**
 * The cluster's objects. Shapes and field names follow Docker's Engine API (Service, Task, Node) so that
 * `service inspect` reads like Docker's and a Docker-compatible API is a thin translation later.
 * Durations are nanoseconds, as in Docker's API. Timestamps are ISO-8601 strings supplied by whoever
 * proposes a command (the state machine never reads a clock).
 */
import type { TaskState } from "./states.ts";

export type Id = string;

export interface Version {
  Index: number;
}

export interface Mount {
  Type: "bind" | "volume" | "tmpfs";
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
}

export interface ContainerSpec {
  Image: string;
  Labels?: Record<string, string>;
  /** Entrypoint override (`--entrypoint`), as in Docker's ContainerSpec.Command. */
  Command?: string[];
  Args?: string[];
  Hostname?: string;
  Env?: string[];
  Dir?: string;
  User?: string;
  Mounts?: Mount[];
  /** Nanoseconds between SIGTERM and SIGKILL. Default 10 s. */
  StopGracePeriod?: number;
  /**
   * Run an init (docker-init) as PID 1 that forwards signals and reaps zombies. Unset means on:
   * unlike Docker Swarm's default, a process that ignores SIGTERM as PID 1 (busybox ping, sleep)
   * then stops at once instead of after the whole grace period. `--init=false` turns it off.
   */
  Init?: boolean;
  /**
   * Docker's HealthConfig. Unset: the image's own HEALTHCHECK (if any) applies. `Test: ["NONE"]`
   * (`--no-healthcheck`) disables it. A task with a health check counts as running (for convergence,
   * rolling updates and the routing mesh) only once healthy; an unhealthy one fails.
   */
  Healthcheck?: HealthConfig;
  /** Secrets mounted read-only from memory (tmpfs) under /run/secrets. */
  Secrets?: SecretReference[];
  /** Configs mounted read-only, like secrets (not secret). */
  Configs?: ConfigReference[];
}

export interface HealthConfig {
  /** `[]` inherit the image's; `["NONE"]` disable; `["CMD", args...]`; `["CMD-SHELL", command]`. */
  Test?: string[];
  /** Nanoseconds; 0 inherits (Docker's default 30 s). */
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  /** Consecutive failures before unhealthy; 0 inherits (Docker's default 3). */
  Retries?: number;
}

/** Where and how a secret or config appears in the container (Docker's SecretReferenceFileTarget). */
export interface FileTarget {
  /** Secrets: a file name under /run/secrets (or an absolute path there); configs: an absolute path. */
  Name: string;
  UID: string;
  GID: string;
  /** File mode, e.g. 0o444. */
  Mode: number;
}

export interface SecretReference {
  File: FileTarget;
  SecretID: Id;
  SecretName: string;
}

export interface ConfigReference {
  File: FileTarget;
  ConfigID: Id;
  ConfigName: string;
}

export interface ResourceSpec {
  NanoCPUs?: number;
  MemoryBytes?: number;
}

export type RestartCondition = "none" | "on-failure" | "any";

export interface RestartPolicy {
  Condition: RestartCondition;
  /** Nanoseconds to wait before a replacement task starts. Default 5 s. */
  Delay: number;
  /** 0 means unlimited. */
  MaxAttempts: number;
  /** Nanoseconds; 0 means unbounded. */
  Window?: number;
}

export interface TaskSpec {
  ContainerSpec: ContainerSpec;
  Resources?: { Limits?: ResourceSpec; Reservations?: ResourceSpec };
  RestartPolicy: RestartPolicy;
  Placement?: { Constraints?: string[] };
  /** `--network host` only, for now. */
  Networks?: { Target: string }[];
  /** Bumped by `service update --force` to replace tasks with an unchanged spec. */
  ForceUpdate: number;
}

export interface PortConfig {
  Protocol: "tcp" | "udp";
  TargetPort: number;
  PublishedPort: number;
  PublishMode: "ingress" | "host";
}

export type ServiceMode =
  | { Replicated: { Replicas: number } }
  | { Global: Record<string, never> }
  /** A job: `TotalCompletions` tasks must complete (exit 0), at most `MaxConcurrent` at a time. */
  | { ReplicatedJob: { MaxConcurrent: number; TotalCompletions: number } }
  /** A job: one task per eligible node must complete. */
  | { GlobalJob: Record<string, never> };

export type FailureAction = "pause" | "continue" | "rollback";
export type UpdateOrder = "stop-first" | "start-first";

/**
 * How a change of the task template rolls out (Docker's UpdateConfig; RollbackConfig has the same
 * shape, with FailureAction pause or continue). Absent fields take Docker's defaults (UPDATE_DEFAULTS).
 */
export interface UpdateConfig {
  /** Slots updated at once; 0 means all at once. */
  Parallelism: number;
  /** Nanoseconds a slot's new task must have run before that slot takes the next outdated one. */
  Delay: number;
  FailureAction: FailureAction;
  /** Nanoseconds after a new task starts during which its failure counts against the update. */
  Monitor: number;
  /** Failed new tasks / slots tolerated before FailureAction applies (0..1). */
  MaxFailureRatio: number;
  Order: UpdateOrder;
}

/** Docker's defaults for `--update-*` and `--rollback-*`. */
export const UPDATE_DEFAULTS: UpdateConfig = { Parallelism: 1, Delay: 0, FailureAction: "pause", Monitor: 5e9, MaxFailureRatio: 0, Order: "stop-first" };

export interface ServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: TaskSpec;
  Mode: ServiceMode;
  EndpointSpec: { Ports: PortConfig[] };
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: UpdateConfig;
}

export type UpdateState = "updating" | "paused" | "completed" | "rollback_started" | "rollback_paused" | "rollback_completed";

/** Where a rolling update (or rollback) stands, as Docker's Service.UpdateStatus. */
export interface UpdateStatus {
  State: UpdateState;
  StartedAt: string;
  CompletedAt?: string;
  Message: string;
}

export interface Service {
  ID: Id;
  Version: Version;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  Endpoint: { Spec: { Ports: PortConfig[] }; Ports: PortConfig[] };
  /**
   * Set by the state machine when a change of the task template starts rolling out (`updating`) or a
   * rollback starts; moved on by the orchestrator (`service.update-status`, `service.rollback`).
   */
  UpdateStatus?: UpdateStatus;
  /** Jobs: each create or update is a new iteration (this service Version); tasks carry theirs. */
  JobStatus?: { JobIteration: Version; LastExecution: string };
}

export interface ContainerStatus {
  ContainerID?: string;
  PID?: number;
  ExitCode?: number;
}

export interface TaskStatus {
  Timestamp: string;
  State: TaskState;
  Message: string;
  Err?: string;
  ContainerStatus?: ContainerStatus;
  /**
   * Set with `running`: the task's ports as bound on its node (like Docker's PortStatus). For ingress
   * ports PublishedPort is the ephemeral host port the routing mesh forwards to; for host-mode ports
   * it is the service's published port. Absent for tasks without published ports or `--network host`.
   */
  PortStatus?: { Ports: PortConfig[] };
}

/** `complete`: a job's task, run until it exits (a replicated or global task is desired `running`). */
export type DesiredState = "running" | "complete" | "shutdown" | "remove";

/** Desired to run now (a service's task, or a job's task until it completes). */
export function isDesiredLive(d: DesiredState): boolean {
  return d === "running" || d === "complete";
}

export interface Task {
  ID: Id;
  Version: Version;
  CreatedAt: string;
  UpdatedAt: string;
  ServiceID: Id;
  /** Replicated services: 1..N. Global services: undefined (the node identifies the task). */
  Slot?: number;
  NodeID?: Id;
  Spec: TaskSpec;
  /** The service's Version.Index when this task was created: tells an outdated task apart. */
  ServiceVersion: number;
  Status: TaskStatus;
  DesiredState: DesiredState;
  /** Earliest time (ISO) at which the agent may start the container (restart delay). */
  NotBefore?: string;
  /**
   * The service's allocated ports (Service.Endpoint.Ports) when this task was created; absent when
   * there were none. The worker publishes these; a change of published ports makes the task outdated.
   */
  Endpoint?: { Ports: PortConfig[] };
  /** Replacement count in this slot (restart policy MaxAttempts). */
  Attempt: number;
  /**
   * When the task was first reported running (set by the state machine): a rolling update counts a
   * task that fails within UpdateConfig.Monitor of this (or never ran) as a failed update.
   */
  StartedAt?: string;
  /** Jobs: the iteration (service Version.Index) this task belongs to. */
  JobIteration?: Version;
}

export type NodeRole = "manager" | "worker";
export type NodeAvailability = "active" | "pause" | "drain";
export type NodeStateName = "unknown" | "down" | "ready" | "disconnected";

export interface NodeSpec {
  /** The role the node should have; Raft membership and the node's certificate follow it. */
  Role: NodeRole;
  Availability: NodeAvailability;
  Labels: Record<string, string>;
}

export interface NodeDescription {
  Hostname: string;
  Platform: { Architecture: string; OS: string };
  Resources: { NanoCPUs: number; MemoryBytes: number };
  /**
   * `Unreachable`: why the node's container engine does not answer (absent while it does). Reported by
   * the node with its session; `node ls`, `node inspect` and `info` show it.
   */
  Engine: { EngineVersion: string; Unreachable?: string };
}

export interface Node {
  /** Hex of the node's Noise public key: the same ID in the store, Raft, the transport and certificates. */
  ID: Id;
  Version: Version;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: NodeSpec;
  Description: NodeDescription;
  /**
   * Decided by the leader (from the node's session), never by the node itself. `Timestamp` (ISO) is
   * when `State` last changed: the orchestrator orphans a down node's tasks a grace period after it.
   * `Addr` is the address the managers observe on the node's connection.
   */
  Status: { State: NodeStateName; Addr: string; Message?: string; Timestamp?: string };
  /**
   * Present while the node is a Raft member (kept by the state machine from Raft's own membership
   * entries). `Leader` and `Reachability` in the replicated state are placeholders: the API's views
   * fill them in from the answering manager's Raft and transport.
   */
  ManagerStatus?: { Leader: boolean; Reachability: "reachable" | "unreachable" | "unknown"; Addr: string; Voter?: boolean };
  /** The node's current certificate: its serial is the log index that recorded it. */
  Certificate?: { Serial: number; Role: NodeRole; NotAfterMs: number };
}

export interface Cluster {
  /** The fingerprint of the cluster public key (internal/transport `clusterFingerprint`). */
  ID: Id;
  CreatedAt: string;
  Spec: { Name: string };
  /** Hex of the ed25519 key that signs node certificates. */
  PublicKey: string;
  /**
   * Managers only: the replicated state never leaves a manager, and API views drop this field.
   * KeySeed signs certificates and derives the join secrets (with the per-role generation, bumped by
   * `join-token --rotate`); DiscoveryKey derives the Hyperswarm topic. All hex.
   */
  Secrets: { KeySeed: string; DiscoveryKey: string; TokenGeneration: { worker: number; manager: number } };
  /** Node IDs refused by every node's transport (removed nodes). */
  Revoked: Id[];
}

/**
 * A secret (Docker's shape). `Sealed` is the payload encrypted with a key only managers can derive
 * (from Cluster.Secrets.KeySeed): plaintext never enters the replicated state, the Raft log or a
 * snapshot. API views drop `Sealed`; only a node running a task that uses the secret gets it, decrypted.
 */
export interface Secret {
  ID: Id;
  Version: Version;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: { Name: string; Labels: Record<string, string> };
  Sealed: string;
}

/** A config: like a secret, but not secret (its data is stored and shown as is, base64). */
export interface Config {
  ID: Id;
  Version: Version;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: { Name: string; Labels: Record<string, string>; Data: string };
}

/** The whole replicated state. Owned by the store's state machine; everyone else reads it. */
export interface ClusterState {
  /** Raft-style index of the last applied command. */
  index: number;
  cluster?: Cluster;
  nodes: Record<Id, Node>;
  services: Record<Id, Service>;
  tasks: Record<Id, Task>;
  /** Absent in states written before secrets existed: read with `secretsOf`. */
  secrets?: Record<Id, Secret>;
  configs?: Record<Id, Config>;
}

export function secretsOf(state: ClusterState): Readonly<Record<Id, Secret>> {
  return state.secrets ?? {};
}

export function configsOf(state: ClusterState): Readonly<Record<Id, Config>> {
  return state.configs ?? {};
}

/** Replicas of a replicated service (undefined for global services and jobs). */
export function replicasOf(spec: ServiceSpec): number | undefined {
  return "Replicated" in spec.Mode ? spec.Mode.Replicated.Replicas : undefined;
}

/** One task per eligible node (a global service or a global job): tasks are keyed by node. */
export function isGlobal(spec: ServiceSpec): boolean {
  return "Global" in spec.Mode || "GlobalJob" in spec.Mode;
}

/** A job (replicated-job or global-job): tasks run to completion and are not restarted once complete. */
export function isJob(spec: ServiceSpec): boolean {
  return "ReplicatedJob" in spec.Mode || "GlobalJob" in spec.Mode;
}

/** Docker's mode names: replicated, global, replicated-job, global-job. */
export function modeName(spec: ServiceSpec): "replicated" | "global" | "replicated-job" | "global-job" {
  if ("ReplicatedJob" in spec.Mode) return "replicated-job";
  if ("GlobalJob" in spec.Mode) return "global-job";
  return "Global" in spec.Mode ? "global" : "replicated";
}

/** The update (or rollback) config in force, defaults filled in. */
export function updateConfigOf(spec: ServiceSpec, rollback: boolean): UpdateConfig {
  return { ...UPDATE_DEFAULTS, ...(rollback ? spec.RollbackConfig : spec.UpdateConfig) };
}

/** Labels the agent puts on every container it creates. */
export const LABEL = {
  cluster: "com.swarm.cluster.id",
  service: "com.swarm.service.id",
  serviceName: "com.swarm.service.name",
  task: "com.swarm.task.id",
  slot: "com.swarm.task.slot",
  node: "com.swarm.node.id",
} as const;

/** Docker container name for a task, like Docker Swarm's: `<service>.<slot|node>.<task id>`. */
export function containerName(serviceName: string, task: Pick<Task, "Slot" | "NodeID" | "ID">): string {
  return `${serviceName}.${task.Slot ?? task.NodeID}.${task.ID}`;
}
