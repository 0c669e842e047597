/**
 * A committed state with a plan's task commands applied on top, without copying the state: the
 * orchestrator's later steps and the scheduler read tasks through it. The commands are applied by the
 * store's own state machine (`applyCommands`) to a state holding only the tasks they name — task
 * commands read nothing but their task, its service and its node — so the result is exactly what
 * applying them to the whole state would give, at a cost proportional to the commands.
 */
import type { ClusterState, Command, Id, Task } from "../api/index.ts";
import { applyCommands } from "../store/index.ts";
import type { SlotKey } from "./slots.ts";

function own<T>(rec: Readonly<Record<Id, T>>, id: Id): T | undefined {
  return Object.hasOwn(rec, id) ? rec[id] : undefined;
}

/** The task IDs a task command names; throws for any other command (plans hold task commands only). */
export function taskIdsOf(c: Command): Id[] {
  switch (c.kind) {
    case "task.create":
      return [c.task.ID];
    case "task.status":
    case "task.desired":
    case "task.assign":
    case "task.unschedulable":
      return [c.id];
    case "task.delete":
      return c.ids;
    default:
      throw new Error(`internal error: a control-plane plan holds a ${c.kind} command; only task commands belong there`);
  }
}

export class Preview {
  /** Tasks the applied commands changed: the new version, or undefined if deleted. */
  readonly overlay = new Map<Id, Task | undefined>();
  /** Tasks the applied commands created, by service and slot. */
  private readonly created = new Map<Id, Map<SlotKey | undefined, Id[]>>();

  /** `slotOf` gives a task's slot key (the caller's: replica number or node ID by service mode). */
  constructor(
    readonly base: ClusterState,
    private readonly slotOf: (t: Task) => SlotKey | undefined,
  ) {}

  task(id: Id): Task | undefined {
    return this.overlay.has(id) ? this.overlay.get(id) : own(this.base.tasks, id);
  }

  /** The task as committed, or as last seen in this preview if it was deleted here. */
  serviceOf(id: Id): Id | undefined {
    return (this.task(id) ?? own(this.base.tasks, id))?.ServiceID;
  }

  /** IDs of tasks of the service's slot that this preview created (not in the base). */
  createdIn(serviceId: Id, key: SlotKey | undefined): readonly Id[] {
    return this.created.get(serviceId)?.get(key) ?? [];
  }

  /** Slots of the service where this preview created tasks. */
  createdSlots(serviceId: Id): Iterable<SlotKey | undefined> {
    return this.created.get(serviceId)?.keys() ?? [];
  }

  /** Applies task commands on top; returns the IDs of the tasks they name. */
  apply(cmds: readonly Command[]): Id[] {
    const ids = new Set<Id>();
    for (const c of cmds) for (const id of taskIdsOf(c)) ids.add(id);
    const tasks: Record<Id, Task> = {};
    for (const id of ids) {
      const t = this.task(id);
      if (t !== undefined) tasks[id] = t;
    }
    const after = applyCommands({ index: this.base.index, nodes: this.base.nodes, services: this.base.services, tasks }, cmds).tasks;
    for (const id of ids) {
      const t = own(after, id);
      if (t !== undefined && !this.overlay.has(id) && own(this.base.tasks, id) === undefined) {
        let bySlot = this.created.get(t.ServiceID);
        if (bySlot === undefined) this.created.set(t.ServiceID, (bySlot = new Map()));
        const key = this.slotOf(t);
        const list = bySlot.get(key);
        if (list) list.push(id);
        else bySlot.set(key, [id]);
      }
      this.overlay.set(id, t);
    }
    return [...ids];
  }
}
