/**
 * The operations behind the agent's HTTP API, in plain methods (routes.ts only maps HTTP onto them).
 * Reads go through a linearizable barrier on this manager; writes are proposed through the leader and
 * answer with the state machine's verdict (a conflict is decided in apply, not here).
 */
import type Docker from "dockerode";
import type { Logger } from "pino";
import {
  SwarmError, configsOf, nodeView, secretsOf, secretView, serviceView, tasksOf, type ClusterState, type Config, type SecretView, type Id, type LogsMessage, type LogsRequest, type Node, type NodeRole, type Service,
  type ServiceSpec, type ServiceView, type TaskView,
} from "../api/index.ts";
import type { Agent } from "../agent/index.ts";
import { VERSION, type AgentConfig } from "../config/index.ts";
import type { LogArchive } from "../logs/index.ts";
import { findConfig, findNode, findSecret, findService } from "../lookup/index.ts";
import type { NodeChanges } from "../manager/index.ts";

/** The manager's planners, loaded on first use: a worker's agent never loads them. */
const manager = () => import("../manager/index.ts");
import { plainMessage } from "./http.ts";
import { ForgottenTasks } from "./log-index.ts";
import type { LogsHost } from "./logs.ts";

/** The agent's own memory, in bytes (RSS as the kernel counts it; the JS heap's share of it). */
function memory() {
  const m = process.memoryUsage();
  return { RSS: m.rss, HeapUsed: m.heapUsed, HeapTotal: m.heapTotal, External: m.external };
}

export class Api implements LogsHost {
  readonly forgotten: ForgottenTasks;
  /** Where the daemon serves the Docker-compatible API and the web page (null: not served). */
  listeners: { dockerApi: string | null; web: string | null } = { dockerApi: null, web: null };
  private before: ClusterState | undefined;

  constructor(
    readonly agent: Agent,
    readonly cfg: AgentConfig,
    readonly docker: Docker,
    readonly archive: LogArchive,
    readonly log: Logger,
  ) {
    this.forgotten = new ForgottenTasks(`${cfg.dataDir}/logs`, archive, (err) => log.warn({ err }, "keeping the index of archived task logs failed"));
    agent.onState((after) => {
      if (this.before) this.forgotten.observe(this.before, after);
      this.before = after;
    });
  }

  get nodeId(): string {
    return this.agent.nodeId;
  }

  /** This manager's state as it is now (no barrier): for watches and log streams. */
  get state(): ClusterState {
    return this.agent.requireManager().state;
  }

  readLogs(nodeId: Id, req: LogsRequest): AsyncIterable<LogsMessage> {
    return this.agent.readLogs(nodeId, req);
  }

  reaches(nodeId: Id): boolean {
    return this.agent.reaches(nodeId);
  }

  /** This node's engine, asked now (at most 2 s): `info` says when Docker does not answer. */
  private async engine(): Promise<{ Reachable: boolean; Message?: string }> {
    try {
      await Promise.race([this.docker.ping(), Bun.sleep(2000).then(() => Promise.reject(new Error("no answer within 2 s")))]);
      return { Reachable: true };
    } catch (err) {
      return { Reachable: false, Message: `cannot reach Docker at ${this.cfg.dockerHost} (${plainMessage(err)}): start dockerd, or check --docker-host` };
    }
  }

  async info() {
    const m = this.agent.active ? this.agentManager() : undefined;
    const st = m?.state;
    const tasks = st ? Object.values(st.tasks) : [];
    return {
      Version: VERSION,
      NodeID: this.agent.nodeId,
      Pid: process.pid,
      Role: this.agent.role ?? null,
      Cluster: this.agent.active ? { ID: this.agent.clusterId } : null,
      IsManager: m !== undefined,
      Node: st?.nodes[this.agent.nodeId] ?? null,
      Leader: m?.leaderId ?? null,
      Managers: st ? Object.values(st.nodes).filter((n) => n.ManagerStatus).length : null,
      Nodes: st ? Object.keys(st.nodes).length : null,
      Services: st ? Object.keys(st.services).length : null,
      Tasks: st ? tasks.length : null,
      RunningTasks: st ? tasks.filter((t) => t.Status.State === "running").length : null,
      RaftIndex: st?.index ?? null,
      DataDir: this.cfg.dataDir,
      DockerHost: this.cfg.dockerHost,
      Engine: this.docker ? await this.engine() : null,
      Socket: this.cfg.socketPath,
      DockerApi: this.listeners.dockerApi,
      Web: this.listeners.web,
      NodeAddr: this.agent.addr,
      ListenPort: this.agent.dhtPort,
      Peers: this.agent.transportPeers.length,
      Mesh: this.agent.meshStatus ? { Requested: this.cfg.meshBackend, ...this.agent.meshStatus } : null,
      Memory: memory(),
    };
  }

  private agentManager() {
    try {
      return this.agent.requireManager();
    } catch {
      return undefined;
    }
  }

  // ---- cluster ------------------------------------------------------------------------------------

