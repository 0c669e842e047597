/** Managers: three managers and two workers, leader failover, writes on any manager, quorum loss. */
import { afterEach, describe, expect, test } from "bun:test";
import { isSwarmError } from "../../internal/api/index.ts";
import { waitUntil } from "../harness/index.ts";
import { replicated, TestCluster } from "./harness.ts";
import { acknowledgedPresent, atMostOneRunningPerSlot, converged } from "./invariants.ts";

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe("managers", () => {
  test("three managers are Raft voters; every manager takes writes and reads its own", async () => {
    cluster = await TestCluster.start(21, 3, 2);
    const c = cluster;
    const st = c.state();
    const voters = Object.values(st.nodes).filter((n) => n.ManagerStatus?.Voter).map((n) => n.Description.Hostname).sort();
    expect(voters).toEqual(["m1", "m2", "m3"]);
    for (const m of c.managers()) {
      const name = `svc-${m.name}`;
      await m.api.createService(replicated(name, 1));
      expect((await m.api.services()).map((s) => s.Service.Spec.Name)).toContain(name);
    }
    await waitUntil("converged", () => converged(c), 15_000);
    // Node views: one leader, the others reachable.
    const nodes = await c.managers()[1]!.api.nodes();
    const ms = nodes.filter((n) => n.ManagerStatus).map((n) => (n.ManagerStatus!.Leader ? "Leader" : n.ManagerStatus!.Reachability));
    expect(ms.sort()).toEqual(["Leader", "reachable", "reachable"]);
  }, 60_000);

  test("the leader crashes: another manager leads within 2 s and accepts writes; nothing acknowledged is lost", async () => {
    cluster = await TestCluster.start(22, 3, 1);
    const c = cluster;
    const acked = new Set<string>();
    for (let i = 0; i < 3; i++) {
      await c.createService(replicated(`before-${i}`, 1));
      acked.add(`before-${i}`);
    }
    const old = c.leader()!;
    const t0 = Date.now();
    await c.crash(old);
    const other = c.managers().find((m) => m !== old)!;
    await waitUntil("a write accepted by another manager", async () => {
      try {
        await other.api.createService(replicated("after", 1));
        return true;
      } catch {
        return false;
      }
    }, 10_000, 20);
    acked.add("after");
    const failoverMs = Date.now() - t0;
    expect(failoverMs).toBeLessThan(3000);
    acknowledgedPresent(c.state(), acked);
    await c.restart(old);
    await waitUntil("the old leader caught up", () => {
      const st = old.agent.requireManager().state;
      return Object.values(st.services).length === 4;
    }, 10_000);
    acknowledgedPresent(old.agent.requireManager().state, acked);
    await waitUntil("converged", () => converged(c), 20_000);
    atMostOneRunningPerSlot(c.state());
  }, 60_000);

  test("a manager cut off from the others refuses writes within a few seconds, and acknowledges none", async () => {
    cluster = await TestCluster.start(23, 3, 0);
    const c = cluster;
    const lonely = c.managers().find((m) => m !== c.leader())!;
    c.partition(lonely);
    const t0 = Date.now();
    const err = await lonely.api.createService(replicated("minority", 1)).then(() => undefined, (e: unknown) => e);
    expect(isSwarmError(err) && err.code).toMatch(/NO_LEADER|UNAVAILABLE/);
    expect(Date.now() - t0).toBeLessThan(12_000);
    c.heal(lonely);
    await waitUntil("the majority's leader", () => c.leader(), 10_000);
    const st = c.state();
    expect(Object.values(st.services).map((s) => s.Spec.Name)).not.toContain("minority");
  }, 60_000);
});
