/**
 * The leader's control plane, incrementally: the orchestrator (`reconcile`) and the scheduler
 * (`schedule`) planned only for what changed since the last plan, so that one task's status change in a
 * cluster of 10,000 tasks costs about one slot's worth of work, not a walk over every task.
 *
 * Contract (the leader loop):
 * - Make one ControlPlane when this manager becomes leader (or share one; it resynchronises itself).
 * - `observe(state, cmds)` for every applied entry, in order: the state right after the entry and the
 *   entry's commands — exactly what `Store.subscribe` passes. O(commands). It relies on the store's
 *   rule that every command advances `state.index` by one: if an entry is missed (the index did not
 *   advance by `cmds.length`), a snapshot is installed (a jump with no commands), or a command kind it
 *   does not know changed nodes, services or tasks, the next `plan` resynchronises from the whole state
 *   (O(tasks), once; counted in `stats.resyncs`, which should stay at 1 per leadership term).
 * - `plan(state, ctx)` with the latest state: returns the orchestrator's commands followed by the
 *   scheduler's, to propose as ONE entry. Same commands in the same order as the reference
 *   `r = reconcile(state, ctx)` followed by `schedule(applyCommands(state, r), ctx)`, given the same
 *   `ctx.newId` sequence (a property test holds the two together). Passing a state other than the last
 *   observed one is allowed: it resynchronises first.
 * - A plan is a preview: nothing is recorded as done until its entry comes back through `observe`. A
 *   plan that is never committed (lost leadership, timeout) is simply planned again next time.
 * - Time: besides changes, the plan changes when a down node's `orphanGraceMs` runs out or a restart
 *   Window lets a slot restart. `nextCheckAtMs` says when the earliest of those falls (undefined: no
 *   such moment); the leader's 1 s tick covers it too, at the cost of up to a second of delay.
 *
 * Granularity: a changed task re-plans its slot (slots.ts: a slot's plan depends only on its own
 * tasks; the rolling update's budget is kept per service from every slot's last result) and is
 * re-checked by the task-level rules; a changed service, or one whose restart window opens, re-plans
 * all its slots; a changed node re-checks the tasks on it and re-plans its slot in every global
 * service. The scheduler places the waiting tasks whose outcome may have changed
 * (scheduler/incremental.ts).
 */
import { type ClusterState, type Command, type Id, type Node, type Service, type Task } from "../api/index.ts";
import { NodeTable, SchedulerIndex } from "../scheduler/index.ts";
import { orphanGraceMs, type ReconcileContext } from "./context.ts";
import { ALL, markIn, own, PlaneIndex } from "./plane-index.ts";
import { replanService, serviceVerdict } from "./plane-service.ts";
import { Preview, taskIdsOf } from "./preview.ts";
import { MAX_STEPS } from "./reconcile.ts";
import { cleanup, type GlobalSlots, globalSlots, nodeRules } from "./service-plan.ts";
import { isOutdated, type PlanHooks } from "./slots.ts";

export interface ControlPlan {
  /** `reconciled` then `scheduled`: propose these as one entry. */
  commands: Command[];
  /** The orchestrator's part: what `reconcile(state, ctx)` returns. */
  reconciled: Command[];
  /** The scheduler's part: what `schedule(applyCommands(state, reconciled), ctx)` returns. */
  scheduled: Command[];
  /** Earliest time (ms since the epoch) at which time alone changes the plan; undefined if never. */
  nextCheckAtMs?: number;
}

export class ControlPlane {
  /** The last observed (committed) state. */
  private state: ClusterState | undefined;
  /** The indexes do not describe `state`: rebuild at the next plan. */
  private stale = true;
  private readonly index = new PlaneIndex();
  private readonly sched = new SchedulerIndex();
  private table: NodeTable | undefined;
  private tableNodes: ClusterState["nodes"] | undefined;
  private readonly slotsCache = new Map<Id, { svc: Service; table: NodeTable; slots: GlobalSlots }>();
  private readonly outdatedCache = new WeakMap<Task, { svc: Service; outdated: boolean }>();
  /** Counters for logs and tests. */
  readonly stats = { plans: 0, resyncs: 0 };

