/**
 * `service logs` across the cluster (issue 12, docs/cluster.md "Logs from every node"), in one process:
 * the lines of tasks on every node, read on the node that holds them and streamed to the manager asked
 * (a follower), merged in time order with each task's node; --tail per task, --since; --follow picks up
 * lines as they come and tasks that start later on any node; a scaled-down task's archived lines stay
 * readable; a node powered off is named in a warning and the other nodes' lines still come.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Id, LogRecord, LogWarning, ServiceSpec } from "../../internal/api/index.ts";
import { streamServiceLogs, type LogOutput } from "../../internal/daemon/logs.ts";
import { compareTs } from "../../internal/logs/index.ts";
import { waitUntil } from "../harness/index.ts";
import { replicated, TestCluster, type TestNode } from "./harness.ts";

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

function chatty(name: string, replicas: number): ServiceSpec {
  const s = replicated(name, replicas);
  return { ...s, TaskTemplate: { ...s.TaskTemplate, ContainerSpec: { ...s.TaskTemplate.ContainerSpec, Args: ["sh", "-c", "echo started; sleep 1000"] } } };
}

/** Runs `service logs` on `via` until it ends (or `until` holds); returns what it wrote. */
async function logs(via: TestNode, serviceId: Id, opts: { follow?: boolean; tail?: number; since?: number } = {}) {
  const out: LogOutput[] = [];
  const ac = new AbortController();
  const done = streamServiceLogs(via.api, serviceId, { follow: opts.follow ?? false, tail: opts.tail, since: opts.since, timestamps: true }, (r) => void out.push(r), ac.signal);
  return { out, done, stop: async () => (ac.abort(), await done) };
}

const lines = (out: LogOutput[]) => out.filter((r): r is LogRecord => !("warning" in r));
const warnings = (out: LogOutput[]) => out.filter((r): r is LogWarning => "warning" in r);

/** Running containers of the service: node, container ID, task ID. */
function containers(c: TestCluster, serviceId: Id): { node: TestNode; id: string; task: string }[] {
  const out: { node: TestNode; id: string; task: string }[] = [];
  for (const n of c.nodes) {
    if (!n.up) continue;
    for (const k of n.runtime.containers()) if (k.running && k.labels["com.swarm.service.id"] === serviceId) out.push({ node: n, id: k.id, task: k.labels["com.swarm.task.id"]! });
  }
  return out;
}

async function runningOnEveryNode(c: TestCluster, id: Id, n: number): Promise<void> {
  await waitUntil(`${n} tasks running, on every node`, () => {
    const k = containers(c, id);
    const st = c.state();
    const running = Object.values(st.tasks).filter((t) => t.ServiceID === id && t.Status.State === "running" && t.DesiredState === "running");
    return k.length === n && running.length === n && new Set(k.map((x) => x.node)).size === c.nodes.filter((x) => x.up).length;
  }, 15_000);
}

