/**
 * One scheduling pass: places tasks one by one, oldest first, each on the best node that passes every
 * filter given what nodes hold plus what this pass has placed so far. Shared by the full scheduler
 * (`schedule`) and the incremental one (`SchedulerIndex`), so both decide alike.
 *
 * Spread: fewest tasks of the same service, then fewest tasks overall, then lowest node ID.
 * A task that fits nowhere gets `task.unschedulable` with Docker's summary, unless it already carries
 * that exact reason (idempotence). Tasks with the same placement signature (node pin, constraints,
 * reservations, host ports) fit nowhere alike until this pass places something, so the summary is
 * computed once for them.
 */
import type { Command, Id, Node, Service, Task } from "../api/index.ts";
import { isDesiredLive } from "../api/index.ts";
import { addUsage, cloneUsage, emptyUsage, explainWith, fitsUsage, isAvailable, type NodeUsage, noSuitableNode, occupiesNode, type Rejection, taskHostPorts } from "./filters.ts";
import { type HeapEntry, NodeHeap } from "./node-heap.ts";
import { constraintKey, type NodeTable } from "./nodes.ts";

/** Oldest first: creation time, then service, slot and ID (a total order). */
export function byAge(a: Task, b: Task): number {
  if (a.CreatedAt !== b.CreatedAt) return a.CreatedAt < b.CreatedAt ? -1 : 1;
  if (a.ServiceID !== b.ServiceID) return a.ServiceID < b.ServiceID ? -1 : 1;
  if ((a.Slot ?? 0) !== (b.Slot ?? 0)) return (a.Slot ?? 0) - (b.Slot ?? 0);
  return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
}

/** A task the scheduler should place: desired running, new or pending, of a known service. */
export function isSchedulable(t: Task, services: Readonly<Record<Id, Service>>): boolean {
  return isDesiredLive(t.DesiredState) && (t.Status.State === "new" || t.Status.State === "pending") && Object.hasOwn(services, t.ServiceID);
}

/** Everything that decides where a task may go, apart from its service (which only ranks nodes). */
function signature(t: Task): string {
  const r = t.Spec.Resources?.Reservations;
  return `${t.NodeID ?? ""}\u0000${r?.NanoCPUs ?? 0}\u0000${r?.MemoryBytes ?? 0}\u0000${taskHostPorts(t).join(",")}\u0000${constraintKey(t.Spec.Placement?.Constraints)}`;
}

const EMPTY: NodeUsage = emptyUsage();

export class PlacementPass {
  /** How many tasks this pass has placed so far. */
  placed = 0;
  private readonly at: string;
  /** Usage of nodes this pass changed (copies; the base is never written). */
  private readonly local = new Map<Id, NodeUsage>();
  private readonly failures = new Map<string, { placed: number; message: string }>();
  /** Candidate nodes in spread order, per service and placement signature (node-heap.ts). */
  private readonly heaps = new Map<string, NodeHeap>();
  /** Groups whose first task was placed by a scan. */
  private readonly seen = new Set<string>();

  /**
   * `baseUsage(id)` is what node `id` holds when the pass starts (not written to); `now` stamps the
   * commands.
   */
  constructor(
    private readonly nodes: NodeTable,
    private readonly baseUsage: (id: Id) => NodeUsage | undefined,
    now: number,
  ) {
    this.at = new Date(now).toISOString();
  }

  usage(id: Id): NodeUsage {
    return this.local.get(id) ?? this.baseUsage(id) ?? EMPTY;
  }

  private writable(id: Id): NodeUsage {
    let u = this.local.get(id);
    if (u === undefined) {
      const base = this.baseUsage(id);
      this.local.set(id, (u = base ? cloneUsage(base) : emptyUsage()));
    }
    return u;
  }

  /**
   * Tells the pass, before it places anything, that a task changed since the base usage was taken
   * (`before` → `after`, either may be undefined). Returns whether any node's usage changed.
   */
  adjust(before: Task | undefined, after: Task | undefined): boolean {
    const was = before !== undefined && occupiesNode(before) ? before : undefined;
    const is = after !== undefined && occupiesNode(after) ? after : undefined;
    if (was === undefined && is === undefined) return false;
    if (was !== undefined && is !== undefined && was.NodeID === is.NodeID && !usageDiffers(was, is)) return false;
    if (was !== undefined) addUsage(this.writable(was.NodeID!), was, -1);
    if (is !== undefined) addUsage(this.writable(is.NodeID!), is, 1);
    return true;
  }

