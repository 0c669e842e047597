/** Roles and availability: promote, demote, drain, pause, leave, rm. */
import { afterEach, describe, expect, test } from "bun:test";
import { waitUntil } from "../harness/index.ts";
import { replicated, TestCluster } from "./harness.ts";
import { atMostOneRunningPerSlot, converged } from "./invariants.ts";

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const voters = (c: TestCluster) =>
  Object.values(c.state().nodes).filter((n) => n.ManagerStatus?.Voter).map((n) => n.Description.Hostname).sort();

describe("roles", () => {
  test("promote makes a worker a Raft voter that takes writes; demote makes it a worker again", async () => {
    cluster = await TestCluster.start(41, 1, 2);
    const c = cluster;
    const m = c.leader()!;
    const w1 = c.nodes.find((n) => n.name === "w1")!;
    await m.api.promote(["w1"]);
    await waitUntil("w1 a voter", () => voters(c).join() === "m1,w1", 15_000);
    await waitUntil("w1 runs a manager", () => w1.agent.role === "manager", 5000);
    await w1.api.createService(replicated("from-w1", 1));
    expect((await m.api.services()).map((s) => s.Service.Spec.Name)).toContain("from-w1");
    await m.api.demote(["w1"]);
    await waitUntil("w1 no longer a voter", () => voters(c).join() === "m1", 15_000);
    await waitUntil("w1 a worker again", () => w1.agent.role === "worker", 10_000);
    await expect(w1.api.services()).rejects.toThrow(/not a swarm manager/);
    await c.waitAllReady();
  }, 60_000);

  test("drain moves replicated tasks off a node; pause keeps them but places nothing new; active again", async () => {
    cluster = await TestCluster.start(42, 1, 2);
    const c = cluster;
    const m = c.leader()!;
    const web = await c.createService(replicated("web", 6));
    await waitUntil("converged", () => converged(c), 15_000);
    await m.api.updateNode("w1", { availability: "drain" });
    await waitUntil("nothing on w1, 6 elsewhere", () => {
      const r = c.runningContainers(web);
      return r.length === 6 && r.every((x) => x.node !== "w1");
    }, 15_000);
    atMostOneRunningPerSlot(c.state());
    await m.api.updateNode("w1", { availability: "pause" });
    const svc = await m.api.service("web");
    await m.api.updateService("web", { ...svc.Service.Spec, Mode: { Replicated: { Replicas: 9 } } });
    await waitUntil("9 running, none on the paused node", () => {
      const r = c.runningContainers(web);
      return r.length === 9 && r.every((x) => x.node !== "w1");
    }, 15_000);
    await m.api.updateNode("w1", { availability: "active", labelAdd: { zone: "a" } });
    expect(c.state().nodes[c.nodes.find((n) => n.name === "w1")!.id]!.Spec.Labels).toEqual({ zone: "a" });
  }, 60_000);

  test("a worker leaves: it is shown Down, its tasks run elsewhere, its containers are gone; then node rm", async () => {
    cluster = await TestCluster.start(43, 1, 2);
    const c = cluster;
    const m = c.leader()!;
    const web = await c.createService(replicated("web", 4));
    await waitUntil("converged", () => converged(c), 15_000);
    const w2 = c.nodes.find((n) => n.name === "w2")!;
    await w2.agent.leave(false);
    w2.up = false;
    expect(w2.runtime.containers().filter((x) => x.running)).toHaveLength(0);
    await waitUntil("w2 down", () => c.state().nodes[w2.id]?.Status.State === "down", 5000);
    await waitUntil("4 web tasks on the others", () => c.runningContainers(web).length === 4, 15_000);
    await m.api.removeNodes(["w2"], false);
    expect(c.state().nodes[w2.id]).toBeUndefined();
  }, 60_000);

  test("a manager of three leaves: it is demoted first, the other two keep quorum and take writes", async () => {
    cluster = await TestCluster.start(44, 3, 0);
    const c = cluster;
    const m3 = c.nodes.find((n) => n.name === "m3")!;
    await m3.agent.leave(false);
    m3.up = false;
    await waitUntil("two voters", () => voters(c).join() === "m1,m2", 10_000);
    const l = await c.waitLeader();
    await l.api.createService(replicated("after", 0));
    expect(Object.values(c.state().services).map((s) => s.Spec.Name)).toEqual(["after"]);
  }, 60_000);

  test("the leader itself is demoted: it hands leadership over first", async () => {
    cluster = await TestCluster.start(45, 3, 0);
    const c = cluster;
    const old = c.leader()!;
    await old.api.demote([old.name]);
    await waitUntil("a new leader, and the old one no longer a voter", () => {
      const l = c.leader();
      return l !== undefined && l !== old && !voters(c).includes(old.name) && voters(c).length === 2;
    }, 15_000);
    await waitUntil("the old leader is a worker", () => old.agent.role === "worker", 10_000);
    await c.waitAllReady();
  }, 60_000);
});
