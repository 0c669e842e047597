// RaftNode: drives a RaftCore with a real clock, a Transport, a RaftStorage and the application's state
// machine. For each Ready it persists (durably), then sends, then applies — in that order. All requests
// (propose, readIndex, membership, transfer) resolve once applied locally, or reject with RaftError.
import { defaultRunnerConfig, validateRunnerConfig } from "./config.ts";
import type { CoreConfig, RunnerConfig } from "./config.ts";
import { RaftCore } from "./core.ts";
import { bootstrapState } from "./membership.ts";
import type { CoreStatus } from "./core.ts";
import { RaftError, RaftErrorCode } from "./errors.ts";
import { seededRand } from "./rand.ts";
import { ReadIds } from "./read-ids.ts";
import type { RaftStorage, StoredMeta } from "./storage.ts";
import type { Transport } from "./transport.ts";
import { ConfChangeType, decodeConfEntry, EMPTY_DATA, EntryType, Role } from "./types.ts";
import type { ConfChange, ConfState, Entry, Message, NodeId, Ready } from "./types.ts";

/** Start-up replay reads the log in pages of at most this many entries and bytes. */
const REPLAY_PAGE_ENTRIES = 1000;
const REPLAY_PAGE_BYTES = 4 * 1024 * 1024;

/** One committed log entry, as the state machine sees it. */
export interface AppliedEntry {
  index: number;
  term: number;
  /** normal: a proposal; noop: the empty entry a new leader appends; conf: a membership change. */
  kind: "normal" | "noop" | "conf";
  /** normal: the proposal's bytes; noop/conf: empty. */
  data: Uint8Array;
  /** conf: the membership that results from the change. */
  conf?: ConfState;
  /** conf: the change itself. */
  change?: ConfChange;
}

/** The application's replicated state. Contract:
 * - apply() sees every committed entry (normal, noop and conf) in log order, exactly once per process
 *   lifetime, and must be deterministic. The next entry is not applied before its promise settles; a
 *   throw (or rejection) stops the node (onFatal).
 * - restore() replaces the whole state: at start-up with the stored snapshot, or with a snapshot from the
 *   leader. `meta` says which log prefix it stands for.
 * - snapshot() returns the state after everything applied so far (the runner compacts the log with it).
 * - At start-up the runner replays the committed log after the snapshot (or after appliedIndex(), if the
 *   state machine persists its state itself and says how far it got) before the node ticks or answers
 *   any message. A persistent state machine must store its applied index atomically with its effects. */
export interface StateMachine {
  apply(entry: AppliedEntry): void | Promise<void>;
  snapshot(): Uint8Array | Promise<Uint8Array>;
  restore(data: Uint8Array, meta: { index: number; term: number; conf: ConfState }): void | Promise<void>;
  /** Optional: how far a persistent state machine has already applied; the runner replays only after it. */
  appliedIndex?(): number;
}

/** The state machine's view of a log entry. */
export function appliedEntry(e: Entry): AppliedEntry {
  if (e.type === EntryType.Conf) {
    const d = decodeConfEntry(e.data);
    return { index: e.index, term: e.term, kind: "conf", data: EMPTY_DATA, conf: d.conf, change: d.change };
  }
  if (e.type === EntryType.Noop) return { index: e.index, term: e.term, kind: "noop", data: EMPTY_DATA };
  return { index: e.index, term: e.term, kind: "normal", data: e.data };
}

export interface RaftNodeOptions {
  id: NodeId;
  storage: RaftStorage;
  transport: Transport;
  stateMachine: StateMachine;
  /** Initial voters (including `id`) when empty storage should start a new cluster. Omit to start
   * empty and wait for the leader to add this node (addLearner). Ignored when storage has state. */
  bootstrap?: NodeId[];
  config?: Partial<RunnerConfig>;
  core?: Partial<CoreConfig>;
  /** Seed of the election-timeout randomness (default: random). */
  seed?: number;
  onStateChange?: (s: { role: Role; leaderId: NodeId | null; term: number }) => void;
  /** Storage or state-machine failure: the node has stopped itself. */
  onFatal?: (e: Error) => void;
}