  /** An applied entry: the state right after it and its commands. See the contract above. */
  observe(state: ClusterState, cmds: readonly Command[]): void {
    const prev = this.state;
    this.state = state;
    if (prev === undefined || this.stale || state === prev) return;
    if (state.index !== prev.index + cmds.length) {
      this.stale = true;
      return;
    }
    const tasks = new Set<Id>();
    const services = new Set<Id>();
    const nodes = new Set<Id>();
    let unknown = false;
    for (const c of cmds) {
      if (c === null || typeof c !== "object") continue;
      switch (c.kind) {
        case "cluster.init":
          break;
        case "node.upsert":
          if (typeof c.node?.ID === "string") nodes.add(c.node.ID);
          break;
        case "node.remove":
          nodes.add(c.id);
          break;
        case "service.create":
        case "service.update":
        case "service.rollback":
        case "service.update-status":
          services.add(c.id);
          break;
        case "secret.create":
        case "secret.remove":
        case "config.create":
        case "config.remove":
          break; // nothing the orchestrator plans from
        case "service.remove":
          services.add(c.id);
          for (const id of this.index.tasksOf(c.id)) tasks.add(id);
          break;
        case "task.create":
          if (typeof c.task?.ID === "string") tasks.add(c.task.ID);
          break;
        case "task.delete":
          if (Array.isArray(c.ids)) for (const id of c.ids) tasks.add(id);
          break;
        case "task.status":
        case "task.desired":
        case "task.assign":
        case "task.unschedulable":
          tasks.add(c.id);
          break;
        default:
          unknown = true;
      }
    }
    // A kind this version does not know: harmless if it left nodes, services and tasks alone (the
    // store copies a collection only when it writes to it); otherwise start over.
    if (unknown && (state.nodes !== prev.nodes || state.services !== prev.services || state.tasks !== prev.tasks)) {
      this.stale = true;
      return;
    }
    for (const id of services) {
      const before = own(prev.services, id);
      const after = own(state.services, id);
      if (before === after) continue;
      this.index.serviceChanged(id, before, after, state);
      this.slotsCache.delete(id);
    }
    for (const id of nodes) {
      const before = own(prev.nodes, id);
      const after = own(state.nodes, id);
      if (before === after) continue;
      this.index.nodeChanged(id, before, after);
      this.sched.nodesChanged();
    }
    for (const id of tasks) {
      const before = own(prev.tasks, id);
      const after = own(state.tasks, id);
      if (before === after) continue;
      this.index.taskChanged(id, before, after, state);
      this.sched.taskChanged(id, before, after, state.services);
    }
  }