  async init() {
    const r = await this.agent.init();
    const st = this.agent.requireManager().state;
    return { ...r, workerToken: (await manager()).joinTokenOf(st.cluster!, "worker"), address: `${r.advertiseAddr}:${r.listenPort}` };
  }

  async join(token: string, remote: string) {
    return this.agent.join(token, remote);
  }

  /** `join-token [--rotate] ROLE`: the token and the command line, as Docker prints them. */
  async joinToken(role: NodeRole, rotate: boolean) {
    if (role !== "worker" && role !== "manager") throw SwarmError.invalid(`unknown role ${role}: use worker or manager`);
    if (rotate) await this.agent.write([{ kind: "cluster.rotate-token", role }]);
    const st = await this.agent.read();
    return { token: (await manager()).joinTokenOf(st.cluster!, role), address: `${this.agent.addr}:${this.agent.dhtPort}` };
  }

  // ---- services -----------------------------------------------------------------------------------

  async services(): Promise<ServiceView[]> {
    const st = await this.agent.read();
    const { parseServiceSpec } = await import("../spec/index.ts");
    return Object.values(st.services).map((s) => safeServiceView(st, s, parseServiceSpec));
  }

  async service(ref: string): Promise<ServiceView> {
    const st = await this.agent.read();
    const { parseServiceSpec } = await import("../spec/index.ts");
    return safeServiceView(st, findService(st, ref), parseServiceSpec);
  }

  /**
   * `spec` is untrusted (any JSON a client sent): it is checked by the shared schema, then against the
   * cluster, before anything is proposed. What it returns is the normalized spec that was stored.
   */
  async createService(spec: unknown): Promise<{ ID: string }> {
    const t0 = Date.now();
    this.log.debug({}, "service create: received");
    const st = await this.agent.read();
    const m = await manager();
    const checked = m.resolveFileRefs(st, (await import("../spec/index.ts")).parseServiceSpec(spec));
    checkAgainstCluster(st, checked);
    const plan = m.planCreateService(st, checked, new Date().toISOString());
    await this.agent.write(plan.commands);
    this.log.debug({ ms: Date.now() - t0 }, "service create: committed");
    return { ID: plan.id };
  }

  /** `version`: the service's Version.Index the spec was based on; a stale one is refused (CONFLICT) in apply. */
  async updateService(ref: string, spec: unknown, version?: number): Promise<{ ID: string }> {
    const st = await this.agent.read();
    const m = await manager();
    const checked = m.resolveFileRefs(st, (await import("../spec/index.ts")).parseServiceSpec(spec));
    checkAgainstCluster(st, checked);
    const plan = m.planUpdateService(st, ref, checked, new Date().toISOString(), version);
    await this.agent.write(plan.commands);
    return { ID: plan.id };
  }

  /** Back to the previous spec; `version` as for updates. */
  async rollbackService(ref: string, version?: number): Promise<{ ID: string }> {
    const st = await this.agent.read();
    const plan = (await manager()).planRollbackService(st, ref, new Date().toISOString(), version);
    await this.agent.write(plan.commands);
    return { ID: plan.id };
  }

  async removeServices(refs: string[]): Promise<{ IDs: string[] }> {
    const st = await this.agent.read();
    const plan = (await manager()).planRemoveServices(st, refs, new Date().toISOString());
    await this.agent.write(plan.commands);
    return { IDs: plan.ids };
  }

  async tasks(serviceRefs: string[], nodeRefs: string[]): Promise<TaskView[]> {
    const st = await this.agent.read();
    const services = serviceRefs.length ? serviceRefs.map((r) => findService(st, r)) : Object.values(st.services);
    let out = services.flatMap((s) => tasksOf(st, s.ID, s.Spec.Name));
    if (nodeRefs.length) {
      const ids = new Set(nodeRefs.map((r) => findNode(st, r, { selfId: this.agent.nodeId }).ID));
      out = out.filter((t) => t.Task.NodeID !== undefined && ids.has(t.Task.NodeID));
    }
    return out;
  }

  /** Calls `fn` with the state now and after every change, until `signal` aborts. */
  watch(signal: AbortSignal, fn: (st: ClusterState) => void): Promise<void> {
    const m = this.agent.requireManager();
    return new Promise((resolve) => {
      fn(m.state);
      const unsubscribe = m.store.subscribe((st) => fn(st));
      const done = () => {
        unsubscribe();
        resolve();
      };
      if (signal.aborted) done();
      else signal.addEventListener("abort", done, { once: true });
    });
  }

  // ---- secrets and configs -----------------------------------------------------------------------

  /** `data`: the payload (base64 on the wire); a secret is sealed on this manager before it is proposed. */
  async createFile(kind: "secret" | "config", name: string, data: Uint8Array, labels: Record<string, string>): Promise<{ ID: string }> {
    const st = await this.agent.read();
    const m = await manager();
    const at = new Date().toISOString();
    const plan = kind === "secret" ? m.planCreateSecret(st, { name, data, labels }, at) : m.planCreateConfig(st, { name, data, labels }, at);
    await this.agent.write(plan.commands);
    return { ID: plan.id };
  }

