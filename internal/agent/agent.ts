/**
 * The agent: what runs on every host (docs/cluster.md). It owns the node's identity, its transport,
 * its manager (Raft + store, on managers) and its node agent (session, worker, mesh), and moves
 * between them as the node inits, joins, is promoted or demoted, restarts and leaves. The HTTP API
 * (internal/daemon) and the one-process cluster tests drive it through the same methods.
 *
 * States: inactive (no cluster) → active (after `init`, `join`, or a restart that finds node.json).
 */
import type { Logger } from "pino";
import {
  LEAVE_CHANNEL, LOGS_CHANNEL, parseToken, SwarmError, type ClusterState, type Id, type JoinReply, type LogsMessage,
  type LogsRequest, type NodeRole, type SessionMessage,
} from "../api/index.ts";
import type { Manager, ManagerTimings } from "../manager/index.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { NODE_FILE, NodeAgent, readNodeFile, writeNodeFile, type NodeFile } from "../node/index.ts";
import type { Applied } from "../store/index.ts";
import {
  clusterFingerprint, verifyCertificate, type ClusterTransport, type SignedCertificate,
} from "../transport/index.ts";
import type { Command, NodeDescription } from "../api/index.ts";
import type { MeshBackendChoice } from "../config/index.ts";
import type { MeshConfig } from "../mesh/index.ts";
import type { AgentDeps, TransportSetup } from "./deps.ts";
import { askToJoin, startTransport } from "./join-client.ts";
import { localLink } from "./local-link.ts";

export interface AgentOptions {
  dataDir: string;
  /**
   * Address other nodes reach this one at (and its DHT binds to). Unset: what node.json recorded, else
   * `defaultAddr`.
   */
  advertiseAddr?: string;
  defaultAddr?: string;
  /** UDP port of this node's DHT: managers' bootstrap port. Unset: node.json's, else 2377. 0 picks any (tests). */
  listenPort?: number;
  meshBackend: MeshBackendChoice | "none";
  /** Mesh options (one-process cluster tests: an in-memory backend per node). */
  meshConfig?: Partial<MeshConfig>;
  timings?: Partial<ManagerTimings>;
  /** Seed of Raft's election randomness (tests). */
  seed?: number;
  /** How long `join` waits for a manager to admit it. */
  joinTimeoutMs?: number;
}

export interface InitResult {
  clusterId: string;
  nodeId: string;
  advertiseAddr: string;
  listenPort: number;
  workerToken: string;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));

export class Agent {
  readonly nodeId: Id;
  private file: NodeFile | undefined;
  private transport: ClusterTransport | undefined;
  private manager: Manager | undefined;
  private node: NodeAgent | undefined;
  private busy: Promise<unknown> = Promise.resolve();
  private unwatch: (() => void)[] = [];
  private closed = false;
  private port = 0;
  /** The description a join sent, for the first session after it (then asked of the engine again). */
  private firstDescription: NodeDescription | undefined;
  private readonly stateListeners = new Set<(st: ClusterState) => void>();
  private bootstrapper: { port: number; close(): Promise<void> } | undefined;
  /** internal/manager, loaded when this node first becomes a manager (workers never load it). */
  private managerCode: typeof import("../manager/index.ts") | undefined;

  constructor(
    readonly o: AgentOptions,
    readonly deps: AgentDeps,
    readonly log: Logger,
  ) {
    this.nodeId = deps.nodeId;
  }

  /** Resumes the cluster if this data dir belongs to one (a restart). Idempotent. */
  async resume(): Promise<void> {
    const f = readNodeFile(this.o.dataDir);
    if (!f || this.transport) return;
    this.file = f;
    await this.activate(false);
  }

  get active(): boolean {
    return this.file !== undefined;
  }

  get role(): NodeRole | undefined {
    return this.file?.role;
  }

  get clusterId(): string | undefined {
    return this.file?.clusterId;
  }

  get dhtPort(): number {
    return this.port;
  }

  /** The address this node advertises: the flag, else what it joined with, else the default. */
  get addr(): string {
    return this.o.advertiseAddr ?? this.file?.advertiseAddr ?? this.o.defaultAddr ?? "127.0.0.1";
  }

  /** The DHT port asked for: the flag, else what it joined with, else 2377. */
  get listenPort(): number {
    return this.o.listenPort ?? this.file?.listenPort ?? 2377;
  }

  get meshStatus() {
    return this.node?.meshStatus ?? null;
  }

