/**
 * The cluster store: a deterministic state machine (`applyCommand`) that a consensus layer drives.
 * On managers Raft does (internal/manager wires `RaftNode` to `ClusterStateMachine`); `DirectConsensus`
 * is the in-memory twin for unit tests. See docs/cluster.md "Raft drives the store".
 */
export { emptyState, applyCommand, applyCommands, applyWithOutcomes, applyRaftMembership } from "./apply.ts";
export { encodeProposal, decodeProposal, encodeSnapshot, decodeSnapshot } from "./codec.ts";
export type { Proposal, SnapshotBody } from "./codec.ts";
export { ClusterStateMachine, REQUEST_MEMORY, type CommittedEntry, type Listener } from "./machine.ts";
export { createStore, memoryStore, proposeOrThrow, refusal, DirectConsensus } from "./store.ts";
export type { Applied, Consensus, Store } from "./store.ts";
export { allocatePorts, PORT_RANGE } from "./ports.ts";
export { OBJECT_NAME } from "./apply-secret.ts";