  async files(kind: "secret" | "config"): Promise<(SecretView | Config)[]> {
    const st = await this.agent.read();
    return kind === "secret" ? Object.values(secretsOf(st)).map(secretView) : Object.values(configsOf(st));
  }

  async file(kind: "secret" | "config", ref: string): Promise<SecretView | Config> {
    const st = await this.agent.read();
    return kind === "secret" ? secretView(findSecret(st, ref)) : findConfig(st, ref);
  }

  async removeFiles(kind: "secret" | "config", refs: string[]): Promise<{ IDs: string[] }> {
    const st = await this.agent.read();
    const plan = (await manager()).planRemoveFiles(st, kind, refs);
    await this.agent.write(plan.commands);
    return { IDs: plan.ids };
  }

  // ---- nodes --------------------------------------------------------------------------------------

  private live() {
    const m = this.agent.requireManager();
    return { leaderId: m.leaderId, self: this.agent.nodeId, connected: (id: string) => this.agent.transportPeers.some((p) => p.id === id) };
  }

  async nodes(): Promise<Node[]> {
    const st = await this.agent.read();
    const live = this.live();
    return Object.values(st.nodes).map((n) => nodeView(n, live));
  }

  async node(ref: string): Promise<Node> {
    const st = await this.agent.read();
    return nodeView(findNode(st, ref, { selfId: this.agent.nodeId }), this.live());
  }

  async updateNode(ref: string, ch: NodeChanges): Promise<{ ID: string }> {
    const st = await this.agent.read();
    const plan = (await manager()).planNodeUpdate(st, ref, ch, new Date().toISOString(), this.live(), this.agent.nodeId);
    await this.agent.write(plan.commands);
    return { ID: plan.id };
  }

  async promote(refs: string[]): Promise<{ names: string[] }> {
    const st = await this.agent.read();
    const plan = (await manager()).planPromote(st, refs, new Date().toISOString(), this.live());
    if (plan.commands.length) await this.agent.write(plan.commands);
    return { names: plan.names };
  }

  async demote(refs: string[]): Promise<{ names: string[] }> {
    const st = await this.agent.read();
    const plan = (await manager()).planDemote(st, refs, new Date().toISOString(), this.live());
    if (plan.commands.length) await this.agent.write(plan.commands);
    return { names: plan.names };
  }

  async removeNodes(refs: string[], force: boolean): Promise<{ IDs: string[] }> {
    const st = await this.agent.read();
    const plan = (await manager()).planNodeRemove(st, refs, force);
    await this.agent.write(plan.commands);
    return { IDs: plan.ids };
  }
}

/**
 * A CPU or memory limit larger than every node can never start (Docker refuses it at create, and the
 * task would be retried forever): refused here, where the nodes are known.
 */
function checkAgainstCluster(st: ClusterState, spec: ServiceSpec): void {
  const nodes = Object.values(st.nodes);
  if (nodes.length === 0) return;
  const limits = spec.TaskTemplate.Resources?.Limits;
  const maxCpus = Math.max(...nodes.map((n) => n.Description?.Resources?.NanoCPUs ?? 0));
  if (limits?.NanoCPUs && maxCpus > 0 && limits.NanoCPUs > maxCpus) {
    throw SwarmError.invalid(
      `invalid CPU limit ${limits.NanoCPUs / 1e9}: the largest node has ${maxCpus / 1e9} CPUs (Docker allows 0.01 to the node's CPUs); lower --limit-cpu`,
    );
  }
  const maxMem = Math.max(...nodes.map((n) => n.Description?.Resources?.MemoryBytes ?? 0));
  if (limits?.MemoryBytes && maxMem > 0 && limits.MemoryBytes > maxMem) {
    throw SwarmError.invalid(
      `invalid memory limit ${limits.MemoryBytes} bytes: the largest node has ${maxMem} bytes of memory; lower --limit-memory`,
    );
  }
}

/**
 * A service's view, even when its stored spec is not well formed (written before specs were checked,
 * or by a buggy proposer): one bad service never makes `service ls` fail for the others. Such a
 * service is shown with what can be read of it and `Invalid` saying why; `service rm` removes it.
 */
export function safeServiceView(st: ClusterState, s: Service, parseServiceSpec: (x: unknown) => unknown): ServiceView {
  try {
    parseServiceSpec(s.Spec);
    return serviceView(st, s);
  } catch (err) {
    const raw = (s.Spec ?? {}) as Partial<ServiceSpec>;
    const Spec: ServiceSpec = {
      Name: typeof raw.Name === "string" ? raw.Name : s.ID,
      Labels: {},
      TaskTemplate: { ContainerSpec: { Image: "(invalid spec)" }, RestartPolicy: { Condition: "none", Delay: 0, MaxAttempts: 0 }, ForceUpdate: 0 },
      Mode: { Replicated: { Replicas: 0 } },
      EndpointSpec: { Ports: [] },
    };
    const Endpoint = { Spec: { Ports: [] }, Ports: [] };
    const reason = err instanceof Error ? err.message : String(err);
    return { Service: { ...s, Spec, Endpoint }, Running: 0, Desired: 0, Invalid: `${reason}; remove it with \`swarm service rm ${Spec.Name}\`` };
  }
}