  /** The command for one task: assign, unschedulable (with the reason), or null (already says so). */
  place(task: Task): Command | null {
    let message: string | undefined;
    const sig = this.failures.size > 0 ? signature(task) : undefined;
    const memo = sig === undefined ? undefined : this.failures.get(sig);
    if (memo !== undefined && memo.placed === this.placed) {
      message = memo.message;
    } else {
      const best = this.best(task);
      if (best !== undefined) {
        addUsage(this.writable(best.ID), task);
        this.placed += 1;
        return { kind: "task.assign", id: task.ID, nodeId: best.ID, at: this.at };
      }
      message = this.summary(task);
      this.failures.set(sig ?? signature(task), { placed: this.placed, message });
    }
    if (task.Status.Err !== message || task.Status.State !== "pending") {
      return { kind: "task.unschedulable", id: task.ID, message, at: this.at };
    }
    return null;
  }

  /** The node with the fewest tasks of the service, then fewest tasks, then lowest ID, that fits. */
  private best(task: Task): Node | undefined {
    const constraints = task.Spec.Placement?.Constraints;
    if (task.NodeID !== undefined) {
      const n = this.nodes.node(task.NodeID);
      return n !== undefined && isAvailable(n) && this.nodes.matches(n, constraints) && fitsUsage(n, task, this.usage(n.ID)) ? n : undefined;
    }
    const key = `${task.ServiceID}\u0000${signature(task)}`;
    let heap = this.heaps.get(key);
    if (heap === undefined && !this.seen.has(key)) {
      // A group's first task: one scan is cheaper than a heap (most passes place one task).
      this.seen.add(key);
      return this.scan(task, this.nodes.eligible(constraints));
    }
    if (heap === undefined) {
      const entries: HeapEntry[] = this.nodes.eligible(constraints).map((node, index) => {
        const u = this.usage(node.ID);
        return { node, index, ofService: u.byService.get(task.ServiceID) ?? 0, tasks: u.tasks };
      });
      this.heaps.set(key, (heap = new NodeHeap(entries)));
    }
    for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
      const u = this.usage(top.node.ID);
      const ofService = u.byService.get(task.ServiceID) ?? 0;
      if (ofService !== top.ofService || u.tasks !== top.tasks) {
        top.ofService = ofService;
        top.tasks = u.tasks;
        heap.topIncreased();
        continue;
      }
      // Usage only grows within a pass: a node this group's tasks do not fit now, they never will.
      if (!fitsUsage(top.node, task, u)) {
        heap.pop();
        continue;
      }
      return top.node;
    }
    return undefined;
  }

  /** `best` by a plain scan over the candidates, in ID order. */
  private scan(task: Task, candidates: readonly Node[]): Node | undefined {
    let best: Node | undefined;
    let bestOfService = Infinity;
    let bestTasks = Infinity;
    for (const n of candidates) {
      const u = this.usage(n.ID);
      const ofService = u.byService.get(task.ServiceID) ?? 0;
      if (ofService > bestOfService || (ofService === bestOfService && u.tasks >= bestTasks)) continue;
      if (!fitsUsage(n, task, u)) continue;
      best = n;
      bestOfService = ofService;
      bestTasks = u.tasks;
    }
    return best;
  }

  /** Docker's "no suitable node (…)" from every candidate node's first failing filter. */
  private summary(task: Task): string {
    const parsed = this.nodes.parse(task.Spec.Placement?.Constraints);
    let candidates: readonly Node[];
    if (task.NodeID !== undefined) {
      const n = this.nodes.node(task.NodeID);
      candidates = n === undefined ? [] : [n];
    } else {
      candidates = this.nodes.sorted;
    }
    const rejected: Rejection[] = [];
    for (const n of candidates) {
      const why = explainWith(n, task, this.usage(n.ID), parsed);
      if (why) rejected.push(why);
    }
    return noSuitableNode(rejected);
  }
}

/** Whether two versions of a task hold different resources or ports (their spec never changes, so: no). */
function usageDiffers(a: Task, b: Task): boolean {
  return a.Spec !== b.Spec || a.Endpoint !== b.Endpoint || a.ServiceID !== b.ServiceID;
}
