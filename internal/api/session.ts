/**
 * The wire protocol between a node and the leader's dispatcher, and the join exchange (docs/cluster.md
 * "Channels", "Dispatcher and node sessions"). Shared by internal/manager (leader side) and
 * internal/node (node side), which never import each other.
 */
import type { EndpointService } from "./endpoints.ts";
import type { Id, NodeDescription, NodeRole, PortConfig, Task, TaskStatus } from "./types.ts";

export const JOIN_CHANNEL = "cluster.join";
export const SESSION_CHANNEL = "dispatcher.session";
export const REPORT_CHANNEL = "dispatcher.report";
export const HEARTBEAT_CHANNEL = "dispatcher.heartbeat";
export const LEAVE_CHANNEL = "node.leave";
/** A manager reads the logs of tasks on the node that holds them (stream; managers only). */
export const LOGS_CHANNEL = "node.logs";

/** What a node says when it opens its session: facts about its engine. Its address is observed, not told. */
export interface SessionOpen {
  description: NodeDescription;
  /** The UDP port of the node's DHT. The host is what the leader observes; only the port is told. */
  dhtPort: number;
}

/** The service facts a node needs to run its tasks and publish their ports. */
export interface ServiceRef {
  ID: Id;
  Name: string;
  /** The service's allocated ports (Service.Endpoint.Ports). */
  Ports: PortConfig[];
}

export type SessionMessage =
  /** First message: the session ID to quote in reports and heartbeats, and how often to heartbeat. */
  | { t: "welcome"; session: string; heartbeatMs: number; nodeId: Id; addr: string }
  /**
   * The node's tasks: the whole set (`full`), then changes. Tasks not listed in a full set are gone.
   * `files`: the secrets (decrypted) and configs that the live tasks of this message use, and only
   * those: a node gets a secret only while it runs a task that uses it.
   */
  | { t: "assignments"; full: boolean; tasks: Task[]; removed: Id[]; services: ServiceRef[]; files?: TaskFile[] }
  /** A new certificate (renewal, or a role change: promote/demote). */
  | { t: "certificate"; cert: Uint8Array; sig: Uint8Array; role: NodeRole }
  /** Cluster facts every node keeps: revoked node IDs, and the managers' addresses to bootstrap from. */
  | { t: "cluster"; revoked: Id[]; managers: string[] }
  /**
   * The routing mesh's endpoint table (every published port of the cluster, every node gets it):
   * the whole table (`full`), then the ports that changed and those that are gone. `version` is the
   * Raft index of the state it was computed from; it only grows within a session. The node reports
   * the version its mesh holds (`StatusReport.mesh`): the leader holds back stopping a task that left
   * the table until every node holds a table without it (docs/cluster.md "Endpoint tables").
   */
  | { t: "endpoints"; version: number; full: boolean; services: EndpointService[]; removed: string[] }
  /** This manager is not the leader: go to `leader` (null: none known yet). The stream then ends. */
  | { t: "redirect"; leader: Id | null };

/** A secret's or config's payload, as a node receives it to mount into its tasks. */
export interface TaskFile {
  kind: "secret" | "config";
  id: Id;
  data: Uint8Array;
}

export interface StatusReport {
  session: string;
  statuses: { id: Id; status: TaskStatus }[];
  /** The endpoint table version this node's routing mesh holds now (absent: unchanged). */
  mesh?: number;
}

/** `node.logs` request: which of the node's tasks to read, and how. */
export interface LogsRequest {
  /** The tasks (IDs and their containers as the manager knows them), at most MAX_LOG_TASKS. */
  tasks: { id: Id; container?: string }[];
  follow: boolean;
  /** Last N lines per task. */
  tail?: number;
  /** Unix seconds (fractional). */
  since?: number;
}

export const MAX_LOG_TASKS = 1000;

/**
 * `node.logs` stream messages (node → manager): batches of lines, oldest first per task. In follow
 * mode a `caughtUp` message tells that every line that existed when the request came was sent (what
 * follows is live); without follow the stream ends after the last line.
 */
export type LogsMessage =
  | { t: "lines"; lines: { task: Id; stream: "stdout" | "stderr"; ts: string; line: string }[] }
  | { t: "caughtUp" };

export interface HeartbeatRequest {
  session: string;
}

export interface JoinRequest {
  description: NodeDescription;
}

export interface JoinReply {
  nodeId: Id;
  role: NodeRole;
  cert: Uint8Array;
  sig: Uint8Array;
  clusterId: Id;
  clusterPublicKey: Uint8Array;
  /** host:port of every manager's DHT: where this node bootstraps from after a restart. */
  managers: string[];
}

export interface LeaveRequest {
  /** A manager leaving breaks nothing only if the others keep quorum: `force` says the user accepted it. */
  force: boolean;
}
