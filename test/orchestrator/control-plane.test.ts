/**
 * The ControlPlane (incremental) against the reference `reconcile` + `schedule`: the same plans, command
 * for command, on random clusters driven through random changes — nodes going down (with and without a
 * time), drained, paused, relabelled and removed; services created, scaled, updated and removed with
 * constraints, reservations, host-mode ports and restart windows; agents reporting; time passing; plans
 * committed whole, in part or not at all; entries the ControlPlane never sees. Entries go through the
 * codec, as they do through Raft, so no object is shared between a plan and the state it produces.
 */
import { describe, expect, test } from "bun:test";
import type { ClusterState, Command, Node, NodeAvailability, PortConfig, ServiceSpec, Task } from "../../internal/api/index.ts";
import { isDesiredLive, isTerminal, stateRank } from "../../internal/api/index.ts";
import { ControlPlane, type ReconcileContext } from "../../internal/orchestrator/index.ts";
import { applyCommands, decodeProposal, emptyState, encodeProposal } from "../../internal/store/index.ts";
import { cmd, node, serviceSpec, taskSpec } from "../store/fixtures/objects.ts";
import { checkPlane, T0 } from "./sim.ts";

const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);
const OPS_PER_RUN = 80;

/** mulberry32: small, seeded, good enough for test inputs. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class World {
  state: ClusterState = emptyState();
  now = T0;
  readonly ids = { seq: 0 };
  readonly plane = new ControlPlane();
  private svcSeq = 0;
  /** Entries the plane was not shown. */
  gaps = 0;
  rounds = 0;
  placed = 0;
  orphaned = 0;
  /** Rollout verdicts and rolling-update turns the plans held, by kind. */
  readonly seen = new Map<string, number>();

  constructor(readonly r: () => number) {}

  pick<T>(xs: readonly T[]): T | undefined {
    return xs.length === 0 ? undefined : xs[Math.floor(this.r() * xs.length)];
  }
  at(): string {
    return new Date(this.now).toISOString();
  }
  ctx(): ReconcileContext {
    return { now: this.now, newId: () => `t${++this.ids.seq}`, orphanGraceMs: 2000 };
  }

  /** One committed entry, through the codec; the plane observes it unless `hidden`. */
  commit(cmds: Command[], hidden = false): void {
    if (cmds.length === 0) return;
    const decoded = decodeProposal(encodeProposal({ rid: "r", cmds })).cmds;
    this.state = applyCommands(this.state, decoded);
    if (hidden) this.gaps += 1;
    else this.plane.observe(this.state, decoded);
  }

  /** The leader: plan (checked against the reference), then commit all, part or none of it. */
  lead(): number {
    this.rounds += 1;
    const { reconciled, scheduled } = checkPlane(this.plane, this.state, this.ctx(), this.ids);
    for (const c of scheduled) if (c.kind === "task.assign") this.placed += 1;
    for (const c of reconciled) if (c.kind === "task.status" && c.status.State === "orphaned") this.orphaned += 1;
    for (const c of reconciled) {
      const k = c.kind === "service.update-status" ? `status:${c.status.State}` : c.kind === "service.rollback" ? "rollback" : c.kind === "task.create" && c.task.DesiredState === "complete" ? "job task" : undefined;
      if (k !== undefined) this.seen.set(k, (this.seen.get(k) ?? 0) + 1);
    }
    const r = this.r();
    if (r < 0.8) this.commit([...reconciled, ...scheduled]);
    else if (r < 0.9) this.commit(reconciled);
    // else: the proposal was lost; the next round plans it again
    return reconciled.length + scheduled.length;
  }

  /** Agents on nodes that are up report a random part of what they would. */
  agents(): void {
    const at = this.at();
    const out: Command[] = [];
    const report = (t: Task, State: Task["Status"]["State"]) => out.push({ kind: "task.status", id: t.ID, status: { Timestamp: at, State, Message: State }, at });
    for (const t of Object.values(this.state.tasks)) {
      const n = t.NodeID === undefined ? undefined : this.state.nodes[t.NodeID];
      if (n === undefined || n.Status.State === "down" || stateRank(t.Status.State) < stateRank("assigned") || isTerminal(t.Status.State)) continue;
      const r = this.r();
      if (!isDesiredLive(t.DesiredState)) {
        if (r < 0.7) report(t, "shutdown");
      } else if (t.Status.State !== "running") {
        if (r < 0.6) report(t, "running");
        else if (r < 0.7) report(t, this.r() < 0.5 ? "failed" : "rejected");
      } else if (r < 0.04 || (t.DesiredState === "complete" && r < 0.4)) report(t, this.r() < 0.6 && t.DesiredState !== "complete" ? "failed" : this.r() < 0.3 ? "failed" : "complete");
    }
    this.commit(out, this.r() < 0.03);
  }

  randomSpec(name: string): ServiceSpec {
    const global = this.r() < 0.3;
    const RestartPolicy = {
      Condition: this.pick(["any", "any", "on-failure", "none"] as const)!,
      Delay: this.pick([0, 1e9, 5e9])!,
      MaxAttempts: this.pick([0, 0, 1, 2])!,
      Window: this.pick([0, 0, 3e9, 10e9])!,
    };
    const constraints = this.pick([[], [], ["node.labels.zone==edge"], ["node.platform.arch!=aarch64"], ["node.role==worker"], ["node.hostname!=host-n2"]])!;
    const reserve = this.pick([undefined, undefined, { NanoCPUs: 5e8 }, { NanoCPUs: 15e8 }, { MemoryBytes: 1024 ** 3 }])!;
    const ports: PortConfig[] = this.r() < 0.15 ? [{ Protocol: "tcp", TargetPort: 80, PublishedPort: 8000 + Math.floor(this.r() * 3), PublishMode: "host" }] : [];
    const kind = this.r();
    const spec = serviceSpec(name, kind < 0.3 ? "global" : Math.floor(this.r() * 9), {
      TaskTemplate: taskSpec({
        RestartPolicy,
        ...(constraints.length > 0 ? { Placement: { Constraints: constraints } } : {}),
        ...(reserve ? { Resources: { Reservations: reserve } } : {}),
      }),
      EndpointSpec: { Ports: ports },
    });
    // Jobs, and rolling-update configs: parallelism, delay, monitor, ratio, order, failure action.
    if (kind >= 0.3 && kind < 0.38) spec.Mode = { ReplicatedJob: { TotalCompletions: Math.floor(this.r() * 6), MaxConcurrent: this.pick([1, 2, 3])! } };
    else if (kind >= 0.38 && kind < 0.42) spec.Mode = { GlobalJob: {} };
    if (this.r() < 0.6) {
      const cfg = () => ({
        Parallelism: this.pick([0, 1, 2, 3])!,
        Delay: this.pick([0, 0, 1e9, 3e9])!,
        FailureAction: this.pick(["pause", "continue", "rollback"] as const)!,
        Monitor: this.pick([0, 1e9, 5e9])!,
        MaxFailureRatio: this.pick([0, 0, 0.3, 1])!,
        Order: ports.length > 0 ? ("stop-first" as const) : this.pick(["stop-first", "start-first"] as const)!,
      });
      spec.UpdateConfig = cfg();
      if (this.r() < 0.5) spec.RollbackConfig = cfg();
    }
    return spec;
  }

  randomNode(id: string): Node {
    const old = this.state.nodes[id];
    const base = node(id, {}, `host-${id}`);
    const state = this.r() < 0.75 ? "ready" : "down";
    const Status: Node["Status"] = { State: state, Addr: "10.0.0.1" };
    // The leader stamps a change of State; a few down nodes have no time (older state).
    if (old?.Status.State === state && old.Status.Timestamp !== undefined) Status.Timestamp = old.Status.Timestamp;
    else if (this.r() < 0.9) Status.Timestamp = this.at();
    return {
      ...base,
      Spec: {
        Role: this.r() < 0.5 ? "manager" : "worker",
        Availability: this.pick<NodeAvailability>(["active", "active", "active", "pause", "drain"])!,
        Labels: this.r() < 0.5 ? { zone: "edge" } : {},
      },
      Description: {
        ...base.Description,
        Platform: { OS: "linux", Architecture: this.r() < 0.3 ? "aarch64" : "x86_64" },
        Resources: { NanoCPUs: this.pick([1e9, 2e9, 4e9])!, MemoryBytes: this.pick([1, 2, 4])! * 1024 ** 3 },
      },
      Status,
    };
  }

  randomOp(): void {
    const svcs = Object.values(this.state.services);
    const r = this.r();
    const at = this.at();
    const hidden = this.r() < 0.03;
    if (r < 0.14 || svcs.length === 0) {
      const n = ++this.svcSeq;
      this.commit([{ kind: "service.create", id: `s${n}`, spec: this.randomSpec(`svc${n}`), at }], hidden);
    } else if (r < 0.26) {
      const s = this.pick(svcs)!;
      if (!("Replicated" in s.Spec.Mode)) return;
      this.commit([{ kind: "service.update", id: s.ID, spec: { ...s.Spec, Mode: { Replicated: { Replicas: Math.floor(this.r() * 9) } } }, at }], hidden);
    } else if (r < 0.34) {
      const s = this.pick(svcs)!;
      const tt = s.Spec.TaskTemplate;
      const TaskTemplate = this.r() < 0.5 ? { ...tt, ForceUpdate: tt.ForceUpdate + 1 } : this.randomSpec(s.Spec.Name).TaskTemplate;
      this.commit([{ kind: "service.update", id: s.ID, spec: { ...s.Spec, TaskTemplate }, at }], hidden);
    } else if (r < 0.37) {
      this.commit([{ kind: "service.remove", id: this.pick(svcs)!.ID, at }], hidden);
    } else if (r < 0.39) {
      const s = this.pick(svcs)!;
      this.commit([{ kind: "service.rollback", id: s.ID, message: "manually requested rollback", at }], hidden);
    } else if (r < 0.55) {
      this.commit([cmd.upsertNode(this.randomNode(`n${1 + Math.floor(this.r() * 6)}`))], hidden);
    } else if (r < 0.58) {
      const n = this.pick(Object.keys(this.state.nodes));
      if (n !== undefined) this.commit([{ kind: "node.remove", id: n }], hidden);
    } else if (r < 0.68) {
      const running = Object.values(this.state.tasks).filter((t) => t.Status.State === "running");
      const t = this.pick(running);
      if (t) this.commit([{ kind: "task.status", id: t.ID, status: { Timestamp: at, State: this.r() < 0.7 ? "failed" : "complete", Message: "exited" }, at }], hidden);
    } else {
      this.now += this.pick([0, 300, 1000, 1999, 2000, 2500, 6000])!;
    }
  }
}

