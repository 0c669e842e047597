/**
 * The wire protocol between a node and the leader's dispatcher, and the join exchange (docs/cluster.md
 * "Channels", "Dispatcher and node sessions"). Shared by internal/manager (leader side) and
 * internal/node (node side), which never import each other.
 */
import type { Id, NodeDescription, NodeRole, PortConfig, Task, TaskStatus } from "./types.ts";

export const JOIN_CHANNEL = "cluster.join";
export const SESSION_CHANNEL = "dispatcher.session";
export const REPORT_CHANNEL = "dispatcher.report";
export const HEARTBEAT_CHANNEL = "dispatcher.heartbeat";
export const LEAVE_CHANNEL = "node.leave";

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
  /** The node's tasks: the whole set (`full`), then changes. Tasks not listed in a full set are gone. */
  | { t: "assignments"; full: boolean; tasks: Task[]; removed: Id[]; services: ServiceRef[] }
  /** A new certificate (renewal, or a role change: promote/demote). */
  | { t: "certificate"; cert: Uint8Array; sig: Uint8Array; role: NodeRole }
  /** Cluster facts every node keeps: revoked node IDs, and the managers' addresses to bootstrap from. */
  | { t: "cluster"; revoked: Id[]; managers: string[] }
  /** This manager is not the leader: go to `leader` (null: none known yet). The stream then ends. */
  | { t: "redirect"; leader: Id | null };

export interface StatusReport {
  session: string;
  statuses: { id: Id; status: TaskStatus }[];
}

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
