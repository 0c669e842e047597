/**
 * A copy-on-write working copy of a ClusterState used while one log entry's commands are applied.
 *
 * Contract: the base state is never mutated. The first write to a collection copies that collection's
 * record once (not once per command), and objects inside are always replaced, never edited in place, so
 * the base state and every object reachable from it stay exactly as they were.
 */
import type { Cluster, ClusterState, Id, Node, Service, Task } from "../api/index.ts";

export class Draft {
  index: number;
  cluster: Cluster | undefined;
  private nodesCopy?: Record<Id, Node>;
  private servicesCopy?: Record<Id, Service>;
  private tasksCopy?: Record<Id, Task>;

  constructor(private readonly base: ClusterState) {
    this.index = base.index;
    this.cluster = base.cluster;
  }

  node(id: Id): Node | undefined {
    return Object.hasOwn(this.nodes, id) ? this.nodes[id] : undefined;
  }
  service(id: Id): Service | undefined {
    return Object.hasOwn(this.services, id) ? this.services[id] : undefined;
  }
  task(id: Id): Task | undefined {
    return Object.hasOwn(this.tasks, id) ? this.tasks[id] : undefined;
  }

  get nodes(): Readonly<Record<Id, Node>> {
    return this.nodesCopy ?? this.base.nodes;
  }
  get services(): Readonly<Record<Id, Service>> {
    return this.servicesCopy ?? this.base.services;
  }
  get tasks(): Readonly<Record<Id, Task>> {
    return this.tasksCopy ?? this.base.tasks;
  }

  putNode(n: Node): void {
    this.writableNodes()[n.ID] = n;
  }
  deleteNode(id: Id): void {
    delete this.writableNodes()[id];
  }
  putService(s: Service): void {
    this.writableServices()[s.ID] = s;
  }
  deleteService(id: Id): void {
    delete this.writableServices()[id];
  }
  putTask(t: Task): void {
    this.writableTasks()[t.ID] = t;
  }
  deleteTask(id: Id): void {
    delete this.writableTasks()[id];
  }

  /** The new state. The draft must not be used afterwards. */
  finish(): ClusterState {
    const out: ClusterState = {
      index: this.index,
      nodes: this.nodes as Record<Id, Node>,
      services: this.services as Record<Id, Service>,
      tasks: this.tasks as Record<Id, Task>,
    };
    if (this.cluster !== undefined) out.cluster = this.cluster;
    return out;
  }

  private writableNodes(): Record<Id, Node> {
    return (this.nodesCopy ??= { ...this.base.nodes });
  }
  private writableServices(): Record<Id, Service> {
    return (this.servicesCopy ??= { ...this.base.services });
  }
  private writableTasks(): Record<Id, Task> {
    return (this.tasksCopy ??= { ...this.base.tasks });
  }
}
