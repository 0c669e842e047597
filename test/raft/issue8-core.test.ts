// Issue 8 at the level of the pure core: which ReadIndex answers a follower accepts, when it gives up on
// a forwarded read, and how it reassembles snapshot chunks. Messages are written by hand.
import { describe, expect, test } from "bun:test";
import { bootstrapState, MemoryStorage, MsgType, RaftCore, seededRand } from "../../internal/raft/index.ts";
import type { Message, NodeId, Ready, Snapshot } from "../../internal/raft/index.ts";
import { SnapshotAssembler } from "../../internal/raft/snapshot-chunks.ts";

function follower(id: NodeId = "b", voters: NodeId[] = ["a", "b", "c"]) {
  const storage = new MemoryStorage();
  const b = bootstrapState(voters);
  storage.save({ hardState: b.hardState, snapshot: null, entries: b.entries });
  const st = storage.load();
  const core = new RaftCore({ id, rand: seededRand(3), hardState: st.hardState, snapshot: st.snapshot, entries: st.entries, config: { electionTicks: 10 } });
  const drain = (): Ready[] => {
    const out: Ready[] = [];
    while (core.hasReady()) {
      const rd = core.ready();
      storage.save(rd);
      out.push(rd);
    }
    return out;
  };
  const all = <K extends keyof Ready>(k: K) => drain().flatMap((rd) => rd[k] as unknown as unknown[]);
  return { core, drain, all };
}

const hb = (from: NodeId, term: number): Message => ({ type: MsgType.Heartbeat, from, to: "b", term, commit: 1, ctx: 0 });
const answer = (ctx: number, index: number, term = 2): Message => ({ type: MsgType.ReadIndexResp, from: "a", to: "b", term, ctx, index });

describe("a follower's forwarded reads", () => {
  test("only an answer to a read it forwarded (once) completes a read; others are dropped", () => {
    const f = follower();
    f.core.step(hb("a", 2));
    f.drain();
    f.core.readIndex(42);
    expect(f.all("messages")).toContainEqual(expect.objectContaining({ type: MsgType.ReadIndex, to: "a", ctx: 42 }));
    f.core.step(answer(7, 1)); // no read 7 here (an answer meant for an earlier incarnation, say)
    expect(f.all("readStates")).toEqual([]);
    f.core.step(answer(42, 1));
    expect(f.all("readStates")).toEqual([{ id: 42, index: 1 }]);
    f.core.step(answer(42, 1)); // a duplicate
    expect(f.all("readStates")).toEqual([]);
  });

  test("a forwarded read is dropped as soon as the term (hence the leader) changes", () => {
    const f = follower();
    f.core.step(hb("a", 2));
    f.core.readIndex(5);
    f.drain();
    f.core.step(hb("c", 3));
    expect(f.all("droppedReads")).toEqual([5]);
    f.core.step(answer(5, 1, 3)); // too late
    expect(f.all("readStates")).toEqual([]);
  });

  test("a forwarded read that gets no answer within an election timeout is dropped", () => {
    const f = follower();
    f.core.step(hb("a", 2));
    f.core.readIndex(9);
    f.drain();
    const dropped: unknown[] = [];
    let ticks = 0;
    while (dropped.length === 0 && ticks < 100) {
      f.core.tick();
      f.core.step(hb("a", 2)); // the leader is alive: it just never answers this read
      ticks++;
      dropped.push(...f.all("droppedReads"));
    }
    expect(dropped).toEqual([9]);
    expect(ticks).toBe(10);
  });
});

