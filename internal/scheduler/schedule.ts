/**
 * The scheduler: places pending tasks on nodes. Pure: (state, ctx) → plan of task.assign /
 * task.unschedulable commands. Idempotent: scheduling again after applying the plan yields [] unless
 * something changed (a task that still fits nowhere is not re-reported with the same reason).
 *
 * Which tasks: desired running, state new or pending, of a known service. A task without a node may
 * go anywhere; a task created for a node (global services) may only go there.
 * Where: nodes that pass every filter (filters.ts), then spread: fewest tasks of the same service,
 * then fewest tasks overall, then lowest node ID (determinism). Tasks placed earlier in the same pass
 * count, so a burst of tasks spreads out and cannot oversubscribe resources or host ports.
 *
 * This is the full pass over the whole state: the reference. The leader uses the incremental
 * `SchedulerIndex` (through the orchestrator's `ControlPlane`), which yields the same plans.
 */
import type { ClusterState, Command, Task } from "../api/index.ts";
import { usageByNode } from "./filters.ts";
import { NodeTable } from "./nodes.ts";
import { byAge, isSchedulable, PlacementPass } from "./place.ts";

export interface ScheduleContext {
  /** Milliseconds since the epoch: the time stamped on the commands. */
  now: number;
}

/** Tasks the scheduler should place, oldest first. */
export function schedulable(state: ClusterState): Task[] {
  return Object.values(state.tasks)
    .filter((t) => isSchedulable(t, state.services))
    .sort(byAge);
}

export function schedule(state: ClusterState, ctx: ScheduleContext): Command[] {
  const usage = usageByNode(state);
  const pass = new PlacementPass(new NodeTable(state.nodes), (id) => usage.get(id), ctx.now);
  const plan: Command[] = [];
  for (const task of schedulable(state)) {
    const c = pass.place(task);
    if (c !== null) plan.push(c);
  }
  return plan;
}
