/**
 * The orchestrator: services → tasks (replicated slots, global per-node tasks, restart policy, rolling
 * updates, history, nodes that go down, drain or pause). Pure: `reconcile` returns a plan of commands.
 * `ControlPlane` is what the leader runs: the orchestrator and the scheduler, incrementally.
 */
export { reconcile, reconcileStep, eligibleNodes, wantedSlots, MAX_STEPS } from "./reconcile.ts";
export { ControlPlane } from "./control-plane.ts";
export type { ControlPlan } from "./control-plane.ts";
export { serviceProgress } from "./progress.ts";
export type { ServiceProgress, SlotProgress } from "./progress.ts";
export type { ReconcileContext } from "./context.ts";
export { PENDING_MESSAGE, DEFAULT_ORPHAN_GRACE_MS } from "./context.ts";
export { orphanAtMs } from "./node-rules.ts";
export { shouldRestart, notBeforeMs } from "./restart.ts";
export { specEqual } from "../api/index.ts";
export { isOutdated, newestFirst, HISTORY_PER_SLOT, UPDATE_PARALLELISM } from "./slots.ts";
