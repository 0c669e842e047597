// Unit tests of the pure core: specific rules checked message by message, without a simulator.
import { describe, expect, test } from "bun:test";
import { bootstrapState, ConfChangeType, MemoryStorage, MsgType, RaftCore, RaftErrorCode, Role, seededRand } from "../../internal/raft/index.ts";
import type { Message, NodeId } from "../../internal/raft/index.ts";

/** A core whose storage is kept, so it can be "restarted" from what it persisted. */
function node(id: NodeId, voters: NodeId[], storage = new MemoryStorage(), fresh = true) {
  if (fresh) {
    const b = bootstrapState(voters);
    storage.save({ hardState: b.hardState, snapshot: null, entries: b.entries });
  }
  const st = storage.load();
  const core = new RaftCore({ id, rand: seededRand(7), hardState: st.hardState, snapshot: st.snapshot, entries: st.entries });
  /** Persist and return the messages of everything pending (as the runner would). */
  const flush = (): Message[] => {
    const out: Message[] = [];
    while (core.hasReady()) {
      const rd = core.ready();
      storage.save(rd);
      out.push(...rd.messages);
    }
    return out;
  };
  flush();
  return { core, storage, flush };
}

const voteReq = (from: NodeId, to: NodeId, term: number, pre = false): Message => ({
  type: pre ? MsgType.PreVote : MsgType.Vote, from, to, term, index: 1, logTerm: 1,
});

describe("RaftCore rules", () => {
  test("a single voter elects itself on its first tick (nobody to wait for) and commits proposals alone", () => {
    const { core, flush } = node("a", ["a"]);
    core.tick();
    expect(core.role).toBe(Role.Leader);
    flush();
    const r = core.propose(new TextEncoder().encode("x"));
    expect(r.ok).toBe(true);
    const rd = core.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([r.ok ? r.index : -1]);
    expect(rd.committed.map((e) => e.index)).toContain(r.ok ? r.index : -1);
    expect(rd.hardState?.commit).toBe(r.ok ? r.index : -1);
  });

  test("a vote is persisted before the reply is sent and survives a restart", () => {
    const n = node("c", ["a", "b", "c"]);
    n.core.step(voteReq("a", "c", 5));
    const rd = n.core.ready();
    expect(rd.hardState).toEqual({ term: 5, vote: "a", commit: 1 }); // in the same Ready as the reply
    expect(rd.messages).toEqual([{ type: MsgType.VoteResp, from: "c", to: "a", term: 5 }]);
    n.storage.save(rd);

    const again = node("c", ["a", "b", "c"], n.storage, false);
    again.core.step(voteReq("b", "c", 5));
    expect(again.flush()).toEqual([{ type: MsgType.VoteResp, from: "c", to: "b", term: 5, reject: true }]);
  });

  test("pre-vote changes no term, neither the asker's nor the voter's", () => {
    const a = node("a", ["a", "b", "c"]);
    for (let i = 0; i < 20 && a.core.role === Role.Follower; i++) a.core.tick();
    expect(a.core.role).toBe(Role.PreCandidate);
    expect(a.core.term).toBe(1);
    const asks = a.flush().filter((m) => m.type === MsgType.PreVote);
    expect(asks.map((m) => m.term)).toEqual([2, 2]);
    const b = node("b", ["a", "b", "c"]);
    b.core.step(asks.find((m) => m.to === "b")!);
    expect(b.flush()).toEqual([{ type: MsgType.PreVoteResp, from: "b", to: "a", term: 2 }]);
    expect(b.core.term).toBe(1);
    expect(b.core.vote).toBeNull();
  });

  test("a node that heard from its leader recently ignores vote requests (leader lease)", () => {
    const b = node("b", ["a", "b", "c"]);
    b.core.step({ type: MsgType.Heartbeat, from: "a", to: "b", term: 3, commit: 1 });
    b.flush();
    b.core.step(voteReq("c", "b", 4));
    expect(b.flush()).toEqual([]);
    expect(b.core.term).toBe(3);
  });

  test("followers refuse proposals and name the leader", () => {
    const b = node("b", ["a", "b", "c"]);
    b.core.step({ type: MsgType.Heartbeat, from: "a", to: "b", term: 3, commit: 1 });
    const r = b.core.propose(new Uint8Array([1]));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(RaftErrorCode.NotLeader);
      expect(r.error.leaderId).toBe("a");
    }
  });

  test("an append that does not match the log is rejected with a hint, and entries are persisted before the ack", () => {
    const b = node("b", ["a", "b", "c"]);
    b.core.step({ type: MsgType.App, from: "a", to: "b", term: 2, index: 5, logTerm: 2, entries: [], commit: 1 });
    expect(b.flush()).toEqual([{ type: MsgType.AppResp, from: "b", to: "a", term: 2, index: 5, reject: true, rejectHint: 1 }]);
    const e = { index: 2, term: 2, type: 0 as const, data: new Uint8Array([9]) };
    b.core.step({ type: MsgType.App, from: "a", to: "b", term: 2, index: 1, logTerm: 1, entries: [e], commit: 2 });
    const rd = b.core.ready();
    expect(rd.entries).toEqual([e]);
    expect(rd.committed.map((x) => x.index)).toEqual([2]);
    expect(rd.messages[0]).toMatchObject({ type: MsgType.AppResp, index: 2 });
  });

  test("an entry from an earlier term is not committed by counting replicas (Raft paper, figure 8)", () => {
    const a = node("a", ["a", "b", "c"]);
    const old = { index: 2, term: 2, type: 0 as const, data: new Uint8Array([2]) };
    a.core.step({ type: MsgType.App, from: "b", to: "a", term: 2, index: 1, logTerm: 1, entries: [old], commit: 1 });
    a.flush();
    for (let i = 0; i < 40 && a.core.role === Role.Follower; i++) a.core.tick(); // b went silent
    a.core.step({ type: MsgType.PreVoteResp, from: "c", to: "a", term: 3 });
    a.core.step({ type: MsgType.VoteResp, from: "c", to: "a", term: 3 });
    expect(a.core.role).toBe(Role.Leader);
    a.flush(); // appended its empty entry at index 3, term 3

    a.core.step({ type: MsgType.AppResp, from: "c", to: "a", term: 3, index: 2 });
    expect(a.core.log.committed).toBe(1); // index 2 is on a quorum, but it is of term 2
    a.core.step({ type: MsgType.AppResp, from: "c", to: "a", term: 3, index: 3 });
    expect(a.core.log.committed).toBe(3); // committing the term-3 entry commits index 2 with it
  });

  test("membership changes go one at a time and never remove the last voter", () => {
    const { core, flush } = node("a", ["a"]);
    for (let i = 0; i < 20 && core.role !== Role.Leader; i++) core.tick();
    flush();
    expect(core.proposeConfChange({ type: ConfChangeType.Remove, nodeId: "a" }).ok).toBe(false);
    expect(core.proposeConfChange({ type: ConfChangeType.Promote, nodeId: "z" }).ok).toBe(false);
    expect(core.proposeConfChange({ type: ConfChangeType.AddLearner, nodeId: "b" }).ok).toBe(true);
    expect(core.log.conf).toEqual({ voters: ["a"], learners: ["b"] }); // in force as soon as it is in the log
    // a single voter commits at once, so a second change is accepted after that
    const second = core.proposeConfChange({ type: ConfChangeType.Promote, nodeId: "b" });
    expect(!second.ok && second.error.code).toBe(RaftErrorCode.LearnerNotCaughtUp);
  });
});
