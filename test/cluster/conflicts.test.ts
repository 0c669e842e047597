/** Conflicts decided in apply: concurrent writes on different managers never both win. */
import { afterEach, describe, expect, test } from "bun:test";
import { isSwarmError, type ServiceSpec } from "../../internal/api/index.ts";
import { replicated, TestCluster } from "./harness.ts";

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

function published(name: string, port: number): ServiceSpec {
  return { ...replicated(name, 1), EndpointSpec: { Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: port, PublishMode: "ingress" }] } };
}

describe("concurrent writes on different managers", () => {
  test("two `service create --name web` at once: one succeeds, the other gets a conflict", async () => {
    cluster = await TestCluster.start(61, 3, 0);
    const [a, b] = cluster.managers().filter((m) => m !== cluster!.leader());
    for (let round = 0; round < 5; round++) {
      const name = `web${round}`;
      const results = await Promise.allSettled([a!.api.createService(replicated(name, 1)), b!.api.createService(replicated(name, 1))]);
      const ok = results.filter((r) => r.status === "fulfilled");
      const refused = results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason);
      expect(ok).toHaveLength(1);
      expect(refused.map((e) => isSwarmError(e) && e.code)).toEqual(["CONFLICT"]);
      expect(Object.values(cluster.state().services).filter((s) => s.Spec.Name === name)).toHaveLength(1);
    }
  }, 60_000);

  test("two services never share a published port, nor two auto-allocated ports collide", async () => {
    cluster = await TestCluster.start(62, 3, 0);
    const [a, b] = cluster.managers();
    const results = await Promise.allSettled([a!.api.createService(published("p1", 8080)), b!.api.createService(published("p2", 8080))]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    await Promise.all([a!.api.createService(published("auto1", 0)), b!.api.createService(published("auto2", 0))]);
    const ports = Object.values(cluster.state().services).flatMap((s) => s.Endpoint.Ports.map((p) => p.PublishedPort));
    expect(new Set(ports).size).toBe(ports.length);
  }, 60_000);

  test("concurrent updates of one service based on the same version: one wins, the other is told to retry", async () => {
    cluster = await TestCluster.start(63, 3, 0);
    const [a, b] = cluster.managers();
    await a!.api.createService(replicated("svc", 1));
    const v = (await a!.api.service("svc")).Service;
    const results = await Promise.allSettled([
      a!.api.updateService("svc", { ...v.Spec, Labels: { from: "a" } }, v.Version.Index),
      b!.api.updateService("svc", { ...v.Spec, Labels: { from: "b" } }, v.Version.Index),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const err = (results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason;
    expect(err.message).toMatch(/out of sequence/);
  }, 60_000);
});
