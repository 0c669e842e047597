// A follower's handling of its leader's messages (append, heartbeat, snapshot): update the log and
// return the one reply to send. Pure; called by the core after it has checked the term.
// Also the follower's reorder buffer (AppendStream): the transport may reorder messages, and an append
// that arrives before the ones it follows is held rather than rejected (a reject sends the leader back to
// probing and, with a pipelined window, turns reordering into a storm of resent appends).
import type { RaftLog } from "./raft-log.ts";
import { MsgType } from "./types.ts";
import type { Message } from "./types.ts";

export type Reply = Omit<Message, "from" | "term">;

export function followLeader(log: RaftLog, m: Message): Reply {
  if (m.type === MsgType.Heartbeat) {
    // the leader sends min(our match, its commit): entries we are known to hold
    log.commitTo(Math.min(m.commit!, log.lastIndex()));
    return { type: MsgType.HeartbeatResp, to: m.from, ctx: m.ctx };
  }
  if (m.type === MsgType.Snap) {
    const s = m.snapshot!;
    if (s.index <= log.committed) return { type: MsgType.AppResp, to: m.from, index: log.committed };
    if (log.matchTerm(s.index, s.term)) {
      log.commitTo(s.index); // we already hold that prefix: no need to replace the log
      return { type: MsgType.AppResp, to: m.from, index: log.committed };
    }
    log.restore(s);
    return { type: MsgType.AppResp, to: m.from, index: log.lastIndex() };
  }
  // committed entries are known to match the leader's log
  if (m.index! < log.committed) return { type: MsgType.AppResp, to: m.from, index: log.committed };
  const lastNew = log.maybeAppend(m.index!, m.logTerm!, m.commit!, m.entries ?? []);
  if (lastNew !== null) return { type: MsgType.AppResp, to: m.from, index: lastNew };
  return { type: MsgType.AppResp, to: m.from, index: m.index, reject: true, rejectHint: Math.min(m.index!, log.lastIndex()) };
}

/** Most payload bytes held back at once (besides the count cap, maxInflightMsgs). */
export const MAX_HELD_BYTES = 16 * 1024 * 1024;

const bytesOf = (m: Message) => (m.entries ?? []).reduce((a, e) => a + e.data.length, 0);

/** The appends of the current leader in the current term. Reset on every term or leader change. */
export class AppendStream {
  /** Highest index known to match the leader's log (acknowledged in this term). 0: no append yet. */
  matched = 0;
  private held: Message[] = [];
  private heldBytes = 0;
  private idleTicks = 0;

  constructor(private readonly cap: number) {}

  reset(): void {
    this.matched = 0;
    this.held = [];
    this.heldBytes = 0;
    this.idleTicks = 0;
  }

  /** Handle an append: hold it if it is early (a gap or an unconfirmed entry before it, once this leader
   * has appended here at all), else append it and every held append it connects, and acknowledge once. */
  onAppend(log: RaftLog, m: Message): Reply | null {
    // committed entries are known to match too (and may already be compacted away)
    const known = Math.max(this.matched, log.committed);
    const early = this.matched > 0 && m.index! > known && !log.matchTerm(m.index!, m.logTerm!);
    if (early && this.held.length < this.cap && this.heldBytes + bytesOf(m) <= MAX_HELD_BYTES) {
      if (!this.held.some((h) => h.index === m.index && (h.entries?.length ?? 0) >= (m.entries?.length ?? 0))) {
        this.held.push(m);
        this.heldBytes += bytesOf(m);
      }
      return null;
    }
    const reply = followLeader(log, m);
    if (reply.reject) return reply;
    let last = reply.index!;
    this.matched = Math.max(this.matched, last);
    for (let k = this.held.findIndex((h) => h.index! <= this.matched); k >= 0; k = this.held.findIndex((h) => h.index! <= this.matched)) {
      const h = this.held.splice(k, 1)[0]!;
      this.heldBytes -= bytesOf(h);
      const r = followLeader(log, h);
      if (!r.reject) last = Math.max(last, r.index!), (this.matched = Math.max(this.matched, r.index!));
    }
    this.idleTicks = 0;
    return { ...reply, index: last };
  }

  /** After a snapshot from the leader was installed (or found already held): the log matches up to it. */
  installed(index: number): void {
    this.matched = Math.max(this.matched, index);
    this.held = this.held.filter((h) => h.index! + (h.entries?.length ?? 0) > index);
    this.heldBytes = this.held.reduce((a, h) => a + bytesOf(h), 0);
  }

  /** One tick: appends held for 2 ticks mean one before them was probably lost; return the reject that
   * makes the leader resend from what we hold (the held appends are kept and connected when it comes). */
  tick(log: RaftLog, leader: string): Reply | null {
    if (this.held.length === 0) return (this.idleTicks = 0), null;
    if (++this.idleTicks < 2) return null;
    this.idleTicks = 0;
    const first = Math.min(...this.held.map((h) => h.index!));
    return { type: MsgType.AppResp, to: leader, index: first, reject: true, rejectHint: Math.min(first, log.lastIndex()) };
  }
}
