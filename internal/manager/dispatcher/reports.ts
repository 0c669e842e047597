/**
 * Task status reports from nodes, checked before anything is proposed (HOUSE-STYLE 16: trust nothing a
 * node says about other nodes). Pure: a report and the state in, commands or a refusal out.
 */
import { assertPlain, SwarmError, type ClusterState, type Command, type Id, type PortConfig, type TaskStatus, ALL_TASK_STATES } from "../../api/index.ts";

/** More statuses than this in one report is refused (a node batches ~100 ms of changes). */
export const MAX_STATUSES = 10_000;

const STATES = new Set<string>(ALL_TASK_STATES);

function validPorts(ports: unknown, allowed: readonly PortConfig[]): boolean {
  if (!Array.isArray(ports)) return false;
  return ports.every((p: PortConfig) => {
    if (!p || typeof p !== "object") return false;
    if (!Number.isInteger(p.PublishedPort) || p.PublishedPort < 1 || p.PublishedPort > 65535) return false;
    // A reported port must be one the task publishes (same target, protocol and mode).
    return allowed.some((a) => a.TargetPort === p.TargetPort && a.Protocol === p.Protocol && a.PublishMode === p.PublishMode);
  });
}

/**
 * The `task.status` commands of a report from `nodeId`. Refuses the whole report (FORBIDDEN) if it
 * names a task not assigned to that node; drops (and counts) statuses that are malformed.
 */
export function reportCommands(state: ClusterState, nodeId: Id, statuses: unknown): { commands: Command[]; dropped: number } {
  if (!Array.isArray(statuses)) throw SwarmError.invalid("a status report needs a list of statuses");
  if (statuses.length > MAX_STATUSES) throw SwarmError.invalid(`a status report may hold at most ${MAX_STATUSES} statuses`);
  assertPlain(statuses, "status report");
  const commands: Command[] = [];
  let dropped = 0;
  for (const s of statuses as { id?: unknown; status?: Partial<TaskStatus> }[]) {
    const id = s?.id;
    const st = s?.status;
    if (typeof id !== "string") {
      dropped++;
      continue;
    }
    const task = state.tasks[id];
    if (task === undefined) {
      dropped++; // forgotten meanwhile (history trimmed, service removed): nothing to record
      continue;
    }
    if (task.NodeID !== nodeId) {
      throw new SwarmError("FORBIDDEN", `cannot update a task not assigned to this node (task ${id.slice(0, 12)})`);
    }
    if (!st || typeof st.State !== "string" || !STATES.has(st.State) || typeof st.Timestamp !== "string" || typeof st.Message !== "string") {
      dropped++;
      continue;
    }
    const ports = st.PortStatus?.Ports;
    if (ports !== undefined && !validPorts(ports, task.Endpoint?.Ports ?? [])) {
      dropped++;
      continue;
    }
    const status: TaskStatus = { Timestamp: st.Timestamp, State: st.State, Message: st.Message };
    if (typeof st.Err === "string") status.Err = st.Err;
    if (st.ContainerStatus && typeof st.ContainerStatus === "object") status.ContainerStatus = st.ContainerStatus;
    if (ports !== undefined) status.PortStatus = { Ports: ports };
    commands.push({ kind: "task.status", id, status, at: st.Timestamp });
  }
  return { commands, dropped };
}