describe("appends arriving out of order", () => {
  const app = (index: number, n: number): Message => ({
    type: MsgType.App, from: "a", to: "b", term: 2, index, logTerm: index <= 1 ? 1 : 2, commit: 1,
    entries: Array.from({ length: n }, (_, k) => ({ index: index + 1 + k, term: 2, type: 0 as const, data: new Uint8Array([k]) })),
  });

  test("an early append is held, not rejected, and acknowledged with the one it waited for", () => {
    const f = follower();
    f.core.step(app(1, 2)); // 2..3: the stream is open
    expect(f.all("messages")).toEqual([expect.objectContaining({ type: MsgType.AppResp, index: 3 })]);
    f.core.step(app(5, 2)); // 6..7 arrives before 4..5
    f.core.step(app(7, 1)); // 8
    expect(f.all("messages")).toEqual([]); // held silently
    f.core.step(app(3, 2)); // 4..5: connects everything
    const msgs = f.all("messages");
    expect(msgs).toEqual([expect.objectContaining({ type: MsgType.AppResp, index: 8 })]);
    expect(msgs[0]).not.toHaveProperty("reject");
    expect(f.core.log.lastIndex()).toBe(8);
  });

  test("held appends whose predecessor was lost make the follower ask for it after 2 ticks", () => {
    const f = follower();
    f.core.step(app(1, 2));
    f.drain();
    f.core.step(app(5, 2));
    f.core.tick();
    expect(f.all("messages")).toEqual([]);
    f.core.tick();
    expect(f.all("messages")).toEqual([expect.objectContaining({ type: MsgType.AppResp, index: 5, reject: true, rejectHint: 3 })]);
    f.core.step(app(3, 2)); // the leader resent it
    expect(f.all("messages")).toEqual([expect.objectContaining({ type: MsgType.AppResp, index: 7 })]);
  });

  test("the first append of a leader is never held (it is the probe that finds where the logs match)", () => {
    const f = follower();
    f.core.step(app(5, 1));
    expect(f.all("messages")).toEqual([expect.objectContaining({ type: MsgType.AppResp, reject: true, rejectHint: 1 })]);
  });
});

describe("snapshot chunks on the follower", () => {
  const snap: Snapshot = { index: 10, term: 2, conf: { voters: ["a", "b", "c"], learners: [] }, data: new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) };
  const chunk = (from: NodeId, term: number, lo: number, hi: number): Message => ({
    type: MsgType.Snap, from, to: "b", term, snapshot: { ...snap, data: snap.data.subarray(lo, hi) }, offset: lo, total: snap.data.length,
  });

  test("chunks arriving out of order are acknowledged by what is held and installed once complete", () => {
    const f = follower();
    f.core.step(chunk("a", 2, 5, 10));
    let rds = f.drain();
    expect(rds.flatMap((r) => r.messages)).toEqual([expect.objectContaining({ type: MsgType.SnapAck, index: 10, offset: 0 })]);
    f.core.step(chunk("a", 2, 5, 10)); // duplicate
    f.core.step(chunk("a", 2, 0, 5));
    rds = f.drain();
    const installed = rds.find((r) => r.installSnapshot)!;
    expect(installed.snapshot).toEqual(snap);
    expect(rds.flatMap((r) => r.messages).at(-1)).toEqual(expect.objectContaining({ type: MsgType.AppResp, index: 10 }));
  });

  test("a partial snapshot is discarded when the term changes", () => {
    const f = follower();
    f.core.step(chunk("a", 2, 0, 5));
    f.drain();
    f.core.step(hb("c", 3)); // a new leader
    f.core.step(chunk("c", 3, 5, 10)); // the rest of the same snapshot, from it: the first half is gone
    const rds = f.drain();
    expect(rds.some((r) => r.installSnapshot)).toBe(false);
    expect(rds.flatMap((r) => r.messages).at(-1)).toEqual(expect.objectContaining({ type: MsgType.SnapAck, offset: 0 }));
  });

  test("a partial snapshot left idle is discarded after the given number of ticks", () => {
    const a = new SnapshotAssembler();
    expect(a.add(chunk("a", 2, 0, 5))).toBeNull();
    expect(a.held).toBe(5);
    for (let i = 0; i < 19; i++) a.tick(20);
    expect(a.held).toBe(5);
    a.tick(20);
    expect(a.held).toBe(0);
  });

  test("an empty snapshot is one empty chunk", () => {
    const a = new SnapshotAssembler();
    const s = a.add({ type: MsgType.Snap, from: "a", to: "b", term: 2, snapshot: { ...snap, data: new Uint8Array(0) }, offset: 0, total: 0 });
    expect(s?.data.length).toBe(0);
    expect(s?.index).toBe(10);
  });
});