describe("service logs across the cluster (one process)", () => {
  test("a follower manager shows every task's lines from every node, in time order, with --tail and --since", async () => {
    const c = (cluster = await TestCluster.start(1211, 2, 1));
    const m2 = c.nodes.find((n) => n.name === "m2")!;
    const id = await c.createService(chatty("pingpong", 6));
    await runningOnEveryNode(c, id, 6);
    for (const k of containers(c, id)) for (let i = 1; i <= 3; i++) k.node.runtime.print(k.id, `line ${i} of ${k.task.slice(0, 6)}`);
    const all = await logs(m2, id);
    await all.done;
    const got = lines(all.out);
    expect(warnings(all.out)).toEqual([]);
    expect(got.length).toBe(6 * 4);
    expect(new Set(got.map((r) => r.node))).toEqual(new Set(["m1", "m2", "w1"]));
    for (let i = 1; i < got.length; i++) expect(compareTs(got[i - 1]!.ts, got[i]!.ts)).toBeLessThanOrEqual(0);
    for (const r of got) expect(r.name).toMatch(/^pingpong\.[1-6]$/);
    // The node of each line is the node of its task.
    const st = c.state();
    for (const r of got) expect(r.node).toBe(st.nodes[st.tasks[r.task]!.NodeID!]!.Description.Hostname);

    const tail = await logs(m2, id, { tail: 1 });
    await tail.done;
    expect(lines(tail.out).map((r) => r.line).sort()).toEqual(containers(c, id).map((k) => `line 3 of ${k.task.slice(0, 6)}`).sort());

    await Bun.sleep(20);
    const since = Date.now() / 1000;
    const k0 = containers(c, id)[0]!;
    k0.node.runtime.print(k0.id, "after since");
    const recent = await logs(m2, id, { since });
    await recent.done;
    expect(lines(recent.out).map((r) => r.line)).toEqual(["after since"]);
  }, 40_000);

  test("--follow: lines as they come, tasks that start later on any node, archived lines of scaled-down tasks", async () => {
    const c = (cluster = await TestCluster.start(1212, 2, 1));
    const m2 = c.nodes.find((n) => n.name === "m2")!;
    const id = await c.createService(chatty("pingpong", 3));
    await runningOnEveryNode(c, id, 3);
    const f = await logs(m2, id, { follow: true });
    await waitUntil("the 3 first lines", () => lines(f.out).length === 3, 10_000);
    for (const k of containers(c, id)) k.node.runtime.print(k.id, `live from ${k.node.name}`);
    await waitUntil("a live line from every node", () => new Set(lines(f.out).filter((r) => r.line.startsWith("live")).map((r) => r.node)).size === 3, 10_000);

    const leader = c.leader()!;
    const v = c.state().services[id]!.Version.Index;
    await leader.api.updateService(id, chatty("pingpong", 9), v);
    await runningOnEveryNode(c, id, 9);
    await waitUntil("the 6 new tasks' first lines", () => new Set(lines(f.out).filter((r) => r.line === "started").map((r) => r.task)).size === 9, 10_000);
    for (const k of containers(c, id)) k.node.runtime.print(k.id, `late ${k.task}`);
    await waitUntil("a late line from all 9 tasks", () => lines(f.out).filter((r) => r.line.startsWith("late")).length === 9, 10_000);
    await f.stop();

    // Scale down to 2: the 7 stopped tasks' containers are removed; their lines stay readable.
    const before = new Set(containers(c, id).map((k) => k.task));
    await leader.api.updateService(id, chatty("pingpong", 2), c.state().services[id]!.Version.Index);
    await waitUntil("2 containers left", () => containers(c, id).length === 2 && c.nodes.every((n) => n.runtime.containers().filter((k) => k.labels["com.swarm.service.id"] === id).length <= 2), 15_000);
    const after = await logs(m2, id);
    await after.done;
    const late = new Set(lines(after.out).filter((r) => r.line.startsWith("late")).map((r) => r.task));
    expect(late).toEqual(before);
    expect(warnings(after.out)).toEqual([]);
  }, 60_000);

  test("a node powered off: a warning names it and its tasks; the other nodes' lines still come", async () => {
    const c = (cluster = await TestCluster.start(1213, 2, 1));
    const m2 = c.nodes.find((n) => n.name === "m2")!;
    const w1 = c.nodes.find((n) => n.name === "w1")!;
    const id = await c.createService(chatty("pingpong", 3));
    await runningOnEveryNode(c, id, 3);
    const onW1 = containers(c, id).find((k) => k.node === w1)!.task;
    await c.powerOff(w1);
    await waitUntil("m2 no longer connected to w1", () => !m2.agent.reaches(w1.id), 10_000);
    const r = await logs(m2, id);
    await r.done;
    const w = warnings(r.out);
    expect(w.length).toBe(1);
    expect(w[0]!.node).toBe("w1");
    expect(w[0]!.tasks).toContain(onW1);
    expect(w[0]!.warning).toContain(onW1.slice(0, 12));
    expect(lines(r.out).filter((l) => l.line === "started").map((l) => l.node).sort()).toEqual(["m1", "m2"]);
  }, 40_000);
});
