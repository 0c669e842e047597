/**
 * A copy-on-write working copy of a ClusterState used while one log entry's commands are applied.
 *
 * Contract: the base state is never mutated. The first write to a collection copies that collection's
 * record once (not once per command), and objects inside are always replaced, never edited in place, so
 * the base state and every object reachable from it stay exactly as they were.
 */
import type { Cluster, ClusterState, Config, Id, Node, Secret, Service, Task } from "../api/index.ts";

const EMPTY: Readonly<Record<Id, never>> = Object.freeze({});

export class Draft {
  index: number;
  cluster: Cluster | undefined;
  private nodesCopy?: Record<Id, Node>;
  private servicesCopy?: Record<Id, Service>;
  private tasksCopy?: Record<Id, Task>;
  private secretsCopy?: Record<Id, Secret>;
  private configsCopy?: Record<Id, Config>;

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
  get secrets(): Readonly<Record<Id, Secret>> {
    return this.secretsCopy ?? this.base.secrets ?? EMPTY;
  }
  get configs(): Readonly<Record<Id, Config>> {
    return this.configsCopy ?? this.base.configs ?? EMPTY;
  }
  secret(id: Id): Secret | undefined {
    return Object.hasOwn(this.secrets, id) ? this.secrets[id] : undefined;
  }
  config(id: Id): Config | undefined {
    return Object.hasOwn(this.configs, id) ? this.configs[id] : undefined;
  }
  putSecret(s: Secret): void {
    (this.secretsCopy ??= { ...this.secrets })[s.ID] = s;
  }
  deleteSecret(id: Id): void {
    delete (this.secretsCopy ??= { ...this.secrets })[id];
  }
  putConfig(c: Config): void {
    (this.configsCopy ??= { ...this.configs })[c.ID] = c;
  }
  deleteConfig(id: Id): void {
    delete (this.configsCopy ??= { ...this.configs })[id];
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
    // Absent until the first secret or config (states written before them stay byte-for-byte the same).
    if (this.secretsCopy !== undefined || this.base.secrets !== undefined) out.secrets = this.secrets as Record<Id, Secret>;
    if (this.configsCopy !== undefined || this.base.configs !== undefined) out.configs = this.configs as Record<Id, Config>;
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
