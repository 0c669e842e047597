// Leader-only state and behaviour: replication to each follower (probe / pipelined replicate / snapshot),
// commit by quorum of the current term, ReadIndex confirmation rounds and leadership transfer.
// Created when a node becomes leader and dropped when it steps down. Pure: it only emits messages.
import type { CoreConfig } from "./config.ts";
import { Progress, ProgressState } from "./progress.ts";
import type { RaftLog } from "./raft-log.ts";
import { MsgType } from "./types.ts";
import type { Message, NodeId, ReadState } from "./types.ts";

/** What the leader needs from its core. */
export interface LeaderHost {
  readonly id: NodeId;
  readonly term: number;
  readonly log: RaftLog;
  readonly cfg: CoreConfig;
  send(m: Omit<Message, "from" | "term">): void;
  readDone(r: ReadState): void;
}

interface PendingRead {
  id: number;
  from: NodeId;
  index: number;
  ctx: number;
  acks: Set<NodeId>;
}

export function quorum(voters: readonly NodeId[]): number {
  return Math.floor(voters.length / 2) + 1;
}

export class Leader {
  readonly prs = new Map<NodeId, Progress>();
  transferee: NodeId | null = null;
  private readCtx = 0;
  private pendingReads: PendingRead[] = [];
  /** Reads that arrived before an entry of this term committed (the commit index may be stale). */
  private waitingReads: { id: number; from: NodeId }[] = [];

  constructor(private readonly h: LeaderHost) {
    this.syncProgress();
  }

  /** Make progress trackers match the membership in force (after becoming leader or a Conf entry). */
  syncProgress(): void {
    const { voters, learners } = this.h.log.conf;
    const members = new Set([...voters, ...learners]);
    for (const id of members) {
      if (!this.prs.has(id)) {
        const pr = new Progress(this.h.log.lastIndex() + 1, this.h.cfg.maxInflightMsgs);
        pr.recentActive = true;
        this.prs.set(id, pr);
      }
    }
    for (const id of [...this.prs.keys()]) if (!members.has(id)) this.prs.delete(id);
    if (this.transferee && !voters.includes(this.transferee)) this.transferee = null;
    const self = this.prs.get(this.h.id);
    if (self) self.maybeUpdate(this.h.log.lastIndex());
  }

  private peers(): NodeId[] {
    return [...this.prs.keys()].filter((id) => id !== this.h.id);
  }

  /** The leader appended entries locally. */
  appended(): void {
    this.prs.get(this.h.id)?.maybeUpdate(this.h.log.lastIndex());
  }

