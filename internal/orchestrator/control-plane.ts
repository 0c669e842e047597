/**
 * The leader's control plane, incrementally: the orchestrator (`reconcile`) and the scheduler
 * (`schedule`) planned only for what changed since the last plan, so that one task's status change in a
 * cluster of 10,000 tasks costs about one service's worth of work, not a walk over every task.
 *
 * Contract (the leader loop):
 * - Make one ControlPlane when this manager becomes leader (or share one; it resynchronises itself).
 * - `observe(state, cmds)` for every applied entry, in order: the state right after the entry and the
 *   entry's commands — exactly what `Store.subscribe` passes. O(commands). If an entry is missed (the
 *   state's `index` did not advance by `cmds.length`), a snapshot is installed, or a command kind is
 *   unknown, the next `plan` resynchronises from the whole state (O(tasks), once).
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
 * Granularity: a changed task re-plans its service (all of that service's tasks) and is re-checked by
 * the task-level rules; a changed service re-plans that service; a changed node re-checks the tasks on
 * it and re-plans every global service. The scheduler places the waiting tasks whose outcome may have
 * changed (scheduler/incremental.ts).
 */
import { type ClusterState, type Command, type Id, isGlobal, isTerminal, type Node, type Service, type Task } from "../api/index.ts";
import { NodeTable, SchedulerIndex } from "../scheduler/index.ts";
import { orphanGraceMs, type ReconcileContext } from "./context.ts";
import { downSinceMs } from "./node-rules.ts";
import { Preview, taskIdsOf } from "./preview.ts";
import { MAX_STEPS } from "./reconcile.ts";
import { cleanup, type GlobalSlots, globalSlots, nodeRules, planOne } from "./service-plan.ts";
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

function own<T>(rec: Readonly<Record<Id, T>>, id: Id): T | undefined {
  return Object.hasOwn(rec, id) ? rec[id] : undefined;
}

/** The node a live task is on (or created for), if any: what node changes can affect. */
function liveNode(t: Task | undefined): Id | undefined {
  return t !== undefined && t.NodeID !== undefined && !isTerminal(t.Status.State) ? t.NodeID : undefined;
}

function addTo(m: Map<Id, Set<Id>>, key: Id, id: Id): void {
  const s = m.get(key);
  if (s) s.add(id);
  else m.set(key, new Set([id]));
}

function removeFrom(m: Map<Id, Set<Id>>, key: Id, id: Id): void {
  const s = m.get(key);
  if (s === undefined) return;
  s.delete(id);
  if (s.size === 0) m.delete(key);
}

