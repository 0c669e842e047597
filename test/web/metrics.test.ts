/**
 * `/metrics` of a small cluster (3 managers, 2 workers; one process), parsed by a strict exposition
 * parser: nodes by status/availability/role, services, tasks by state, Raft on the leader and on a
 * follower, transport peers, mesh counts, API requests; what a worker reports. SWARM_PRINT_METRICS=1
 * prints the leader's exposition (for the closing note).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RequestMetrics } from "../../internal/metrics/index.ts";
import { serveTcp, webHandler } from "../../internal/daemon/index.ts";
import { replicated, TestCluster, type TestNode } from "../cluster/harness.ts";
import { waitUntil } from "../harness/index.ts";
import { parseExposition, sampleValue } from "./prom-parse.ts";

let c: TestCluster;
const servers = new Map<string, { url: string; stop(): void }>();
const requests = new RequestMetrics();

function serve(n: TestNode) {
  const s = serveTcp("127.0.0.1", 0, requests.wrap("web", webHandler(n.api, requests)));
  servers.set(n.name, { url: `http://127.0.0.1:${s.port}`, stop: () => s.stop(true) });
}

async function scrape(name: string) {
  const res = await fetch(`${servers.get(name)!.url}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, fams: parseExposition(text) };
}

beforeAll(async () => {
  c = await TestCluster.start(1303, 3, 2);
  for (const n of c.nodes) serve(n);
  const spec = replicated("web", 4);
  await c.createService({ ...spec, EndpointSpec: { Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "ingress" }] } });
  await c.createService(replicated("db", 1));
  await waitUntil("5 running tasks", () => Object.values(c.state().tasks).filter((t) => t.Status.State === "running").length === 5, 15_000);
}, 60_000);

afterAll(async () => {
  for (const s of servers.values()) s.stop();
  await c?.close();
});

describe("/metrics", () => {
  test("the leader reports the cluster, Raft, the transport and the mesh", async () => {
    const leader = c.leader()!;
    const { text, fams } = await scrape(leader.name);
    if (process.env.SWARM_PRINT_METRICS) console.log(text);
    expect(sampleValue(fams, "swarm_nodes", { status: "ready", availability: "active", role: "manager" })).toBe(3);
    expect(sampleValue(fams, "swarm_nodes", { status: "ready", availability: "active", role: "worker" })).toBe(2);
    expect(sampleValue(fams, "swarm_nodes", { status: "down", availability: "active", role: "worker" })).toBe(0);
    expect(fams.get("swarm_nodes")!.samples).toHaveLength(4 * 3 * 2);
    expect(sampleValue(fams, "swarm_services", { mode: "replicated" })).toBe(2);
    expect(sampleValue(fams, "swarm_tasks", { state: "running" })).toBe(5);
    expect(sampleValue(fams, "swarm_tasks_desired_running")).toBe(5);
    expect(sampleValue(fams, "swarm_raft_leader")).toBe(1);
    expect(sampleValue(fams, "swarm_raft_has_leader")).toBe(1);
    const raft = leader.agent.requireManager().raft.status();
    expect(sampleValue(fams, "swarm_raft_term")).toBe(raft.term);
    expect(sampleValue(fams, "swarm_raft_commit_index")).toBeGreaterThanOrEqual(sampleValue(fams, "swarm_raft_applied_index")! - 0);
    expect(sampleValue(fams, "swarm_transport_peers")).toBe(4);
    expect(sampleValue(fams, "swarm_mesh_published_ports")).toBe(1);
    expect(sampleValue(fams, "swarm_mesh_endpoints")).toBe(4); // the 4 running web tasks behind 8080
    expect(sampleValue(fams, "swarm_mesh_backend", { backend: "none" })).toBe(1);
    expect(fams.get("process_resident_memory_bytes")!.samples[0]!.value).toBeGreaterThan(1e6);
  });

  test("a follower reports its own Raft view; a worker only what it knows", async () => {
    const follower = c.nodes.find((n) => n.agent.role === "manager" && n !== c.leader())!;
    const f = (await scrape(follower.name)).fams;
    expect(sampleValue(f, "swarm_raft_leader")).toBe(0);
    expect(sampleValue(f, "swarm_raft_has_leader")).toBe(1);
    expect(sampleValue(f, "swarm_nodes", { status: "ready", availability: "active", role: "manager" })).toBe(3);
    const w = (await scrape("w1")).fams;
    expect(sampleValue(w, "swarm_node_manager")).toBe(0);
    expect(sampleValue(w, "swarm_node_active")).toBe(1);
    expect(w.has("swarm_nodes")).toBe(false);
    expect(w.has("swarm_raft_term")).toBe(false);
    expect(sampleValue(w, "swarm_transport_peers")).toBeGreaterThanOrEqual(3);
  });

  test("a node down, and the requests answered, show up", async () => {
    await c.powerOff(c.nodes.find((n) => n.name === "w2")!);
    await waitUntil("w2 down in the metrics", async () => sampleValue((await scrape(c.leader()!.name)).fams, "swarm_nodes", { status: "down", availability: "active", role: "worker" }) === 1, 10_000, 50);
    const { fams } = await scrape(c.leader()!.name);
    expect(sampleValue(fams, "swarm_api_requests_total", { api: "web", method: "GET", code: "200" })).toBeGreaterThanOrEqual(4);
    expect(sampleValue(fams, "swarm_api_request_duration_seconds", { api: "web", le: "+Inf" }, "swarm_api_request_duration_seconds_bucket")).toBeGreaterThanOrEqual(4);
  }, 20_000);
});