describe("ControlPlane ≡ reconcile + schedule", () => {
  test.each(SEEDS)("seed %i: the same plans at every step", (seed) => {
    const w = new World(rng(seed));
    w.commit([cmd.upsertNode(node("n1")), cmd.upsertNode(node("n2"))]);
    for (let i = 0; i < OPS_PER_RUN; i++) {
      w.randomOp();
      for (let round = 0; round < 4; round++) {
        if (w.lead() === 0) break;
        w.agents();
      }
    }
    // The incremental path was exercised, not bypassed by resynchronising on every plan.
    expect(w.plane.stats.plans).toBe(w.rounds);
    expect(w.plane.stats.resyncs).toBeLessThanOrEqual(w.gaps + 1);
  });

  test("across all seeds the runs placed tasks, orphaned tasks, judged rollouts, ran jobs and resynchronised after missed entries", () => {
    const seen = new Map<string, number>();
    let placed = 0;
    let orphaned = 0;
    let resyncs = 0;
    for (const seed of SEEDS.slice(0, 10)) {
      const w = new World(rng(seed));
      w.commit([cmd.upsertNode(node("n1")), cmd.upsertNode(node("n2"))]);
      for (let i = 0; i < OPS_PER_RUN; i++) {
        w.randomOp();
        for (let round = 0; round < 4 && w.lead() > 0; round++) w.agents();
      }
      placed += w.placed;
      orphaned += w.orphaned;
      resyncs += w.plane.stats.resyncs - 1;
      for (const [k, n] of w.seen) seen.set(k, (seen.get(k) ?? 0) + n);
    }
    if (process.env.SWARM_TEST_COUNTS) console.log(Object.fromEntries(seen));
    for (const k of ["status:completed", "status:paused", "rollback", "job task"]) expect(seen.get(k) ?? 0).toBeGreaterThan(0);
    expect(placed).toBeGreaterThan(100);
    expect(orphaned).toBeGreaterThan(5);
    expect(resyncs).toBeGreaterThan(0);
  });
});

