/**
 * Whole clusters in one process (docs/cluster.md, DESIGN.md "Whole clusters in one process"): every
 * node is a real `Agent` (manager, dispatcher, node session, worker) over the transport's in-memory
 * network, Raft's in-memory storage and the executor's fake runtime. Faults: crash (the agent dies; its
 * storage and containers stay), power-off (its containers die too), partition (silence), restart.
 *
 * Determinism: node keys and Raft's election randomness come from the seed; the scenario's choices
 * come from the same seeded source. Timers are real (short timings), so runs are seeded, not replayed
 * step for step; invariants are checked after every step.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { Agent, type AgentDeps } from "../../internal/agent/index.ts";
import type { ClusterState, NodeDescription, NodeRole, ServiceSpec } from "../../internal/api/index.ts";
import { Api } from "../../internal/daemon/api.ts";
import { createFakeRuntime, type FakeRuntime } from "../../internal/executor/index.ts";
import { createMemoryLogArchive } from "../../internal/logs/index.ts";
import { FakeBackend } from "../../internal/mesh/index.ts";
import { joinTokenOf, type ManagerTimings } from "../../internal/manager/index.ts";
import { MemoryStorage, seededRand, type Rand } from "../../internal/raft/index.ts";
import { keyPairFromSeed, MemoryNetwork, nodeIdOf, type ClusterTransport } from "../../internal/transport/index.ts";
import { waitUntil } from "../harness/index.ts";

export const IMAGE = "swarm-busybox:latest";

/** Fast timings for tests: Raft elects in 0.3–0.6 s, a silent node is down after 0.9 s. */
export const TEST_TIMINGS: Partial<ManagerTimings> = {
  raftTickMs: 30,
  heartbeatMs: 150,
  nodeDownMs: 900,
  livenessTickMs: 100,
  reconcileTickMs: 200,
  orphanGraceMs: 500,
};

export interface TestNode {
  name: string;
  id: string;
  seed: Uint8Array;
  dir: string;
  runtime: FakeRuntime;
  storage: MemoryStorage;
  agent: Agent;
  api: Api;
  up: boolean;
  /** The node's routing mesh "kernel" (clusters started with `mesh: true`): it outlives agent restarts. */
  mesh: FakeBackend;
}

export interface ClusterOptions {
  /** Run each node's routing mesh over an in-memory backend (`TestNode.mesh`). */
  mesh?: boolean;
  /** The mesh backend of one node (e.g. a slow one); default a FakeBackend. */
  meshBackend?: (name: string) => FakeBackend;
}

const log = pino({ level: process.env.SWARM_TEST_LOG ?? "silent" });

export class TestCluster {
  readonly net: MemoryNetwork;
  readonly nodes: TestNode[] = [];
  readonly rand: Rand;
  private readonly root: string;

  constructor(readonly seed: number, readonly timings: Partial<ManagerTimings> = TEST_TIMINGS, readonly opts: ClusterOptions = {}) {
    this.rand = seededRand(seed);
    this.net = new MemoryNetwork({ deadPeerMs: 1500, reconnectMs: 10 });
    this.root = mkdtempSync(join(tmpdir(), `swarm-cluster-${seed}-`));
  }

  /** A new node (not in any cluster yet). */
  add(name: string): TestNode {
    const seed = new Uint8Array(32);
    for (let i = 0; i < 32; i++) seed[i] = this.rand.int(0, 256);
    const id = nodeIdOf(keyPairFromSeed(seed).publicKey);
    const dir = join(this.root, name);
    const mesh = this.opts.meshBackend?.(name) ?? new FakeBackend(name);
    const node = { name, id, seed, dir, runtime: createFakeRuntime({ images: [IMAGE] }), storage: new MemoryStorage(), up: false, mesh } as TestNode;
    this.boot(node);
    this.nodes.push(node);
    return node;
  }

  private boot(node: TestNode): void {
    const deps: AgentDeps = {
      nodeId: node.id,
      transport: (setup) => this.withAddresses(this.net.createTransport(node.seed, { ...setup, log: silentTransportLog })),
      openRaftStorage: () => node.storage,
      dropRaftStorage: () => void (node.storage = new MemoryStorage()),
      runtime: node.runtime,
      describe: async (): Promise<NodeDescription> => ({
        Hostname: node.name,
        Platform: { Architecture: "x86_64", OS: "linux" },
        Resources: { NanoCPUs: 2e9, MemoryBytes: 4 * 2 ** 30 },
        Engine: { EngineVersion: "fake-1.0" },
      }),
      archive: createMemoryLogArchive(),
    };
    node.agent = new Agent(
      {
        dataDir: node.dir,
        advertiseAddr: `10.0.0.${this.nodes.indexOf(node) + 1 || this.nodes.length + 1}`,
        listenPort: 2377,
        meshBackend: this.opts.mesh ? "userspace" : "none",
        meshConfig: this.opts.mesh ? { support: NO_KERNEL, makeBackends: () => [node.mesh] } : undefined,
        timings: this.timings,
        seed: this.rand.int(1, 2 ** 30),
        joinTimeoutMs: 5000,
      },
      deps,
      log.child({ node: node.name }),
    );
    node.api = new Api(node.agent, { dataDir: node.dir, socketPath: "", dockerHost: "fake", listenPort: 2377, meshBackend: "auto", reconcileTickMs: 200 }, undefined as never, deps.archive, log);
    node.up = true;
  }

