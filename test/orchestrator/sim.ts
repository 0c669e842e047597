/**
 * A whole one-process cluster for tests: the store's state machine, the orchestrator, the scheduler
 * and a simulated agent (a pure function), on a fake clock with counter IDs.
 *
 * Every `reconcile()` also asks an incremental ControlPlane (fed every applied change) for its plan and
 * fails if it differs from the reference `reconcile` + `schedule`: every scenario test is also a test
 * of the incremental path. Its plans are never applied, so it also lives with uncommitted previews.
 */
import { type ClusterState, type Command, isDesiredLive, isTerminal, type Task } from "../../internal/api/index.ts";
import { ControlPlane, type ReconcileContext, reconcile } from "../../internal/orchestrator/index.ts";
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
    if (!isDesiredLive(t.DesiredState)) {
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

/** Fails (with both plans) unless the ControlPlane's plan equals the reference one. */
export function checkPlane(plane: ControlPlane, state: ClusterState, ctx: ReconcileContext, ids: { seq: number }): { reconciled: Command[]; scheduled: Command[] } {
  const start = ids.seq;
  const reconciled = reconcile(state, ctx);
  const scheduled = schedule(applyCommands(state, reconciled), ctx);
  const end = ids.seq;
  ids.seq = start;
  const inc = plane.plan(state, ctx);
  if (!Bun.deepEquals(inc.reconciled, reconciled) || !Bun.deepEquals(inc.scheduled, scheduled) || ids.seq !== end) {
    const line = (c: Command) => {
      if (c.kind === "task.create") return `  task.create ${JSON.stringify({ id: c.task.ID, slot: c.task.Slot, node: c.task.NodeID, attempt: c.task.Attempt })}`;
      const { kind, ...rest } = c;
      return `  ${kind} ${JSON.stringify(rest)}`;
    };
    const show = (p: { reconciled: Command[]; scheduled: Command[] }) => [...p.reconciled.map(line), "  --", ...p.scheduled.map(line)].join("\n");
    throw new Error(
      `the ControlPlane's plan differs from reconcile + schedule at index ${state.index}\n` +
        `reference:\n${show({ reconciled, scheduled })}\nincremental:\n${show(inc)}`,
    );
  }
  return { reconciled, scheduled };
}

export class Sim {
  state: ClusterState = emptyState();
  now = T0;
  /** Passed as ReconcileContext.orphanGraceMs (undefined: the default). */
  orphanGraceMs: number | undefined;
  private readonly ids = { seq: 0 };
  readonly newId = (): string => `task${String(++this.ids.seq).padStart(4, "0")}`;
  outcome: AgentOptions["outcome"];
  /** Every plan applied, for assertions. */
  readonly log: Command[][] = [];
  /** Fed every applied change; checked against the reference on every reconcile. */
  readonly plane = new ControlPlane();

  apply(cmds: Command[]): void {
    if (cmds.length === 0) return;
    this.log.push(cmds);
    this.state = applyCommands(this.state, cmds);
    this.plane.observe(this.state, cmds);
  }

  get ctx(): ReconcileContext {
    const ctx: ReconcileContext = { now: this.now, newId: this.newId };
    if (this.orphanGraceMs !== undefined) ctx.orphanGraceMs = this.orphanGraceMs;
    return ctx;
  }

  reconcile(): Command[] {
    const { reconciled } = checkPlane(this.plane, this.state, this.ctx, this.ids);
    this.apply(reconciled);
    return reconciled;
  }

  schedule(): Command[] {
    const p = schedule(this.state, { now: this.now });
    this.apply(p);
    return p;
  }

  /** The agents of nodes that are not down (a down node reports nothing). */
  agent(): Command[] {
    const up = Object.fromEntries(Object.entries(this.state.tasks).filter(([, t]) => this.state.nodes[t.NodeID ?? ""]?.Status.State !== "down"));
    const p = simAgent({ ...this.state, tasks: up }, { now: this.now, outcome: this.outcome });
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
