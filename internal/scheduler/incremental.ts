/**
 * The scheduler, incrementally: what nodes hold and which tasks wait, kept up to date from the tasks
 * that change, so that a pass after one change costs about one task's placement instead of a walk over
 * every task. Plans are the same as `schedule` (schedule.ts) on the same state, command for command.
 *
 * Contract (the orchestrator's ControlPlane is the only caller):
 * - `reset(state)` once, then `taskChanged(before, after, services)` for every task that differs
 *   between consecutive committed states, and `nodesChanged()` whenever any node does.
 * - `plan(...)` for a state = the last committed state plus a preview (tasks the orchestrator's plan
 *   creates or changes, named in `touched`). It never writes what it was given; it remembers only which
 *   waiting tasks it found stuck, and under which nodes and usage (see `Settled`).
 *
 * Why skipping stuck tasks is exact: a task that fits nowhere with the same reason as it carries
 * produces no command. If it reserves nothing and publishes no host port, whether it fits and the
 * reason depend on the nodes only; otherwise also on what nodes hold — so it is skipped only while
 * the nodes, and if need be the usage, are as they were when it was found stuck, and nothing older was
 * placed before it in this pass.
 */
import type { ClusterState, Command, Id, Service, Task } from "../api/index.ts";
import { addUsage, emptyUsage, type NodeUsage, occupiesNode, usageByNode, usageSensitive } from "./filters.ts";
import type { NodeTable } from "./nodes.ts";
import { byAge, isSchedulable, PlacementPass } from "./place.ts";

/** How the pass reads a task: the committed state with the orchestrator's preview on top. */
export interface TaskSource {
  task(id: Id): Task | undefined;
}

interface Settled {
  nodeEpoch: number;
  usageEpoch: number;
  sensitive: boolean;
}

export class SchedulerIndex {
  private readonly usage = new Map<Id, NodeUsage>();
  /** Schedulable tasks of the committed state. */
  private readonly pending = new Set<Id>();
  /** Tasks found stuck (no command) and when. */
  private readonly settled = new Map<Id, Settled>();
  private nodeEpoch = 0;
  private usageEpoch = 0;

  /** Forgets everything and indexes a whole state. O(tasks). */
  reset(state: ClusterState): void {
    this.usage.clear();
    for (const [id, u] of usageByNode(state)) this.usage.set(id, u);
    this.pending.clear();
    this.settled.clear();
    for (const t of Object.values(state.tasks)) if (isSchedulable(t, state.services)) this.pending.add(t.ID);
    this.nodeEpoch += 1;
    this.usageEpoch += 1;
  }

  /** A task differs between two committed states (`services`: the newer state's). O(1). */
  taskChanged(id: Id, before: Task | undefined, after: Task | undefined, services: Readonly<Record<Id, Service>>): void {
    const was = before !== undefined && occupiesNode(before) ? before : undefined;
    const is = after !== undefined && occupiesNode(after) ? after : undefined;
    if (was !== undefined) addUsage(this.usageOf(was.NodeID!), was, -1);
    if (is !== undefined) addUsage(this.usageOf(is.NodeID!), is, 1);
    if (was !== undefined || is !== undefined) this.usageEpoch += 1;
    if (after !== undefined && isSchedulable(after, services)) this.pending.add(id);
    else this.pending.delete(id);
    this.settled.delete(id);
  }

  /** Some node was added, changed or removed. */
  nodesChanged(): void {
    this.nodeEpoch += 1;
  }

  /**
   * The scheduler's plan for `base` (the committed state) with `view` on top: `view.task(id)` differs
   * from `base.tasks[id]` only for IDs in `touched`. `nodes` is `base.nodes` as a table.
   */
  plan(base: ClusterState, view: TaskSource, touched: ReadonlySet<Id>, nodes: NodeTable, now: number): Command[] {
    const pass = new PlacementPass(nodes, (id) => this.usage.get(id), now);
    let previewMovedUsage = false;
    for (const id of touched) {
      if (pass.adjust(Object.hasOwn(base.tasks, id) ? base.tasks[id] : undefined, view.task(id))) previewMovedUsage = true;
    }
    const candidates: Task[] = [];
    // Stuck tasks that stay stuck unless this pass places something before them.
    const provisional = new Set<Id>();
    const consider = (id: Id) => {
      const t = view.task(id);
      if (t === undefined || !isSchedulable(t, base.services)) return;
      const s = touched.has(id) ? undefined : this.settled.get(id);
      if (s !== undefined && s.nodeEpoch === this.nodeEpoch) {
        if (!s.sensitive) return;
        if (s.usageEpoch === this.usageEpoch && !previewMovedUsage) provisional.add(id);
      }
      candidates.push(t);
    };
    for (const id of this.pending) consider(id);
    for (const id of touched) if (!this.pending.has(id)) consider(id);
    candidates.sort(byAge);

    const plan: Command[] = [];
    for (const t of candidates) {
      if (pass.placed === 0 && provisional.has(t.ID)) continue;
      const usageAsCommitted = !previewMovedUsage && pass.placed === 0;
      const c = pass.place(t);
      if (c !== null) {
        plan.push(c);
        this.settled.delete(t.ID);
        continue;
      }
      const sensitive = usageSensitive(t);
      if (touched.has(t.ID) || (sensitive && !usageAsCommitted)) this.settled.delete(t.ID);
      else this.settled.set(t.ID, { nodeEpoch: this.nodeEpoch, usageEpoch: this.usageEpoch, sensitive });
    }
    return plan;
  }

  /** Counts for tests and logs. */
  get size(): { pending: number; settled: number; nodesWithTasks: number } {
    return { pending: this.pending.size, settled: this.settled.size, nodesWithTasks: this.usage.size };
  }

  private usageOf(id: Id): NodeUsage {
    let u = this.usage.get(id);
    if (u === undefined) this.usage.set(id, (u = emptyUsage()));
    return u;
  }
}
