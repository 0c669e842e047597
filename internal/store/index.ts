/**
 * The cluster store: a deterministic state machine (`applyCommand`) fed by a replicated log. Today the
 * log is single-node (`LocalLog` on bun:sqlite, or `MemoryLog`); Raft replaces it behind `ReplicatedLog`.
 */
export { emptyState, applyCommand, applyCommands } from "./apply.ts";
export { encodeCommands, decodeCommands, encodeSnapshot, decodeSnapshot, entryChecksum } from "./codec.ts";
export type { SnapshotBody } from "./codec.ts";
export type { LogEntry, Snapshot, Recovered, ReplicatedLog, StateMachine } from "./log.ts";
export { ClusterStateMachine } from "./state-machine.ts";
export { LocalLog } from "./local-log.ts";
export type { LocalLogOptions } from "./local-log.ts";
export { MemoryLog } from "./memory-log.ts";
export type { MemoryDisk } from "./memory-log.ts";
export { createStore, openStore, memoryStore } from "./store.ts";
export type { Store, StoreOptions, OpenStoreOptions } from "./store.ts";
