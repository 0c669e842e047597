// The pure Raft core (etcd raft's design): no I/O, no timers, no Math.random. Inputs: tick(), step(msg),
// propose(), proposeConfChange(), readIndex(), transferLeadership(), compact(). Output: ready(), a batch
// of effects as data that the caller performs in order (persist, send, apply) before calling ready()
// again. One instance per node; not reentrant; every method is synchronous.
import { defaultCoreConfig, validateCoreConfig } from "./config.ts";
import type { CoreConfig } from "./config.ts";
import { RaftError } from "./errors.ts";
import { Leader, quorum } from "./leader.ts";
import { AppendStream, followLeader } from "./follower.ts";
import { applyConfChange } from "./membership.ts";
import { ProgressState } from "./progress.ts";
import type { Rand } from "./rand.ts";
import { RaftLog } from "./raft-log.ts";
import type { StoredLog } from "./raft-log.ts";
import { SnapshotAssembler } from "./snapshot-chunks.ts";
import { encodeConfEntry, EntryType, MsgType, Role } from "./types.ts";
import type { ConfChange, ConfState, Entry, HardState, Message, NodeId, ReadState, Ready, Snapshot } from "./types.ts";

export interface CoreOptions {
  id: NodeId;
  rand: Rand;
  config?: Partial<CoreConfig>;
  /** What storage recovered (all empty for a brand-new node). */
  hardState?: HardState | null;
  snapshot?: Snapshot | null;
  entries?: Entry[];
  /** How far the state machine has applied already (the runner replays before creating the core);
   * committed entries up to here are never handed out again. Default: the snapshot's index. */
  applied?: number;
  /** The node's storage, to keep applied entries there rather than in memory; `entries` may then start
   * after the snapshot (at most at applied + 1). The caller must then persist each Ready (step 1 of its
   * contract) before any other call into the core. */
  stored?: StoredLog;
}

export type ProposeResult = { ok: true; index: number; term: number } | { ok: false; error: RaftError };

export interface CoreStatus {
  id: NodeId;
  role: Role;
  term: number;
  leaderId: NodeId | null;
  commit: number;
  applied: number;
  lastIndex: number;
  snapshotIndex: number;
  /** Log entries held in memory (with storage behind the log: those not applied yet, plus a few). */
  entriesInMemory: number;
  conf: ConfState;
  /** Leader only: each member's matched index. */
  match: Record<NodeId, number>;
}

export class RaftCore {
  readonly id: NodeId;
  readonly cfg: CoreConfig;
  readonly log: RaftLog;
  term: number;
  vote: NodeId | null;
  lead: NodeId | null = null;
  role: Role = Role.Follower;
  private readonly rand: Rand;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedTimeout = 0;
  private votes = new Map<NodeId, boolean>();
  private leader: Leader | null = null;
  private needBcast = false;
  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private droppedReads: number[] = [];
  /** Follower: reads forwarded to the leader and not answered yet, with ticks since forwarding. */
  private readonly forwarded = new Map<number, number>();
  private readonly stream: AppendStream;
  private readonly assembler = new SnapshotAssembler();
  private prevHard: HardState;

  constructor(o: CoreOptions) {
    this.id = o.id;
    this.rand = o.rand;
    this.cfg = validateCoreConfig({ ...defaultCoreConfig(), ...o.config });
    const hs = o.hardState ?? { term: 0, vote: null, commit: 0 };
    this.log = new RaftLog(o.snapshot ?? null, o.entries ?? [], hs.commit, o.applied ?? 0, o.stored);
    this.stream = new AppendStream(this.cfg.maxInflightMsgs);
    this.term = hs.term;
    this.vote = hs.vote;
    this.prevHard = { term: hs.term, vote: hs.vote, commit: this.log.committed };
    this.resetTimers();
  }

  // ---- inputs -------------------------------------------------------------------------------------

