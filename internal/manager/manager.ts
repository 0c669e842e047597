/**
 * A manager: Raft over the transport driving the store's state machine, writes forwarded to the leader,
 * and — while this manager leads — the orchestrator/scheduler loop, the dispatcher and the membership
 * loop (docs/cluster.md). A one-node cluster is a one-voter Raft: the same code for every size.
 *
 * Lifecycle: `Manager.start` recovers Raft from its storage (or bootstraps a new one-voter cluster),
 * registers the manager channels on the transport, and returns; leadership comes and goes with Raft.
 * Leader services start only once this leader has applied its own term's first entry, so they never
 * plan on a stale state. `stop()` stops them and Raft; the storage stays (the caller's).
 */
import type { Logger } from "pino";
import {
  HEARTBEAT_CHANNEL, JOIN_CHANNEL, LEAVE_CHANNEL, REPORT_CHANNEL, SESSION_CHANNEL, SwarmError, type ClusterState, type Id,
  type SessionOpen, type StatusReport,
} from "../api/index.ts";
import { RaftError, RaftNode, Role, type RaftStorage, type StateMachine } from "../raft/index.ts";
import { ClusterStateMachine, createStore, type Store } from "../store/index.ts";
import type { ClusterTransport, PeerInfo, SignedCertificate } from "../transport/index.ts";
import { ManagerConsensus, type ConsensusOptions } from "./consensus.ts";
import { Dispatcher, type DispatcherTimings, type SessionSink } from "./dispatcher/index.ts";
import { hostOf, JoinHandler } from "./join.ts";
import { startLeaderLoop, type LeaderLoop } from "./leader-loop.ts";
import { MembershipLoop } from "./membership-loop.ts";
import { RAFT_CHANNEL, raftLink } from "./raft-link.ts";

export interface ManagerTimings extends DispatcherTimings {
  /** Raft tick (ms): election after 10–19 ticks without a leader. */
  raftTickMs: number;
  /** How often the leader loop reconciles without a change (restart delays, orphan grace). */
  reconcileTickMs: number;
  /** A down node's replicated tasks are replaced after this long. */
  orphanGraceMs: number;
}

export const DEFAULT_MANAGER_TIMINGS: ManagerTimings = {
  heartbeatMs: 500,
  nodeDownMs: 1800,
  livenessTickMs: 200,
  raftTickMs: 75,
  reconcileTickMs: 1000,
  orphanGraceMs: 2000,
};

/**
 * The leader heartbeats its followers every 2 Raft ticks (150 ms), i.e. 5 times per election timeout
 * (10 ticks): commits reach followers at once anyway (the leader broadcasts an append when its commit
 * index advances) and read barriers send their own heartbeat round, so a heartbeat only keeps the
 * leader's lease. Every tick (the Raft default) doubled an idle manager's packets and CPU for nothing.
 */
const RAFT_HEARTBEAT_TICKS = 2;

export interface ManagerOptions {
  transport: ClusterTransport;
  storage: RaftStorage;
  log: Logger;
  /** Start a new one-voter cluster if the storage is empty (`swarm init`). */
  bootstrap?: boolean;
  timings?: Partial<ManagerTimings>;
  consensus?: ConsensusOptions;
  /** Seed of Raft's election randomness (tests). */
  seed?: number;
  /** Raft runner's snapshot interval (entries). */
  snapshotEntries?: number;
  onFatal?: (err: Error) => void;
  /** The leader renewed its own certificate: present it from now on (the agent records and reproves). */
  onOwnCertificate?: (signed: SignedCertificate) => void;
}

export class Manager {
  readonly store: Store;
  readonly id: Id;
  private readonly t: ManagerTimings;
  private dispatcher: Dispatcher | undefined;
  private leaderLoop: LeaderLoop | undefined;
  private membership: MembershipLoop | undefined;
  private leading = false;
  private stopped = false;
  private readonly unregister: (() => void)[] = [];
  private readonly joins: JoinHandler;
  private leaderListeners = new Set<(leader: Id | null) => void>();

  private constructor(
    readonly raft: RaftNode,
    readonly machine: ClusterStateMachine,
    private readonly consensus: ManagerConsensus,
    private readonly o: ManagerOptions,
  ) {
    this.id = o.transport.self;
    this.t = { ...DEFAULT_MANAGER_TIMINGS, ...o.timings };
    this.store = createStore(machine, consensus, this.id);
    this.joins = new JoinHandler(this.store);
    this.registerChannels();
    this.unregister.push(machine.subscribe(() => this.checkLeadership()));
    // Entries that change no state (a new leader's empty entry) notify nobody: look again regularly.
    const poll = setInterval(() => this.checkLeadership(), Math.max(10, Math.floor(this.t.raftTickMs / 2)));
    this.unregister.push(() => clearInterval(poll));
  }

