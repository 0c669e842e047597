/**
 * The boundary between the store and whatever orders its writes. Today a single-node `LocalLog`
 * (bun:sqlite) or `MemoryLog`; later Raft. The state machine never sees which one is behind it.
 */
import type { ClusterState, Command } from "../api/index.ts";

/** One committed proposal. `data` is `encodeCommands(Command[])`. Indexes start at 1, with no gaps. */
export interface LogEntry {
  index: number;
  term: number;
  data: Uint8Array;
}

/** The state machine's bytes at a log position; entries up to `index` are no longer needed. */
export interface Snapshot {
  index: number;
  term: number;
  data: Uint8Array;
}

export interface Recovered {
  snapshot?: Snapshot;
  /** Committed entries after the snapshot, in index order. */
  entries: LogEntry[];
  /** Entries dropped because their checksum or position was wrong (a corrupt or torn tail). */
  discarded: number;
}

export interface ReplicatedLog {
  /** Called once before anything else: what survived the previous run. */
  recover(): Recovered;
  /**
   * Appends one entry. Resolves with its index once it is durable and committed. Listeners may be
   * called for it before or after the promise resolves (LocalLog: before; Raft: either); the store
   * handles both. Rejects if the log is closed (or, later, if this node is not the leader).
   */
  propose(data: Uint8Array): Promise<number>;
  /** Committed entries in index order, each exactly once, including those proposed elsewhere (Raft). */
  onCommitted(fn: (entry: LogEntry) => void): () => void;
  /** Stores a snapshot and drops the entries it covers. Idempotent; an older snapshot is ignored. */
  compact(snapshot: Snapshot): void;
  close(): void;
}

/** Applies committed entries in order; owns the state. */
export interface StateMachine {
  readonly state: ClusterState;
  /** Log index of the last applied entry (0 when none). */
  readonly appliedIndex: number;
  readonly appliedTerm: number;
  /** Applies an entry; returns its commands. An entry at or below `appliedIndex` is ignored ([]). */
  apply(entry: LogEntry): Command[];
  snapshot(): Uint8Array;
  restore(bytes: Uint8Array): void;
}