interface Pending {
  resolve: (index: number) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class RaftNode {
  readonly id: NodeId;
  /** If storage found a torn or corrupt log tail at start-up: the first index it dropped (the leader
   * re-sends what is missing). Null when the log was intact. */
  readonly truncatedFrom: number | null;
  private readonly cfg: RunnerConfig;
  private readonly core: RaftCore;
  private readonly ticker: ReturnType<typeof setInterval>;
  private readonly proposals = new Map<number, Pending & { term: number }>();
  private readonly reads = new Map<number, Pending>();
  private readWait: { index: number; p: Pending }[] = [];
  private readonly watchers = new Set<{ check: () => void; fail: (e: Error) => void }>();
  private readonly readIds = new ReadIds();
  private applied = 0;
  private running = false;
  private scheduled = false;
  private stopped = false;
  private last = { role: Role.Follower as Role, leaderId: null as NodeId | null, term: 0 };

  private constructor(private readonly o: RaftNodeOptions, core: RaftCore, applied: number, truncatedFrom: number | null) {
    this.id = o.id;
    this.truncatedFrom = truncatedFrom;
    this.cfg = validateRunnerConfig({ ...defaultRunnerConfig(), ...o.config });
    this.core = core;
    this.applied = applied;
    o.transport.onMessage((m) => this.onMessage(m));
    this.ticker = setInterval(() => this.onTick(), this.cfg.tickMs);
    this.kick();
  }

  /** Recover from storage (or bootstrap), bring the state machine up to the stored commit index
   * (restore the snapshot unless the state machine is past it, then apply the committed entries after
   * what it has applied), and only then start ticking and receiving. Resolves once the node is live. */
  static async start(o: RaftNodeOptions): Promise<RaftNode> {
    let st = o.storage.loadMeta();
    const empty = st.hardState.term === 0 && !st.snapshot && st.lastIndex === 0;
    if (empty && o.bootstrap && o.bootstrap.length > 0) {
      if (!o.bootstrap.includes(o.id)) throw RaftError.invalidConfig(`bootstrap voters must include this node ${o.id}`);
      const b = bootstrapState(o.bootstrap);
      o.storage.save({ hardState: b.hardState, snapshot: null, entries: b.entries });
      st = o.storage.loadMeta();
    }
    const applied = await replay(o.stateMachine, o.storage, st);
    // in memory from here: only the entries not applied yet (the rest stays in storage)
    const tail = st.lastIndex > applied ? o.storage.entries(applied + 1, st.lastIndex, Number.MAX_SAFE_INTEGER) : [];
    const seed = o.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
    const core = new RaftCore({
      id: o.id, rand: seededRand(seed), config: o.core ?? {},
      hardState: { ...st.hardState, commit: Math.max(st.hardState.commit, applied) },
      snapshot: st.snapshot, entries: tail, applied,
      stored: { reader: o.storage, confs: st.confs, lastIndex: st.lastIndex },
    });
    return new RaftNode(o, core, applied, st.truncatedFrom);
  }

  // ---- requests -----------------------------------------------------------------------------------

  /** Replicate `data`; resolves with its log index once committed and applied here. */
  propose(data: Uint8Array, timeoutMs = this.cfg.requestTimeoutMs): Promise<number> {
    return this.submit(() => this.core.propose(data), timeoutMs);
  }

  /** Linearizable read barrier: resolves (with the read index) once this node's state machine reflects
   * every write committed before the call; then read local state. Works on followers (asks the leader). */
  readIndex(timeoutMs = this.cfg.requestTimeoutMs): Promise<number> {
    if (this.stopped) return Promise.reject(RaftError.stopped());
    const id = this.readIds.next();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.reads.delete(id);
        this.readWait = this.readWait.filter((w) => w.p.timer !== timer);
        reject(RaftError.timeout(timeoutMs));
      }, timeoutMs);
      this.reads.set(id, { resolve, reject, timer });
      this.core.readIndex(id);
      this.kick();
    });
  }

  addLearner(id: NodeId, timeoutMs = this.cfg.requestTimeoutMs): Promise<number> {
    return this.changeConf({ type: ConfChangeType.AddLearner, nodeId: id }, timeoutMs);
  }

  /** Make a learner a voter; waits (up to the timeout) for it to catch up first. */
  async promote(id: NodeId, timeoutMs = this.cfg.requestTimeoutMs): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.changeConf({ type: ConfChangeType.Promote, nodeId: id }, Math.max(1, deadline - Date.now()));
      } catch (e) {
        const retry = e instanceof RaftError && (e.code === RaftErrorCode.LearnerNotCaughtUp || e.code === RaftErrorCode.ConfChangePending);
        if (!retry || Date.now() >= deadline) throw e;
        await Bun.sleep(this.cfg.tickMs); // the learner catches up within a few heartbeats
      }
    }
  }

  /** Remove a voter (or learner). Removing the leader itself makes it step down once committed. */
  removeVoter(id: NodeId, timeoutMs = this.cfg.requestTimeoutMs): Promise<number> {
    return this.changeConf({ type: ConfChangeType.Remove, nodeId: id }, timeoutMs);
  }

  private changeConf(cc: ConfChange, timeoutMs: number): Promise<number> {
    return this.submit(() => this.core.proposeConfChange(cc), timeoutMs);
  }

  /** Hand leadership to voter `to`; resolves when this node sees `to` lead. */
  async transferLeadership(to: NodeId, timeoutMs = this.cfg.requestTimeoutMs): Promise<void> {
    if (this.stopped) throw RaftError.stopped();
    const err = this.core.transferLeadership(to);
    if (err) throw err;
    this.kick();
    await this.waitFor(() => this.core.lead === to, timeoutMs);
  }

  status(): CoreStatus {
    return this.core.status();
  }

  get isLeader(): boolean {
    return this.core.role === Role.Leader;
  }

  get leaderId(): NodeId | null {
    return this.core.lead;
  }

  /** Stop ticking and receiving; pending requests fail with Stopped. Storage stays open (caller's). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.ticker);
    this.o.transport.close();
    this.failAll(RaftError.stopped());
  }

  // ---- driving the core ---------------------------------------------------------------------------

  private submit(f: () => ReturnType<RaftCore["propose"]>, timeoutMs: number): Promise<number> {
    if (this.stopped) return Promise.reject(RaftError.stopped());
    const r = f();
    if (!r.ok) return Promise.reject(r.error);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.proposals.delete(r.index) && reject(RaftError.timeout(timeoutMs)), timeoutMs);
      this.proposals.set(r.index, { resolve, reject, timer, term: r.term });
      this.kick();
    });
  }

  private waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const w = {
        check: () => {
          if (cond()) w.done(null);
        },
        fail: (e: Error) => w.done(e),
        done: (e: Error | null) => {
          clearTimeout(timer);
          this.watchers.delete(w);
          if (e) reject(e);
          else resolve();
        },
      };
      const timer = setTimeout(() => w.fail(RaftError.timeout(timeoutMs)), timeoutMs);
      this.watchers.add(w);
      w.check();
    });
  }

  private onTick(): void {
    this.core.tick();
    this.noticeState();
    this.kick();
  }

  private onMessage(m: Message): void {
    if (this.stopped || m.to !== this.id) return;
    this.core.step(m);
    this.noticeState();
    this.kick();
  }

  private kick(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped && this.core.hasReady()) await this.handle(this.core.ready());
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.failAll(err);
      this.stop();
      this.o.onFatal?.(err);
    } finally {
      this.running = false;
    }
  }

  private async handle(rd: Ready): Promise<void> {
    this.o.storage.save(rd);
    for (const m of rd.messages) this.o.transport.send(m.to, m);
    this.noticeState();
    for (const r of rd.readStates) {
      const p = this.reads.get(r.id);
      if (p) this.reads.delete(r.id), this.readWait.push({ index: r.index, p });
    }
    for (const id of rd.droppedReads) this.settle(this.reads, id, RaftError.notLeader(this.core.lead));
    if (rd.snapshot && rd.installSnapshot) {
      const s = rd.snapshot;
      await this.o.stateMachine.restore(s.data, { index: s.index, term: s.term, conf: s.conf });
      this.applied = rd.snapshot.index;
      for (const i of [...this.proposals.keys()]) if (i <= rd.snapshot.index) this.settle(this.proposals, i, RaftError.leadershipLost());
    }
    for (const e of rd.committed) {
      await this.o.stateMachine.apply(appliedEntry(e));
      this.applied = e.index;
      const p = this.proposals.get(e.index);
      if (p) this.settle(this.proposals, e.index, p.term === e.term ? null : RaftError.leadershipLost());
    }
    this.readWait = this.readWait.filter((w) => {
      if (w.index > this.applied) return true;
      clearTimeout(w.p.timer);
      w.p.resolve(w.index);
      return false;
    });
    if (this.shouldCompact()) {
      const at = this.core.log.applied;
      const data = await this.o.stateMachine.snapshot();
      if (this.core.log.applied === at && at === this.applied) this.core.compact(data);
    }
    for (const w of [...this.watchers]) w.check();
  }

  /** Compact every snapshotEntries applied entries; a leader waits (up to twice that) for followers to
   * reach the snapshot point, so a briefly lagging follower gets entries rather than a whole snapshot. */
  private shouldCompact(): boolean {
    const behind = this.applied - this.core.log.snapshot.index;
    if (behind < this.cfg.snapshotEntries) return false;
    if (!this.isLeader || behind >= 2 * this.cfg.snapshotEntries) return true;
    return Object.values(this.core.status().match).every((m) => m >= this.applied);
  }

  /** Report role/leader changes; a leader that lost its role fails its pending proposals. */
  private noticeState(): void {
    const s = { role: this.core.role, leaderId: this.core.lead, term: this.core.term };
    const l = this.last;
    if (s.role === l.role && s.leaderId === l.leaderId && s.term === l.term) return;
    if (l.role === Role.Leader && (s.role !== Role.Leader || s.term !== l.term)) {
      for (const i of [...this.proposals.keys()]) this.settle(this.proposals, i, RaftError.leadershipLost());
    }
    this.last = s;
    this.o.onStateChange?.(s);
  }

  private settle(m: Map<number, Pending>, key: number, err: Error | null): void {
    const p = m.get(key);
    if (!p) return;
    m.delete(key);
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(key);
  }

  private failAll(err: Error): void {
    for (const k of [...this.proposals.keys()]) this.settle(this.proposals, k, err);
    for (const k of [...this.reads.keys()]) this.settle(this.reads, k, err);
    for (const w of this.readWait) clearTimeout(w.p.timer), w.p.reject(err);
    this.readWait = [];
    for (const w of [...this.watchers]) w.fail(err);
  }
}

