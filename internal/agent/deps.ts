/**
 * What an agent is built from (HOUSE-STYLE 4: dependencies come in through options with real
 * defaults). The binary uses `realDeps` (Hyperswarm, bun:sqlite, Docker); one-process cluster tests pass
 * the transport's MemoryNetwork, Raft's MemoryStorage and the executor's fake runtime instead.
 */
import type { NodeDescription } from "../api/index.ts";
import type { ContainerRuntime } from "../executor/index.ts";
import type { LogArchive, LogSource } from "../logs/index.ts";
import type { RaftStorage } from "../raft/index.ts";
import type { ClusterTransport, TransportOptions } from "../transport/index.ts";

/** Everything a transport needs besides the node's key (which the factory owns). */
export interface TransportSetup extends Omit<TransportOptions, "log"> {
  /** Address to bind the DHT to and be reached at. */
  host: string;
  /** UDP port of the DHT (0: any). */
  port: number;
  /** host:port of DHT bootstrap nodes; a manager lists itself. */
  bootstrap: string[];
}

export interface AgentDeps {
  /** This node's ID: hex of its transport public key. */
  nodeId: string;
  transport(setup: TransportSetup): ClusterTransport | Promise<ClusterTransport>;
  /**
   * Starts a DHT bootstrap node at host:port (0: any free port) that also knows `peers` (other
   * managers' bootstrap nodes). Managers run one; absent for transports without a DHT (the in-memory
   * twin), where the listen port is then only recorded.
   */
  startBootstrap?(host: string, port: number, peers: string[]): Promise<{ port: number; close(): Promise<void> }>;
  /** Raft's storage on this node (opened when the node becomes or resumes as a manager). */
  openRaftStorage(): RaftStorage | Promise<RaftStorage>;
  /** Forgets Raft's storage (demoted, or leaving). Closed by the caller first. */
  dropRaftStorage(): void;
  runtime: ContainerRuntime;
  describe(): Promise<NodeDescription>;
  archive: LogArchive;
  /** Where live task logs come from (default: the runtime's logs call, polled for follow). */
  logs?: LogSource;
}
