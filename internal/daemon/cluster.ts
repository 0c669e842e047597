/**
 * One agent's view of the cluster: the store, the local Docker engine, and — once the node is part
 * of a cluster — the leader loop (this one-node build is always the leader) and the worker that runs
 * this node's tasks. `init` creates the cluster; a restarted agent finds it in the store and resumes.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { hostname, networkInterfaces } from "node:os";
import type Docker from "dockerode";
import type { Logger } from "pino";
import { SwarmError, type ClusterState, type Command, type Node } from "../api/index.ts";
import { assignmentsFor, startNodeAgent } from "../agent/index.ts";
import { createWorker, type Worker } from "../executor/index.ts";
import { createFileLogArchive, type LogArchive } from "../logs/index.ts";
import { newId, startLeaderLoop, type LeaderLoop } from "../manager/index.ts";
import type { Store } from "../store/index.ts";
import { VERSION, type AgentConfig } from "../config/index.ts";
import { engineFacts } from "./docker.ts";
import { ForgottenTasks } from "./log-index.ts";
import { MeshLink } from "./mesh-link.ts";


export class Cluster {
  private leader?: LeaderLoop;
  private worker?: Worker;
  private stopAgent?: () => void;
  private mesh?: MeshLink;
  readonly archive: LogArchive;
  readonly forgotten: ForgottenTasks;
  private unwatchForgotten: () => void;
  onShutdown: (removeState: boolean) => Promise<void> = async () => {};

  constructor(
    readonly cfg: AgentConfig,
    readonly store: Store,
    readonly docker: Docker,
    readonly nodeId: string,
    readonly log: Logger,
  ) {
    this.archive = createFileLogArchive(`${cfg.dataDir}/logs`);
    this.forgotten = new ForgottenTasks(`${cfg.dataDir}/logs`);
    let before = store.state;
    this.unwatchForgotten = store.subscribe((after) => {
      this.forgotten.observe(before, after, () => this.archive.list());
      before = after;
    });
  }

  get state(): ClusterState {
    return this.store.state;
  }

  requireState(): ClusterState {
    const st = this.store.state;
    if (!st.cluster) throw new SwarmError("NOT_INITIALIZED", "this node is not part of a cluster: run `swarm init` first");
    return st;
  }

  async propose(cmds: Command[]): Promise<void> {
    if (cmds.length) await this.store.propose(cmds);
  }

  /** Resumes the cluster members after an agent restart. Idempotent. */
  async resume(): Promise<void> {
    if (!this.store.state.cluster) return;
    try {
      await this.registerNode();
    } catch (err) {
      this.log.error({ err }, "Docker is unreachable; tasks on this node wait until it answers");
    }
    this.startMembers();
  }

  async init(req: { advertiseAddr?: string }): Promise<{ clusterId: string; nodeId: string; joinToken: string; advertiseAddr: string }> {
    if (this.store.state.cluster) {
      throw SwarmError.conflict("this node is already part of a cluster: run `swarm leave --force` first to start over");
    }
    const node = await this.describeNode(req.advertiseAddr);
    const now = new Date().toISOString();
    const clusterId = newId();
    const token = (role: string) => `SWT1-${clusterId}-${role}-${randomBytes(16).toString("hex")}`;
    await this.store.propose([
      { kind: "cluster.init", cluster: { ID: clusterId, CreatedAt: now, Spec: { Name: "default" }, JoinTokens: { Worker: token("w"), Manager: token("m") } } },
      { kind: "node.upsert", node },
    ]);
    this.startMembers();
    return { clusterId, nodeId: this.nodeId, joinToken: this.store.state.cluster!.JoinTokens.Worker, advertiseAddr: node.Status.Addr };
  }

  info() {
    const st = this.store.state;
    const tasks = Object.values(st.tasks);
    return {
      Version: VERSION,
      NodeID: this.nodeId,
      Pid: process.pid,
      Cluster: st.cluster ? { ID: st.cluster.ID, CreatedAt: st.cluster.CreatedAt } : null,
      Node: st.nodes[this.nodeId] ?? null,
      Managers: Object.values(st.nodes).filter((n) => n.Spec.Role === "manager").length,
      Nodes: Object.keys(st.nodes).length,
      Services: Object.keys(st.services).length,
      Tasks: tasks.length,
      RunningTasks: tasks.filter((t) => t.Status.State === "running").length,
      RaftIndex: st.index,
      DataDir: this.cfg.dataDir,
      DockerHost: this.cfg.dockerHost,
      Socket: this.cfg.socketPath,
      Mesh: this.mesh ? { Requested: this.cfg.meshBackend, Backend: this.mesh.backend, Error: this.mesh.error } : null,
    };
  }

  /** Calls `fn` with the state now and after every change, until `signal` aborts. */
  watch(signal: AbortSignal, fn: (st: ClusterState) => void): Promise<void> {
    return new Promise((resolve) => {
      fn(this.store.state);
      const unsubscribe = this.store.subscribe((st) => fn(st));
      const done = () => {
        unsubscribe();
        resolve();
      };
      if (signal.aborted) done();
      else signal.addEventListener("abort", done, { once: true });
    });
  }

  async shutdown(removeState: boolean): Promise<void> {
    if (removeState) {
      // `leave --force`: stop this node's containers before the state that names them disappears.
      this.stopMembers();
      await this.worker?.sync([]);
      await this.worker?.whenIdle();
      await this.closeMesh();
    }
    await this.onShutdown(removeState);
  }

  async close(): Promise<void> {
    this.unwatchForgotten();
    this.stopMembers();
    await this.closeMesh();
    await this.worker?.close();
  }

  /** Removes the routing mesh's rules and listeners (agent stop, `leave --force`). */
  private async closeMesh(): Promise<void> {
    const mesh = this.mesh;
    this.mesh = undefined;
    await mesh?.close();
  }

  private startMembers(): void {
    if (this.leader) return;
    const st = this.store.state;
    this.worker = createWorker({
      docker: this.docker,
      clusterId: st.cluster!.ID,
      nodeId: this.nodeId,
      report: (cmds: Command[]) => this.store.propose(cmds).then(() => undefined),
      logs: this.archive,
      logger: this.log.child({ component: "worker" }),
      init: true, // ContainerSpec.Init unset means on (see internal/api/types.ts)
      maxConcurrent: 16,
    });
    this.mesh ??= new MeshLink(this.store, this.cfg.meshBackend, this.log.child({ component: "mesh" }));
    const mesh = this.mesh;
    this.leader = startLeaderLoop(this.store, this.log.child({ component: "leader" }), { tickMs: this.cfg.reconcileTickMs });
    const worker = this.worker;
    void worker.adopt(assignmentsFor(st, this.nodeId, new Map())).catch((err) => {
      this.log.error({ err }, "adopting existing containers failed; continuing with the assignments");
    }).finally(() => {
      if (this.worker !== worker || !this.leader) return;
      this.stopAgent = startNodeAgent(this.store, mesh.gate(this.store, worker), this.nodeId, (err) => this.log.error({ err }, "worker sync failed"));
    });
  }

  private stopMembers(): void {
    this.leader?.stop();
    this.stopAgent?.();
    this.leader = undefined;
    this.stopAgent = undefined;
  }

  private async registerNode(): Promise<void> {
    const node = await this.describeNode(this.cfg.advertiseAddr ?? this.store.state.nodes[this.nodeId]?.Status.Addr);
    const prev = this.store.state.nodes[this.nodeId];
    if (prev) node.CreatedAt = prev.CreatedAt;
    await this.store.propose([{ kind: "node.upsert", node }]);
  }

  private async describeNode(advertiseAddr?: string): Promise<Node> {
    const facts = await engineFacts(this.docker, this.cfg.dockerHost);
    const now = new Date().toISOString();
    const addr = advertiseAddr ?? this.cfg.advertiseAddr ?? firstAddress();
    return {
      ID: this.nodeId,
      Version: { Index: 0 },
      CreatedAt: now,
      UpdatedAt: now,
      Spec: { Role: "manager", Availability: "active", Labels: {} },
      Description: {
        Hostname: hostname() || facts.hostname,
        Platform: { Architecture: facts.arch, OS: facts.os },
        Resources: { NanoCPUs: facts.nanoCpus, MemoryBytes: facts.memoryBytes },
        Engine: { EngineVersion: facts.version },
      },
      Status: { State: "ready", Addr: addr },
      ManagerStatus: { Leader: true, Reachability: "reachable", Addr: `${addr}:2377` },
    };
  }
}

function firstAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
