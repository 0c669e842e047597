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
 * Granularity: a changed task re-plans its slot (slots.ts: a slot's plan depends only on its own
 * tasks; the rolling update's budget is kept per service from every slot's last result) and is
 * re-checked by the task-level rules; a changed service, or one whose restart window opens, re-plans
 * all its slots; a changed node re-checks the tasks on it and re-plans its slot in every global
 * service. The scheduler places the waiting tasks whose outcome may have changed
 * (scheduler/incremental.ts).
 */
import { type ClusterState, type Command, type Id, isGlobal, isTerminal, type Node, type Service, type Task } from "../api/index.ts";
import { NodeTable, SchedulerIndex } from "../scheduler/index.ts";
import { orphanGraceMs, type ReconcileContext } from "./context.ts";
import { downSinceMs } from "./node-rules.ts";
import { Preview, taskIdsOf } from "./preview.ts";
import { MAX_STEPS } from "./reconcile.ts";
import { cleanup, type GlobalSlots, globalSlots, nodeRules, replicaSlots } from "./service-plan.ts";
import { assemble, bySlotKey, isOutdated, type PlanHooks, planSlot, type ServiceSlots, type SlotKey, type SlotKind, type SlotResult } from "./slots.ts";

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

/** Every slot of a service (a service change, a restart window opening, a resync). */
const ALL = "all" as const;
type Slots = Set<SlotKey | undefined> | typeof ALL;

/** One service's tasks by slot, and its wanted slots' last results (the rolling update's inputs). */
interface ServiceEntry {
  /** How its tasks are keyed: by node ID (global) or replica number. */
  global: boolean;
  slots: Map<SlotKey | undefined, Set<Id>>;
  inFlight: Map<SlotKey | undefined, number>;
  inFlightTotal: number;
  outdated: Map<SlotKey | undefined, Task>;
}

function markIn(m: Map<Id, Slots>, serviceId: Id, key: SlotKey | undefined | typeof ALL): void {
  const cur = m.get(serviceId);
  if (cur === ALL) return;
  if (key === ALL) m.set(serviceId, ALL);
  else if (cur === undefined) m.set(serviceId, new Set([key]));
  else cur.add(key);
}

function addTo<K>(m: Map<K, Set<Id>>, key: K, id: Id): void {
  const s = m.get(key);
  if (s) s.add(id);
  else m.set(key, new Set([id]));
}

