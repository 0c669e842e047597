// Issue 8 on the deterministic simulator: the stale read after a restart (with the property that catches
// it), catch-up cost on a reordering network, and snapshots in chunks. Every story also keeps Raft's
// invariants and a linearizable history.
import { describe, expect, test } from "bun:test";
import { MsgType } from "../../internal/raft/index.ts";
import type { CoreConfig, Message, NodeId } from "../../internal/raft/index.ts";
import { checkLinearizable } from "./sim/linearizability.ts";
import { Sim, TICK } from "./sim/sim.ts";
import type { NetConfig } from "./sim/network.ts";
import type { SimOptions } from "./sim/sim.ts";

const clean = (sim: Sim) => {
  sim.safety.logMatching([...sim.nodes.values()]);
  return { violations: sim.safety.violations, linearizable: checkLinearizable(sim.history).ok };
};

/** Issue 8, item 1, step by step. Returns the simulator after the stale answer was delivered. */
function staleAnswerAfterRestart(readIds: SimOptions["readIds"]): { sim: Sim; f: NodeId; reread: ReturnType<Sim["get"]> } {
  const sim = new Sim({ seed: 11, voters: ["n1", "n2", "n3"], ...(readIds ? { readIds } : {}) });
  const leader = sim.waitForLeader();
  const f = ["n1", "n2", "n3"].find((x) => x !== leader)!;
  const put = (v: string) => {
    const op = sim.put("k", v, leader);
    sim.runUntil(() => op.done, 40 * TICK);
    expect(op.outcome).toBe("ok");
  };
  put("old");
  sim.runUntil(() => sim.node(f).kv.data.get("k") === "old", 40 * TICK);

  // (1) F starts a read; the leader's answer is held up in the network
  sim.holdIf = (m) => m.to === f && m.type === MsgType.ReadIndexResp;
  const first = sim.get("k", f);
  sim.runUntil(() => sim.held.length === 1, 20 * TICK);
  expect(sim.held.length).toBe(1);
  // (2) F crashes and restarts at once in the same term; a heartbeat tells it the leader
  const term = sim.core(leader).term;
  sim.crash(f);
  expect(first.outcome).toBe("fail");
  sim.restart(f);
  sim.runUntil(() => sim.core(f).lead === leader, 20 * TICK);
  expect(sim.core(f).term).toBe(term);
  // (3) a write is acknowledged (F does not receive it: its appends are held too)
  const stale = sim.held[0]!;
  sim.holdIf = (m) => m.to === f && (m.type === MsgType.ReadIndexResp || m.type === MsgType.App);
  put("new");
  // (4) F starts another read; (5) the answer to the first read arrives
  const reread = sim.get("k", f);
  sim.runFor(2 * TICK);
  sim.release((m) => m === stale);
  sim.runFor(2 * TICK);
  return { sim, f, reread };
}

describe("issue 8: reads across a restart", () => {
  test("an answer meant for the previous incarnation does not complete a newer read", () => {
    const { sim, reread } = staleAnswerAfterRestart("runner");
    expect(reread.done).toBe(false); // the stale answer was dropped
    sim.holdIf = null;
    sim.release();
    sim.runUntil(() => reread.done, 40 * TICK);
    expect(reread.outcome).toBe("ok");
    expect(reread.value).toBe("new");
    expect(clean(sim)).toEqual({ violations: [], linearizable: true });
  });

  test("the checks catch it: with read ids that restart at 1 the same story serves a stale read", () => {
    const { sim, reread } = staleAnswerAfterRestart("restart-at-1");
    expect(reread.done).toBe(true);
    expect(reread.value).toBe("old");
    const r = clean(sim);
    expect(r.violations.some((v) => v.includes("stale read"))).toBe(true);
    expect(r.linearizable).toBe(false);
  });
});

/** Messages between the leader and a follower that was down while GAP entries were committed, until the
 * follower's log is complete. No compaction: it catches up from the log. */
function catchUp(net: Partial<NetConfig>, core: Partial<CoreConfig>, gap: number, seed = 5): number {
  const sim = new Sim({ seed, voters: ["n1", "n2", "n3"], net, core });
  for (const n of sim.nodes.values()) n.compactEvery = Number.POSITIVE_INFINITY;
  const leader = sim.waitForLeader();
  const lagger = ["n1", "n2", "n3"].find((x) => x !== leader)!;
  sim.crash(lagger);
  const ops = Array.from({ length: gap }, (_, i) => sim.put(`k${i % 7}`, `v${i}`, leader, 10_000 * TICK));
  expect(sim.runUntil(() => ops.every((o) => o.done), 10_000 * TICK)).toBe(true);
  let msgs = 0;
  const send = sim.net.send.bind(sim.net);
  sim.net.send = (m: Message) => {
    if ((m.from === leader && m.to === lagger) || (m.from === lagger && m.to === leader)) msgs++;
    send(m);
  };
  sim.restart(lagger);
  const target = sim.core(leader).log.lastIndex();
  expect(sim.runUntil(() => sim.core(lagger).log.lastIndex() >= target, 100_000 * TICK)).toBe(true);
  expect(clean(sim)).toEqual({ violations: [], linearizable: true });
  return msgs;
}