export class ControlPlane {
  /** The last observed (committed) state. */
  private state: ClusterState | undefined;
  /** The indexes below do not describe `state`: rebuild at the next plan. */
  private stale = true;
  private readonly byService = new Map<Id, Set<Id>>();
  private readonly byNode = new Map<Id, Set<Id>>();
  private readonly globals = new Set<Id>();
  /** Down nodes → since when (ms; -Infinity if unknown). */
  private readonly down = new Map<Id, number>();
  /** Down nodes whose grace period has run out and whose tasks were re-checked for it. */
  private readonly downHandled = new Set<Id>();
  /** What the next plan must look at: changed since, or planned with commands by, the last plan. */
  private readonly dirtyServices = new Set<Id>();
  private readonly dirtyTasks = new Set<Id>();
  /** Services to re-plan at a time (restart windows). */
  private readonly wakes = new Map<Id, number>();
  private readonly sched = new SchedulerIndex();
  private table: NodeTable | undefined;
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
          services.add(c.id);
          break;
        case "service.remove":
          services.add(c.id);
          for (const id of this.byService.get(c.id) ?? []) tasks.add(id);
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
          this.stale = true; // a kind this version does not know: cannot tell what it changed
          return;
      }
    }
    for (const id of services) this.serviceChanged(id, own(prev.services, id), own(state.services, id));
    for (const id of nodes) this.nodeChanged(id, own(prev.nodes, id), own(state.nodes, id));
    for (const id of tasks) this.taskChanged(id, own(prev.tasks, id), own(state.tasks, id), state);
  }

  /** The plan for `state` (normally the last observed one). See the contract above. */
  plan(state: ClusterState, ctx: ReconcileContext): ControlPlan {
    if (state !== this.state || this.stale) this.resync(state);
    this.stats.plans += 1;
    const now = ctx.now;
    const grace = orphanGraceMs(ctx);
    const table = this.nodeTable(state);

    for (const [id, since] of this.down) {
      if (this.downHandled.has(id) || now < since + grace) continue;
      this.downHandled.add(id);
      for (const t of this.byNode.get(id) ?? []) this.dirtyTasks.add(t);
    }
    for (const [id, at] of this.wakes) {
      if (now < at) continue;
      this.wakes.delete(id);
      this.dirtyServices.add(id);
    }

    let services = new Set(this.dirtyServices);
    let tasks = new Set(this.dirtyTasks);
    // From here on the dirty sets collect what must be looked at again: what this plan changes.
    this.dirtyServices.clear();
    this.dirtyTasks.clear();
    const preview = new Preview(state);
    const nodeOf = (id: Id): Node | undefined => own(state.nodes, id);
    const slotsOf = (svc: Service) => this.globalSlots(svc, table);
    const reconciled: Command[] = [];
    let converged = false;
    for (let i = 0; i < MAX_STEPS; i++) {
      const taskList = this.sortedTasks(tasks, preview);
      let step = nodeRules(taskList, nodeOf, ctx);
      if (step.length > 0) {
        for (const c of step) for (const id of taskIdsOf(c)) this.dirtyTasks.add(id);
      } else {
        for (const id of [...services].sort()) {
          const svc = own(state.services, id);
          if (svc === undefined) continue;
          const cmds = planOne(svc, this.tasksOf(id, preview), slotsOf, ctx, this.hooks(id));
          if (cmds.length > 0) this.dirtyServices.add(id);
          for (const c of cmds) step.push(c);
        }
        const cl = cleanup(taskList, state.services, ctx);
        for (const c of cl) for (const id of taskIdsOf(c)) this.dirtyTasks.add(id);
        step = step.concat(cl);
        services = new Set();
        tasks = new Set();
      }
      if (step.length === 0) {
        converged = true;
        break;
      }
      for (const c of step) reconciled.push(c);
      for (const id of preview.apply(step)) {
        tasks.add(id);
        const svc = preview.serviceOf(id);
        if (svc !== undefined) services.add(svc);
      }
    }
    if (!converged) {
      for (const id of services) this.dirtyServices.add(id);
      for (const id of tasks) this.dirtyTasks.add(id);
    }

    const scheduled = this.sched.plan(state, preview, new Set(preview.overlay.keys()), table, now);
    const plan: ControlPlan = { commands: reconciled.concat(scheduled), reconciled, scheduled };
    const next = this.nextCheckAtMs(now, grace);
    if (next !== undefined) plan.nextCheckAtMs = next;
    return plan;
  }

  /** Index sizes (tests, logs). */
  get size(): { services: number; nodesWithLiveTasks: number; dirtyServices: number; dirtyTasks: number } {
    return { services: this.byService.size, nodesWithLiveTasks: this.byNode.size, dirtyServices: this.dirtyServices.size, dirtyTasks: this.dirtyTasks.size };
  }

  private nextCheckAtMs(now: number, grace: number): number | undefined {
    let next = Infinity;
    for (const [id, since] of this.down) if (!this.downHandled.has(id) && since + grace > now) next = Math.min(next, since + grace);
    for (const at of this.wakes.values()) next = Math.min(next, at);
    return next === Infinity ? undefined : next;
  }

  private resync(state: ClusterState): void {
    this.stats.resyncs += 1;
    this.state = state;
    this.stale = false;
    for (const m of [this.byService, this.byNode]) m.clear();
    for (const s of [this.globals, this.downHandled, this.dirtyServices, this.dirtyTasks]) s.clear();
    this.down.clear();
    this.wakes.clear();
    this.slotsCache.clear();
    this.table = undefined;
    for (const t of Object.values(state.tasks)) {
      addTo(this.byService, t.ServiceID, t.ID);
      const n = liveNode(t);
      if (n !== undefined) addTo(this.byNode, n, t.ID);
      this.dirtyTasks.add(t.ID);
    }
    for (const s of Object.values(state.services)) {
      this.dirtyServices.add(s.ID);
      if (isGlobal(s.Spec)) this.globals.add(s.ID);
    }
    for (const n of Object.values(state.nodes)) {
      const since = downSinceMs(n);
      if (since !== undefined) this.down.set(n.ID, since);
    }
    this.sched.reset(state);
  }

  private serviceChanged(id: Id, before: Service | undefined, after: Service | undefined): void {
    if (before === after) return;
    this.dirtyServices.add(id);
    this.slotsCache.delete(id);
    if (after !== undefined && isGlobal(after.Spec)) this.globals.add(id);
    else this.globals.delete(id);
    if (after === undefined) this.wakes.delete(id);
  }

  private nodeChanged(id: Id, before: Node | undefined, after: Node | undefined): void {
    if (before === after) return;
    this.sched.nodesChanged();
    const since = after === undefined ? undefined : downSinceMs(after);
    if (since === undefined) this.down.delete(id);
    else this.down.set(id, since);
    this.downHandled.delete(id);
    for (const t of this.byNode.get(id) ?? []) this.dirtyTasks.add(t);
    for (const s of this.globals) this.dirtyServices.add(s);
  }

  private taskChanged(id: Id, before: Task | undefined, after: Task | undefined, state: ClusterState): void {
    if (before === after) return;
    this.dirtyTasks.add(id);
    if (before !== undefined) this.dirtyServices.add(before.ServiceID);
    if (after !== undefined) this.dirtyServices.add(after.ServiceID);
    if (before?.ServiceID !== after?.ServiceID) {
      if (before !== undefined) removeFrom(this.byService, before.ServiceID, id);
      if (after !== undefined) addTo(this.byService, after.ServiceID, id);
    }
    const was = liveNode(before);
    const is = liveNode(after);
    if (was !== is) {
      if (was !== undefined) removeFrom(this.byNode, was, id);
      if (is !== undefined) addTo(this.byNode, is, id);
    }
    this.sched.taskChanged(id, before, after, state.services);
  }

  private nodeTable(state: ClusterState): NodeTable {
    // The nodes record is copy-on-write: a new record means some node changed.
    if (this.table === undefined || this.tableNodes !== state.nodes) {
      this.table = new NodeTable(state.nodes);
      this.tableNodes = state.nodes;
    }
    return this.table;
  }
  private tableNodes: ClusterState["nodes"] | undefined;

  private globalSlots(svc: Service, table: NodeTable): GlobalSlots {
    const c = this.slotsCache.get(svc.ID);
    if (c !== undefined && c.svc === svc && c.table === table) return c.slots;
    const slots = globalSlots(table, svc);
    this.slotsCache.set(svc.ID, { svc, table, slots });
    return slots;
  }

  /** The service's tasks as the preview has them (committed ones, then ones the plan created). */
  private tasksOf(serviceId: Id, preview: Preview): Task[] {
    const out: Task[] = [];
    for (const id of this.byService.get(serviceId) ?? []) {
      const t = preview.task(id);
      if (t !== undefined) out.push(t);
    }
    for (const id of preview.createdFor(serviceId)) {
      const t = preview.task(id);
      if (t !== undefined) out.push(t);
    }
    return out;
  }

  private sortedTasks(ids: ReadonlySet<Id>, preview: Preview): Task[] {
    const out: Task[] = [];
    for (const id of [...ids].sort()) {
      const t = preview.task(id);
      if (t !== undefined) out.push(t);
    }
    return out;
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
      wakeAt: (ms) => this.wakes.set(serviceId, Math.min(ms, this.wakes.get(serviceId) ?? Infinity)),
    };
  }
}
