/**
 * The ControlPlane's memory of the committed state: tasks by service and slot, live tasks by node,
 * down nodes, restart-window wake-ups, each wanted slot's last result (what the rolling update needs
 * from slots that are not re-planned), and what the next plan must look at (dirty slots and tasks).
 * Updated change by change (`taskChanged`, `serviceChanged`, `nodeChanged`), or rebuilt (`reset`).
 */
import { type ClusterState, type Id, isGlobal, isTerminal, type Node, type Service, type Task } from "../api/index.ts";
import { downSinceMs } from "./node-rules.ts";
import type { Preview } from "./preview.ts";
import type { SlotFacts } from "./rollout.ts";
import type { SlotKey, Waiting } from "./slots.ts";

/** Every slot of a service (a service change, a restart window opening, a resync). */
export const ALL = "all" as const;
export type Slots = Set<SlotKey | undefined> | typeof ALL;

/** One service's tasks by slot, and its wanted slots' last results (the rolling update's inputs). */
export interface ServiceEntry {
  /** How its tasks are keyed: by node ID (global) or replica number. */
  global: boolean;
  slots: Map<SlotKey | undefined, Set<Id>>;
  inFlight: Map<SlotKey | undefined, number>;
  inFlightTotal: number;
  outdated: Map<SlotKey | undefined, Waiting>;
  /** Wanted slots' facts for the rolling update's verdict (rollout.ts), while one is in progress. */
  facts: Map<SlotKey | undefined, SlotFacts>;
}

export function own<T>(rec: Readonly<Record<Id, T>>, id: Id): T | undefined {
  return Object.hasOwn(rec, id) ? rec[id] : undefined;
}

/** Adds `key` (or every slot) to what must be re-planned for the service. */
export function markIn(m: Map<Id, Slots>, serviceId: Id, key: SlotKey | undefined | typeof ALL): void {
  const cur = m.get(serviceId);
  if (cur === ALL) return;
  if (key === ALL) m.set(serviceId, ALL);
  else if (cur === undefined) m.set(serviceId, new Set([key]));
  else cur.add(key);
}