describe("issue 8: catch-up cost is proportional to the gap whatever the order of arrival", () => {
  const GAP = 400;
  for (const per of [1, 16]) {
    test(`${GAP} entries behind, ${per} per append: reordering costs no more than twice the in-order messages`, () => {
      const inOrder = catchUp({ minDelay: 3, maxDelay: 3 }, { maxEntriesPerMsg: per }, GAP);
      const jitter = catchUp({ minDelay: 1, maxDelay: 5 }, { maxEntriesPerMsg: per }, GAP);
      const appends = Math.ceil(GAP / per);
      expect(inOrder).toBeLessThan(3 * appends + 60);
      expect(jitter).toBeLessThan(2 * inOrder);
    });
  }

  test("with loss and duplication on top, catch-up still completes at a cost of the same order", () => {
    const msgs = catchUp({ minDelay: 1, maxDelay: 5, dropRate: 0.05, dupRate: 0.05 }, { maxEntriesPerMsg: 1 }, 400);
    expect(msgs).toBeLessThan(8 * 400);
  });
});

describe("issue 8: snapshots travel in chunks", () => {
  function laggingBehindSnapshot(net: Partial<NetConfig>, core: Partial<CoreConfig>) {
    const sim = new Sim({ seed: 21, voters: ["n1", "n2", "n3"], net, core });
    const leader = sim.waitForLeader();
    const lagger = ["n1", "n2", "n3"].find((x) => x !== leader)!;
    sim.crash(lagger);
    for (let i = 0; i < 120; i++) {
      const op = sim.put(`key-${i % 30}`, `a value long enough to make the state big ${i}`, leader);
      sim.runUntil(() => op.done, 100 * TICK);
    }
    const snap = sim.core(leader).log.snapshot;
    expect(snap.data.length).toBeGreaterThan(1000);
    const chunks: Message[] = [];
    const send = sim.net.send.bind(sim.net);
    sim.net.send = (m: Message) => {
      if (m.type === MsgType.Snap && m.to === lagger) chunks.push(m);
      send(m);
    };
    sim.restart(lagger);
    const caughtUp = sim.runUntil(() => sim.node(lagger).kv.applied >= sim.core(leader).log.committed && sim.core(lagger).log.snapshot.index > 0, 2000 * TICK);
    return { sim, leader, lagger, chunks, caughtUp };
  }

  test("no chunk is larger than snapshotChunkBytes; the follower reassembles them in any order", () => {
    const { sim, leader, lagger, chunks, caughtUp } = laggingBehindSnapshot({ minDelay: 1, maxDelay: 8 }, { snapshotChunkBytes: 100, snapshotChunksInFlight: 4 });
    expect(caughtUp).toBe(true);
    expect(chunks.length).toBeGreaterThan(10);
    expect(Math.max(...chunks.map((m) => m.snapshot!.data.length))).toBeLessThanOrEqual(100);
    expect(sim.node(lagger).kv.digest()).toBe(sim.node(leader).kv.digest());
    expect(clean(sim)).toEqual({ violations: [], linearizable: true });
  });

  test("with lost chunks it completes by resending from what the follower holds, never whole snapshots in a loop", () => {
    const { sim, leader, lagger, chunks, caughtUp } = laggingBehindSnapshot(
      { minDelay: 1, maxDelay: 8, dropRate: 0.1, dupRate: 0.05 },
      { snapshotChunkBytes: 100, snapshotChunksInFlight: 4 },
    );
    expect(caughtUp).toBe(true);
    expect(sim.node(lagger).kv.digest()).toBe(sim.node(leader).kv.digest());
    // one snapshot in flight: chunks of a given snapshot are only sent again after an election timeout
    // of silence, so the bytes sent stay within a small multiple of the snapshot's size
    const sent = chunks.reduce((a, m) => a + m.snapshot!.data.length, 0);
    const size = Math.max(...chunks.map((m) => m.total!));
    expect(sent).toBeLessThan(3 * size);
    expect(clean(sim)).toEqual({ violations: [], linearizable: true });
  });

  test("a follower that goes silent mid-snapshot costs one chunk per election timeout, not a window", () => {
    const sim = new Sim({ seed: 23, voters: ["n1", "n2", "n3"], net: { minDelay: 1, maxDelay: 3 }, core: { snapshotChunkBytes: 50, snapshotChunksInFlight: 4, electionTicks: 10 } });
    const leader = sim.waitForLeader();
    const lagger = ["n1", "n2", "n3"].find((x) => x !== leader)!;
    sim.crash(lagger);
    for (let i = 0; i < 120; i++) {
      const op = sim.put(`key-${i % 30}`, `a value long enough to make the state big ${i}`, leader);
      sim.runUntil(() => op.done, 100 * TICK);
    }
    let chunks = 0;
    const send = sim.net.send.bind(sim.net);
    sim.net.send = (m: Message) => {
      if (m.type === MsgType.Snap && m.to === lagger) chunks++;
      send(m);
    };
    sim.restart(lagger);
    sim.runUntil(() => chunks >= 2, 100 * TICK);
    sim.crash(lagger); // gone for good, mid-snapshot
    chunks = 0;
    sim.runFor(200 * TICK); // 20 election timeouts
    expect(chunks).toBeGreaterThan(0);
    expect(chunks).toBeLessThanOrEqual(4 + 20);
  });
});
