export { Dispatcher, clusterFacts, DEFAULT_DISPATCHER_TIMINGS, type DispatcherTimings, type SessionSink } from "./dispatcher.ts";
export { livenessPlan, DOWN_MESSAGE, type SessionSeen, type LivenessConfig } from "./liveness.ts";
export { assignmentDelta, tasksOfNode, type Sent } from "./assignments.ts";
export { reportCommands, MAX_STATUSES } from "./reports.ts";