  /**
   * The in-memory network names peers `memN:2377`; a real transport observes their IP addresses. Peers
   * are shown at the address their node advertises, so node addresses (and mesh endpoints) are IPv4.
   */
  private withAddresses(t: ClusterTransport): ClusterTransport {
    const addrOf = (id: string) => {
      const i = this.nodes.findIndex((n) => n.id === id);
      return i >= 0 ? `10.0.0.${i + 1}:2377` : undefined;
    };
    return new Proxy(t, {
      get(target, prop) {
        if (prop === "peers") return () => target.peers().map((p) => ({ ...p, address: addrOf(p.id) ?? p.address }));
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
  }

  async init(node: TestNode): Promise<void> {
    await node.api.init();
  }

  token(role: NodeRole, via?: TestNode): string {
    const m = via ?? this.leader();
    if (!m) throw new Error("no leader to ask for a token");
    return joinTokenOf(m.agent.requireManager().state.cluster!, role);
  }

  async join(node: TestNode, role: NodeRole, via?: TestNode): Promise<void> {
    await node.agent.join(this.token(role, via), "10.0.0.1:2377");
  }

  /** A whole cluster: the first manager inits, the others join. */
  static async start(seed: number, managers: number, workers: number, timings?: Partial<ManagerTimings>, opts: ClusterOptions = {}): Promise<TestCluster> {
    const c = new TestCluster(seed, timings, opts);
    const first = c.add("m1");
    await c.init(first);
    for (let i = 2; i <= managers; i++) await c.join(c.add(`m${i}`), "manager");
    for (let i = 1; i <= workers; i++) await c.join(c.add(`w${i}`), "worker");
    await c.waitAllReady();
    return c;
  }

  managers(): TestNode[] {
    return this.nodes.filter((n) => n.up && n.agent.role === "manager");
  }

  leader(): TestNode | undefined {
    return this.nodes.find((n) => {
      if (!n.up) return false;
      try {
        return n.agent.requireManager().isLeader;
      } catch {
        return false;
      }
    });
  }

  /** The leader's current state (no barrier). */
  state(): ClusterState {
    const l = this.leader();
    if (!l) throw new Error("no leader");
    return l.agent.requireManager().state;
  }

  async waitLeader(timeoutMs = 10_000): Promise<TestNode> {
    return waitUntil("a leader", () => this.leader(), timeoutMs);
  }

  async waitAllReady(timeoutMs = 15_000): Promise<void> {
    await waitUntil(
      "every node Ready in the leader's state",
      () => {
        const l = this.leader();
        if (!l) return false;
        const st = l.agent.requireManager().state;
        const up = this.nodes.filter((n) => n.up && n.agent.active);
        return up.every((n) => st.nodes[n.id]?.Status.State === "ready");
      },
      timeoutMs,
    );
  }

  /** Creates a service through `via` (default: the leader). */
  async createService(spec: ServiceSpec, via?: TestNode): Promise<string> {
    const n = via ?? (await this.waitLeader());
    return (await n.api.createService(spec)).ID;
  }

  /** Running containers of a service across every node's engine (what really runs). */
  runningContainers(serviceId: string): { node: string; slot: string | undefined }[] {
    const out: { node: string; slot: string | undefined }[] = [];
    for (const n of this.nodes) {
      for (const c of n.runtime.containers()) {
        if (!c.running || c.labels["com.swarm.service.id"] !== serviceId) continue;
        out.push({ node: n.name, slot: c.labels["com.swarm.task.slot"] });
      }
    }
    return out;
  }

  /** kill -9 of the agent: it stops at once; its storage, data dir and containers stay. */
  async crash(node: TestNode): Promise<void> {
    node.up = false;
    await node.agent.close();
  }

  /** Power-off: the agent and every container of the host die. */
  async powerOff(node: TestNode): Promise<void> {
    for (const c of node.runtime.containers()) if (c.running) node.runtime.crash(c.id, 137);
    await this.crash(node);
  }

  /** Starts a crashed or powered-off node's agent again (it resumes from its data dir and storage). */
  async restart(node: TestNode): Promise<void> {
    this.boot(node);
    await node.agent.resume();
  }

  /** Silences every link of `node` (frames held; links close after the dead-peer time unless healed). */
  partition(node: TestNode): void {
    for (const o of this.nodes) if (o !== node && o.up) this.net.partition(node.id, o.id);
  }

  heal(node: TestNode): void {
    for (const o of this.nodes) if (o !== node && o.up) this.net.heal(node.id, o.id);
  }

  async close(): Promise<void> {
    for (const n of this.nodes) if (n.up) await n.agent.close().catch(() => undefined);
    rmSync(this.root, { recursive: true, force: true });
  }
}

const silentTransportLog = { debug() {}, info() {}, warn() {}, error() {} };
const NO_KERNEL = { ipvs: { ok: false, why: "one-process test" }, nftables: { ok: false, why: "one-process test" } };

export function replicated(name: string, replicas: number, extra: Partial<ServiceSpec["TaskTemplate"]> = {}): ServiceSpec {
  return {
    Name: name,
    Labels: {},
    TaskTemplate: {
      ContainerSpec: { Image: IMAGE, Args: ["sleep", "1000"] },
      RestartPolicy: { Condition: "any", Delay: 100e6, MaxAttempts: 0 },
      ForceUpdate: 0,
      ...extra,
    },
    Mode: { Replicated: { Replicas: replicas } },
    EndpointSpec: { Ports: [] },
  };
}

export function global(name: string): ServiceSpec {
  return { ...replicated(name, 0), Mode: { Global: {} } };
}
