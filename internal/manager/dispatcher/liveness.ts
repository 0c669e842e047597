/**
 * Node liveness, decided by the leader (docs/cluster.md "Dispatcher and node sessions"). Pure: the
 * leader's view of each node's session (last heartbeat, observed address) and the clock come in; the
 * `node.status` commands that make the replicated state agree come out.
 */
import type { ClusterState, Command, Id } from "../../api/index.ts";

export interface SessionSeen {
  /** When the node last opened its session or heartbeated (ms). */
  lastSeenMs: number;
  /** Host the leader observed on the node's connection. */
  addr: string;
  /** host:port of the node's DHT (managers: where others bootstrap). */
  managerAddr?: string;
}

export interface LivenessConfig {
  /** A node not heard from for this long is down. */
  nodeDownMs: number;
}

/** Docker's message for a node whose heartbeats stopped. */
export const DOWN_MESSAGE = "heartbeat failure";

/**
 * `leaderSinceMs`: when this leader started judging. Nobody is declared down before a whole
 * `nodeDownMs` has passed since then (a new leader has not heard anyone yet).
 */
export function livenessPlan(
  state: ClusterState,
  sessions: ReadonlyMap<Id, SessionSeen>,
  leaderSinceMs: number,
  nowMs: number,
  cfg: LivenessConfig,
): Command[] {
  const at = new Date(nowMs).toISOString();
  const plan: Command[] = [];
  for (const n of Object.values(state.nodes)) {
    const s = sessions.get(n.ID);
    const alive = s !== undefined && nowMs - s.lastSeenMs < cfg.nodeDownMs;
    if (alive) {
      const mAddr = n.ManagerStatus ? s.managerAddr : undefined;
      const stale = n.Status.State !== "ready" || n.Status.Addr !== s.addr || (mAddr !== undefined && mAddr !== n.ManagerStatus?.Addr);
      if (stale) {
        const c: Command = { kind: "node.status", id: n.ID, state: "ready", addr: s.addr, at };
        if (mAddr !== undefined) c.managerAddr = mAddr;
        plan.push(c);
      }
    } else if (n.Status.State !== "down" && nowMs - leaderSinceMs >= cfg.nodeDownMs) {
      plan.push({ kind: "node.status", id: n.ID, state: "down", message: DOWN_MESSAGE, at });
    }
  }
  return plan;
}
