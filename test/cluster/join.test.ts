/** Joining: a cluster of managers and workers forms over the in-memory transport, and runs services across it. */
import { afterEach, describe, expect, test } from "bun:test";
import { waitUntil } from "../harness/index.ts";
import { replicated, TestCluster } from "./harness.ts";

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe("a cluster in one process", () => {
  test("one manager inits, two workers join; a service spreads over the three nodes", async () => {
    cluster = await TestCluster.start(1, 1, 2);
    const st = cluster.state();
    expect(Object.keys(st.nodes)).toHaveLength(3);
    expect(Object.values(st.nodes).map((n) => [n.Description.Hostname, n.Spec.Role, n.Status.State]).sort()).toEqual([
      ["m1", "manager", "ready"],
      ["w1", "worker", "ready"],
      ["w2", "worker", "ready"],
    ]);
    const id = await cluster.createService(replicated("web", 6));
    await waitUntil("6 containers running", () => cluster!.runningContainers(id).length === 6, 15_000);
    const perNode = new Map<string, number>();
    for (const c of cluster.runningContainers(id)) perNode.set(c.node, (perNode.get(c.node) ?? 0) + 1);
    expect([...perNode.values()]).toEqual([2, 2, 2]);
  }, 30_000);

  test("a worker refuses cluster reads with Docker's error", async () => {
    cluster = await TestCluster.start(2, 1, 1);
    const w = cluster.nodes.find((n) => n.name === "w1")!;
    await expect(w.api.services()).rejects.toThrow(/This node is not a swarm manager/);
  }, 30_000);
});
