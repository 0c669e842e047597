/** Node failure: a powered-off worker is seen Down, its replicated tasks move, and it is cleaned when it comes back. */
import { afterEach, describe, expect, test } from "bun:test";
import { waitUntil } from "../harness/index.ts";
import { global, replicated, TestCluster } from "./harness.ts";
import { atMostOneRunningPerSlot, converged } from "./invariants.ts";

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe("node failure", () => {
  test("a powered-off worker goes Down; its replicated tasks run elsewhere; global tasks stay; back, it removes replaced containers", async () => {
    cluster = await TestCluster.start(11, 1, 3);
    const c = cluster;
    const web = await c.createService(replicated("web", 6));
    const mon = await c.createService(global("mon"));
    await waitUntil("converged", () => converged(c), 15_000);
    const victim = c.nodes.find((n) => n.name === "w2")!;
    const onVictim = c.runningContainers(web).filter((x) => x.node === "w2").length;
    expect(onVictim).toBe(2);

    const t0 = Date.now();
    await c.powerOff(victim);
    await waitUntil("w2 down", () => c.state().nodes[victim.id]?.Status.State === "down", 5000);
    const downMs = Date.now() - t0;
    await waitUntil("6 web containers on the other nodes", () => c.runningContainers(web).filter((x) => x.node !== "w2").length === 6, 10_000);
    const movedMs = Date.now() - t0;
    atMostOneRunningPerSlot(c.state());
    // Global tasks of the down node are not moved: 3 ready nodes run 3, w2's task is not replaced.
    const st = c.state();
    expect(Object.values(st.tasks).filter((t) => t.ServiceID === mon && t.NodeID === victim.id && t.DesiredState === "running")).toHaveLength(1);
    // Down within the heartbeat timeout (0.9 s here), replaced after the grace (0.5 s) plus scheduling.
    expect(downMs).toBeLessThan(3000);
    expect(movedMs).toBeLessThan(6000);

    await c.restart(victim);
    await waitUntil("w2 ready again", () => c.state().nodes[victim.id]?.Status.State === "ready", 10_000);
    await waitUntil("converged with w2 back", () => converged(c), 15_000);
    // The replaced tasks' containers on w2 were removed: 6 web containers in all, none of them stale.
    expect(c.runningContainers(web)).toHaveLength(6);
    atMostOneRunningPerSlot(c.state());
  }, 60_000);

  test("a crashed agent (containers keep running) comes back and adopts them without moving anything", async () => {
    cluster = await TestCluster.start(12, 1, 2);
    const c = cluster;
    const web = await c.createService(replicated("web", 4));
    await waitUntil("converged", () => converged(c), 15_000);
    const w1 = c.nodes.find((n) => n.name === "w1")!;
    const before = w1.runtime.containers().filter((x) => x.running).map((x) => x.id).sort();
    await c.crash(w1);
    await c.restart(w1);
    await waitUntil("converged", () => converged(c), 15_000);
    expect(w1.runtime.containers().filter((x) => x.running).map((x) => x.id).sort()).toEqual(before);
    expect(c.runningContainers(web)).toHaveLength(4);
  }, 60_000);
});
