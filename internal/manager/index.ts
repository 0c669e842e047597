/**
 * What managers run (docs/cluster.md): Raft driving the store, writes forwarded to the leader, and on
 * the leader the orchestrator/scheduler loop, the dispatcher and the membership loop.
 */
export { newId } from "./ids.ts";
export { planCreateService, planRemoveServices, planRollbackService, planUpdateService } from "./services.ts";
export { startLeaderLoop, type LeaderLoop, type LeaderLoopOptions } from "./leader-loop.ts";
export { Manager, raftMachine, DEFAULT_MANAGER_TIMINGS, type ManagerOptions, type ManagerTimings } from "./manager.ts";
export { ManagerConsensus, PROPOSE_CHANNEL, type ConsensusOptions } from "./consensus.ts";
export { Dispatcher, livenessPlan, assignmentDelta, reportCommands, clusterFacts, type SessionSink, type DispatcherTimings } from "./dispatcher/index.ts";
export { planMembership, type MembershipStep, type MembershipInputs } from "./membership.ts";
export { newCluster, joinSecret, joinSecrets, joinTokenOf, signCertificate, clusterKeyOf, CERT_VALIDITY_MS } from "./secrets.ts";
export { hostOf, managerAddresses } from "./join.ts";
export { validateCommands } from "./validate.ts";
export { raftLink, RAFT_CHANNEL } from "./raft-link.ts";
export { planNodeUpdate, planPromote, planDemote, planNodeRemove, type NodeChanges, type Reachability } from "./nodes.ts";
export { planCreateSecret, planCreateConfig, planRemoveFiles, resolveFileRefs, filesFor, MAX_FILE_BYTES, type NewFile } from "./files.ts";
export { sealSecret, openSecret } from "./sealing.ts";
