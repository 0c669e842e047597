/**
 * The orchestrator: services → tasks (replicated slots, global per-node tasks, restart policy, rolling
 * updates, history). Pure: `reconcile` returns a plan of commands.
 */
export { reconcile, reconcileStep, eligibleNodes, wantedSlots } from "./reconcile.ts";
export { serviceProgress } from "./progress.ts";
export type { ServiceProgress, SlotProgress } from "./progress.ts";
export type { ReconcileContext } from "./context.ts";
export { PENDING_MESSAGE } from "./context.ts";
export { shouldRestart, notBeforeMs } from "./restart.ts";
export { specEqual } from "./spec-equal.ts";
export { isOutdated, newestFirst, HISTORY_PER_SLOT, UPDATE_PARALLELISM } from "./slots.ts";
