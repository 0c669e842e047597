/**
 * Task states, in Swarm's order. The order is the clock: a task's observed state only moves forward
 * (see `canAdvance`). Desired state is a separate field that uses a subset of the same constants.
 */
export const TaskState = {
  New: "new",
  Pending: "pending",
  Assigned: "assigned",
  Accepted: "accepted",
  Preparing: "preparing",
  Starting: "starting",
  Running: "running",
  Complete: "complete",
  Shutdown: "shutdown",
  Failed: "failed",
  Rejected: "rejected",
  Remove: "remove",
  Orphaned: "orphaned",
} as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

/** Rank of each state; terminal states share the highest ranks so none moves to another. */
const RANK: Record<TaskState, number> = {
  new: 0,
  pending: 1,
  assigned: 2,
  accepted: 3,
  preparing: 4,
  starting: 5,
  running: 6,
  complete: 7,
  shutdown: 8,
  failed: 9,
  rejected: 10,
  remove: 11,
  orphaned: 12,
};

export function stateRank(s: TaskState): number {
  return RANK[s];
}

/** True for states a task never leaves (its container is gone or will never run again). */
export function isTerminal(s: TaskState): boolean {
  return RANK[s] >= RANK.complete;
}

/**
 * Whether an observed state may move from `from` to `to`. States only move forward, and a terminal
 * state is final. Reporting the same state again is allowed (idempotent status updates).
 */
export function canAdvance(from: TaskState, to: TaskState): boolean {
  if (from === to) return true;
  if (isTerminal(from)) return false;
  return RANK[to] > RANK[from];
}

export const ALL_TASK_STATES: readonly TaskState[] = Object.keys(RANK) as TaskState[];