/** Start-up replay: restore the stored snapshot unless the state machine already applied past it, then
 * apply every committed entry after what it has applied. Returns the index applied. Runs before the core
 * exists, so nothing ticks, votes or appends meanwhile. */
async function replay(sm: StateMachine, storage: RaftStorage, st: StoredMeta): Promise<number> {
  const snapIndex = st.snapshot?.index ?? 0;
  let applied = sm.appliedIndex?.() ?? 0;
  if (!Number.isSafeInteger(applied) || applied < 0) throw RaftError.invalidConfig(`appliedIndex() returned ${applied}`);
  if (applied > st.lastIndex) {
    throw RaftError.storageCorrupt(`the state machine has applied up to index ${applied} but the Raft log ends at ${st.lastIndex} (was raft.db lost or replaced?)`);
  }
  if (st.snapshot && applied < snapIndex) {
    const s = st.snapshot;
    await sm.restore(s.data, { index: s.index, term: s.term, conf: s.conf });
  }
  applied = Math.max(applied, snapIndex);
  // entries the state machine applied were committed, even if the stored commit index lags (it is not
  // always flushed)
  const commit = Math.min(Math.max(st.hardState.commit, applied), st.lastIndex);
  while (applied < commit) {
    const page = storage.entries(applied + 1, commit, REPLAY_PAGE_ENTRIES, REPLAY_PAGE_BYTES);
    if (page.length === 0) throw RaftError.storageCorrupt(`entry ${applied + 1} is missing from the log`);
    for (const e of page) {
      await sm.apply(appliedEntry(e));
      applied = e.index;
    }
  }
  return applied;
}