  static async start(o: ManagerOptions): Promise<Manager> {
    const machine = new ClusterStateMachine();
    machine.onListenerError = (err) => o.log.error({ err }, "a store subscriber threw");
    const transport = o.transport;
    let self: Manager | undefined;
    // A new manager (its log still empty) knows no configuration yet: it hears the leader that adds it.
    const isMember = (id: string) => {
      const c = raft.status().conf;
      return (c.voters.length === 0 && c.learners.length === 0) || c.voters.includes(id) || c.learners.includes(id);
    };
    const link = raftLink(transport, isMember);
    const t = { ...DEFAULT_MANAGER_TIMINGS, ...o.timings };
    if (o.log.isLevelEnabled?.("debug")) timeSaves(o.storage, o.log);
    const raft: RaftNode = await RaftNode.start({
      id: transport.self,
      storage: o.storage,
      transport: link,
      stateMachine: raftMachine(machine),
      bootstrap: o.bootstrap ? [transport.self] : undefined,
      config: { tickMs: t.raftTickMs, ...(o.snapshotEntries ? { snapshotEntries: o.snapshotEntries } : {}) },
      core: { heartbeatTicks: RAFT_HEARTBEAT_TICKS },
      seed: o.seed,
      onStateChange: () => self?.checkLeadership(),
      onFatal: (err) => {
        o.log.error({ err }, "raft stopped: storage or state-machine failure");
        o.onFatal?.(err);
      },
    });
    const consensus = new ManagerConsensus(raft, transport, machine, o.consensus);
    self = new Manager(raft, machine, consensus, o);
    self.checkLeadership();
    return self;
  }

  get state(): ClusterState {
    return this.machine.state;
  }

  get isLeader(): boolean {
    return this.raft.isLeader;
  }

  get leaderId(): Id | null {
    return this.raft.leaderId;
  }

  /** The dispatcher while this manager leads and is ready (the leader's own node session uses it). */
  get localDispatcher(): Dispatcher | undefined {
    return this.dispatcher;
  }

  /** Called with the leader's ID whenever it changes (null: none). */
  onLeaderChange(fn: (leader: Id | null) => void): () => void {
    this.leaderListeners.add(fn);
    return () => this.leaderListeners.delete(fn);
  }

