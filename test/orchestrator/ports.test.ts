import { describe, expect, test } from "bun:test";
import type { PortConfig, ServiceSpec, Task } from "../../internal/api/index.ts";
import { isOutdated } from "../../internal/orchestrator/index.ts";
import { cmd, node, serviceSpec, taskSpec } from "../store/fixtures/objects.ts";
import { Sim } from "./sim.ts";

const port = (published: number, target = 80, mode: PortConfig["PublishMode"] = "ingress"): PortConfig => ({
  Protocol: "tcp",
  TargetPort: target,
  PublishedPort: published,
  PublishMode: mode,
});

function withPorts(ports: PortConfig[], replicas = 2): ServiceSpec {
  return serviceSpec("web", replicas, {
    TaskTemplate: taskSpec({ ContainerSpec: { Image: "app:1" }, RestartPolicy: { Condition: "any", Delay: 0, MaxAttempts: 0 } }),
    EndpointSpec: { Ports: ports },
  });
}

const running = (sim: Sim) => sim.current("s1").filter((t: Task) => t.DesiredState === "running");

describe("published ports are part of what a task was created with", () => {
  test("a new task records the service's allocated ports; a service without ports records none", () => {
    const sim = new Sim();
    sim.apply([cmd.upsertNode(node("n1")), cmd.createService("s1", withPorts([port(8080)])), cmd.createService("s2", withPorts([]))]);
    sim.settle();
    expect(running(sim).map((t) => t.Endpoint)).toEqual([{ Ports: [port(8080)] }, { Ports: [port(8080)] }]);
    expect(sim.tasksOf("s2").every((t) => t.Endpoint === undefined)).toBe(true);
    const svc = sim.state.services.s1!;
    for (const t of running(sim)) expect(isOutdated(t, svc)).toBe(false);
  });

  test("isOutdated: a change of published ports (added, removed, re-targeted, mode) makes the task outdated", () => {
    const sim = new Sim();
    sim.apply([cmd.upsertNode(node("n1")), cmd.createService("s1", withPorts([port(8080)], 1))]);
    sim.settle();
    const task = running(sim)[0]!;
    const svc = sim.state.services.s1!;
    const withEndpoint = (ports: PortConfig[]) => ({ ...svc, Endpoint: { Spec: { Ports: ports }, Ports: ports } });
    expect(isOutdated(task, withEndpoint([port(8080)]))).toBe(false);
    expect(isOutdated(task, withEndpoint([port(8080), port(9090)]))).toBe(true);
    expect(isOutdated(task, withEndpoint([]))).toBe(true);
    expect(isOutdated(task, withEndpoint([port(8080, 81)]))).toBe(true);
    expect(isOutdated(task, withEndpoint([port(8080, 80, "host")]))).toBe(true);
    // A task created before ports were recorded, of a service without ports, is up to date.
    const { Endpoint: _, ...bare } = task;
    expect(isOutdated(bare, withEndpoint([]))).toBe(false);
    expect(isOutdated(bare, withEndpoint([port(8080)]))).toBe(true);
  });

  test("--publish-add replaces every task with one that carries the new ports (rolling)", () => {
    const sim = new Sim();
    sim.apply([cmd.upsertNode(node("n1")), cmd.createService("s1", withPorts([port(8080)]))]);
    sim.settle();
    sim.apply([{ kind: "service.update", id: "s1", spec: withPorts([port(8080), port(9090)]), at: new Date(sim.now).toISOString() }]);
    sim.settle();
    const now = running(sim);
    expect(now).toHaveLength(2);
    expect(now.map((t) => t.Endpoint?.Ports.map((p) => p.PublishedPort))).toEqual([[8080, 9090], [8080, 9090]]);
    expect(now.every((t) => t.Status.State === "running")).toBe(true);
    expect(sim.tasksOf("s1").filter((t) => t.DesiredState === "shutdown")).toHaveLength(2);
  });

  test("an update that leaves ports and template alone replaces nothing", () => {
    const sim = new Sim();
    sim.apply([cmd.upsertNode(node("n1")), cmd.createService("s1", withPorts([port(8080)]))]);
    sim.settle();
    const before = running(sim).map((t) => t.ID);
    sim.apply([{ kind: "service.update", id: "s1", spec: withPorts([port(8080)]), at: new Date(sim.now).toISOString() }]);
    sim.settle();
    expect(running(sim).map((t) => t.ID)).toEqual(before);
  });
});
