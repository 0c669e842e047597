/**
 * The deterministic state machine: (state, command) → state + outcome. Pure: no clock, no randomness,
 * no I/O; IDs and timestamps come inside the commands. Copy-on-write: the input state is never mutated.
 *
 * Every command, applied or not, advances `index` by one, so replaying the same log always gives the
 * same state. Commands that cannot apply (unknown IDs, duplicate names, backwards task states, unknown
 * kinds) change nothing else; their Outcome says why.
 */
import { OK, type ClusterState, type Command, type Id, type Outcome } from "../api/index.ts";
import {
  applyClusterInit, applyMembership, applyNodeAdd, applyNodeCertificate, applyNodeDescribe, applyNodeRemove, applyNodeStatus,
  applyNodeUpdate, applyNodeUpsert, applyRotateToken,
} from "./apply-cluster.ts";
import { applyConfigCreate, applyConfigRemove, applySecretCreate, applySecretRemove } from "./apply-secret.ts";
import { applyServiceCreate, applyServiceRemove, applyServiceRollback, applyServiceUpdate, applyServiceUpdateStatus } from "./apply-service.ts";
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

function applyOne(d: Draft, cmd: Command): Outcome {
  d.index += 1;
  if (cmd === null || typeof cmd !== "object") return { ok: false, code: "INVALID_ARGUMENT", message: "a command must be an object" };
  switch (cmd.kind) {
    case "cluster.init":
      return applyClusterInit(d, cmd);
    case "cluster.rotate-token":
      return applyRotateToken(d, cmd);
    case "node.add":
      return applyNodeAdd(d, cmd);
    case "node.upsert":
      return applyNodeUpsert(d, cmd);
    case "node.status":
      return applyNodeStatus(d, cmd);
    case "node.describe":
      return applyNodeDescribe(d, cmd);
    case "node.update":
      return applyNodeUpdate(d, cmd);
    case "node.certificate":
      return applyNodeCertificate(d, cmd);
    case "node.remove":
      return applyNodeRemove(d, cmd);
    case "service.create":
      return applyServiceCreate(d, cmd);
    case "service.update":
      return applyServiceUpdate(d, cmd);
    case "service.remove":
      return applyServiceRemove(d, cmd);
    case "service.rollback":
      return applyServiceRollback(d, cmd);
    case "service.update-status":
      return applyServiceUpdateStatus(d, cmd);
    case "secret.create":
      return applySecretCreate(d, cmd);
    case "secret.remove":
      return applySecretRemove(d, cmd);
    case "config.create":
      return applyConfigCreate(d, cmd);
    case "config.remove":
      return applyConfigRemove(d, cmd);
    case "task.create":
      applyTaskCreate(d, cmd);
      return OK;
    case "task.status":
      applyTaskStatus(d, cmd);
      return OK;
    case "task.desired":
      applyTaskDesired(d, cmd);
      return OK;
    case "task.assign":
      applyTaskAssign(d, cmd);
      return OK;
    case "task.unschedulable":
      applyTaskUnschedulable(d, cmd);
      return OK;
    case "task.delete":
      applyTaskDelete(d, cmd);
      return OK;
    default:
      // unknown kind (e.g. written by a newer version): a no-op, like any command that cannot apply
      return { ok: false, code: "INVALID_ARGUMENT", message: `unknown command kind ${String((cmd as { kind?: unknown }).kind)}` };
  }
}

export function applyCommand(state: ClusterState, cmd: Command): ClusterState {
  return applyCommands(state, [cmd]);
}

/** Applies commands in order, atomically (one log entry). Same result as folding `applyCommand`. */
export function applyCommands(state: ClusterState, cmds: readonly Command[]): ClusterState {
  return applyWithOutcomes(state, cmds).state;
}

/** Like `applyCommands`, with each command's outcome (same order as `cmds`). */
export function applyWithOutcomes(state: ClusterState, cmds: readonly Command[]): { state: ClusterState; outcomes: Outcome[] } {
  if (cmds.length === 0) return { state, outcomes: [] };
  const d = new Draft(state);
  const outcomes = cmds.map((c) => applyOne(d, c));
  return { state: d.finish(), outcomes };
}

/** Raft's membership after a committed configuration entry (see `applyMembership`); advances `index`. */
export function applyRaftMembership(state: ClusterState, conf: { voters: readonly Id[]; learners: readonly Id[] }): ClusterState {
  const d = new Draft(state);
  d.index += 1;
  applyMembership(d, conf);
  return d.finish();
}
