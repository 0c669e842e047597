/**
 * How far a service is from what its spec asks: what `service ls` (REPLICAS) and `service create/update
 * --detach=false` (a line per slot, then "converged") show. Pure; read-only.
 */
import { type ClusterState, isGlobal, isTerminal, type Service, type Task } from "../api/index.ts";
import { NodeTable } from "../scheduler/index.ts";
import { wantedSlots } from "./reconcile.ts";
import { globalSlots } from "./service-plan.ts";
import { isOutdated, newestFirst } from "./slots.ts";

export interface SlotProgress {
  /** Replica number, or node ID for a global service. */
  key: number | string;
  /** The slot's current task (desired running), if any yet. */
  task?: Task;
}

export interface ServiceProgress {
  /** Slots that should run a task (replicas, or eligible nodes for a global service). */
  desired: number;
  /** Wanted slots whose current task is running. */
  running: number;
  /** Wanted slots whose current task is running the service's current spec. */
  updated: number;
  /**
   * Tasks of the service that are not current and have not ended yet (being stopped). A global task
   * left running on a paused or down node is neither wanted nor stopping.
   */
  stopping: number;
  /** Every wanted slot runs an up-to-date task and nothing else of the service is still live. */
  converged: boolean;
  slots: SlotProgress[];
}

export function serviceProgress(state: ClusterState, svc: Service): ServiceProgress {
  const global = isGlobal(svc.Spec);
  const tasks = Object.values(state.tasks).filter((t) => t.ServiceID === svc.ID);
  const keyOf = (t: Task) => (global ? t.NodeID : t.Slot);
  const slots: SlotProgress[] = wantedSlots(state, svc).map((key) => {
    const cur = tasks.filter((t) => keyOf(t) === key && t.DesiredState === "running").sort(newestFirst)[0];
    return cur ? { key, task: cur } : { key };
  });
  const currentIds = new Set(slots.map((s) => s.task?.ID));
  let running = 0;
  let updated = 0;
  for (const s of slots) {
    if (s.task?.Status.State !== "running") continue;
    running += 1;
    if (!isOutdated(s.task, svc)) updated += 1;
  }
  const held = global ? globalSlots(new NodeTable(state.nodes), svc).held : undefined;
  const isHeld = (t: Task) => held !== undefined && t.DesiredState === "running" && t.NodeID !== undefined && held.has(t.NodeID);
  const stopping = tasks.filter((t) => !currentIds.has(t.ID) && !isTerminal(t.Status.State) && !isHeld(t)).length;
  return { desired: slots.length, running, updated, stopping, converged: updated === slots.length && stopping === 0, slots };
}