  /** The node agent while this node is in a cluster (diagnostics and the one-process cluster tests). */
  get nodeAgent(): NodeAgent | undefined {
    return this.node;
  }

  get transportPeers() {
    return this.transport?.peers() ?? [];
  }

  /** This node's transport while it is in a cluster (diagnostics and the one-process cluster tests). */
  get transportHandle(): ClusterTransport | undefined {
    return this.transport;
  }

  /**
   * The logs of some of `nodeId`'s tasks (docs/cluster.md "Logs from every node"): from this node's
   * own log server in process, or over the transport (`node.logs`, credit flow control). Errors
   * (PEER_GONE, NO_HANDLER, …) surface while iterating; breaking out of the iteration cancels.
   */
  readLogs(nodeId: Id, req: LogsRequest): AsyncIterable<LogsMessage> {
    const node = this.node;
    if (nodeId === this.nodeId && node) return node.readLogs(req);
    const t = this.transport;
    if (!t) throw SwarmError.unavailable("this node is not in a cluster");
    return t.openStream(nodeId, LOGS_CHANNEL, req, { credit: 4 }) as AsyncIterable<LogsMessage>;
  }

  /** Whether this node has a connection to `nodeId` now (itself included). */
  reaches(nodeId: Id): boolean {
    return nodeId === this.nodeId || this.transport?.isConnected(nodeId) === true;
  }