  /** Send an append (or a snapshot) to `to` if its window allows. Returns whether anything was sent. */
  sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const pr = this.prs.get(to);
    if (!pr || pr.isPaused()) return false;
    const log = this.h.log;
    const prevIndex = pr.next - 1;
    const prevTerm = log.term(prevIndex);
    if (prevTerm === undefined) {
      pr.becomeSnapshot(log.snapshot);
      this.sendSnapChunks(to, pr);
      return true;
    }
    const ents = log.slice(pr.next, log.lastIndex(), this.h.cfg.maxEntriesPerMsg, this.h.cfg.maxBytesPerMsg);
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.h.send({ type: MsgType.App, to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: log.committed });
    pr.sentEntries(prevIndex + ents.length, ents.length);
    return true;
  }

  /** Send the chunks of the snapshot in progress that fit in the window past what the follower holds. */
  private sendSnapChunks(to: NodeId, pr: Progress): void {
    const s = pr.snap!;
    const total = s.data.length;
    const size = this.h.cfg.snapshotChunkBytes;
    const window = size * (pr.snapQuiet ? 1 : this.h.cfg.snapshotChunksInFlight);
    while ((pr.snapSent < total || !pr.snapStarted) && pr.snapSent - pr.snapAcked < window) {
      const offset = pr.snapSent;
      const data = s.data.subarray(offset, Math.min(total, offset + size));
      this.h.send({ type: MsgType.Snap, to, snapshot: { index: s.index, term: s.term, conf: s.conf, data }, offset, total });
      pr.snapSent = offset + data.length;
      pr.snapStarted = true;
    }
  }

  bcastAppend(): void {
    for (const id of this.peers()) this.sendAppend(id);
  }

  bcastHeartbeat(): void {
    for (const id of this.peers()) {
      const pr = this.prs.get(id)!;
      this.h.send({ type: MsgType.Heartbeat, to: id, commit: Math.min(pr.match, this.h.log.committed), ctx: this.readCtx });
    }
  }

  /** Advance the commit index to the highest index stored on a quorum of voters, if it is of this term. */
  maybeCommit(): boolean {
    const voters = this.h.log.conf.voters;
    if (voters.length === 0) return false;
    const matches = voters.map((v) => this.prs.get(v)?.match ?? 0).sort((a, b) => b - a);
    const mci = matches[quorum(voters) - 1]!;
    const log = this.h.log;
    if (mci > log.committed && log.term(mci) === this.h.term) {
      log.commitTo(mci);
      this.releaseWaitingReads();
      return true;
    }
    return false;
  }

  /** Check-quorum: were a quorum of voters heard from since the last call? Resets the marks. */
  quorumActive(): boolean {
    const voters = this.h.log.conf.voters;
    let active = 0;
    for (const v of voters) {
      const pr = this.prs.get(v);
      if (v === this.h.id || pr?.recentActive) active++;
    }
    for (const [id, pr] of this.prs) if (id !== this.h.id) pr.recentActive = false;
    return active >= quorum(voters);
  }

  /** Called every tick: a snapshot whose follower showed no progress for an election timeout is sent
   * again from what the follower last said it holds (or, if the leader has a newer one, replaced). */
  tick(): void {
    for (const [id, pr] of this.prs) {
      if (pr.state !== ProgressState.Snapshot) continue;
      if (++pr.snapshotTicks < this.h.cfg.electionTicks) continue;
      if (pr.snap && pr.snap.index === this.h.log.snapshot.index) {
        pr.rewindSnapshot();
        this.sendSnapChunks(id, pr);
      } else {
        pr.becomeProbe();
        this.sendAppend(id);
      }
    }
  }

  /** The follower holds the first `offset` bytes of the snapshot being sent: send more. */
  onSnapAck(m: Message): void {
    const pr = this.prs.get(m.from);
    if (!pr || pr.state !== ProgressState.Snapshot || !pr.snap || pr.snap.index !== m.index) return;
    pr.recentActive = true;
    pr.snapQuiet = false;
    pr.snapLastAck = m.offset!;
    if (m.offset! > pr.snapAcked) {
      pr.snapAcked = m.offset!;
      pr.snapSent = Math.max(pr.snapSent, pr.snapAcked);
      pr.snapshotTicks = 0;
    }
    this.sendSnapChunks(m.from, pr);
  }

  onAppResp(m: Message): void {
    const pr = this.prs.get(m.from);
    // index 0 without reject: a newer term's notice that arrived after we reached that term; no news
    if (!pr || (!m.reject && m.index === 0)) return;
    pr.recentActive = true;
    if (m.reject) {
      if (pr.maybeDecrTo(m.index!, m.rejectHint!)) {
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index!)) return;
    if (pr.state === ProgressState.Probe) pr.becomeReplicate();
    else if (pr.state === ProgressState.Snapshot && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Replicate) pr.freeTo(m.index!);
    if (this.maybeCommit()) this.bcastAppend();
    else if (oldPaused) this.sendAppend(m.from);
    while (this.sendAppend(m.from, false));
    if (m.from === this.transferee && pr.match === this.h.log.lastIndex()) {
      this.h.send({ type: MsgType.TimeoutNow, to: m.from });
    }
  }

  onHeartbeatResp(m: Message): void {
    const pr = this.prs.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    pr.probeSent = false;
    if (pr.state === ProgressState.Replicate && pr.inflights.length >= pr.maxInflight) pr.freeFirst();
    if (pr.match < this.h.log.lastIndex()) this.sendAppend(m.from);
    if (m.ctx !== undefined && this.h.log.conf.voters.includes(m.from)) {
      for (const r of this.pendingReads) if (r.ctx <= m.ctx) r.acks.add(m.from);
      this.releaseReads();
    }
  }

  /** A linearizable read request (from this node or a follower). */
  onRead(id: number, from: NodeId): void {
    if (this.h.log.term(this.h.log.committed) !== this.h.term) {
      this.waitingReads.push({ id, from });
      return;
    }
    this.readCtx++;
    this.pendingReads.push({ id, from, index: this.h.log.committed, ctx: this.readCtx, acks: new Set([this.h.id]) });
    this.releaseReads();
    if (this.pendingReads.length > 0) this.bcastHeartbeat();
  }

  private releaseWaitingReads(): void {
    if (this.waitingReads.length === 0 || this.h.log.term(this.h.log.committed) !== this.h.term) return;
    const w = this.waitingReads;
    this.waitingReads = [];
    for (const r of w) this.onRead(r.id, r.from);
  }

  private releaseReads(): void {
    const voters = this.h.log.conf.voters;
    const q = quorum(voters);
    let n = 0;
    // A later read's acks imply the earlier ones' (acks cover every ctx <= the echoed one).
    for (let i = this.pendingReads.length - 1; i >= 0; i--) {
      const acks = [...this.pendingReads[i]!.acks].filter((v) => voters.includes(v)).length;
      if (acks >= q) {
        n = i + 1;
        break;
      }
    }
    for (const r of this.pendingReads.splice(0, n)) {
      if (r.from === this.h.id) this.h.readDone({ id: r.id, index: r.index });
      else this.h.send({ type: MsgType.ReadIndexResp, to: r.from, ctx: r.id, index: r.index });
    }
  }

  /** Ids of this node's own reads still pending (failed when leadership ends). */
  localReads(): number[] {
    return [...this.waitingReads, ...this.pendingReads].filter((r) => r.from === this.h.id).map((r) => r.id);
  }

  transfer(to: NodeId): void {
    this.transferee = to;
    const pr = this.prs.get(to)!;
    if (pr.match === this.h.log.lastIndex()) this.h.send({ type: MsgType.TimeoutNow, to });
    else this.sendAppend(to);
  }
}
