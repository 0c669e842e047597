// One randomized simulation run: a cluster of 1, 3 or 5 voters, KV clients, a faulty network, random
// partitions (symmetric and one-way), crashes with torn writes, restarts, leadership transfers and
// (optionally) membership changes; then everything heals and the cluster must make progress again.
// Safety is checked throughout and the client history must be linearizable. Reproducible from `seed`.
import { ConfChangeType, seededRand } from "../../../internal/raft/index.ts";
import type { NodeId } from "../../../internal/raft/index.ts";
import { checkLinearizable } from "./linearizability.ts";
import { Sim, TICK } from "./sim.ts";
import type { ClientOp } from "./sim.ts";

export interface RunOptions {
  seed: number;
  nodes: number;
  /** Ticks of faults before healing. */
  faultTicks?: number;
  /** Ticks after healing in which the cluster must make progress. */
  healTicks?: number;
  clients?: number;
  keys?: number;
  membership?: boolean;
  /** See SimOptions.readIds (the broken allocator only to check that the checks catch it). */
  readIds?: "runner" | "restart-at-1";
}

export interface RunResult {
  seed: number;
  nodes: number;
  violations: string[];
  ops: number;
  okOps: number;
  messages: number;
  maxCommitted: number;
}

export function runSimulation(o: RunOptions): RunResult {
  const pick = seededRand(o.seed ^ 0x5bd1e995);
  const voters = Array.from({ length: o.nodes }, (_, i) => `n${i + 1}`);
  const sim = new Sim({
    seed: o.seed,
    voters,
    ...(o.readIds ? { readIds: o.readIds } : {}),
    net: {
      minDelay: 1,
      maxDelay: pick.next() < 0.8 ? pick.int(2, 30) : pick.int(30, 80), // up to most of an election timeout
      dropRate: pick.next() < 0.3 ? 0 : pick.next() * (pick.next() < 0.8 ? 0.15 : 0.35),
      dupRate: pick.next() * 0.05,
      slowRate: pick.next() * 0.05,
    },
    // Some runs without check-quorum or pre-vote: deposed leaders then linger, which stresses ReadIndex.
    // Tiny batches and windows on some seeds exercise probing, window-full pauses and partial appends.
    core: {
      checkQuorum: pick.next() < 0.75,
      preVote: pick.next() < 0.75,
      maxEntriesPerMsg: [1, 3, 256][pick.int(0, 3)]!,
      maxInflightMsgs: [1, 2, 64][pick.int(0, 3)]!,
      // Byte-capped appends, and snapshots in chunks of a few bytes (many chunks, any order, lost ones).
      maxBytesPerMsg: [64, 1024 * 1024][pick.int(0, 2)]!,
      snapshotChunkBytes: [7, 64, 512 * 1024][pick.int(0, 3)]!,
      snapshotChunksInFlight: [1, 3, 4][pick.int(0, 3)]!,
    },
  });
  const faultUntil = (o.faultTicks ?? 300) * TICK;
  const healUntil = faultUntil + (o.healTicks ?? 200) * TICK;
  const keys = Array.from({ length: o.keys ?? 3 }, (_, i) => `k${i}`);
  let healed = false;
  let okAfterHeal = 0;
  let hint: NodeId | null = null;
  let value = 0;

  const clientLoop = () => {
    if (sim.time >= healUntil) return;
    const ids = sim.ids().filter((id) => sim.node(id).up);
    const via = hint && sim.rand.next() < 0.8 && sim.node(hint).up ? hint : ids[sim.rand.int(0, ids.length)];
    const key = keys[sim.rand.int(0, keys.length)]!;
    const done = (op: ClientOp) => {
      if (op.outcome === "ok") {
        if (op.kind === "put") hint = op.node;
        if (healed && op.call > healClock) okAfterHeal++;
      } else hint = op.leaderHint ?? null;
      sim.at(sim.rand.int(0, 3 * TICK), clientLoop);
    };
    if (!via) return void sim.at(TICK, clientLoop);
    if (sim.rand.next() < 0.5) sim.put(key, `v${++value}`, via, 30 * TICK, done);
    else sim.get(key, via, 30 * TICK, done);
  };
  for (let c = 0; c < (o.clients ?? 3); c++) sim.at(sim.rand.int(1, 5 * TICK), clientLoop);

  const faults = () => {
    if (sim.time >= faultUntil) return;
    const ids = sim.ids();
    const r = sim.rand.next();
    const l = sim.leader();
    if (r < 0.15) sim.net.heal();
    else if (r < 0.3) {
      const shuffled = [...ids].sort(() => sim.rand.next() - 0.5);
      const k = sim.rand.int(1, Math.max(2, ids.length));
      sim.net.partition([shuffled.slice(0, k), shuffled.slice(k)]);
    } else if (r < 0.4 && l) sim.net.isolate(l, ids);
    else if (r < 0.5) {
      const a = ids[sim.rand.int(0, ids.length)]!, b = ids[sim.rand.int(0, ids.length)]!;
      if (a !== b) sim.net.cutOneWay(a, b);
    } else if (r < 0.7) {
      const victim = sim.rand.next() < 0.5 && l ? l : ids[sim.rand.int(0, ids.length)]!;
      sim.crash(victim, sim.rand.next() < 0.5);
      const fast = sim.rand.next() < 0.5; // a quick reboot can catch an election in flight
      sim.at(fast ? sim.rand.int(1, 3 * TICK) : sim.rand.int(5 * TICK, 50 * TICK), () => sim.restart(victim));
    } else if (r < 0.85) for (const id of ids) sim.restart(id);
    else if (r < 0.9 && l) {
      const voters = sim.core(l).log.conf.voters.filter((v) => v !== l);
      if (voters.length > 0) sim.core(l).transferLeadership(voters[sim.rand.int(0, voters.length)]!), sim.node(l).process();
    } else if (o.membership) membershipStep();
    sim.at(sim.rand.int(5 * TICK, 30 * TICK), faults);
  };
  let spare = 0;
  const membershipStep = () => {
    const l = sim.leader();
    if (!l) return;
    const conf = sim.core(l).log.conf;
    if (conf.learners.length > 0) {
      sim.changeConf({ type: ConfChangeType.Promote, nodeId: conf.learners[0]! });
    } else if (conf.voters.length > o.nodes) {
      const victim = conf.voters[sim.rand.int(0, conf.voters.length)]!;
      sim.changeConf({ type: ConfChangeType.Remove, nodeId: victim }); // the removed node keeps running
    } else {
      const id = `x${++spare}`;
      if (sim.changeConf({ type: ConfChangeType.AddLearner, nodeId: id })) sim.addNode(id);
    }
  };
  sim.at(sim.rand.int(5 * TICK, 30 * TICK), faults);

  let healClock = 0;
  sim.runUntil(() => sim.safety.violations.length > 0, faultUntil);
  if (sim.safety.violations.length === 0) {
    sim.net.heal();
    sim.net.cfg = { ...sim.net.cfg, dropRate: 0, dupRate: 0, slowRate: 0 };
    for (const id of sim.ids()) sim.restart(id);
    healed = true;
    healClock = sim.opClock();
    sim.runUntil(() => sim.safety.violations.length > 0, healUntil - sim.time);
    sim.runFor(40 * TICK); // let outstanding operations finish or time out
  }
  const violations = [...sim.safety.violations];
  sim.safety.logMatching([...sim.nodes.values()]);
  violations.push(...sim.safety.violations.filter((v) => !violations.includes(v)));
  if (violations.length === 0 && okAfterHeal === 0) {
    violations.push(`liveness: no operation succeeded in the ${o.healTicks ?? 200} ticks after healing every fault`);
  }
  const lin = checkLinearizable(sim.history);
  if (!lin.ok) violations.push(`linearizability: history of key ${lin.key} has no linearization (${lin.history!.length} ops)`);
  return {
    seed: o.seed,
    nodes: o.nodes,
    violations,
    ops: sim.history.length,
    okOps: sim.history.filter((h) => h.ret !== Infinity).length,
    messages: sim.net.messages,
    maxCommitted: sim.safety.maxCommitted,
  };
}
