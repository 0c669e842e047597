// A follower's handling of its leader's messages (append, heartbeat, snapshot): update the log and
// return the one reply to send. Pure; called by the core after it has checked the term.
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
