/**
 * The scheduler: filters (ready, resources, constraints, host ports) then spread. Pure: `schedule`
 * returns a plan of commands; `explain` says why a node cannot take a task. `SchedulerIndex` is the
 * same scheduler kept up to date change by change (used by the orchestrator's ControlPlane).
 */
export { schedule, schedulable } from "./schedule.ts";
export type { ScheduleContext } from "./schedule.ts";
export { byAge, isSchedulable, PlacementPass } from "./place.ts";
export { SchedulerIndex } from "./incremental.ts";
export type { TaskSource } from "./incremental.ts";
export { NodeTable, constraintKey } from "./nodes.ts";
export {
  explain,
  explainWith,
  noSuitableNode,
  usageByNode,
  occupiesNode,
  taskHostPorts,
  isAvailable,
  usageSensitive,
  FILTER_ORDER,
} from "./filters.ts";
export type { FilterName, Rejection, NodeUsage } from "./filters.ts";
export { parseConstraint, parseConstraints, matchConstraint, nodeMatches } from "./constraint.ts";
export type { Constraint, ConstraintOp } from "./constraint.ts";
