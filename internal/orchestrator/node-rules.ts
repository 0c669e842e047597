/**
 * What a node's condition does to the tasks on it. Task-level rules, checked before the services are
 * planned (a reconcile step that fires any of them does nothing else, so the services are then planned
 * on the tasks as these rules left them):
 *
 * - node removed from the cluster: a placed, live task on it is `orphaned` (no agent will report on it
 *   again) and, if desired running, desired `shutdown`; its slot is then refilled elsewhere at once
 *   (replicated) or dropped (global: the node is no longer eligible).
 * - node `down` for `orphanGraceMs` (since Node.Status.Timestamp; a down node without a timestamp counts
 *   as down long enough): the same, for replicated tasks only. Global tasks on a down node stay as they
 *   are: they run there again, or are stopped there, when the node comes back.
 * - node availability `drain`: a task desired running on it is desired `shutdown`; the agent stops it
 *   and its slot is refilled elsewhere once it has stopped (stop-first, like a rolling update).
 *
 * Moving a task off a node is not a restart: the replacement starts at once (no restart delay) with
 * Attempt 0, whatever the restart policy, and when the node comes back nothing changes for the task
 * that was replaced (it is desired shutdown, so the node stops its container).
 */
import { type Command, isDesiredLive, isTerminal, type Node, stateRank, type Task } from "../api/index.ts";
import { iso, msOf, orphanGraceMs, type ReconcileContext } from "./context.ts";

/** When the node went down (ms), if it is down; -Infinity if it is down since an unknown time. */
export function downSinceMs(node: Node): number | undefined {
  if (node.Status.State !== "down") return undefined;
  return msOf(node.Status.Timestamp, -Infinity);
}

/** When a down node's replicated tasks are orphaned (ms), or undefined if the node is not down. */
export function orphanAtMs(node: Node, ctx: ReconcileContext): number | undefined {
  const since = downSinceMs(node);
  return since === undefined ? undefined : since + orphanGraceMs(ctx);
}

function isPlaced(t: Task): boolean {
  return stateRank(t.Status.State) >= stateRank("assigned");
}

/** The commands the rules above give for one task; `node` is its node (undefined if removed). */
export function nodeRule(t: Task, node: Node | undefined, ctx: ReconcileContext): Command[] {
  if (t.NodeID === undefined || isTerminal(t.Status.State)) return [];
  const at = iso(ctx.now);
  const orphan = (why: string): Command[] => {
    const out: Command[] = [{ kind: "task.status", id: t.ID, status: { Timestamp: at, State: "orphaned", Message: `task orphaned: ${why}` }, at }];
    if (isDesiredLive(t.DesiredState)) out.push({ kind: "task.desired", id: t.ID, desired: "shutdown", at });
    return out;
  };
  if (node === undefined) return isPlaced(t) ? orphan("its node was removed from the cluster") : [];
  if (t.Slot !== undefined && isPlaced(t)) {
    const orphanAt = orphanAtMs(node, ctx);
    if (orphanAt !== undefined && ctx.now >= orphanAt) return orphan(`node ${node.Description.Hostname || node.ID} is down`);
  }
  if (node.Spec.Availability === "drain" && isDesiredLive(t.DesiredState)) {
    return [{ kind: "task.desired", id: t.ID, desired: "shutdown", at }];
  }
  return [];
}