/** The node a live task is on (or created for), if any: what node changes can affect. */
function liveNode(t: Task | undefined): Id | undefined {
  return t !== undefined && t.NodeID !== undefined && !isTerminal(t.Status.State) ? t.NodeID : undefined;
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

export class PlaneIndex {
  private readonly services = new Map<Id, ServiceEntry>();
  private readonly byNode = new Map<Id, Set<Id>>();
  private readonly globals = new Set<Id>();
  /** Down nodes → since when (ms; -Infinity if unknown). */
  private readonly down = new Map<Id, number>();
  /** Down nodes whose grace period has run out and whose tasks were re-checked for it. */
  private readonly downHandled = new Set<Id>();
  /** Services to re-plan at a time (restart windows). */
  private readonly wakes = new Map<Id, number>();
  /** What the next plan must look at. */
  dirtySlots = new Map<Id, Slots>();
  dirtyTasks = new Set<Id>();
  /** Services whose rollout verdict the last plan proposed: judged again next time (it may not have committed). */
  dirtyVerdicts = new Set<Id>();

  /** Forgets everything and indexes a whole state; everything is dirty. O(tasks). */
  reset(state: ClusterState): void {
    for (const m of [this.services, this.byNode, this.down, this.wakes, this.dirtySlots]) m.clear();
    for (const s of [this.globals, this.downHandled, this.dirtyTasks, this.dirtyVerdicts]) s.clear();
    for (const s of Object.values(state.services)) {
      markIn(this.dirtySlots, s.ID, ALL);
      if (isGlobal(s.Spec)) this.globals.add(s.ID);
    }
    for (const t of Object.values(state.tasks)) {
      const e = this.entry(t.ServiceID, own(state.services, t.ServiceID));
      addTo(e.slots, keyIn(e, t), t.ID);
      const n = liveNode(t);
      if (n !== undefined) addTo(this.byNode, n, t.ID);
      this.dirtyTasks.add(t.ID);
    }
    for (const n of Object.values(state.nodes)) {
      const since = downSinceMs(n);
      if (since !== undefined) this.down.set(n.ID, since);
    }
  }

  /** Every task of the service (for `service.remove`, which changes them all). */
  *tasksOf(serviceId: Id): Iterable<Id> {
    for (const ids of this.services.get(serviceId)?.slots.values() ?? []) yield* ids;
  }

  /** `state` is the newer state (its tasks, to re-key a service whose mode changed). */
  serviceChanged(id: Id, before: Service | undefined, after: Service | undefined, state: ClusterState): void {
    if (before === after) return;
    markIn(this.dirtySlots, id, ALL);
    if (after !== undefined && isGlobal(after.Spec)) this.globals.add(id);
    else this.globals.delete(id);
    const e = this.services.get(id);
    if (after === undefined) {
      this.wakes.delete(id);
      if (e !== undefined && e.slots.size === 0) this.services.delete(id);
    } else if (e !== undefined && e.global !== isGlobal(after.Spec)) {
      // The mode changed: its tasks are keyed the other way now.
      const ids = [...this.tasksOf(id)];
      e.global = isGlobal(after.Spec);
      e.slots.clear();
      for (const tid of ids) {
        const t = own(state.tasks, tid);
        if (t !== undefined) addTo(e.slots, keyIn(e, t), tid);
      }
    }
  }

  nodeChanged(id: Id, before: Node | undefined, after: Node | undefined): void {
    if (before === after) return;
    const since = after === undefined ? undefined : downSinceMs(after);
    if (since === undefined) this.down.delete(id);
    else this.down.set(id, since);
    this.downHandled.delete(id);
    for (const t of this.byNode.get(id) ?? []) this.dirtyTasks.add(t);
    for (const s of this.globals) markIn(this.dirtySlots, s, id);
  }

  /** `state` is the newer state. */
  taskChanged(id: Id, before: Task | undefined, after: Task | undefined, state: ClusterState): void {
    if (before === after) return;
    this.dirtyTasks.add(id);
    if (before !== undefined) {
      const e = this.entry(before.ServiceID, own(state.services, before.ServiceID));
      const key = keyIn(e, before);
      markIn(this.dirtySlots, before.ServiceID, key);
      removeFrom(e.slots, key, id);
      if (after === undefined && e.slots.size === 0 && !Object.hasOwn(state.services, before.ServiceID)) this.services.delete(before.ServiceID);
    }
    if (after !== undefined) {
      const e = this.entry(after.ServiceID, own(state.services, after.ServiceID));
      const key = keyIn(e, after);
      markIn(this.dirtySlots, after.ServiceID, key);
      addTo(e.slots, key, id);
    }
    const was = liveNode(before);
    const is = liveNode(after);
    if (was !== is) {
      if (was !== undefined) removeFrom(this.byNode, was, id);
      if (is !== undefined) addTo(this.byNode, is, id);
    }
  }

  /** Time: down nodes whose grace ran out get their tasks re-checked once; due services re-planned. */
  expire(now: number, graceMs: number): void {
    for (const [id, since] of this.down) {
      if (this.downHandled.has(id) || now < since + graceMs) continue;
      this.downHandled.add(id);
      for (const t of this.byNode.get(id) ?? []) this.dirtyTasks.add(t);
    }
    for (const [id, at] of this.wakes) {
      if (now < at) continue;
      this.wakes.delete(id);
      markIn(this.dirtySlots, id, ALL);
    }
  }

  /** Re-plan the service at `ms` (an earlier request wins). */
  wake(serviceId: Id, ms: number): void {
    this.wakes.set(serviceId, Math.min(ms, this.wakes.get(serviceId) ?? Infinity));
  }

  /** The earliest time at which `expire` will have something to do; undefined if never. */
  nextCheckAtMs(now: number, graceMs: number): number | undefined {
    let next = Infinity;
    for (const [id, since] of this.down) if (!this.downHandled.has(id) && since + graceMs > now) next = Math.min(next, since + graceMs);
    for (const at of this.wakes.values()) next = Math.min(next, at);
    return next === Infinity ? undefined : next;
  }

  /** The dirty sets, handed over and replaced by empty ones. */
  takeDirty(): { slots: Map<Id, Slots>; tasks: Set<Id> } {
    const out = { slots: this.dirtySlots, tasks: this.dirtyTasks };
    this.dirtySlots = new Map();
    this.dirtyTasks = new Set();
    return out;
  }

  /** The service's entry, made on first use (keyed by the service's mode, if it still exists). */
  entry(serviceId: Id, svc: Service | undefined): ServiceEntry {
    let e = this.services.get(serviceId);
    if (e === undefined) {
      e = { global: svc !== undefined && isGlobal(svc.Spec), slots: new Map(), inFlight: new Map(), inFlightTotal: 0, outdated: new Map(), facts: new Map() };
      this.services.set(serviceId, e);
    }
    return e;
  }

  /** A task's slot key in its service (by the service's mode as indexed). */
  slotOf(t: Task, services: Readonly<Record<Id, Service>>): SlotKey | undefined {
    return keyIn(this.entry(t.ServiceID, own(services, t.ServiceID)), t);
  }

  /** The slot's tasks as the preview has them: committed ones, then ones the plan created. */
  slotTasks(e: ServiceEntry, serviceId: Id, key: SlotKey | undefined, preview: Preview): Task[] {
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

  get size(): { services: number; nodesWithLiveTasks: number; dirtyServices: number; dirtyTasks: number } {
    return { services: this.services.size, nodesWithLiveTasks: this.byNode.size, dirtyServices: this.dirtySlots.size, dirtyTasks: this.dirtyTasks.size };
  }
}

function keyIn(e: ServiceEntry, t: Task): SlotKey | undefined {
  return e.global ? t.NodeID : t.Slot;
}
