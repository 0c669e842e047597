// Scripted stories on the deterministic simulator. Each reads top to bottom like the situation it
// describes; the safety checker runs underneath all of them.
import { afterEach, describe, expect, test } from "bun:test";
import { ConfChangeType, Role } from "../../internal/raft/index.ts";
import type { NodeId } from "../../internal/raft/index.ts";
import { checkLinearizable } from "./sim/linearizability.ts";
import { Sim, TICK } from "./sim/sim.ts";
import type { ClientOp } from "./sim/sim.ts";

let sim: Sim;
const cluster = (n: number, seed = 1, core = {}) =>
  (sim = new Sim({ seed, voters: Array.from({ length: n }, (_, i) => `n${i + 1}`), core }));

afterEach(() => {
  // every story must also keep Raft's invariants and produce a linearizable history
  sim.safety.logMatching([...sim.nodes.values()]);
  expect(sim.safety.violations).toEqual([]);
  expect(checkLinearizable(sim.history).ok).toBe(true);
});

function write(key: string, value: string, via: NodeId = sim.waitForLeader()): ClientOp {
  const op = sim.put(key, value, via);
  sim.runUntil(() => op.done, 40 * TICK);
  return op;
}
function read(key: string, via: NodeId): ClientOp {
  const op = sim.get(key, via);
  sim.runUntil(() => op.done, 40 * TICK);
  return op;
}
const others = (id: NodeId) => sim.ids().filter((x) => x !== id);
const kv = (id: NodeId, key: string) => sim.node(id).kv.data.get(key);

