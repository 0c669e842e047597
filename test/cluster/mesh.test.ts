/**
 * The routing mesh across a cluster (issue 12, docs/cluster.md "Endpoint tables"), in one process:
 * every node's mesh runs over an in-memory backend that outlives agent restarts (like kernel rules).
 * - every node, workers included, spreads a published port over the tasks of every node; a node
 *   reaches its own tasks at their container address (client address kept);
 * - no container is stopped while any node's mesh still sends new connections to it (a scale-down
 *   with one node's mesh slow to apply; the same run without the leader's hold shows the race);
 * - a node powered off leaves every table within the detection time;
 * - a restarted agent leaves the rules in place until its first table, then replaces them.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { ServiceSpec } from "../../internal/api/index.ts";
import { FakeBackend } from "../../internal/mesh/index.ts";
import type { Ruleset } from "../../internal/mesh/index.ts";
import { waitUntil } from "../harness/index.ts";
import { replicated, TEST_TIMINGS, TestCluster, type TestNode } from "./harness.ts";

/** A backend whose applies take `delayMs` (a busy node's nft). */
class SlowBackend extends FakeBackend {
  constructor(
    name: string,
    private readonly delayMs: number,
  ) {
    super(name);
  }
  override async apply(r: Ruleset): Promise<void> {
    await Bun.sleep(this.delayMs);
    await super.apply(r);
  }
}

function published(name: string, replicas: number, port = 8080): ServiceSpec {
  return { ...replicated(name, replicas), EndpointSpec: { Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: port, PublishMode: "ingress" }] } };
}

/** ip:port targets of the node's mesh for `port` (sorted), or null when the port is not served. */
function targets(n: TestNode, port = 8080): string[] | null {
  const p = n.mesh.current?.proxies.find((x) => x.port === port && x.bindIp === "0.0.0.0");
  return p ? p.targets.map((t) => `${t.ip}:${t.port}`).sort() : null;
}

/** Where each running container of the service is reached: from its own node, and from the others. */
function reach(c: TestCluster, serviceId: string): { node: TestNode; own: string; remote: string }[] {
  const out: { node: TestNode; own: string; remote: string }[] = [];
  for (const n of c.nodes) {
    if (!n.up) continue;
    for (const k of n.runtime.containers()) {
      if (!k.running || k.labels["com.swarm.service.id"] !== serviceId) continue;
      const hostPort = k.ports?.find((p) => p.targetPort === 80)?.hostPort;
      out.push({ node: n, own: `${k.ip}:80`, remote: `${c.state().nodes[n.id]!.Status.Addr}:${hostPort}` });
    }
  }
  return out;
}