  /** The plan for `state` (normally the last observed one). See the contract above. */
  plan(state: ClusterState, ctx: ReconcileContext): ControlPlan {
    if (state !== this.state || this.stale) this.resync(state);
    this.stats.plans += 1;
    const now = ctx.now;
    const grace = orphanGraceMs(ctx);
    const table = this.nodeTable(state);
    const index = this.index;
    index.expire(now, grace);

    // Take what is dirty; from here on the index's dirty sets collect what this plan changes (looked
    // at again next time: against the committed state if the plan was committed, the same if not).
    let { slots, tasks } = index.takeDirty();
    const preview = new Preview(state, (t) => index.slotOf(t, state.services));
    const nodeOf = (id: Id): Node | undefined => own(state.nodes, id);
    const slotsOf = (svc: Service) => this.globalSlots(svc, table);
    const reconciled: Command[] = [];
    /** Services planned in this plan, and those whose verdict the last plan proposed: judged again. */
    const touched = index.dirtyVerdicts;
    index.dirtyVerdicts = new Set();
    let converged = false;
    for (let i = 0; i < MAX_STEPS; i++) {
      const taskList = sortedTasks(tasks, preview);
      let step = nodeRules(taskList, nodeOf, ctx);
      if (step.length === 0) {
        for (const id of [...slots.keys()].sort()) {
          const svc = own(state.services, id);
          if (svc === undefined) continue;
          touched.add(id);
          for (const c of replanService(index, svc, slots.get(id)!, preview, slotsOf, ctx, this.hooks(id))) step.push(c);
        }
        step = step.concat(cleanup(taskList, state.services, ctx));
        slots = new Map();
        tasks = new Set();
      }
      if (step.length === 0) {
        converged = true;
        break;
      }
      for (const c of step) reconciled.push(c);
      for (const id of preview.apply(step)) {
        tasks.add(id);
        const t = preview.task(id) ?? own(state.tasks, id);
        if (t !== undefined) markIn(slots, t.ServiceID, index.slotOf(t, state.services));
      }
    }
    for (const id of preview.overlay.keys()) {
      index.dirtyTasks.add(id);
      const t = own(state.tasks, id) ?? preview.task(id);
      if (t !== undefined) markIn(index.dirtySlots, t.ServiceID, index.slotOf(t, state.services));
    }
    if (!converged) {
      for (const [id, keys] of slots) for (const k of keys === ALL ? [ALL] : keys) markIn(index.dirtySlots, id, k);
      for (const id of tasks) index.dirtyTasks.add(id);
    }

    // Rolling updates' verdicts, as the full orchestrator gives them after its steps (services by ID).
    for (const id of [...touched].sort()) {
      const svc = own(state.services, id);
      if (svc === undefined) continue;
      const v = serviceVerdict(index, svc, slotsOf, ctx, this.hooks(id));
      if (v.length === 0) continue;
      index.dirtyVerdicts.add(id);
      for (const c of v) reconciled.push(c);
    }

    const scheduled = this.sched.plan(state, preview, new Set(preview.overlay.keys()), table, now);
    const plan: ControlPlan = { commands: reconciled.concat(scheduled), reconciled, scheduled };
    const next = index.nextCheckAtMs(now, grace);
    if (next !== undefined) plan.nextCheckAtMs = next;
    return plan;
  }

  /** Index sizes (tests, logs). */
  get size(): { services: number; nodesWithLiveTasks: number; dirtyServices: number; dirtyTasks: number } {
    return this.index.size;
  }

  private resync(state: ClusterState): void {
    this.stats.resyncs += 1;
    this.state = state;
    this.stale = false;
    this.slotsCache.clear();
    this.table = undefined;
    this.index.reset(state);
    this.sched.reset(state);
  }

  private nodeTable(state: ClusterState): NodeTable {
    // The nodes record is copy-on-write: a new record means some node changed.
    if (this.table === undefined || this.tableNodes !== state.nodes) {
      this.table = new NodeTable(state.nodes);
      this.tableNodes = state.nodes;
    }
    return this.table;
  }

  private globalSlots(svc: Service, table: NodeTable): GlobalSlots {
    const c = this.slotsCache.get(svc.ID);
    if (c !== undefined && c.svc === svc && c.table === table) return c.slots;
    const slots = globalSlots(table, svc);
    this.slotsCache.set(svc.ID, { svc, table, slots });
    return slots;
  }

  private hooks(serviceId: Id): PlanHooks {
    return {
      outdated: (t, svc) => {
        const c = this.outdatedCache.get(t);
        if (c !== undefined && c.svc === svc) return c.outdated;
        const outdated = isOutdated(t, svc);
        this.outdatedCache.set(t, { svc, outdated });
        return outdated;
      },
      wakeAt: (ms) => this.index.wake(serviceId, ms),
    };
  }
}

function sortedTasks(ids: ReadonlySet<Id>, preview: Preview): Task[] {
  const out: Task[] = [];
  for (const id of [...ids].sort()) {
    const t = preview.task(id);
    if (t !== undefined) out.push(t);
  }
  return out;
}
