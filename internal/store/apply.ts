/**
 * The deterministic state machine: (state, command) → state. Pure: no clock, no randomness, no I/O;
 * IDs and timestamps come inside the commands. Copy-on-write: the input state is never mutated.
 *
 * Every command, applied or not, advances `index` by one, so replaying the same log always gives the
 * same state. Commands that cannot apply (unknown IDs, duplicate names, backwards task states, unknown
 * kinds) change nothing else.
 */
import type { ClusterState, Command } from "../api/index.ts";
import { applyClusterInit, applyNodeRemove, applyNodeUpsert } from "./apply-cluster.ts";
import { applyServiceCreate, applyServiceRemove, applyServiceUpdate } from "./apply-service.ts";
import {
  applyTaskAssign,
  applyTaskCreate,
  applyTaskDelete,
  applyTaskDesired,
  applyTaskStatus,
  applyTaskUnschedulable,
} from "./apply-task.ts";
import { Draft } from "./draft.ts";

export function emptyState(): ClusterState {
  return { index: 0, nodes: {}, services: {}, tasks: {} };
}

function applyOne(d: Draft, cmd: Command): void {
  d.index += 1;
  if (cmd === null || typeof cmd !== "object") return;
  switch (cmd.kind) {
    case "cluster.init":
      return applyClusterInit(d, cmd);
    case "node.upsert":
      return applyNodeUpsert(d, cmd);
    case "node.remove":
      return applyNodeRemove(d, cmd);
    case "service.create":
      return applyServiceCreate(d, cmd);
    case "service.update":
      return applyServiceUpdate(d, cmd);
    case "service.remove":
      return applyServiceRemove(d, cmd);
    case "task.create":
      return applyTaskCreate(d, cmd);
    case "task.status":
      return applyTaskStatus(d, cmd);
    case "task.desired":
      return applyTaskDesired(d, cmd);
    case "task.assign":
      return applyTaskAssign(d, cmd);
    case "task.unschedulable":
      return applyTaskUnschedulable(d, cmd);
    case "task.delete":
      return applyTaskDelete(d, cmd);
    default:
      return; // unknown kind (e.g. written by a newer version): a no-op, like any command that cannot apply
  }
}

export function applyCommand(state: ClusterState, cmd: Command): ClusterState {
  return applyCommands(state, [cmd]);
}

/** Applies commands in order, atomically (one log entry). Same result as folding `applyCommand`. */
export function applyCommands(state: ClusterState, cmds: readonly Command[]): ClusterState {
  if (cmds.length === 0) return state;
  const d = new Draft(state);
  for (const c of cmds) applyOne(d, c);
  return d.finish();
}