  /** Called with this manager's state after every change (while this node is a manager). */
  onState(fn: (st: ClusterState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  /** The manager, or NOT_INITIALIZED / NOT_A_MANAGER (Docker's words) when this node has none. */
  requireManager(): Manager {
    if (!this.file) throw new SwarmError("NOT_INITIALIZED", "This node is not a swarm manager. Use \"swarm init\" or \"swarm join\" to connect this node to swarm and try again.");
    if (!this.manager) throw SwarmError.notAManager();
    return this.manager;
  }

  /** The cluster state after a linearizable read barrier on this manager. */
  async read(): Promise<ClusterState> {
    const m = this.requireManager();
    await m.barrier();
    return m.state;
  }

  /** Proposes a user's write through the leader; throws the first refusal (CONFLICT, NOT_FOUND, …). */
  async write(cmds: Command[]): Promise<Applied> {
    const m = this.requireManager();
    const { proposeOrThrow } = await import("../store/index.ts");
    return proposeOrThrow(m.store, cmds);
  }

  // ---- init / join --------------------------------------------------------------------------------

  async init(): Promise<InitResult> {
    return this.serial(async () => {
      if (this.file) throw SwarmError.conflict("This node is already part of a swarm. Use \"swarm leave\" to leave this swarm and join another one.");
      const description = await this.deps.describe(); // Docker must answer before anything is created
      const at = new Date().toISOString();
      const { newCluster, signCertificate } = await managerCode();
      const cluster = newCluster(at);
      // A provisional certificate (serial 0) lets the transport start; the recorded one replaces it below.
      const now = Date.now();
      const provisional = signCertificate(cluster, this.nodeId, "manager", 0, now, now + 3600_000);
      this.file = {
        v: 1,
        clusterId: cluster.ID,
        clusterPublicKey: cluster.PublicKey,
        discoveryKey: cluster.Secrets.DiscoveryKey,
        role: "manager",
        cert: hex(provisional.cert),
        sig: hex(provisional.sig),
        managers: [],
        advertiseAddr: this.addr,
        listenPort: this.listenPort,
      };
      try {
        await this.activate(true);
        const m = this.manager!;
        await waitFor(() => m.isLeader && m.localDispatcher !== undefined, 10_000, "this node to become the leader of its new cluster", (wake) => m.onLeaderChange(wake));
        const notAfterMs = now + 90 * 24 * 3600_000;
        const { proposeOrThrow } = await import("../store/index.ts");
        const r = await proposeOrThrow(m.store, [
          { kind: "cluster.init", cluster },
          {
            kind: "node.upsert",
            node: {
              ID: this.nodeId,
              Version: { Index: 1 },
              CreatedAt: at,
              UpdatedAt: at,
              Spec: { Role: "manager", Availability: "active", Labels: {} },
              Description: description,
              Status: { State: "ready", Addr: this.addr, Timestamp: at },
              ManagerStatus: { Leader: false, Reachability: "unknown", Addr: `${this.addr}:${this.port}`, Voter: true },
            },
          },
          { kind: "node.certificate", id: this.nodeId, role: "manager", notAfterMs },
        ]);
        const serial = (r.outcomes[2] as { value: number }).value;
        this.applyCertificate(signCertificate(cluster, this.nodeId, "manager", serial, now, notAfterMs), "manager");
        this.syncAdmission(m.state);
        return { clusterId: cluster.ID, nodeId: this.nodeId, advertiseAddr: this.addr, listenPort: this.port, workerToken: "" };
      } catch (err) {
        await this.deactivate();
        this.file = undefined;
        throw err;
      }
    });
  }

  /**
   * Joins the cluster of `token` through the manager at `remote` (host:port of its DHT). Resolves once
   * this node is a member (a manager: once it is in Raft). On failure nothing of the cluster is kept.
   */
  async join(tokenText: string, remote: string): Promise<{ role: NodeRole }> {
    return this.serial(async () => {
      if (this.file) throw SwarmError.conflict("This node is already part of a swarm. Use \"swarm leave\" to leave this swarm and join another one.");
      const token = parseToken(tokenText);
      const t0 = Date.now();
      this.log.debug({ remote }, "join: asked to join");
      // Asked of the engine while the transport finds a manager (docker info is slow), and handed to
      // the first session with the leader too (see startMembers).
      const description = this.deps.describe();
      description.catch(() => undefined); // awaited (and its error thrown) in askToJoin
      const transport = await this.deps.transport({
        clusterId: token.clusterId,
        discoveryKey: token.discoveryKey,
        proveSecret: token.secret,
        host: this.addr,
        port: 0,
        bootstrap: [remote],
      });
      let reply: JoinReply;
      try {
        // One deadline for the whole join. The transport's discovery runs while its DHT is still
        // bootstrapping (which can take seconds when the network remembers nodes that died): the
        // first manager that admits us is asked at once. A start failure (a port in use) ends it.
        const deadline = Date.now() + (this.o.joinTimeoutMs ?? 15_000);
        let startError: unknown;
        startTransport(transport, { addr: this.addr, listenPort: this.listenPort, remote }).catch((e: unknown) => (startError = e ?? new Error("the transport did not start")));
        const asked = await askToJoin({
          transport, remote, deadline, startError: () => startError, description,
          describe: () => this.deps.describe(), timeoutMs: this.o.joinTimeoutMs ?? 15_000, log: this.log,
        });
        reply = asked.reply;
        this.firstDescription = asked.description;
        this.log.debug({ ms: Date.now() - t0 }, "join: admitted (certificate received)");
      } catch (err) {
        await transport.close();
        throw err;
      }
      const signed: SignedCertificate = { cert: reply.cert, sig: reply.sig };
      const cert = verifyCertificate(reply.clusterPublicKey, signed);
      if (!cert || clusterFingerprint(reply.clusterPublicKey) !== token.clusterId || cert.nodeId !== this.nodeId || cert.role !== reply.role) {
        await transport.close();
        throw new SwarmError("FORBIDDEN", "the manager answered with a certificate that does not belong to the cluster of this token; nothing was joined");
      }
      this.file = {
        v: 1,
        clusterId: token.clusterId,
        clusterPublicKey: hex(reply.clusterPublicKey),
        discoveryKey: hex(token.discoveryKey),
        role: reply.role,
        cert: hex(reply.cert),
        sig: hex(reply.sig),
        managers: reply.managers.length > 0 ? reply.managers : [remote],
        advertiseAddr: this.addr,
        listenPort: this.listenPort,
      };
      writeNodeFile(this.o.dataDir, this.file);
      // Keep the transport: prove ourselves by certificate from now on, on the open connections too.
      transport.updateAdmission({ certificate: signed, clusterPublicKey: reply.clusterPublicKey, proveSecret: null });
      this.transport = transport;
      transport.reprove();
      try {
        await this.startMembers(false, true);
        this.log.debug({ ms: Date.now() - t0 }, "join: members started");
        if (reply.role === "manager") {
          const m = this.manager!;
          await waitFor(() => m.state.nodes[this.nodeId]?.ManagerStatus?.Voter === true, 30_000, "this manager to join Raft", (wake) => m.store.subscribe(wake));
        }
      } catch (err) {
        this.log.error({ err }, "joined, but starting this node's members failed");
        throw err;
      }
      this.log.info({ role: reply.role, cluster: token.clusterId, ms: Date.now() - t0 }, "joined the cluster");
      return { role: reply.role };
    });
  }

  // ---- running the members ------------------------------------------------------------------------

  /**
   * The transport's own DHT node takes any port; managers also run a DHT bootstrap node on the listen
   * port, which every other node bootstraps from. (A transport that is itself the only bootstrap node
   * never finds its first peer: with two DHT nodes, neither stores the other's announcement where the
   * other looks.)
   */
  private transportSetup(): TransportSetup {
    const f = this.file!;
    const own = this.bootstrapper ? [`${this.addr}:${this.port}`] : [];
    const bootstrap = [...new Set([...own, ...f.managers])];
    return {
      clusterId: f.clusterId,
      discoveryKey: unhex(f.discoveryKey),
      clusterPublicKey: unhex(f.clusterPublicKey),
      certificate: { cert: unhex(f.cert), sig: unhex(f.sig) },
      host: this.addr,
      port: 0,
      bootstrap: bootstrap.length > 0 ? bootstrap : [`${this.addr}:${this.listenPort}`],
    };
  }

  /** Managers run the DHT bootstrap node on the listen port (this.port is where it listens). */
  private async startBootstrapper(): Promise<void> {
    if (this.bootstrapper) return;
    const self = `${this.addr}:${this.listenPort}`;
    const others = (this.file?.managers ?? []).filter((m) => m !== self);
    if (!this.deps.startBootstrap) {
      this.port = this.listenPort;
      return;
    }
    try {
      this.bootstrapper = await this.deps.startBootstrap(this.addr, this.listenPort, others);
    } catch (err) {
      const msg = (err as Error).message ?? String(err);
      if (/EADDRINUSE/.test(msg)) {
        throw SwarmError.unavailable(
          `cannot listen on ${this.addr}:${this.listenPort}/udp: the port is in use (another swarm agent on this host?); stop it, or choose another port with --listen-addr`,
        );
      }
      if (/EADDRNOTAVAIL/.test(msg)) throw SwarmError.invalid(`cannot listen on ${this.addr}: this host has no such address; check --advertise-addr`);
      throw err;
    }
    this.port = this.bootstrapper.port;
    // `--listen-addr 0` picked a free port: keep it, so the managers' recorded address stays valid.
    if (this.file && this.file.listenPort === 0) {
      this.file = { ...this.file, listenPort: this.port };
      if (existsSync(join(this.o.dataDir, NODE_FILE))) writeNodeFile(this.o.dataDir, this.file);
    }
  }

  private async stopBootstrapper(): Promise<void> {
    const b = this.bootstrapper;
    this.bootstrapper = undefined;
    await b?.close().catch(() => undefined);
  }

  /** Starts transport, manager (if any) and node agent from `this.file`. */
  /**
   * Starts transport, manager (if any) and node agent from `this.file`. On `init` the transport is up
   * before anything else; on a restart the members start at once and the transport joins the DHT in
   * the background (a DHT whose recorded bootstrap nodes are gone can take long to give up on them,
   * and a one-manager cluster needs no network to serve its API and run its tasks).
   */
  private async activate(bootstrapNew: boolean): Promise<void> {
    if (this.file!.role === "manager") await this.startBootstrapper();
    else this.port = this.listenPort;
    const transport = await this.deps.transport(this.transportSetup());
    this.transport = transport;
    if (bootstrapNew) await startTransport(transport, this);
    else {
      transport.start().catch((err: Error) => {
        this.log.error({ err }, "the cluster transport did not start; this node cannot reach the others (check --advertise-addr and --listen-addr)");
      });
    }
    await this.startMembers(bootstrapNew);
  }

  /**
   * Starts the manager (on managers) and the node agent. With `background`, the node agent (adopting
   * containers, then the session) starts without holding the caller: a join answers once the node is
   * a member, and the node shows Ready moments later.
   */
  private async startMembers(bootstrapNew: boolean, background = false): Promise<void> {
    const transport = this.transport!;
    const f = this.file!;
    if (f.role === "manager") {
      await this.startBootstrapper();
      await this.startManager(bootstrapNew);
    }
    const node = new NodeAgent({
      nodeId: this.nodeId,
      clusterId: f.clusterId,
      addr: this.addr,
      dhtPort: this.port,
      transport,
      runtime: this.deps.runtime,
      archive: this.deps.archive,
      logSource: this.deps.logs,
      meshBackend: this.o.meshBackend,
      meshConfig: this.o.meshConfig,
      describe: () => {
        // The first session after a join tells what the join just asked of the engine (docker info is slow).
        const d = this.firstDescription;
        this.firstDescription = undefined;
        return d ? Promise.resolve(d) : this.deps.describe();
      },
      local: () => {
        const d = this.manager?.localDispatcher;
        return d ? localLink(d, this.nodeId, this.addr, `${this.addr}:${this.port}`) : undefined;
      },
      onLeaderMessage: (m) => this.onLeaderMessage(m),
      log: this.log.child({ component: "node" }) as never,
    });
    this.node = node;
    const started = node.start();
    if (!background) return started;
    started.catch((err) => this.log.error({ err }, "starting this node's worker and session failed; restart the agent"));
  }

  private async startManager(bootstrapNew: boolean): Promise<void> {
    const transport = this.transport!;
    this.managerCode = await managerCode();
    const m = await this.managerCode.Manager.start({
      transport,
      storage: await this.deps.openRaftStorage(),
      log: this.log.child({ component: "manager" }),
      bootstrap: bootstrapNew,
      timings: this.o.timings,
      seed: this.o.seed,
      onFatal: (err) => this.log.error({ err }, "the manager stopped; restart the agent"),
      onOwnCertificate: (signed) => this.applyCertificate(signed, "manager"),
    });
    this.manager = m;
    this.unwatch.push(
      m.onLeaderChange(() => this.node?.leaderChanged()),
      m.store.subscribe((st) => {
        this.syncAdmission(st);
        for (const fn of [...this.stateListeners]) fn(st);
      }),
    );
    this.syncAdmission(m.state);
  }

  private async stopManager(): Promise<void> {
    const m = this.manager;
    this.manager = undefined;
    await m?.stop();
  }

  /** Managers admit joiners with the current join secrets and refuse revoked nodes (from the state). */
  private lastSecrets = "";
  private lastRevoked = "";
  private syncAdmission(st: ClusterState): void {
    const t = this.transport;
    const c = st.cluster;
    if (!t || !c || !this.manager) return;
    const gens = JSON.stringify(c.Secrets.TokenGeneration);
    if (gens !== this.lastSecrets) {
      const rotated = this.lastSecrets !== "";
      this.lastSecrets = gens;
      t.updateAdmission({ joinSecrets: this.managerCode!.joinSecrets(c) });
      // Sessions admitted by an old secret (joiners mid-join) end with the rotation.
      if (rotated) for (const p of t.peers()) if (p.class === "joiner") t.disconnect(p.id, "join token rotated");
    }
    const revoked = JSON.stringify(c.Revoked);
    if (revoked !== this.lastRevoked) {
      this.lastRevoked = revoked;
      t.setRevoked(c.Revoked);
    }
  }

  private onLeaderMessage(m: Extract<SessionMessage, { t: "certificate" | "cluster" }>): void {
    if (!this.file || !this.transport) return;
    if (m.t === "cluster") {
      this.transport.setRevoked(m.revoked);
      if (m.managers.length > 0 && JSON.stringify(m.managers) !== JSON.stringify(this.file.managers)) {
        this.file = { ...this.file, managers: m.managers };
        writeNodeFile(this.o.dataDir, this.file);
      }
      return;
    }
    const signed = { cert: m.cert, sig: m.sig };
    const cert = verifyCertificate(unhex(this.file.clusterPublicKey), signed);
    if (!cert || cert.nodeId !== this.nodeId || cert.role !== m.role) {
      this.log.warn({}, "ignored a certificate that does not verify");
      return;
    }
    // The certificate takes effect at once (a `leave` in progress waits for it); the role change that
    // may follow (starting or stopping Raft) runs with the other lifecycle changes, one at a time.
    const before = this.file.role;
    this.applyCertificate(signed, m.role);
    if (before !== m.role) void this.serial(() => this.changeRole(m.role));
  }

  /** Records a new certificate and presents it from now on, on the open connections too. */
  private applyCertificate(signed: SignedCertificate, role: NodeRole): void {
    this.file = { ...this.file!, role, cert: hex(signed.cert), sig: hex(signed.sig) };
    writeNodeFile(this.o.dataDir, this.file);
    const t = this.transport!;
    t.updateAdmission({ certificate: signed });
    t.reprove();
  }

  private async changeRole(role: NodeRole): Promise<void> {
    if (!this.transport || !this.file || this.file.role !== role) return; // left meanwhile, or changed again
    this.log.info({ role }, role === "manager" ? "promoted: starting Raft" : "demoted: stopping Raft");
    if (role === "manager") {
      await this.startBootstrapper();
      await this.startManager(false);
    } else {
      await this.stopManager();
      await this.stopBootstrapper();
      this.deps.dropRaftStorage();
      this.transport?.updateAdmission({ joinSecrets: null });
      this.lastSecrets = "";
      this.lastRevoked = "";
    }
    this.node?.leaderChanged();
  }

  // ---- leave / stop -------------------------------------------------------------------------------

  /**
   * Leaves the cluster: a worker tells the leader (best effort), stops and removes its containers and
   * forgets the cluster. A manager first gets itself demoted (Raft keeps quorum), unless it is the last
   * one (`force` then dissolves the cluster on this node).
   */
  async leave(force: boolean): Promise<void> {
    return this.serial(async () => {
      if (!this.file) throw new SwarmError("NOT_INITIALIZED", "This node is not part of a swarm");
      const m = this.manager;
      if (m) {
        const st = m.state;
        const voters = m.raft.status().conf.voters;
        const last = voters.length <= 1;
        if (last && !force) {
          throw SwarmError.invalid(
            "You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message.",
          );
        }
        if (!last) {
          const reachable = voters.filter((v) => v === this.nodeId || this.transport!.isConnected(v)).length;
          const unreachable = voters.length - reachable;
          if (reachable - 1 <= unreachable && !force) {
            throw SwarmError.invalid(
              `You are attempting to leave the swarm on a node that is participating as a manager. Removing this node leaves ${voters.length - 1} managers out of ${voters.length}. Without a Raft quorum your swarm will be inaccessible. Use \`--force\` to suppress this message.`,
            );
          }
          const self = st.nodes[this.nodeId];
          if (self) {
            try {
              const { proposeOrThrow } = await import("../store/index.ts");
              await proposeOrThrow(m.store, [{ kind: "node.update", id: this.nodeId, spec: { ...self.Spec, Role: "worker" }, at: new Date().toISOString() }]);
              // Removed from Raft, this manager may never hear of it (the leader stops writing to it): the
              // worker certificate the leader sends next is the signal.
              await waitFor(() => this.file?.role === "worker" || !m.raft.status().conf.voters.includes(this.nodeId), 15_000, "Raft to remove this manager");
            } catch (err) {
              if (!force) throw err;
              this.log.warn({ err }, "leaving without being removed from Raft (--force)");
            }
          }
        }
      }
      const leader = this.node?.session.leader;
      if (leader && leader !== this.nodeId && this.transport?.isConnected(leader)) {
        await this.transport.request(leader, LEAVE_CHANNEL, { force }, { timeoutMs: 3000 }).catch((err) => {
          this.log.warn({ err: (err as Error).message }, "the leader did not hear that this node leaves; it will see it down");
        });
      }
      const node = this.node;
      this.node = undefined;
      await node?.leave();
      await this.deactivate();
      this.deps.dropRaftStorage();
      this.file = undefined;
    });
  }

  /** Stops everything; containers keep running (a restarted agent adopts them). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.busy.catch(() => undefined);
    await this.deactivate();
  }

  private async deactivate(): Promise<void> {
    for (const u of this.unwatch.splice(0)) u();
    const node = this.node;
    this.node = undefined;
    await node?.stop();
    await this.stopManager();
    const t = this.transport;
    this.transport = undefined;
    await t?.close();
    await this.stopBootstrapper();
    this.lastSecrets = this.lastRevoked = "";
  }

  /** Runs lifecycle changes one at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn, fn);
    this.busy = run.catch(() => undefined);
    return run;
  }
}

/** The manager side is loaded on managers only: an idle worker does not pay for Raft, the store's
 * planners and the orchestrator in memory. */
function managerCode(): Promise<typeof import("../manager/index.ts")> {
  return import("../manager/index.ts");
}

/**
 * Resolves once `cond()` holds; checked every 20 ms and, with `changes`, at once whenever it signals
 * (a store commit): a join waiting for its Raft promotion returns when the entry lands, not up to a
 * poll later.
 */
async function waitFor(cond: () => boolean, ms: number, what: string, changes?: (wake: () => void) => () => void): Promise<void> {
  const until = Date.now() + ms;
  let wake: (() => void) | undefined;
  const off = changes?.(() => wake?.());
  try {
    while (!cond()) {
      if (Date.now() > until) throw SwarmError.unavailable(`timed out after ${ms / 1000} s waiting for ${what}; see the agent log`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    off?.();
  }
}
