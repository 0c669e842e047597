/**
 * The scheduler: filters (ready, resources, constraints, host ports) then spread. Pure: `schedule`
 * returns a plan of commands; `explain` says why a node cannot take a task.
 */
export { schedule, schedulable } from "./schedule.ts";
export type { ScheduleContext } from "./schedule.ts";
export { explain, explainWith, noSuitableNode, usageByNode, occupiesNode, hostPortsOf, FILTER_ORDER } from "./filters.ts";
export type { FilterName, Rejection, NodeUsage } from "./filters.ts";
export { parseConstraint, parseConstraints, matchConstraint, nodeMatches } from "./constraint.ts";
export type { Constraint, ConstraintOp } from "./constraint.ts";
