// A deterministic discrete-event simulation of a Raft cluster: nodes, a faulty network, crashes and
// restarts, and KV clients whose history is recorded for the linearizability checker. Everything random
// comes from one seed, so a failing run replays exactly. Scripted scenarios and the random runner both
// drive this class.
import { bootstrapState, ConfChangeType, ReadIds, Role, seededRand } from "../../../internal/raft/index.ts";
import type { ConfChange, CoreConfig, Entry, Message, NodeId, Rand, RaftCore, Snapshot } from "../../../internal/raft/index.ts";
import { Heap } from "./heap.ts";
import { encodePut } from "./kv.ts";
import type { Op } from "./linearizability.ts";
import { SafetyChecker } from "./invariants.ts";
import { SimNetwork } from "./network.ts";
import type { NetConfig } from "./network.ts";
import { SimNode } from "./sim-node.ts";
import type { NodeHost } from "./sim-node.ts";

/** Simulated time units per Raft tick. */
export const TICK = 10;

export type Outcome = "ok" | "fail" | "unknown";

export interface ClientOp {
  readonly id: number;
  readonly kind: "put" | "get";
  readonly key: string;
  value: string | null;
  readonly node: NodeId;
  readonly call: number;
  done: boolean;
  outcome?: Outcome;
  /** For a failure: the leader the node pointed at, if any. */
  leaderHint?: NodeId | null;
  /** For a read: the highest index of any write acknowledged before the read started. */
  mustSee?: number;
  onDone?: (op: ClientOp) => void;
}

interface Ev {
  time: number;
  seq: number;
  run: () => void;
}

export interface SimOptions {
  seed: number;
  /** Initial voters, bootstrapped together. */
  voters: NodeId[];
  net?: Partial<NetConfig>;
  core?: Partial<CoreConfig>;
  /** How nodes number their reads: "runner" (ReadIds, as RaftNode does) or "restart-at-1" (the broken
   * allocator of issue 8, kept to show that the checks catch it). */
  readIds?: "runner" | "restart-at-1";
}

export class Sim implements NodeHost {
  readonly rand: Rand;
  readonly coreConfig: Partial<CoreConfig>;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly net: SimNetwork;
  readonly safety: SafetyChecker;
  readonly history: Op[] = [];
  time = 0;
  private seq = 0;
  private clock = 0;
  private readonly q = new Heap<Ev>();
  private opIds = 0;
  private readonly puts = new Map<NodeId, Map<number, { term: number; op: ClientOp }>>();
  private readonly reads = new Map<NodeId, Map<number, ClientOp>>();
  private readonly waiting = new Map<NodeId, { index: number; op: ClientOp }[]>();
  private processedCount = 0;
  /** Highest index of a write acknowledged to its client so far. */
  private ackedIndex = 0;
  private readonly readIdsKind: "runner" | "restart-at-1";
  /** Messages matching holdIf are kept at delivery (not delivered) until release(). */
  holdIf: ((m: Message) => boolean) | null = null;
  readonly held: Message[] = [];

  constructor(o: SimOptions) {
    this.rand = seededRand(o.seed);
    this.readIdsKind = o.readIds ?? "runner";
    this.coreConfig = o.core ?? {};
    this.net = new SimNetwork(
      this.rand,
      { minDelay: 1, maxDelay: 5, dropRate: 0, dupRate: 0, slowRate: 0, ...o.net },
      (d, m) => this.at(d, () => this.deliver(m)),
    );
    this.safety = new SafetyChecker(() => this.time);
    for (const id of o.voters) this.addNode(id, o.voters);
  }

  // ---- world --------------------------------------------------------------------------------------

  at(delay: number, run: () => void): void {
    this.q.push({ time: this.time + delay, seq: this.seq++, run });
  }

  /** Create and start a node: with `bootstrap`, as one of the cluster's initial voters; without, empty
   * (to be added as a learner). */
  addNode(id: NodeId, bootstrap?: NodeId[]): SimNode {
    const n = new SimNode(id, this);
    if (bootstrap) {
      const b = bootstrapState(bootstrap);
      n.storage.save({ hardState: b.hardState, snapshot: null, entries: b.entries });
    }
    this.nodes.set(id, n);
    n.start();
    const tick = () => {
      if (n.retired) return;
      n.tick();
      this.at(TICK + this.rand.int(-1, 2), tick);
    };
    this.at(this.rand.int(1, TICK + 1), tick);
    return n;
  }

