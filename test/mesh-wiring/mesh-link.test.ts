// The daemon's routing-mesh wiring without a kernel: meshInputs (pure) and MeshLink over the mesh's
// in-memory backend twin.
import { describe, expect, test } from "bun:test";
import pino from "pino";
import type { ClusterState, PortConfig, Service, Task } from "../../internal/api/index.ts";
import type { Assignment } from "../../internal/node/index.ts";
import { MeshLink, meshInputs, stateFeed, type MeshFeed, type MeshInputs, type StateFeed } from "../../internal/node/index.ts";
import { FakeBackend } from "../../internal/mesh/index.ts";
import { AT, node, serviceSpec, task } from "../store/fixtures/objects.ts";

const port = (published: number, target = 80, mode: PortConfig["PublishMode"] = "ingress", proto: PortConfig["Protocol"] = "tcp"): PortConfig => ({
  Protocol: proto,
  TargetPort: target,
  PublishedPort: published,
  PublishMode: mode,
});

function service(id: string, ports: PortConfig[]): Service {
  return { ID: id, Version: { Index: 1 }, CreatedAt: AT, UpdatedAt: AT, Spec: serviceSpec(id, 1, { EndpointSpec: { Ports: ports } }), Endpoint: { Spec: { Ports: ports }, Ports: ports } };
}

function runningTask(id: string, svc: string, nodeId: string, bound: PortConfig[], over: Partial<Task> = {}): Task {
  return task(id, svc, { NodeID: nodeId, Status: { Timestamp: AT, State: "running", Message: "started", PortStatus: { Ports: bound } }, ...over });
}

function state(services: Service[], tasks: Task[]): ClusterState {
  const st = {
    index: 1,
    services: Object.fromEntries(services.map((s) => [s.ID, s])),
    tasks: Object.fromEntries(tasks.map((t) => [t.ID, t])),
    nodes: { n1: node("n1", { Status: { State: "ready", Addr: "10.0.0.1" } }), n2: node("n2", { Status: { State: "ready", Addr: "10.0.0.2" } }) },
  };
  return st as unknown as ClusterState;
}

describe("meshInputs", () => {
  test("every ingress port of every service, with the running tasks' bound host ports on their nodes", () => {
    const st = state(
      [service("web", [port(8080), port(9090), port(8053, 53, "ingress", "udp"), port(8081, 81, "host")]), service("plain", [])],
      [
        runningTask("t1", "web", "n1", [port(32768), port(32768), port(32769, 53, "ingress", "udp"), port(8081, 81, "host")]),
        runningTask("t2", "web", "n2", [port(40000), port(40000)]),
        runningTask("t3", "web", "n1", [port(32770)], { DesiredState: "shutdown" }), // being stopped
        task("t4", "web", { NodeID: "n1" }), // pending
        runningTask("t5", "plain", "n1", []),
      ],
    );
    const { services, endpoints } = meshInputs(st);
    expect(services).toEqual([
      { serviceId: "web/tcp/8080", publishedPort: 8080, protocol: "tcp" },
      { serviceId: "web/tcp/9090", publishedPort: 9090, protocol: "tcp" },
      { serviceId: "web/udp/8053", publishedPort: 8053, protocol: "udp" },
    ]);
    expect(endpoints).toEqual([
      { serviceId: "web/tcp/8080", nodeIp: "10.0.0.1", hostPort: 32768, targetPort: 80 },
      { serviceId: "web/tcp/8080", nodeIp: "10.0.0.2", hostPort: 40000, targetPort: 80 },
      { serviceId: "web/tcp/9090", nodeIp: "10.0.0.1", hostPort: 32768, targetPort: 80 },
      { serviceId: "web/tcp/9090", nodeIp: "10.0.0.2", hostPort: 40000, targetPort: 80 },
      { serviceId: "web/udp/8053", nodeIp: "10.0.0.1", hostPort: 32769, targetPort: 53 },
    ]);
  });

  test("--network host tasks are reached at their target port on their node", () => {
    const t = runningTask("t1", "web", "n2", []);
    t.Spec = { ...t.Spec, Networks: [{ Target: "host" }] };
    delete t.Status.PortStatus;
    expect(meshInputs(state([service("web", [port(8080)])], [t])).endpoints).toEqual([{ serviceId: "web/tcp/8080", nodeIp: "10.0.0.2", hostPort: 80, targetPort: 80 }]);
  });

  test("a published port with no running task stays published (it refuses); a removed service is gone", () => {
    expect(meshInputs(state([service("web", [port(8080)])], []))).toEqual({ services: [{ serviceId: "web/tcp/8080", publishedPort: 8080, protocol: "tcp" }], endpoints: [] });
    expect(meshInputs(state([], [runningTask("t1", "web", "n1", [port(32768)])]))).toEqual({ services: [], endpoints: [] });
  });
});

class Feed implements StateFeed {
  private fns = new Set<(s: ClusterState) => void>();
  constructor(public state: ClusterState) {}
  subscribe(fn: (s: ClusterState) => void) {
    this.fns.add(fn);
    return () => void this.fns.delete(fn);
  }
  set(s: ClusterState) {
    this.state = s;
    for (const f of this.fns) f(s);
  }
}

