/**
 * A whole one-process cluster for tests: the store's state machine, the orchestrator, the scheduler
 * and a simulated agent (a pure function), on a fake clock with counter IDs.
 */
import { type ClusterState, type Command, isTerminal, type Task } from "../../internal/api/index.ts";
import { reconcile } from "../../internal/orchestrator/index.ts";
import { schedule } from "../../internal/scheduler/index.ts";
import { applyCommands, emptyState } from "../../internal/store/index.ts";

export const T0 = Date.parse("2026-01-01T00:00:00.000Z");

export interface AgentOptions {
  now: number;
  /** Return a terminal state (and message) to end the task instead of running it. */
  outcome?: (t: Task) => { state: "failed" | "rejected" | "complete"; message: string } | undefined;
}

/**
 * The simulated agent: starts assigned tasks whose NotBefore has passed (→ running, or the outcome's
 * terminal state), and stops tasks no longer desired running (→ shutdown).
 */
export function simAgent(state: ClusterState, opts: AgentOptions): Command[] {
  const at = new Date(opts.now).toISOString();
  const out: Command[] = [];
  const report = (t: Task, State: Task["Status"]["State"], Message: string) =>
    out.push({ kind: "task.status", id: t.ID, status: { Timestamp: at, State, Message }, at });
  for (const t of Object.values(state.tasks)) {
    if (t.NodeID === undefined || t.Status.State === "new" || t.Status.State === "pending" || isTerminal(t.Status.State)) continue;
    if (t.DesiredState !== "running") {
      report(t, "shutdown", "shutdown");
      continue;
    }
    if (t.Status.State === "running") continue;
    if (t.NotBefore !== undefined && Date.parse(t.NotBefore) > opts.now) continue;
    const end = opts.outcome?.(t);
    if (end) report(t, end.state, end.message);
    else report(t, "running", "started");
  }
  return out;
}

export class Sim {
  state: ClusterState = emptyState();
  now = T0;
  private seq = 0;
  readonly newId = (): string => `task${String(++this.seq).padStart(4, "0")}`;
  outcome: AgentOptions["outcome"];
  /** Every plan applied, for assertions. */
  readonly log: Command[][] = [];

  apply(cmds: Command[]): void {
    if (cmds.length === 0) return;
    this.log.push(cmds);
    this.state = applyCommands(this.state, cmds);
  }

  reconcile(): Command[] {
    const p = reconcile(this.state, { now: this.now, newId: this.newId });
    this.apply(p);
    return p;
  }

  schedule(): Command[] {
    const p = schedule(this.state, { now: this.now });
    this.apply(p);
    return p;
  }

  agent(): Command[] {
    const p = simAgent(this.state, { now: this.now, outcome: this.outcome });
    this.apply(p);
    return p;
  }

  /** reconcile → schedule → agent until nothing changes (at this instant). Returns the rounds taken. */
  settle(maxRounds = 50): number {
    for (let i = 1; i <= maxRounds; i++) {
      const n = this.reconcile().length + this.schedule().length + this.agent().length;
      if (n === 0) return i;
    }
    throw new Error(`did not settle in ${maxRounds} rounds`);
  }

  tasksOf(serviceId: string): Task[] {
    return Object.values(this.state.tasks)
      .filter((t) => t.ServiceID === serviceId)
      .sort((a, b) => (a.Slot ?? 0) - (b.Slot ?? 0) || (a.CreatedAt < b.CreatedAt ? -1 : a.CreatedAt > b.CreatedAt ? 1 : a.ID < b.ID ? -1 : 1));
  }

  /** Tasks desired running, by slot (or node for global services). */
  current(serviceId: string): Task[] {
    return this.tasksOf(serviceId).filter((t) => t.DesiredState === "running");
  }

  running(serviceId: string): Task[] {
    return this.current(serviceId).filter((t) => t.Status.State === "running");
  }
}