  node(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`sim: no node ${id}`);
    return n;
  }

  core(id: NodeId): RaftCore {
    const c = this.node(id).core;
    if (!c) throw new Error(`sim: node ${id} is down`);
    return c;
  }

  ids(): NodeId[] {
    return [...this.nodes.values()].filter((n) => !n.retired).map((n) => n.id);
  }

  private deliver(m: Message): void {
    if (this.holdIf?.(m)) return void this.held.push(m);
    const n = this.nodes.get(m.to);
    if (!n || n.retired || this.net.blocked(m.from, m.to)) return;
    n.step(m);
  }

  /** Deliver the held messages that match `which` now. */
  release(which: (m: Message) => boolean = () => true): void {
    const out = this.held.filter(which);
    this.held.splice(0, this.held.length, ...this.held.filter((m) => !which(m)));
    for (const m of out) this.nodes.get(m.to)?.step(m);
  }

  /** Run events until `until` holds (checked after each event) or `maxUnits` of time pass. */
  runUntil(until: () => boolean, maxUnits: number): boolean {
    const end = this.time + maxUnits;
    for (;;) {
      if (until()) return true;
      const ev = this.q.pop();
      if (!ev) return until();
      if (ev.time > end) {
        this.q.push(ev);
        this.time = end;
        return until();
      }
      this.time = ev.time;
      ev.run();
    }
  }

  runFor(units: number): void {
    this.runUntil(() => false, units);
  }

  /** The leader with the highest term among running nodes, if any. */
  leader(): NodeId | null {
    let best: SimNode | null = null;
    for (const n of this.nodes.values()) {
      if (n.core?.role === Role.Leader && (!best || n.core.term > best.core!.term)) best = n;
    }
    return best?.id ?? null;
  }

  /** Wait for a leader that a quorum follows in its term (a stable leader). */
  waitForLeader(maxUnits = 100 * TICK): NodeId {
    let id: NodeId | null = null;
    const ok = this.runUntil(() => {
      id = this.leader();
      if (!id) return false;
      const c = this.core(id);
      const followers = c.log.conf.voters.filter((v) => {
        const o = this.nodes.get(v)?.core;
        return o && o.term === c.term && o.lead === id;
      });
      return followers.length >= Math.floor(c.log.conf.voters.length / 2) + 1;
    }, maxUnits);
    if (!ok || !id) throw new Error(`sim: no stable leader within ${maxUnits} units`);
    return id;
  }

  crash(id: NodeId, tear = false): void {
    const n = this.node(id);
    if (tear && n.up) n.tearNext = true;
    else n.crash();
  }

  restart(id: NodeId): void {
    const n = this.node(id);
    n.tearNext = false; // a crash still waiting for a write to tear is called off
    if (n.up || n.retired) return;
    n.start();
  }

  retire(id: NodeId): void {
    const n = this.node(id);
    n.crash();
    n.retired = true;
  }

  /** The client-history clock: call/return instants are drawn from it. */
  opClock(): number {
    return this.clock;
  }

  // ---- clients ------------------------------------------------------------------------------------

  put(key: string, value: string, via: NodeId, timeout = 30 * TICK, onDone?: (op: ClientOp) => void): ClientOp {
    const op = this.newOp("put", key, value, via, onDone);
    const n = this.nodes.get(via);
    if (!n?.core) return this.finish(op, "fail"), op;
    const r = n.core.propose(encodePut({ key, value }));
    if (!r.ok) {
      op.leaderHint = r.error.leaderId;
      this.finish(op, "fail");
      return op;
    }
    this.mapOf(this.puts, via).set(r.index, { term: r.term, op });
    this.at(timeout, () => this.finish(op, "unknown"));
    n.process();
    return op;
  }

  get(key: string, via: NodeId, timeout = 30 * TICK, onDone?: (op: ClientOp) => void): ClientOp {
    const op = this.newOp("get", key, null, via, onDone);
    const n = this.nodes.get(via);
    if (!n?.core) return this.finish(op, "fail"), op;
    op.leaderHint = n.core.lead;
    op.mustSee = this.ackedIndex;
    const id = n.readIds.next();
    this.mapOf(this.reads, via).set(id, op);
    this.at(timeout, () => this.finish(op, "fail"));
    n.core.readIndex(id);
    n.process();
    return op;
  }

  /** Propose a membership change on the current leader; the result of the proposal. */
  changeConf(cc: ConfChange): boolean {
    const l = this.leader();
    if (!l) return false;
    const r = this.core(l).proposeConfChange(cc);
    this.node(l).process();
    return r.ok;
  }

  private newOp(kind: "put" | "get", key: string, value: string | null, node: NodeId, onDone?: (op: ClientOp) => void): ClientOp {
    return { id: ++this.opIds, kind, key, value, node, call: ++this.clock, done: false, ...(onDone ? { onDone } : {}) };
  }

  private mapOf<V>(m: Map<NodeId, Map<number, V>>, id: NodeId): Map<number, V> {
    let x = m.get(id);
    if (!x) m.set(id, (x = new Map()));
    return x;
  }

  private finish(op: ClientOp, outcome: Outcome, value?: string | null): void {
    if (op.done) return;
    op.done = true;
    op.outcome = outcome;
    const ret = ++this.clock;
    if (op.kind === "put" && outcome !== "fail") {
      this.history.push({ kind: "put", key: op.key, value: op.value, call: op.call, ret: outcome === "ok" ? ret : Infinity });
    } else if (op.kind === "get" && outcome === "ok") {
      op.value = value ?? null;
      this.history.push({ kind: "get", key: op.key, value: op.value, call: op.call, ret });
    }
    op.onDone?.(op);
  }

  private serveReads(n: SimNode): void {
    const w = this.waiting.get(n.id);
    if (!w || w.length === 0) return;
    const rest = [];
    for (const r of w) {
      if (r.index <= n.kv.applied) {
        if (!r.op.done && n.kv.applied < (r.op.mustSee ?? 0)) {
          this.safety.violations.push(
            `t=${this.time} stale read: ${n.id} served a read at applied index ${n.kv.applied} (read index ${r.index}) although a write at ${r.op.mustSee} was acknowledged before the read started`,
          );
        }
        this.finish(r.op, "ok", n.kv.data.get(r.op.key) ?? null);
      } else rest.push(r);
    }
    this.waiting.set(n.id, rest);
  }

  // ---- NodeHost -----------------------------------------------------------------------------------

  send(m: Message): void {
    this.net.send(m);
  }

  applied(n: SimNode, e: Entry): void {
    this.safety.applied(n, e);
    const p = this.puts.get(n.id)?.get(e.index);
    if (p) {
      this.puts.get(n.id)!.delete(e.index);
      const ok = p.term === e.term;
      if (ok && !p.op.done) this.ackedIndex = Math.max(this.ackedIndex, e.index);
      this.finish(p.op, ok ? "ok" : "fail");
    }
    this.serveReads(n);
  }

  restored(n: SimNode, s: Snapshot): void {
    this.safety.restored(n, s);
    const m = this.puts.get(n.id);
    if (m) for (const [i, p] of m) if (i <= s.index) m.delete(i), this.finish(p.op, "unknown");
    this.serveReads(n);
  }

  processed(n: SimNode): void {
    this.safety.processed(n);
    if (++this.processedCount % 64 === 0) this.safety.logMatching([...this.nodes.values()]);
  }

  readReady(n: SimNode, id: number, index: number): void {
    const op = this.reads.get(n.id)?.get(id);
    if (!op) return;
    this.reads.get(n.id)!.delete(id);
    this.waiting.set(n.id, [...(this.waiting.get(n.id) ?? []), { index, op }]);
    this.serveReads(n);
  }

  readDropped(n: SimNode, id: number): void {
    const op = this.reads.get(n.id)?.get(id);
    if (op) this.finish(op, "fail");
  }

  readIdsFactory(): { next(): number } {
    if (this.readIdsKind === "runner") return new ReadIds(() => this.rand.next());
    let seq = 0;
    return { next: () => ++seq };
  }

  crashed(n: SimNode): void {
    for (const p of this.puts.get(n.id)?.values() ?? []) this.finish(p.op, "unknown");
    for (const op of this.reads.get(n.id)?.values() ?? []) this.finish(op, "fail");
    for (const r of this.waiting.get(n.id) ?? []) this.finish(r.op, "fail");
    this.puts.delete(n.id);
    this.reads.delete(n.id);
    this.waiting.delete(n.id);
  }
}

export { ConfChangeType };