function removeFrom<K>(m: Map<K, Set<Id>>, key: K, id: Id): void {
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
  private readonly services = new Map<Id, ServiceEntry>();
  private readonly byNode = new Map<Id, Set<Id>>();
  private readonly globals = new Set<Id>();
  /** Down nodes → since when (ms; -Infinity if unknown). */
  private readonly down = new Map<Id, number>();
  /** Down nodes whose grace period has run out and whose tasks were re-checked for it. */
  private readonly downHandled = new Set<Id>();
  /** What the next plan must look at: changed since, or changed by, the last plan. */
  private dirtySlots = new Map<Id, Slots>();
  private dirtyTasks = new Set<Id>();
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
          for (const ids of this.services.get(c.id)?.slots.values() ?? []) for (const id of ids) tasks.add(id);
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
      markIn(this.dirtySlots, id, ALL);
    }

    // Take what is dirty; from here on the dirty sets collect what this plan changes (looked at again
    // next time: against the committed state if the plan was committed, or the same state if not).
    let slots = this.dirtySlots;
    let tasks = this.dirtyTasks;
    this.dirtySlots = new Map();
    this.dirtyTasks = new Set();
    const preview = new Preview(state, (t) => this.slotOf(t));
    const nodeOf = (id: Id): Node | undefined => own(state.nodes, id);
    const reconciled: Command[] = [];
    let converged = false;
    for (let i = 0; i < MAX_STEPS; i++) {
      const taskList = this.sortedTasks(tasks, preview);
      let step = nodeRules(taskList, nodeOf, ctx);
      if (step.length === 0) {
        for (const id of [...slots.keys()].sort()) {
          const svc = own(state.services, id);
          if (svc !== undefined) for (const c of this.planService(svc, slots.get(id)!, preview, table, ctx)) step.push(c);
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
        if (t !== undefined) markIn(slots, t.ServiceID, this.slotOf(t));
      }
    }
    for (const id of preview.overlay.keys()) {
      this.dirtyTasks.add(id);
      const t = own(state.tasks, id) ?? preview.task(id);
      if (t !== undefined) markIn(this.dirtySlots, t.ServiceID, this.slotOf(t));
    }
    if (!converged) {
      for (const [id, keys] of slots) for (const k of keys === ALL ? [ALL] : keys) markIn(this.dirtySlots, id, k);
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
    return { services: this.services.size, nodesWithLiveTasks: this.byNode.size, dirtyServices: this.dirtySlots.size, dirtyTasks: this.dirtyTasks.size };
  }

  /**
   * Re-plans some slots of a service (or all), keeping every wanted slot's in-flight count and
   * outdated task, and assembles the service's plan from them (slots.ts `assemble`).
   */
  private planService(svc: Service, keys: Slots, preview: Preview, table: NodeTable, ctx: ReconcileContext): Command[] {
    const e = this.entry(svc.ID, svc);
    const global = isGlobal(svc.Spec);
    let kindOf: (k: SlotKey | undefined) => SlotKind;
    let wantedKeys: () => readonly SlotKey[];
    if (global) {
      const gs = this.globalSlots(svc, table);
      kindOf = (k) => (typeof k === "string" && gs.wantedSet.has(k) ? "wanted" : typeof k === "string" && gs.held.has(k) ? "held" : "unwanted");
      wantedKeys = () => gs.wanted;
    } else {
      const n = replicaSlots(svc).length;
      kindOf = (k) => (typeof k === "number" && Number.isInteger(k) && k >= 1 && k <= n ? "wanted" : "unwanted");
      wantedKeys = () => replicaSlots(svc);
    }
    let keyList: (SlotKey | undefined)[];
    if (keys === ALL) {
      e.inFlight.clear();
      e.inFlightTotal = 0;
      e.outdated.clear();
      const all = new Set<SlotKey | undefined>(e.slots.keys());
      for (const k of preview.createdSlots(svc.ID)) all.add(k);
      for (const k of wantedKeys()) all.add(k);
      keyList = [...all];
    } else {
      keyList = [...keys];
    }
    const ss: ServiceSlots = global
      ? { service: svc, unwanted: "shutdown", place: (k) => ({ nodeId: String(k) }) }
      : { service: svc, unwanted: "remove", place: (k) => ({ slot: Number(k) }) };
    const hooks = this.hooks(svc.ID);
    // Planned in the full orchestrator's order (it draws new task IDs as it goes): unwanted and held
    // slots by key, then wanted slots by key.
    const kinds = new Map<SlotKey | undefined, SlotKind>();
    for (const key of keyList) kinds.set(key, kindOf(key));
    keyList.sort((a, b) => (kinds.get(a) === "wanted" ? 1 : 0) - (kinds.get(b) === "wanted" ? 1 : 0) || bySlotKey(a, b));
    const unwanted: SlotResult[] = [];
    const wanted: SlotResult[] = [];
    for (const key of keyList) {
      const kind = kinds.get(key)!;
      const tasks = this.slotTasks(e, svc.ID, key, preview);
      const r: SlotResult | undefined = kind === "wanted" || tasks.length > 0 ? planSlot(ss, key, kind, tasks, ctx, hooks) : undefined;
      const was = e.inFlight.get(key) ?? 0;
      const now = kind === "wanted" ? r!.inFlight : 0;
      e.inFlightTotal += now - was;
      if (now > 0) e.inFlight.set(key, now);
      else e.inFlight.delete(key);
      if (kind === "wanted" && r!.outdated !== undefined) e.outdated.set(key, r!.outdated);
      else e.outdated.delete(key);
      if (r !== undefined) (kind === "wanted" ? wanted : unwanted).push(r);
    }
    const outdated = () => [...e.outdated.entries()].sort((a, b) => bySlotKey(a[0], b[0])).map(([, t]) => t);
    return assemble(unwanted, wanted, e.inFlightTotal, outdated, ctx);
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
    this.services.clear();
    this.byNode.clear();
    for (const s of [this.globals, this.downHandled, this.dirtyTasks]) s.clear();
    this.dirtySlots.clear();
    this.down.clear();
    this.wakes.clear();
    this.slotsCache.clear();
    this.table = undefined;
    for (const s of Object.values(state.services)) {
      markIn(this.dirtySlots, s.ID, ALL);
      if (isGlobal(s.Spec)) this.globals.add(s.ID);
    }
    for (const t of Object.values(state.tasks)) {
      const e = this.entry(t.ServiceID, own(state.services, t.ServiceID));
      addTo(e.slots, this.keyIn(e, t), t.ID);
      const n = liveNode(t);
      if (n !== undefined) addTo(this.byNode, n, t.ID);
      this.dirtyTasks.add(t.ID);
    }
    for (const n of Object.values(state.nodes)) {
      const since = downSinceMs(n);
      if (since !== undefined) this.down.set(n.ID, since);
    }
    this.sched.reset(state);
  }

  private serviceChanged(id: Id, before: Service | undefined, after: Service | undefined): void {
    if (before === after) return;
    markIn(this.dirtySlots, id, ALL);
    this.slotsCache.delete(id);
    if (after !== undefined && isGlobal(after.Spec)) this.globals.add(id);
    else this.globals.delete(id);
    if (after === undefined) this.wakes.delete(id);
    const e = this.services.get(id);
    if (e !== undefined && after !== undefined && e.global !== isGlobal(after.Spec)) {
      // The mode changed: its tasks are keyed the other way now.
      const ids = [...e.slots.values()].flatMap((s) => [...s]);
      e.global = isGlobal(after.Spec);
      e.slots.clear();
      for (const tid of ids) {
        const t = own(this.state!.tasks, tid);
        if (t !== undefined) addTo(e.slots, this.keyIn(e, t), tid);
      }
    }
  }

  private nodeChanged(id: Id, before: Node | undefined, after: Node | undefined): void {
    if (before === after) return;
    this.sched.nodesChanged();
    const since = after === undefined ? undefined : downSinceMs(after);
    if (since === undefined) this.down.delete(id);
    else this.down.set(id, since);
    this.downHandled.delete(id);
    for (const t of this.byNode.get(id) ?? []) this.dirtyTasks.add(t);
    for (const s of this.globals) markIn(this.dirtySlots, s, id);
  }

  private taskChanged(id: Id, before: Task | undefined, after: Task | undefined, state: ClusterState): void {
    if (before === after) return;
    this.dirtyTasks.add(id);
    if (before !== undefined) {
      const e = this.entry(before.ServiceID, own(state.services, before.ServiceID));
      const key = this.keyIn(e, before);
      markIn(this.dirtySlots, before.ServiceID, key);
      removeFrom(e.slots, key, id);
    }
    if (after !== undefined) {
      const e = this.entry(after.ServiceID, own(state.services, after.ServiceID));
      const key = this.keyIn(e, after);
      markIn(this.dirtySlots, after.ServiceID, key);
      addTo(e.slots, key, id);
    }
    if (before !== undefined && after === undefined && !Object.hasOwn(state.services, before.ServiceID) && this.services.get(before.ServiceID)?.slots.size === 0) {
      this.services.delete(before.ServiceID);
    }
    const was = liveNode(before);
    const is = liveNode(after);
    if (was !== is) {
      if (was !== undefined) removeFrom(this.byNode, was, id);
      if (is !== undefined) addTo(this.byNode, is, id);
    }
    this.sched.taskChanged(id, before, after, state.services);
  }

  /** The service's entry, made on first use (keyed by the service's mode, if it still exists). */
  private entry(serviceId: Id, svc: Service | undefined): ServiceEntry {
    let e = this.services.get(serviceId);
    if (e === undefined) {
      e = { global: svc !== undefined && isGlobal(svc.Spec), slots: new Map(), inFlight: new Map(), inFlightTotal: 0, outdated: new Map() };
      this.services.set(serviceId, e);
    }
    return e;
  }

  private keyIn(e: ServiceEntry, t: Task): SlotKey | undefined {
    return e.global ? t.NodeID : t.Slot;
  }

  /** A task's slot key in its service (by the service's mode as indexed). */
  private slotOf(t: Task): SlotKey | undefined {
    return this.keyIn(this.entry(t.ServiceID, own(this.state!.services, t.ServiceID)), t);
  }

  /** The slot's tasks as the preview has them: committed ones, then ones the plan created. */
  private slotTasks(e: ServiceEntry, serviceId: Id, key: SlotKey | undefined, preview: Preview): Task[] {
    const out: Task[] = [];
    for (const id of e.slots.get(key) ?? []) {
      const t = preview.task(id);
      if (t !== undefined) out.push(t);
    }
    for (const id of preview.createdIn(serviceId, key)) {
      const t = preview.task(id);
      if (t !== undefined) out.push(t);
    }
    return out;
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
