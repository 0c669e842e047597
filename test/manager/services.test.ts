/**
 * The manager's service operations validate and plan commands; conflicts between writers (a taken name,
 * a published port) are decided when the commands apply, and come back as outcomes.
 */
import { describe, expect, test } from "bun:test";
import type { ClusterState, Command, ServiceSpec } from "../../internal/api/index.ts";
import { planCreateService, planRemoveServices, planUpdateService } from "../../internal/manager/index.ts";
import { applyCommands, applyWithOutcomes, emptyState, PORT_RANGE } from "../../internal/store/index.ts";

const AT = "2026-01-01T00:00:00.000Z";
const spec = (name: string, ports: [number, number][] = []): ServiceSpec => ({
  Name: name,
  Labels: {},
  TaskTemplate: { ContainerSpec: { Image: "busybox:latest" }, RestartPolicy: { Condition: "any", Delay: 5e9, MaxAttempts: 0 }, ForceUpdate: 0 },
  Mode: { Replicated: { Replicas: 1 } },
  EndpointSpec: { Ports: ports.map(([p, t]) => ({ Protocol: "tcp", PublishedPort: p, TargetPort: t, PublishMode: "ingress" })) },
});

function cluster(): ClusterState {
  return applyCommands(emptyState(), [{ kind: "cluster.init", cluster: { ID: "c", CreatedAt: AT, Spec: { Name: "default" }, PublicKey: "", Secrets: { KeySeed: "", DiscoveryKey: "", TokenGeneration: { worker: 1, manager: 1 } }, Revoked: [] } }]);
}

function create(st: ClusterState, s: ServiceSpec): { st: ClusterState; id: string; cmds: Command[] } {
  const plan = planCreateService(st, s, AT);
  return { st: applyCommands(st, plan.commands), id: plan.id, cmds: plan.commands };
}

describe("service operations", () => {
  test("create needs a cluster", () => {
    expect(() => planCreateService(emptyState(), spec("a"), AT)).toThrow(/run `swarm init` first/);
  });

  test("published port 0 gets the first free port from 30000; explicit ports are kept", () => {
    let { st } = create(cluster(), spec("a", [[0, 80]]));
    ({ st } = create(st, spec("b", [[0, 80], [8080, 81]])));
    const ports = Object.values(st.services).flatMap((s) => s.Endpoint.Ports.map((p) => p.PublishedPort)).sort();
    expect(ports).toEqual([8080, PORT_RANGE.first, PORT_RANGE.first + 1].sort());
  });

  test("a duplicate name or a port another service publishes is a conflict, decided in apply", () => {
    const { st } = create(cluster(), spec("a", [[8080, 80]]));
    const dup = applyWithOutcomes(st, planCreateService(st, spec("a"), AT).commands);
    expect(dup.outcomes[0]).toMatchObject({ ok: false, code: "CONFLICT", message: expect.stringMatching(/already exists/) });
    expect(dup.state.services).toEqual(st.services);
    const port = applyWithOutcomes(st, planCreateService(st, spec("b", [[8080, 80]]), AT).commands);
    expect(port.outcomes[0]).toMatchObject({ ok: false, code: "CONFLICT", message: expect.stringMatching(/already published by service "a"/) });
  });

  test("two creates planned on the same state (two managers at once): the second to apply is refused", () => {
    const st = cluster();
    const one = planCreateService(st, spec("web", [[8080, 80]]), AT);
    const two = planCreateService(st, spec("web", [[8080, 80]]), AT);
    const r = applyWithOutcomes(st, [...one.commands, ...two.commands]);
    expect(r.outcomes.map((o) => o.ok)).toEqual([true, false]);
    expect(Object.keys(r.state.services)).toEqual([one.id]);
  });

  test("an update based on a stale version is refused in apply", () => {
    const { st, id } = create(cluster(), spec("a"));
    const fresh = planUpdateService(st, "a", { ...spec("a"), Labels: { x: "1" } }, AT, 1);
    const after = applyCommands(st, fresh.commands);
    const stale = applyWithOutcomes(after, planUpdateService(after, "a", { ...spec("a"), Labels: { y: "2" } }, AT, 1).commands);
    expect(stale.outcomes[0]).toMatchObject({ ok: false, code: "CONFLICT", message: expect.stringMatching(/out of sequence/) });
    expect(stale.state.services[id]!.Spec.Labels).toEqual({ x: "1" });
  });

  test("update keeps an allocated published port and refuses a rename or a mode change", () => {
    const { st, id } = create(cluster(), spec("a", [[0, 80]]));
    const allocated = st.services[id]!.Endpoint.Ports[0]!.PublishedPort;
    const next = { ...st.services[id]!.Spec, EndpointSpec: { Ports: [{ Protocol: "tcp" as const, PublishedPort: 0, TargetPort: 80, PublishMode: "ingress" as const }] } };
    const plan = planUpdateService(st, "a", next, AT);
    const after = applyCommands(st, plan.commands);
    expect(after.services[id]!.Endpoint.Ports[0]!.PublishedPort).toBe(allocated);
    expect(() => planUpdateService(st, "a", { ...next, Name: "b" }, AT)).toThrow(/renaming/);
    expect(() => planUpdateService(st, "a", { ...next, Mode: { Global: {} } }, AT)).toThrow(/mode cannot change/);
  });

  test("rm of several services is all or nothing", () => {
    const { st } = create(cluster(), spec("a"));
    expect(() => planRemoveServices(st, ["a", "missing"], AT)).toThrow(/service missing not found/);
    expect(planRemoveServices(st, ["a"], AT).commands).toHaveLength(1);
  });
});
