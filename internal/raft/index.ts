// Public door of the raft component. See docs/raft.md for the design.
export * from "./types.ts";
export { RaftCore } from "./core.ts";
export { bootstrapState } from "./membership.ts";
export type { CoreOptions, CoreStatus, ProposeResult } from "./core.ts";
export { defaultCoreConfig, validateCoreConfig } from "./config.ts";
export type { CoreConfig } from "./config.ts";
export { RaftError, RaftErrorCode } from "./errors.ts";
export { seededRand } from "./rand.ts";
export type { Rand } from "./rand.ts";
export { MemoryStorage } from "./storage.ts";
export type { RaftStorage, StorageWrite, StoredState } from "./storage.ts";
export { SqliteStorage } from "./sqlite-storage.ts";
export { defaultRunnerConfig, validateRunnerConfig } from "./config.ts";
export type { RunnerConfig } from "./config.ts";
export { MemoryNetwork } from "./transport.ts";
export type { Transport } from "./transport.ts";
export { RaftNode } from "./runner.ts";
export type { RaftNodeOptions, StateMachine } from "./runner.ts";
