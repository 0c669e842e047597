/**
 * What every node runs: the session with the leader's dispatcher, the worker, the routing mesh for its
 * tasks (docs/cluster.md "Dispatcher and node sessions"). Never imports manager code.
 */
export { NodeAgent, type NodeAgentOptions } from "./agent.ts";
export { NodeSession, type NodeSessionOptions } from "./session.ts";
export { NodeView } from "./view.ts";
export { remoteLink, type LeaderLink, type SessionStream } from "./link.ts";
export { assignmentsFor, startNodeAgent, type Assignment, type AssignmentSink, type StateSource } from "./assignments.ts";
export { MeshLink, meshInputs, stateFeed, RETRY_MS, type MeshInputs, type MeshFeed, type StateFeed } from "./mesh-link.ts";
export { EndpointView, tableInputs, type LocalTargets } from "./endpoints.ts";
export { readNodeFile, writeNodeFile, removeNodeFile, NODE_FILE, type NodeFile } from "./node-file.ts";
export { serveLogs, checkLogsRequest, runtimeLogSource, type LogServerDeps } from "./log-server.ts";