describe("stories", () => {
  test("the leader is cut off: the majority elects a new leader; after healing the old one follows", () => {
    cluster(3);
    const old = sim.waitForLeader();
    expect(write("color", "red").outcome).toBe("ok");

    sim.net.isolate(old, sim.ids());
    const lost = sim.put("color", "blue", old); // cannot commit: no quorum on its side
    sim.runUntil(() => sim.leader() !== null && sim.leader() !== old, 60 * TICK);
    const next = sim.leader()!;
    expect(next).not.toBe(old);
    expect(write("color", "green", next).outcome).toBe("ok");

    sim.net.heal();
    sim.runUntil(() => sim.core(old).role === Role.Follower && sim.core(old).lead === next, 60 * TICK);
    sim.runUntil(() => kv(old, "color") === "green", 60 * TICK);
    expect(kv(old, "color")).toBe("green");
    expect(lost.outcome).not.toBe("ok"); // its entry was overwritten by the new leader's log
  });

  test("a partitioned follower rejoins without disrupting the leader, thanks to pre-vote", () => {
    cluster(3);
    const leader = sim.waitForLeader();
    const term = sim.core(leader).term;
    const loner = others(leader)[0]!;

    sim.net.isolate(loner, sim.ids());
    sim.runFor(200 * TICK); // ~10 election timeouts alone: it keeps pre-voting and never wins
    expect(sim.core(loner).term).toBe(term);
    expect(write("k", "while-away", leader).outcome).toBe("ok");

    sim.net.heal();
    sim.runUntil(() => kv(loner, "k") === "while-away", 40 * TICK);
    expect(sim.leader()).toBe(leader);
    expect(sim.core(leader).term).toBe(term);
  });

  test("without pre-vote the same rejoin forces an election (the contrast)", () => {
    cluster(3, 1, { preVote: false });
    const leader = sim.waitForLeader();
    const term = sim.core(leader).term;
    const loner = others(leader)[0]!;
    sim.net.isolate(loner, sim.ids());
    sim.runFor(200 * TICK);
    expect(sim.core(loner).term).toBeGreaterThan(term + 3);
  });

  test("a follower that fell far behind catches up from a snapshot", () => {
    cluster(3);
    const leader = sim.waitForLeader();
    const lagger = others(leader)[0]!;
    sim.crash(lagger);
    for (let i = 0; i < 60; i++) expect(write(`k${i % 5}`, `v${i}`, leader).outcome).toBe("ok");
    expect(sim.core(leader).log.snapshot.index).toBeGreaterThan(10); // the leader compacted its log

    sim.restart(lagger);
    sim.runUntil(() => sim.node(lagger).kv.applied >= sim.core(leader).log.committed, 100 * TICK);
    expect(sim.core(lagger).log.snapshot.index).toBeGreaterThan(0); // it was sent a snapshot
    expect(sim.node(lagger).kv.digest()).toBe(sim.node(leader).kv.digest());
  });

  test("membership: a new node joins as a learner, is promoted when caught up, and a voter leaves", () => {
    cluster(3);
    const leader = sim.waitForLeader();
    for (let i = 0; i < 20; i++) write("k", `v${i}`, leader);

    expect(sim.changeConf({ type: ConfChangeType.AddLearner, nodeId: "n4" })).toBe(true);
    sim.addNode("n4");
    expect(sim.changeConf({ type: ConfChangeType.Promote, nodeId: "n4" })).toBe(false); // one change at a time
    sim.runUntil(() => kv("n4", "k") === "v19", 60 * TICK);
    expect(sim.core("n4").role).toBe(Role.Follower); // learners never campaign
    sim.runUntil(() => sim.changeConf({ type: ConfChangeType.Promote, nodeId: "n4" }), 60 * TICK);
    sim.runUntil(() => sim.core(leader).log.committed >= sim.core(leader).log.confIndex, 40 * TICK);
    expect(sim.core(leader).log.conf.voters).toContain("n4");

    const leaving = others(leader).find((x) => x !== "n4")!;
    expect(sim.changeConf({ type: ConfChangeType.Remove, nodeId: leaving })).toBe(true);
    sim.runUntil(() => sim.core(leader).log.committed >= sim.core(leader).log.confIndex, 40 * TICK);
    sim.retire(leaving);
    expect([...sim.core(leader).log.conf.voters].sort()).toEqual([leader, "n4", ...others(leader).filter((x) => x !== "n4")].sort());

    // the new configuration survives losing any one of its three voters
    sim.crash(leader);
    const next = sim.waitForLeader();
    expect(write("k", "after", next).outcome).toBe("ok");
  });

  test("the leader removes itself: it steps down once the change commits and the rest carry on", () => {
    cluster(3);
    const leader = sim.waitForLeader();
    // refused until the new leader has committed an entry of its own term (then accepted)
    expect(sim.runUntil(() => sim.changeConf({ type: ConfChangeType.Remove, nodeId: leader }), 20 * TICK)).toBe(true);
    sim.runUntil(() => sim.core(leader).role !== Role.Leader, 40 * TICK);
    const next = sim.waitForLeader();
    expect(next).not.toBe(leader);
    expect(sim.core(next).log.conf.voters).not.toContain(leader);
    expect(write("k", "v", next).outcome).toBe("ok");
  });

  test("leadership transfer hands over to a chosen voter without waiting for a timeout", () => {
    cluster(5);
    const leader = sim.waitForLeader();
    const target = others(leader)[2]!;
    write("k", "before", leader);
    const start = sim.time;
    expect(sim.core(leader).transferLeadership(target)).toBeNull();
    sim.node(leader).process();
    sim.runUntil(() => sim.leader() === target, 40 * TICK);
    expect(sim.leader()).toBe(target);
    expect(sim.time - start).toBeLessThan(5 * TICK); // far below an election timeout
    expect(write("k", "after", target).outcome).toBe("ok");
  });

  test("a deposed leader cannot serve a stale read (ReadIndex needs a quorum)", () => {
    cluster(3, 1, { checkQuorum: false }); // without check-quorum the old leader never notices by itself
    const old = sim.waitForLeader();
    write("k", "old", old);
    sim.net.isolate(old, sim.ids());
    sim.runUntil(() => sim.leader() !== old, 60 * TICK);
    const next = sim.leader()!;
    expect(write("k", "new", next).outcome).toBe("ok");

    expect(sim.core(old).role).toBe(Role.Leader); // still believes it leads
    expect(read("k", old).outcome).toBe("fail");
    const fresh = read("k", others(next).find((x) => x !== old)!); // a follower asks the leader
    expect(fresh.outcome).toBe("ok");
    expect(fresh.value).toBe("new");
  });

  test("check-quorum: a leader that cannot reach a quorum steps down by itself", () => {
    cluster(5);
    const leader = sim.waitForLeader();
    sim.net.isolate(leader, sim.ids());
    sim.runFor(25 * TICK);
    expect(sim.core(leader).role).toBe(Role.Follower);
  });

  test("every node crashes, some mid-write, and restarts with every acknowledged write", () => {
    cluster(5, 3);
    const acked: [string, string][] = [];
    for (let i = 0; i < 30; i++) {
      const op = write(`k${i % 4}`, `v${i}`);
      if (op.outcome === "ok") acked.push([op.key, op.value!]);
    }
    const pending = sim.put("k0", "torn", sim.leader()!);
    for (const id of sim.ids()) sim.crash(id, true); // tear whatever write is in flight
    sim.runFor(5 * TICK);
    for (const id of sim.ids()) sim.crash(id);
    for (const id of sim.ids()) sim.restart(id);
    const leader = sim.waitForLeader();
    const last = new Map(acked);
    if (pending.outcome === "ok") last.set("k0", "torn");
    // the new leader knows the real commit index only once an entry of its own term commits
    const settled = () => {
      const c = sim.core(leader);
      return c.log.term(c.log.committed) === c.term && sim.ids().every((id) => sim.node(id).kv.applied >= c.log.committed);
    };
    expect(sim.runUntil(settled, 60 * TICK)).toBe(true);
    for (const [k, v] of last) expect(kv(leader, k)).toBe(v);
  });
});