describe("ControlPlane contract", () => {
  function started(): { w: World; plane: ControlPlane } {
    const w = new World(rng(7));
    w.commit([cmd.upsertNode(node("n1")), cmd.upsertNode(node("n2")), cmd.createService("s1", serviceSpec("web", 4))]);
    return { w, plane: w.plane };
  }

  test("the first plan resynchronises; a plan that is never committed is planned again, the same", () => {
    const { w, plane } = started();
    const ctx = () => ({ now: w.now, newId: (() => { let i = 0; return () => `x${++i}`; })() });
    const first = plane.plan(w.state, ctx());
    expect(plane.stats.resyncs).toBe(1);
    expect(first.reconciled.filter((c) => c.kind === "task.create")).toHaveLength(4);
    expect(first.scheduled.filter((c) => c.kind === "task.assign")).toHaveLength(4);
    expect(plane.plan(w.state, ctx())).toEqual(first);
    w.commit(first.commands);
    expect(plane.plan(w.state, ctx()).commands).toEqual([]);
    expect(plane.stats.resyncs).toBe(1);
  });

  test("a missed entry, or a state it has not observed, makes the next plan resynchronise", () => {
    const { w, plane } = started();
    w.commit(plane.plan(w.state, w.ctx()).commands);
    w.commit([{ kind: "service.update", id: "s1", spec: serviceSpec("web", 6), at: w.at() }], true);
    w.commit([cmd.upsertNode(node("n3"))]);
    const plan = plane.plan(w.state, w.ctx());
    expect(plane.stats.resyncs).toBe(2);
    expect(plan.scheduled.filter((c) => c.kind === "task.assign")).toHaveLength(2);
    const other = applyCommands(w.state, [cmd.upsertNode(node("n4"))]);
    plane.plan(other, w.ctx());
    expect(plane.stats.resyncs).toBe(3);
  });

  test("a command kind it does not know is ignored if nodes, services and tasks are untouched", () => {
    const { w, plane } = started();
    w.commit(plane.plan(w.state, w.ctx()).commands);
    const future = { kind: "cluster.rotate-token", role: "worker" } as unknown as Command;
    const s1 = { ...applyCommands(w.state, [future]) };
    plane.observe(s1, [future]);
    expect(plane.plan(s1, w.ctx()).commands).toEqual([]);
    expect(plane.stats.resyncs).toBe(1);
    // Mixed with a change of tasks, it cannot tell what changed: it resynchronises.
    const s2 = applyCommands(s1, [future, cmd.status(Object.keys(s1.tasks)[0]!, "failed", w.at())]);
    plane.observe(s2, [future, cmd.status(Object.keys(s1.tasks)[0]!, "failed", w.at())]);
    expect(plane.plan(s2, w.ctx()).reconciled.map((c) => c.kind)).toEqual(["task.desired", "task.create"]);
    expect(plane.stats.resyncs).toBe(2);
  });

  test("nextCheckAtMs: when a restart window lets a slot restart", () => {
    const { w, plane } = started();
    const spec = serviceSpec("job", 1, { TaskTemplate: taskSpec({ RestartPolicy: { Condition: "any", Delay: 0, MaxAttempts: 1, Window: 10e9 } }) });
    w.commit([cmd.createService("s2", spec)]);
    const run = () => {
      for (let i = 0; i < 6; i++) {
        const p = plane.plan(w.state, w.ctx());
        w.commit(p.commands);
        const at = w.at();
        w.commit(Object.values(w.state.tasks).filter((t) => t.Status.State === "assigned").map((t) => cmd.status(t.ID, "running", at)));
      }
    };
    run();
    const fail = () => {
      const cur = Object.values(w.state.tasks).find((t) => t.ServiceID === "s2" && t.DesiredState === "running")!;
      w.commit([cmd.status(cur.ID, "failed", w.at())]);
      return cur;
    };
    fail();
    run(); // first failure: restarted (attempt 1), created now
    const restartedAt = w.now;
    w.now += 1000;
    const second = fail();
    const p = plane.plan(w.state, w.ctx());
    // One restart already within the 10 s window: the failed task is retired (desired shutdown), not replaced.
    expect(p.reconciled).toEqual([{ kind: "task.desired", id: second.ID, desired: "shutdown", at: w.at() }]);
    expect(p.nextCheckAtMs).toBe(restartedAt + 10_000 + 1);
    w.commit(p.commands);
    w.now = restartedAt + 10_001;
    const later = plane.plan(w.state, w.ctx());
    expect(later.reconciled.map((c) => c.kind)).toEqual(["task.create"]);
    expect(later.reconciled[0]).toMatchObject({ task: { Attempt: second.Attempt + 1, Slot: second.Slot } });
  });
});
