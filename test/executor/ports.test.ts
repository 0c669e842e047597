// Published ports: what the worker asks the runtime to bind, and what it reports as PortStatus.
import { afterEach, describe, expect, test } from "bun:test";
import type { PortConfig } from "../../internal/api/index.ts";
import { createFakeRuntime, createWorker, portBindings, portStatus, type Worker } from "../../internal/executor/index.ts";
import { createMemoryLogArchive } from "../../internal/logs/index.ts";
import { CLUSTER, NODE, StoreTwin, makeTask } from "./fixtures.ts";

const IMAGE = "swarm-busybox:latest";
const port = (published: number, target: number, mode: PortConfig["PublishMode"] = "ingress", proto: PortConfig["Protocol"] = "tcp"): PortConfig => ({
  Protocol: proto,
  TargetPort: target,
  PublishedPort: published,
  PublishMode: mode,
});

let workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.map((w) => w.close()));
  workers = [];
});

describe("port bindings (pure)", () => {
  test("ingress ports bind an ephemeral host port once per protocol/target; host-mode ports bind the published port", () => {
    const ports = [port(8080, 80), port(9090, 80), port(8053, 53, "ingress", "udp"), port(8081, 81, "host")];
    expect(portBindings(ports)).toEqual([
      { protocol: "tcp", targetPort: 80, hostPort: 0 },
      { protocol: "udp", targetPort: 53, hostPort: 0 },
      { protocol: "tcp", targetPort: 81, hostPort: 8081 },
    ]);
    expect(portBindings([])).toEqual([]);
  });

  test("PortStatus: ingress ports carry the bound host port, host-mode ports their own; unbound ingress ports are left out", () => {
    const ports = [port(8080, 80), port(9090, 80), port(8081, 81, "host"), port(7070, 70)];
    const bound = [
      { protocol: "tcp" as const, targetPort: 80, hostPort: 32768 },
      { protocol: "tcp" as const, targetPort: 81, hostPort: 8081 },
    ];
    expect(portStatus(ports, bound)).toEqual([port(32768, 80), port(32768, 80), port(8081, 81, "host")]);
  });
});

describe("worker publishes the task's ports (fake runtime)", () => {
  function setup() {
    const runtime = createFakeRuntime({ images: [IMAGE] });
    const store = new StoreTwin();
    const worker = createWorker({ runtime, clusterId: CLUSTER, nodeId: NODE, report: store.report, logs: createMemoryLogArchive() });
    workers.push(worker);
    const sync = async () => {
      await worker.sync(store.assignments());
      await worker.whenIdle();
    };
    return { runtime, store, sync };
  }

  test("running reports PortStatus with the host ports the engine bound", async () => {
    const { runtime, store, sync } = setup();
    const t = makeTask({ args: ["httpd", "-f"] });
    t.Endpoint = { Ports: [port(8080, 80), port(8053, 53, "ingress", "udp"), port(8081, 81, "host")] };
    store.add(t);
    await sync();
    const st = store.tasks.get(t.ID)!.Status;
    expect(st.State).toBe("running");
    const spec = runtime.specOf(st.ContainerStatus!.ContainerID!)!;
    expect(spec.ports).toEqual([
      { protocol: "tcp", targetPort: 80, hostPort: 0 },
      { protocol: "udp", targetPort: 53, hostPort: 0 },
      { protocol: "tcp", targetPort: 81, hostPort: 8081 },
    ]);
    const ports = st.PortStatus!.Ports;
    expect(ports.map((p) => [p.Protocol, p.TargetPort, p.PublishMode])).toEqual([["tcp", 80, "ingress"], ["udp", 53, "ingress"], ["tcp", 81, "host"]]);
    expect(ports[0]!.PublishedPort).toBeGreaterThanOrEqual(32768);
    expect(ports[1]!.PublishedPort).toBeGreaterThanOrEqual(32768);
    expect(ports[0]!.PublishedPort).not.toBe(ports[1]!.PublishedPort);
    expect(ports[2]!.PublishedPort).toBe(8081);
  });

  test("nothing is published for --network host tasks or tasks without ports", async () => {
    const { runtime, store, sync } = setup();
    const host = makeTask({ args: ["httpd", "-f"] });
    host.Endpoint = { Ports: [port(8080, 80)] };
    host.Spec.Networks = [{ Target: "host" }];
    const plain = makeTask({ args: ["httpd", "-f"] });
    store.add(host, plain);
    await sync();
    for (const t of [host, plain]) {
      const st = store.tasks.get(t.ID)!.Status;
      expect(st.State).toBe("running");
      expect(st.PortStatus).toBeUndefined();
      expect(runtime.specOf(st.ContainerStatus!.ContainerID!)!.ports).toBeUndefined();
    }
  });
});
