/**
 * Checks commands proposed by another manager before they reach Raft: plain data within limits, a
 * known kind and string IDs. The state machine is defensive on its own (a malformed command is a
 * no-op); this keeps garbage out of every manager's log.
 */
import { assertPlain, SwarmError, type Command, type CommandKind } from "../api/index.ts";

const KINDS: ReadonlySet<CommandKind> = new Set<CommandKind>([
  "cluster.init", "cluster.rotate-token", "node.add", "node.upsert", "node.status", "node.describe", "node.update",
  "node.certificate", "node.remove", "service.create", "service.update", "service.remove", "service.rollback", "service.update-status",
  "secret.create", "secret.remove", "config.create", "config.remove", "task.create", "task.status",
  "task.desired", "task.assign", "task.unschedulable", "task.delete",
]);

/** At most this many commands in one proposal (the leader loop's plans stay far below). */
export const MAX_COMMANDS = 20_000;

export function validateCommands(cmds: unknown): asserts cmds is Command[] {
  if (!Array.isArray(cmds)) throw SwarmError.invalid("a proposal must be a list of commands");
  if (cmds.length > MAX_COMMANDS) throw SwarmError.invalid(`a proposal may hold at most ${MAX_COMMANDS} commands`);
  assertPlain(cmds, "proposal");
  for (const c of cmds) {
    const kind = (c as { kind?: unknown })?.kind;
    if (typeof kind !== "string" || !KINDS.has(kind as CommandKind)) throw SwarmError.invalid(`unknown command kind ${String(kind)}`);
    const id = (c as { id?: unknown }).id;
    if (id !== undefined && (typeof id !== "string" || id.length > 128)) throw SwarmError.invalid(`${kind}: id must be a string of at most 128 characters`);
  }
}