const noKernel = { ipvs: { ok: false, why: "test" }, nftables: { ok: false, why: "test" } };
const log = pino({ level: "silent" });

describe("MeshLink", () => {
  test("applies on change, hands assignments on only once the mesh holds their state, clears on close", async () => {
    const backend = new FakeBackend();
    const feed = new Feed(state([service("web", [port(8080)])], [runningTask("t1", "web", "n1", [port(32768)])]));
    const link = new MeshLink(stateFeed(feed), "userspace", log, { support: noKernel, makeBackends: () => [backend] });
    await link.ready;
    expect(link.backend).toBe("userspace");
    await link.settled();
    expect(backend.current?.proxies.map((p) => [p.port, p.targets.map((t) => t.port)])).toEqual([[8080, [32768]]]);

    const seen: string[] = [];
    const gated = link.gate({
      sync: (a: Assignment[]) => {
        // By the time the worker hears of t1's shutdown, the mesh no longer sends to it.
        seen.push(`${a.length}:${backend.current?.proxies[0]?.targets.length}`);
      },
    });
    feed.state = state([service("web", [port(8080)])], [runningTask("t1", "web", "n1", [port(32768)], { DesiredState: "shutdown" })]);
    await gated.sync([{ task: feed.state.tasks.t1!, serviceName: "web" }]);
    expect(seen).toEqual(["1:0"]);

    const applies = backend.applied.length;
    feed.set(feed.state); // unchanged input: nothing applied
    await link.settled();
    expect(backend.applied.length).toBe(applies);

    feed.set(state([], []));
    await link.settled();
    expect(backend.current?.proxies).toEqual([]);
    await link.close();
    expect(backend.clears).toBe(1);
    expect(backend.current).toBeNull();
    await link.close();
  });

  test("a failed apply is retried without waiting for another change", async () => {
    const backend = new FakeBackend();
    backend.failNext = new Error("nft: injected failure");
    const feed = new Feed(state([service("web", [port(8080)])], [runningTask("t1", "web", "n1", [port(32768)])]));
    const link = new MeshLink(stateFeed(feed), "userspace", log, { support: noKernel, makeBackends: () => [backend] });
    await link.ready;
    await link.settled();
    expect(backend.current).toBeNull();
    const deadline = Date.now() + 5000;
    while (backend.current === null && Date.now() < deadline) await Bun.sleep(20);
    expect(backend.current?.proxies.map((p) => p.targets.map((t) => t.port))).toEqual([[32768]]);
    await link.close();
  });

  test("the first table replaces what a previous agent left; with nothing published it clears it", async () => {
    const backend = new FakeBackend();
    const feed = new Feed(state([service("plain", [])], []));
    const link = new MeshLink(stateFeed(feed), "auto", log, { support: noKernel, makeBackends: () => [backend] });
    await link.ready;
    await link.settled();
    expect(backend.clears).toBe(1);
    feed.set(state([service("plain", [])], [runningTask("t1", "plain", "n1", [])]));
    await link.settled();
    await link.close();
    expect(backend.applied).toEqual([]);
    expect(backend.clears).toBe(2);
  });

  test("until the first table arrives the kernel keeps its rules; release() leaves them, close() removes them", async () => {
    const backend = new FakeBackend();
    backend.current = { backend: "nftables", nft: "left by the previous agent", forward: [], ipvs: null, proxies: [], sysctls: [] };
    const left = backend.current;
    let table: { version: number; inputs: MeshInputs } | null = null;
    const fns = new Set<() => void>();
    const feed: MeshFeed = { current: () => table, subscribe: (fn) => (fns.add(fn), () => void fns.delete(fn)) };
    const acked: number[] = [];
    const link = new MeshLink(feed, "auto", log, { support: noKernel, makeBackends: () => [backend] }, (v) => acked.push(v));
    await link.ready;
    await link.settled();
    expect(backend.current).toBe(left);
    expect(backend.clears).toBe(0);
    expect(acked).toEqual([]);
    table = { version: 7, inputs: meshInputs(state([service("web", [port(8080)])], [runningTask("t1", "web", "n2", [port(40000)])])) };
    for (const fn of fns) fn();
    await link.settled();
    expect(backend.current?.proxies[0]?.targets).toEqual([{ ip: "10.0.0.2", port: 40000 }]);
    expect(acked).toEqual([7]);
    // A new version with the same content is acknowledged too (a new leader's session asks for it).
    table = { ...table, version: 9 };
    for (const fn of fns) fn();
    await link.settled();
    expect(acked).toEqual([7, 9]);
    expect(backend.applied.length).toBe(1);
    await link.release();
    expect(backend.releases).toBe(1);
    expect(backend.current?.proxies[0]?.targets).toEqual([{ ip: "10.0.0.2", port: 40000 }]);
    expect(backend.clears).toBe(0);
  });

  test("an explicitly requested backend that cannot run is reported, not thrown", async () => {
    const link = new MeshLink(stateFeed(new Feed(state([], []))), "nftables", log, { support: noKernel });
    await link.ready;
    expect(link.backend).toBeNull();
    expect(link.error).toContain("nftables");
    await link.close();
  });
});