/** Every up node's mesh holds exactly the service's running containers (own ones at their container). */
function consistent(c: TestCluster, serviceId: string, want: number): boolean {
  const r = reach(c, serviceId);
  if (r.length !== want) return false;
  return c.nodes.filter((n) => n.up).every((n) => {
    const expected = r.map((e) => (e.node === n ? e.own : e.remote)).sort();
    return JSON.stringify(targets(n)) === JSON.stringify(expected);
  });
}

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe("routing mesh across the cluster (one process)", () => {
  test("every node serves the port over the tasks of every node; its own tasks at their container address", async () => {
    const c = (cluster = await TestCluster.start(1201, 1, 2, TEST_TIMINGS, { mesh: true }));
    const id = await c.createService(published("web", 5));
    await waitUntil("every node's mesh to hold the 5 tasks", () => consistent(c, id, 5), 15_000);
    const nodesWithTasks = new Set(reach(c, id).map((e) => e.node.name));
    expect(nodesWithTasks.size).toBe(3);
    for (const n of c.nodes) {
      const t = targets(n)!;
      expect(t.filter((x) => x.startsWith("172.17.")).length).toBe(reach(c, id).filter((e) => e.node === n).length);
    }
  }, 30_000);

  for (const hold of [true, false]) {
    test(
      hold
        ? "scale down: no container stops while any node's mesh still sends to it (one node's mesh is slow)"
        : "control: without the leader's hold, the same scale-down stops containers still in a slow node's mesh",
      async () => {
        const timings = hold ? TEST_TIMINGS : { ...TEST_TIMINGS, endpointHoldMs: 0 };
        const c = (cluster = await TestCluster.start(1202, 1, 2, timings, {
          mesh: true,
          meshBackend: (name) => (name === "w2" ? new SlowBackend(name, 250) : new FakeBackend(name)),
        }));
        const id = await c.createService(published("web", 6));
        await waitUntil("every node's mesh to hold the 6 tasks", () => consistent(c, id, 6), 20_000);
        // At every container stop: which node's mesh still sends to it?
        const violations: string[] = [];
        for (const n of c.nodes) {
          const stop = n.runtime.stop.bind(n.runtime);
          n.runtime.stop = async (cid, timeout) => {
            const k = await n.runtime.inspect(cid);
            const hostPort = k?.ports?.find((p) => p.targetPort === 80)?.hostPort;
            if (k?.running && hostPort) {
              const own = `${k.ip}:80`;
              const remote = `${c.state().nodes[n.id]!.Status.Addr}:${hostPort}`;
              for (const o of c.nodes) if (o.up && targets(o)?.includes(o === n ? own : remote)) violations.push(`${n.name}'s container still in ${o.name}'s mesh`);
            }
            return stop(cid, timeout);
          };
        }
        const leader = c.leader()!;
        const svc = c.state().services[id]!;
        await leader.api.updateService(id, published("web", 2), svc.Version.Index);
        await waitUntil("2 tasks left in every node's mesh", () => consistent(c, id, 2), 20_000);
        if (hold) expect(violations).toEqual([]);
        else expect(violations.length).toBeGreaterThan(0);
      },
      45_000,
    );
  }

  test("a node powered off leaves every node's table within the detection time", async () => {
    const c = (cluster = await TestCluster.start(1203, 1, 2, TEST_TIMINGS, { mesh: true }));
    const id = await c.createService(published("web", 3));
    await waitUntil("every node's mesh to hold the 3 tasks", () => consistent(c, id, 3), 15_000);
    const w2 = c.nodes.find((n) => n.name === "w2")!;
    const addr = c.state().nodes[w2.id]!.Status.Addr;
    expect(reach(c, id).some((e) => e.node === w2)).toBe(true);
    const t0 = Date.now();
    await c.powerOff(w2);
    const others = c.nodes.filter((n) => n.up);
    await waitUntil("w2's endpoints out of every table", () => others.every((n) => !(targets(n) ?? []).some((t) => t.startsWith(`${addr}:`))), 10_000, 10);
    const ms = Date.now() - t0;
    console.log(`node powered off → out of every mesh table in ${ms} ms (nodeDownMs ${TEST_TIMINGS.nodeDownMs})`);
    expect(ms).toBeLessThan(TEST_TIMINGS.nodeDownMs! + 1000);
    // Its slot is replaced elsewhere and that task joins every table.
    await waitUntil("3 tasks again in every remaining node's mesh", () => consistent(c, id, 3), 15_000);
  }, 40_000);

  test("an agent that restarts leaves its rules serving until its first table, which replaces them", async () => {
    const c = (cluster = await TestCluster.start(1204, 1, 2, TEST_TIMINGS, { mesh: true }));
    const id = await c.createService(published("web", 3));
    await waitUntil("every node's mesh to hold the 3 tasks", () => consistent(c, id, 3), 15_000);
    const w1 = c.nodes.find((n) => n.name === "w1")!;
    const before = targets(w1);
    const clears = w1.mesh.clears;
    await c.crash(w1);
    expect(w1.mesh.releases).toBeGreaterThan(0);
    expect(targets(w1)).toEqual(before); // the "kernel" still serves
    // Meanwhile the service changes; the restarted agent's first table replaces the old rules.
    const svc = c.state().services[id]!;
    await c.leader()!.api.updateService(id, published("web", 4), svc.Version.Index);
    await c.restart(w1);
    await waitUntil("every node's mesh to hold the 4 tasks", () => consistent(c, id, 4), 20_000);
    expect(w1.mesh.clears).toBe(clears); // replaced by an apply, never cleared in between
  }, 40_000);
});