  tick(): void {
    if (this.leader) return this.tickLeader(this.leader);
    this.electionElapsed++;
    this.tickForwardedReads();
    this.assembler.tick(2 * this.cfg.electionTicks);
    if (this.lead !== null) {
      const nudge = this.stream.tick(this.log, this.lead);
      if (nudge) this.send(nudge);
    }
    if (this.electionElapsed >= this.randomizedTimeout && this.promotable()) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickLeader(l: Leader): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    l.tick();
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !l.quorumActive()) return this.becomeFollower(this.term, null);
      l.transferee = null;
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      l.bcastHeartbeat();
    }
  }

  /** Append application data (opaque). Returns the index it will commit at, if it commits. */
  propose(data: Uint8Array): ProposeResult {
    const l = this.leader;
    if (!l) return { ok: false, error: RaftError.notLeader(this.lead) };
    if (l.transferee) return { ok: false, error: RaftError.transferInProgress() };
    return this.appendLocal(l, EntryType.Normal, data);
  }

  /** Propose one membership change. Refused while another change is uncommitted or before this leader
   * committed an entry of its own term; Promote requires the learner to have caught up. */
  proposeConfChange(cc: ConfChange): ProposeResult {
    const l = this.leader;
    if (!l) return { ok: false, error: RaftError.notLeader(this.lead) };
    if (l.transferee) return { ok: false, error: RaftError.transferInProgress() };
    const log = this.log;
    if (log.confIndex > log.committed || log.term(log.committed) !== this.term) {
      return { ok: false, error: RaftError.confChangePending() };
    }
    const conf = applyConfChange(log.conf, cc, (id) => {
      const pr = l.prs.get(id);
      // replicating (it acked a matching append) and within one batch of the end of the log
      return pr !== undefined && pr.state === ProgressState.Replicate && pr.match + this.cfg.maxEntriesPerMsg >= log.lastIndex();
    });
    if (conf instanceof RaftError) return { ok: false, error: conf };
    const r = this.appendLocal(l, EntryType.Conf, encodeConfEntry({ change: cc, conf }));
    l.syncProgress();
    if (l.maybeCommit()) this.afterCommit();
    return r;
  }

  private appendLocal(l: Leader, type: EntryType, data: Uint8Array): ProposeResult {
    const index = this.log.lastIndex() + 1;
    this.log.append([{ index, term: this.term, type, data }]);
    l.appended();
    if (l.maybeCommit()) this.afterCommit();
    this.needBcast = true; // sent on the next ready(): proposals between two ready() calls share messages
    return { ok: true, index, term: this.term };
  }

  /** Request a linearizable read; its ReadState (or a drop) comes out of a later ready() with this id.
   * Ids must be unique across this node's incarnations (an answer can outlive a restart): see ReadIds.
   * A follower forwards the read to its leader; it drops it (droppedReads) when the term or leader changes
   * or when no answer came within an election timeout, so callers never wait on a lost answer. */
  readIndex(id: number): void {
    if (this.leader) this.leader.onRead(id, this.id);
    else if (this.lead !== null) {
      this.forwarded.set(id, 0);
      this.send({ type: MsgType.ReadIndex, to: this.lead, ctx: id });
    } else this.droppedReads.push(id);
  }

  private tickForwardedReads(): void {
    for (const [id, t] of this.forwarded) {
      if (t + 1 < this.cfg.electionTicks) this.forwarded.set(id, t + 1);
      else this.forwarded.delete(id), this.droppedReads.push(id);
    }
  }

  /** Hand leadership to a caught-up voter `to`; proposals are refused until it completes or an election
   * timeout passes. */
  transferLeadership(to: NodeId): RaftError | null {
    const l = this.leader;
    if (!l) return RaftError.notLeader(this.lead);
    if (to === this.id) return null;
    if (!this.log.conf.voters.includes(to)) return RaftError.confChangeInvalid(`${to} is not a voter`);
    this.electionElapsed = 0;
    l.transfer(to);
    return null;
  }

  /** Compact the log up to everything handed out for applying so far; `data` is the state machine's state
   * at exactly that point. Call only after applying all committed entries of the last ready(). */
  compact(data: Uint8Array): Snapshot | null {
    return this.log.compact(data);
  }

  step(m: Message): void {
    if (m.term > this.term) {
      if (m.type === MsgType.Vote || m.type === MsgType.PreVote) {
        const inLease = this.cfg.checkQuorum && this.lead !== null && this.electionElapsed < this.cfg.electionTicks;
        if (!m.transfer && inLease) return;
      }
      if (m.type === MsgType.PreVote || (m.type === MsgType.PreVoteResp && !m.reject)) {
        // pre-vote never changes terms; a granted response carries the term the candidate will use
      } else if (m.type === MsgType.App || m.type === MsgType.Heartbeat || m.type === MsgType.Snap) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      if (m.type === MsgType.App || m.type === MsgType.Heartbeat) {
        this.send({ type: MsgType.AppResp, to: m.from, index: 0 }); // tells a stale leader about the newer term
      } else if (m.type === MsgType.PreVote) {
        this.send({ type: MsgType.PreVoteResp, to: m.from, reject: true });
      }
      return;
    }
    if (m.type === MsgType.Vote || m.type === MsgType.PreVote) return this.onVoteRequest(m);
    if (this.leader) return this.stepLeader(this.leader, m);
    if (this.role === Role.Follower) return this.stepFollower(m);
    return this.stepCandidate(m);
  }

  private onVoteRequest(m: Message): void {
    const pre = m.type === MsgType.PreVote;
    const canVote = this.vote === m.from || (this.vote === null && this.lead === null) || (pre && m.term > this.term);
    const type = pre ? MsgType.PreVoteResp : MsgType.VoteResp;
    if (canVote && this.log.isUpToDate(m.index!, m.logTerm!)) {
      this.msgs.push({ type, from: this.id, to: m.from, term: m.term });
      if (!pre) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type, to: m.from, reject: true });
    }
  }

  private stepLeader(l: Leader, m: Message): void {
    switch (m.type) {
      case MsgType.AppResp:
        l.onAppResp(m);
        return this.afterCommit();
      case MsgType.HeartbeatResp:
        return l.onHeartbeatResp(m);
      case MsgType.ReadIndex:
        return l.onRead(m.ctx!, m.from);
      case MsgType.SnapAck:
        return l.onSnapAck(m);
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MsgType.App:
      case MsgType.Heartbeat:
      case MsgType.Snap:
        this.electionElapsed = 0;
        this.lead = m.from;
        return this.onLeaderMessage(m);
      case MsgType.TimeoutNow:
        if (this.promotable()) this.hup(true);
        return;
      case MsgType.ReadIndexResp:
        // only an answer to a read this incarnation forwarded in this term (a late or duplicated answer,
        // or one meant for an earlier incarnation, must not complete a newer read with an older index)
        if (!this.forwarded.delete(m.ctx!)) return;
        this.readStates.push({ id: m.ctx!, index: m.index! });
        return;
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case MsgType.App:
      case MsgType.Heartbeat:
      case MsgType.Snap:
        this.becomeFollower(m.term, m.from);
        return this.onLeaderMessage(m);
      case MsgType.PreVoteResp:
      case MsgType.VoteResp: {
        if ((m.type === MsgType.PreVoteResp) !== (this.role === Role.PreCandidate)) return;
        this.votes.set(m.from, !m.reject);
        const voters = this.log.conf.voters;
        const granted = voters.filter((v) => this.votes.get(v) === true).length;
        const rejected = voters.filter((v) => this.votes.get(v) === false).length;
        if (granted >= quorum(voters)) {
          if (this.role === Role.PreCandidate) this.campaign(false);
          else this.becomeLeader();
        } else if (rejected >= quorum(voters)) {
          this.becomeFollower(this.term, null);
        }
        return;
      }
    }
  }

  private onLeaderMessage(m: Message): void {
    if (m.type === MsgType.App) {
      const r = this.stream.onAppend(this.log, m);
      if (r) this.send(r);
    } else if (m.type === MsgType.Snap) {
      this.onSnapChunk(m);
    } else {
      this.send(followLeader(this.log, m));
    }
  }

  /** One chunk of a snapshot: acknowledge what we hold, install once complete. A snapshot we do not need
   * (already committed, or a prefix we hold) is answered at once, without waiting for its data. */
  private onSnapChunk(m: Message): void {
    const s = m.snapshot!;
    const log = this.log;
    let whole: Snapshot | null = null;
    if (s.index <= log.committed || log.matchTerm(s.index, s.term)) {
      this.assembler.reset();
      whole = s;
    } else {
      whole = this.assembler.add(m);
      if (!whole) return this.send({ type: MsgType.SnapAck, to: m.from, index: s.index, offset: this.assembler.held });
    }
    const r = followLeader(log, { ...m, snapshot: whole });
    this.stream.installed(r.index!);
    this.send(r);
  }

  // ---- elections ----------------------------------------------------------------------------------

  /** May this node campaign? Voters may; so may a voter whose removal is not committed yet: it counts
   * only the new configuration's votes (not its own), and without it a cluster shrinking from 2 to 1
   * could deadlock (the survivor lacks the entry, the leaving node has it and refuses its vote). */
  private promotable(): boolean {
    const log = this.log;
    if (log.conf.voters.includes(this.id)) return true;
    return log.confIndex > log.committed && log.prevConf.voters.includes(this.id);
  }

  private hup(transfer: boolean): void {
    if (this.leader || !this.promotable()) return;
    if (this.cfg.preVote && !transfer) {
      this.reset(this.term);
      this.role = Role.PreCandidate;
      this.solicit(MsgType.PreVote, this.term + 1, false);
    } else {
      this.campaign(transfer);
    }
  }

  private campaign(transfer: boolean): void {
    this.reset(this.term + 1);
    this.role = Role.Candidate;
    this.vote = this.id;
    this.solicit(MsgType.Vote, this.term, transfer);
  }

  private solicit(type: MsgType, term: number, transfer: boolean): void {
    const voters = this.log.conf.voters;
    this.votes.set(this.id, true);
    if (voters.includes(this.id) && quorum(voters) <= 1) {
      if (type === MsgType.PreVote) return this.campaign(false);
      return this.becomeLeader();
    }
    for (const v of voters) {
      if (v === this.id) continue;
      this.msgs.push({ type, from: this.id, to: v, term, index: this.log.lastIndex(), logTerm: this.log.lastTerm(), ...(transfer ? { transfer } : {}) });
    }
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.role = Role.Leader;
    this.lead = this.id;
    const l = new Leader(this);
    this.leader = l;
    this.appendLocal(l, EntryType.Noop, new Uint8Array(0));
  }

  private becomeFollower(term: number, lead: NodeId | null): void {
    this.reset(term);
    this.role = Role.Follower;
    this.lead = lead;
  }

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
    }
    if (this.leader) this.droppedReads.push(...this.leader.localReads());
    this.droppedReads.push(...this.forwarded.keys());
    this.forwarded.clear();
    this.stream.reset();
    this.assembler.reset();
    this.leader = null;
    this.needBcast = false;
    this.lead = null;
    this.votes.clear();
    this.resetTimers();
  }

  private resetTimers(): void {
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    // A sole voter has nobody to wait for (nor to split a vote with): it campaigns on its next tick, so a
    // one-node cluster can write again right after a restart instead of an election timeout later.
    const v = this.log.conf.voters;
    const sole = v.length === 1 && v[0] === this.id;
    this.randomizedTimeout = sole ? 1 : this.cfg.electionTicks + this.rand.int(0, this.cfg.electionTicks);
  }

  /** After the commit index moved on the leader: a leader whose removal committed steps down. */
  private afterCommit(): void {
    const log = this.log;
    if (this.leader && log.confIndex <= log.committed && !this.promotable()) {
      this.leader.bcastAppend(); // let followers learn the commit before we go quiet
      this.becomeFollower(this.term, null);
    }
  }

  // ---- outputs ------------------------------------------------------------------------------------

  send(m: Omit<Message, "from" | "term">): void {
    this.msgs.push({ ...m, from: this.id, term: this.term } as Message);
  }

  readDone(r: ReadState): void {
    this.readStates.push(r);
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  hasReady(): boolean {
    const hs = this.hardState();
    const p = this.prevHard;
    return (
      this.needBcast || this.msgs.length > 0 || this.log.hasUnstable() || this.log.committed > this.log.applied ||
      this.readStates.length > 0 || this.droppedReads.length > 0 ||
      hs.term !== p.term || hs.vote !== p.vote || hs.commit !== p.commit
    );
  }

  /** Take the pending effects. See `Ready` for the order in which they must be performed. */
  ready(): Ready {
    if (this.needBcast && this.leader) this.leader.bcastAppend();
    this.needBcast = false;
    const hs = this.hardState();
    const p = this.prevHard;
    const changed = hs.term !== p.term || hs.vote !== p.vote || hs.commit !== p.commit;
    this.prevHard = hs;
    const snapshot = this.log.pendingSnapshot;
    const installSnapshot = this.log.pendingInstall;
    this.log.pendingSnapshot = null;
    this.log.pendingInstall = false;
    const rd: Ready = {
      hardState: changed ? hs : null,
      snapshot,
      installSnapshot,
      entries: this.log.takeUnstable(),
      messages: this.msgs,
      committed: this.log.takeCommitted(),
      readStates: this.readStates,
      droppedReads: this.droppedReads,
    };
    this.log.release(); // applied entries beyond the retained few now live in storage only
    this.msgs = [];
    this.readStates = [];
    this.droppedReads = [];
    return rd;
  }

  status(): CoreStatus {
    const match: Record<NodeId, number> = {};
    if (this.leader) for (const [id, pr] of this.leader.prs) match[id] = pr.match;
    return {
      id: this.id, role: this.role, term: this.term, leaderId: this.lead, commit: this.log.committed,
      applied: this.log.applied, lastIndex: this.log.lastIndex(), snapshotIndex: this.log.snapshot.index,
      entriesInMemory: this.log.inMemory,
      conf: this.log.conf, match,
    };
  }
}
