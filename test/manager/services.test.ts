/** The manager's service operations validate against the state and plan commands; nothing else. */
import { describe, expect, test } from "bun:test";
import type { ClusterState, Command, ServiceSpec } from "../../internal/api/index.ts";
import { planCreateService, planRemoveServices, planUpdateService, PORT_RANGE } from "../../internal/manager/index.ts";
import { applyCommands, emptyState } from "../../internal/store/index.ts";

const AT = "2026-01-01T00:00:00.000Z";
const spec = (name: string, ports: [number, number][] = []): ServiceSpec => ({
  Name: name,
  Labels: {},
  TaskTemplate: { ContainerSpec: { Image: "busybox:latest" }, RestartPolicy: { Condition: "any", Delay: 5e9, MaxAttempts: 0 }, ForceUpdate: 0 },
  Mode: { Replicated: { Replicas: 1 } },
  EndpointSpec: { Ports: ports.map(([p, t]) => ({ Protocol: "tcp", PublishedPort: p, TargetPort: t, PublishMode: "ingress" })) },
});

function cluster(): ClusterState {
  return applyCommands(emptyState(), [{ kind: "cluster.init", cluster: { ID: "c", CreatedAt: AT, Spec: { Name: "default" }, JoinTokens: { Worker: "w", Manager: "m" } } }]);
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

  test("a duplicate name or a port another service publishes is a conflict", () => {
    const { st } = create(cluster(), spec("a", [[8080, 80]]));
    expect(() => planCreateService(st, spec("a"), AT)).toThrow(/already exists/);
    expect(() => planCreateService(st, spec("b", [[8080, 80]]), AT)).toThrow(/already published by service "a"/);
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
