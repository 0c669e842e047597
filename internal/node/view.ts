/**
 * A node's own view of the cluster: only what its session brings — its tasks and the facts about their
 * services — shaped as a ClusterState so the worker feed and the routing mesh read it like the real
 * thing. Workers never hold the replicated state; managers' nodes use the same view (one code path).
 *
 * Contract: `ready` is false until the first full assignment set of this run arrived: until then the
 * worker must not be told anything (it would stop containers it adopted). A full set replaces the
 * tasks; a delta updates and removes. Subscribers are called after every change.
 */
import { isTerminal, type ClusterState, type Id, type Node, type Service, type ServiceRef, type SessionMessage, type Task } from "../api/index.ts";

type Assignments = Extract<SessionMessage, { t: "assignments" }>;

export class NodeView {
  private tasks = new Map<Id, Task>();
  private services = new Map<Id, ServiceRef>();
  /** Secret and config payloads (`kind/id`) that came with this node's live tasks. */
  private files = new Map<string, Uint8Array>();
  private index = 0;
  private self: { id: Id; addr: string };
  private readonly listeners = new Set<(s: ClusterState) => void>();
  ready = false;
  state: ClusterState;

  constructor(selfId: Id, addr: string) {
    this.self = { id: selfId, addr };
    this.state = this.build();
  }

  /** The address the leader recorded for this node (the routing mesh's endpoint address). */
  setAddress(addr: string): void {
    if (addr === this.self.addr || !addr) return;
    this.self = { ...this.self, addr };
    this.changed();
  }

  apply(m: Assignments): void {
    if (m.full) {
      this.tasks = new Map();
      this.ready = true;
    }
    for (const id of m.removed) this.tasks.delete(id);
    for (const t of m.tasks) this.tasks.set(t.ID, t);
    for (const s of m.services) this.services.set(s.ID, s);
    if (m.full) this.files = new Map();
    for (const f of m.files ?? []) this.files.set(`${f.kind}/${f.id}`, f.data);
    this.pruneFiles();
    const used = new Set([...this.tasks.values()].map((t) => t.ServiceID));
    for (const id of [...this.services.keys()]) if (!used.has(id)) this.services.delete(id);
    this.changed();
  }

  /** A secret's or config's payload, while a task of this node uses it. */
  file(kind: "secret" | "config", id: Id): Uint8Array | undefined {
    return this.files.get(`${kind}/${id}`);
  }

  /** Payloads no task here references any more are forgotten (a secret stays only while it is used). */
  private pruneFiles(): void {
    if (this.files.size === 0) return;
    const used = new Set<string>();
    for (const t of this.tasks.values()) {
      if (isTerminal(t.Status.State)) continue;
      for (const r of t.Spec?.ContainerSpec?.Secrets ?? []) used.add(`secret/${r.SecretID}`);
      for (const r of t.Spec?.ContainerSpec?.Configs ?? []) used.add(`config/${r.ConfigID}`);
    }
    for (const k of [...this.files.keys()]) if (!used.has(k)) this.files.delete(k);
  }

  subscribe(fn: (s: ClusterState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.state = this.build();
    for (const fn of [...this.listeners]) fn(this.state);
  }

  private build(): ClusterState {
    const services: Record<Id, Service> = {};
    for (const r of this.services.values()) services[r.ID] = serviceOf(r);
    const node = selfNode(this.self.id, this.self.addr);
    return { index: ++this.index, nodes: { [node.ID]: node }, services, tasks: Object.fromEntries(this.tasks) };
  }
}

/** The service facts a node knows, as a Service (only ID, name and ports are meaningful). */
function serviceOf(r: ServiceRef): Service {
  return {
    ID: r.ID,
    Version: { Index: 0 },
    CreatedAt: "",
    UpdatedAt: "",
    Spec: {
      Name: r.Name,
      Labels: {},
      TaskTemplate: { ContainerSpec: { Image: "" }, RestartPolicy: { Condition: "any", Delay: 0, MaxAttempts: 0 }, ForceUpdate: 0 },
      Mode: { Replicated: { Replicas: 0 } },
      EndpointSpec: { Ports: r.Ports },
    },
    Endpoint: { Spec: { Ports: r.Ports }, Ports: r.Ports },
  };
}

function selfNode(id: Id, addr: string): Node {
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: "",
    UpdatedAt: "",
    Spec: { Role: "worker", Availability: "active", Labels: {} },
    Description: { Hostname: "", Platform: { Architecture: "", OS: "" }, Resources: { NanoCPUs: 0, MemoryBytes: 0 }, Engine: { EngineVersion: "" } },
    Status: { State: "ready", Addr: addr },
  };
}