  /**
   * A linearizable read barrier: resolves once this manager's state reflects every write committed
   * before the call. Fails with NO_LEADER within the consensus wait when there is no quorum.
   */
  async barrier(): Promise<void> {
    const start = Date.now();
    const wait = this.o.consensus?.noLeaderWaitMs ?? 3000;
    for (;;) {
      try {
        await this.raft.readIndex(Math.max(1, wait));
        return;
      } catch (e) {
        if (this.stopped) throw SwarmError.unavailable("this manager is stopping");
        if (Date.now() - start >= wait) throw SwarmError.noLeader(Date.now() - start);
        if (!(e instanceof RaftError)) throw e;
        await Bun.sleep(25);
      }
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopLeading();
    for (const u of this.unregister.splice(0)) u();
    this.consensus.close();
    this.raft.stop();
  }

  // ---- leadership ---------------------------------------------------------------------------------

  private lastLeader: Id | null = null;

  private checkLeadership(): void {
    if (this.stopped) return;
    const leader = this.raft.leaderId;
    if (leader !== this.lastLeader) {
      this.lastLeader = leader;
      for (const fn of [...this.leaderListeners]) fn(leader);
    }
    // Lead only once our own term's first entry is applied: the state then holds every commit.
    const st = this.raft.status();
    const ready = st.role === Role.Leader && this.machine.appliedTerm === st.term;
    if (ready && !this.leading) this.startLeading();
    else if (!this.raft.isLeader && this.leading) this.stopLeading();
  }

  private startLeading(): void {
    this.leading = true;
    const log = this.o.log;
    log.info({ term: this.raft.status().term }, "this manager is the leader");
    this.dispatcher = new Dispatcher(this.store, log.child({ component: "dispatcher" }), this.t);
    this.leaderLoop = startLeaderLoop(this.store, log.child({ component: "leader" }), {
      tickMs: this.t.reconcileTickMs,
      orphanGraceMs: this.t.orphanGraceMs,
    });
    this.membership = new MembershipLoop(this.raft, this.store, this.o.transport, this.dispatcher, log.child({ component: "membership" }), (signed) =>
      this.o.onOwnCertificate?.(signed),
    );
    for (const fn of [...this.leaderListeners]) fn(this.raft.leaderId);
  }

  private stopLeading(): void {
    if (!this.leading) return;
    this.leading = false;
    this.o.log.info({ leader: this.raft.leaderId }, "this manager is no longer the leader");
    this.membership?.stop();
    this.leaderLoop?.stop();
    this.dispatcher?.stop();
    this.membership = this.leaderLoop = this.dispatcher = undefined;
  }

  // ---- channels -----------------------------------------------------------------------------------

  private peer(id: Id): PeerInfo | undefined {
    return this.o.transport.peers().find((p) => p.id === id);
  }

  private requireDispatcher(): Dispatcher {
    if (!this.dispatcher) throw new SwarmError("NOT_LEADER", `not the leader; the leader is ${this.raft.leaderId ?? "unknown"}`);
    return this.dispatcher;
  }

  private registerChannels(): void {
    const tr = this.o.transport;
    this.unregister.push(
      tr.handle(JOIN_CHANNEL, (body: unknown, from: Id) => {
        const peer = this.peer(from);
        if (!peer) throw new SwarmError("FORBIDDEN", "unknown peer");
        return this.joins.handle(peer, body);
      }, { accept: ["joiner"], maxBytes: 64 * 1024 }),
      tr.onStream(SESSION_CHANNEL, async (body: unknown, sink) => {
        const from = sink.from;
        const d = this.dispatcher;
        if (!d) {
          const leader = this.raft.leaderId;
          await sink.write({ t: "redirect", leader: leader === this.id ? null : leader });
          return sink.end();
        }
        const peer = this.peer(from);
        const open = body as SessionOpen;
        const host = hostOf(peer?.address);
        const port = Number(open?.dhtPort);
        const managerAddr = Number.isInteger(port) && port > 0 && port < 65536 && host ? `${host}:${port}` : undefined;
        await d.serve(from, host, managerAddr, open, sink as unknown as SessionSink);
      }, { accept: ["manager", "worker"], maxBytes: 64 * 1024 }),
      tr.handle(REPORT_CHANNEL, (body: unknown, from: Id) => this.requireDispatcher().report(from, body as StatusReport), {
        accept: ["manager", "worker"],
        maxBytes: 8 * 1024 * 1024,
      }),
      tr.handle(HEARTBEAT_CHANNEL, (body: unknown, from: Id) => this.requireDispatcher().heartbeat(from, body as { session?: unknown }), {
        accept: ["manager", "worker"],
        maxBytes: 1024,
      }),
      tr.handle(LEAVE_CHANNEL, (_body: unknown, from: Id) => this.leave(from), { accept: ["manager", "worker"], maxBytes: 1024 }),
    );
  }

  /**
   * A node leaves gracefully: the leader records it down at once (its tasks are rescheduled after the
   * orphan grace, as for any down node), like Docker Swarm, where a left node stays listed as Down
   * until `node rm`. A manager must be demoted first (the CLI does it for `leave --force`).
   */
  private async leave(from: Id): Promise<{ ok: true }> {
    this.requireDispatcher();
    const n = this.state.nodes[from];
    if (!n) return { ok: true };
    const at = new Date().toISOString();
    await this.store.propose([{ kind: "node.status", id: from, state: "down", message: "node left the swarm", at }]);
    return { ok: true };
  }
}

/**
 * The Raft runner's state machine: the store's machine, entry by entry (normal, noop and membership
 * entries, with their terms). In memory: rebuilt from the snapshot and the log at every start.
 */
export function raftMachine(machine: ClusterStateMachine): StateMachine {
  return {
    apply(e) {
      machine.apply({ index: e.index, term: e.term, kind: e.kind, data: e.data, conf: e.conf });
    },
    snapshot() {
      return machine.snapshot();
    },
    restore(data) {
      machine.restore(data);
    },
  };
}

export { RAFT_CHANNEL };

/**
 * Debug only: logs every Raft storage write slower than 20 ms. A save runs on the event loop (bun:sqlite
 * is synchronous) and waits for its fsync: while it waits this agent answers nothing, engine calls included.
 */
function timeSaves(storage: RaftStorage, log: Logger): void {
  const save = storage.save.bind(storage);
  storage.save = (w) => {
    const t0 = performance.now();
    save(w);
    const ms = performance.now() - t0;
    if (ms > 20) log.debug({ ms: Math.round(ms), entries: w.entries.length }, "raft storage write was slow");
  };
}
