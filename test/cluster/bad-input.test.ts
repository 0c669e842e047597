/** Bad input to joining and node commands: a clear error, and nothing changed or half-joined. */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { formatToken, parseToken, type ClusterState } from "../../internal/api/index.ts";
import { waitUntil } from "../harness/index.ts";
import { TestCluster } from "./harness.ts";

let cluster: TestCluster | undefined;
let other: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  await other?.close();
  cluster = other = undefined;
});

async function failure(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  return p.then(
    () => ({ message: "no error" }),
    (e: { code?: string; message: string }) => ({ code: e.code, message: e.message }),
  );
}

function nodesOf(c: TestCluster): string[] {
  return Object.values(c.state().nodes).map((n) => n.Description.Hostname).sort();
}

describe("joining with bad input", () => {
  test("a wrong secret is refused at once; nothing joins and nothing is written on the node", async () => {
    cluster = await TestCluster.start(31, 1, 0);
    const good = parseToken(cluster.token("worker"));
    const wrong = formatToken({ ...good, secret: new Uint8Array(16).fill(7) });
    const n = cluster.add("x");
    const t0 = Date.now();
    const err = await failure(n.agent.join(wrong, "10.0.0.1:2377"));
    expect(err.code).toBe("FORBIDDEN");
    expect(err.message).toMatch(/refused this node/);
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(n.agent.active).toBe(false);
    expect(existsSync(join(n.dir, "node.json"))).toBe(false);
    expect(nodesOf(cluster)).toEqual(["m1"]);
  }, 30_000);

  test("another cluster's token finds no manager of that cluster (it refuses ours, and ours is not its)", async () => {
    cluster = await TestCluster.start(32, 1, 0);
    other = await TestCluster.start(33, 1, 0);
    const n = cluster.add("x");
    const err = await failure(n.agent.join(other.token("worker"), "10.0.0.1:2377"));
    expect(err.code).toMatch(/FORBIDDEN|UNAVAILABLE/);
    expect(n.agent.active).toBe(false);
    expect(nodesOf(cluster)).toEqual(["m1"]);
  }, 30_000);

  test("a malformed token says what a token looks like", async () => {
    cluster = await TestCluster.start(34, 1, 0);
    const n = cluster.add("x");
    const err = await failure(n.agent.join("SWMTKN-1-nope", "10.0.0.1:2377"));
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.message).toMatch(/SWMTKN-1-<25 chars>/);
  }, 30_000);

  test("joining twice, or joining on a manager, is refused", async () => {
    cluster = await TestCluster.start(35, 1, 1);
    const w = cluster.nodes.find((n) => n.name === "w1")!;
    const m = cluster.nodes.find((n) => n.name === "m1")!;
    for (const n of [w, m]) {
      const err = await failure(n.agent.join(cluster.token("worker"), "10.0.0.1:2377"));
      expect(err.code).toBe("CONFLICT");
      expect(err.message).toMatch(/already part of a swarm/);
    }
    expect(nodesOf(cluster)).toEqual(["m1", "w1"]);
  }, 30_000);

  test("a rotated token stops new joins with the old one only", async () => {
    cluster = await TestCluster.start(36, 1, 1);
    const m = cluster.leader()!;
    const old = cluster.token("worker");
    const { token } = await m.api.joinToken("worker", true);
    expect(token).not.toBe(old);
    const a = cluster.add("late");
    const err = await failure(a.agent.join(old, "10.0.0.1:2377"));
    expect(err.code).toBe("FORBIDDEN");
    await a.agent.join(token, "10.0.0.1:2377");
    await cluster.waitAllReady();
    expect(nodesOf(cluster)).toEqual(["late", "m1", "w1"]);
  }, 30_000);
});

describe("node commands with bad input", () => {
  test("node rm of a Ready node, demoting the last manager and promoting a Down node are refused", async () => {
    cluster = await TestCluster.start(37, 1, 2);
    const c = cluster;
    const m = c.leader()!;
    const before: ClusterState = c.state();
    let err = await failure(m.api.removeNodes(["w1"], false));
    expect(err.message).toMatch(/is not down and can't be removed/);
    err = await failure(m.api.demote(["m1"]));
    expect(err.message).toMatch(/last manager/);
    err = await failure(m.api.removeNodes(["m1"], true));
    expect(err.message).toMatch(/must be demoted to worker before removal/);
    const w2 = c.nodes.find((n) => n.name === "w2")!;
    await c.powerOff(w2);
    await waitUntil("w2 down", () => c.state().nodes[w2.id]?.Status.State === "down", 5000);
    err = await failure(m.api.promote(["w2"]));
    expect(err.message).toMatch(/can only be promoted while it is Ready/);
    expect(Object.keys(c.state().nodes).sort()).toEqual(Object.keys(before.nodes).sort());
    // A down worker can be removed; its ID is revoked.
    await m.api.removeNodes(["w2"], false);
    expect(c.state().nodes[w2.id]).toBeUndefined();
    expect(c.state().cluster!.Revoked).toContain(w2.id);
  }, 30_000);
});
