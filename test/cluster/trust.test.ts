/**
 * The trust model (issue 9): admission proves a peer belongs, not what it may do. Impostors, workers
 * speaking Raft or reporting other nodes' tasks, revoked nodes and secret-only peers get nowhere.
 */
import { afterEach, describe, expect, test } from "bun:test";
import {
  HEARTBEAT_CHANNEL, JOIN_CHANNEL, parseToken, REPORT_CHANNEL, SESSION_CHANNEL, type SessionMessage,
} from "../../internal/api/index.ts";
import { PROPOSE_CHANNEL, RAFT_CHANNEL } from "../../internal/manager/index.ts";
import { MsgType } from "../../internal/raft/index.ts";
import { encodeProposal } from "../../internal/store/index.ts";
import {
  clusterFingerprint, clusterKeyFromSeed, issueCertificate, keyPairFromSeed, nodeIdOf, type ClusterTransport,
} from "../../internal/transport/index.ts";
import { readNodeFile } from "../../internal/node/index.ts";
import { waitUntil } from "../harness/index.ts";
import { replicated, TestCluster } from "./harness.ts";
import { converged } from "./invariants.ts";

let cluster: TestCluster | undefined;
const extra: ClusterTransport[] = [];
afterEach(async () => {
  for (const t of extra.splice(0)) await t.close();
  await cluster?.close();
  cluster = undefined;
});

function seed(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

async function error(p: Promise<unknown>): Promise<{ code?: string; remoteCode?: string; message: string }> {
  return p.then(
    () => ({ message: "no error" }),
    (e: { code?: string; remoteCode?: string; message: string }) => e,
  );
}

describe("trust", () => {
  test("an impostor manager (a certificate from another cluster key) is admitted by nobody, and a joiner still joins the real cluster", async () => {
    cluster = await TestCluster.start(51, 1, 1);
    const c = cluster;
    const token = parseToken(c.token("worker"));
    // The impostor knows the cluster id and discovery key (both are in every token) but not the key.
    const fake = clusterKeyFromSeed(seed(99));
    const s = seed(98);
    const id = nodeIdOf(keyPairFromSeed(s).publicKey);
    const now = Date.now();
    const cert = issueCertificate(fake, { v: 2, clusterId: clusterFingerprint(fake.publicKey), nodeId: id, role: "manager", serial: 1, notBeforeMs: now - 1000, notAfterMs: now + 60_000 });
    const rogue = c.net.createTransport(s, { clusterId: clusterFingerprint(fake.publicKey), discoveryKey: token.discoveryKey, clusterPublicKey: fake.publicKey, certificate: cert });
    extra.push(rogue);
    rogue.handle(JOIN_CHANNEL, () => ({ stolen: true }), { accept: ["joiner"] });
    await rogue.start();
    const n = c.add("newcomer");
    await n.agent.join(c.token("worker"), "10.0.0.1:2377");
    await c.waitAllReady();
    for (const node of c.nodes) expect(node.agent.transportPeers.map((p) => p.id)).not.toContain(id);
    expect(Object.keys(c.state().nodes)).not.toContain(id);
  }, 30_000);

  test("a worker's Raft messages are refused: a forged vote with a huge term changes nothing", async () => {
    cluster = await TestCluster.start(52, 1, 1);
    const c = cluster;
    const leader = c.leader()!;
    const w = c.nodes.find((n) => n.name === "w1")!;
    const term = leader.agent.requireManager().raft.status().term;
    const t = w.agent.transportHandle!;
    for (const from of [w.id, leader.id]) {
      t.send(leader.id, RAFT_CHANNEL, { type: MsgType.Vote, from, to: leader.id, term: term + 100, index: 1e9, logTerm: term + 100 });
      t.send(leader.id, RAFT_CHANNEL, { type: MsgType.App, from, to: leader.id, term: term + 100, index: 0, logTerm: 0, entries: [], commit: 0 });
    }
    // A write still commits in the same term: the leader was not deposed.
    await leader.api.createService(replicated("after", 0));
    expect(leader.agent.requireManager().raft.status().term).toBe(term);
    expect(leader.agent.requireManager().isLeader).toBe(true);
    // Nor may a worker forward proposals.
    await waitUntil("the worker connected", () => t.isConnected(leader.id), 5000);
    const e = await error(t.request(leader.id, PROPOSE_CHANNEL, { data: encodeProposal({ rid: "x", cmds: [{ kind: "node.remove", id: leader.id }] }) }));
    expect(e.code).toBe("FORBIDDEN");
    expect(c.state().nodes[leader.id]).toBeDefined();
  }, 30_000);

  test("a worker reporting another node's task is refused and the task is unchanged", async () => {
    cluster = await TestCluster.start(53, 1, 2);
    const c = cluster;
    const web = await c.createService(replicated("web", 4));
    await waitUntil("converged", () => converged(c), 15_000);
    const leader = c.leader()!;
    const w1 = c.nodes.find((n) => n.name === "w1")!;
    const victim = Object.values(c.state().tasks).find((t) => t.ServiceID === web && t.NodeID !== w1.id)!;
    // w1's agent stops; its key and certificate (from its data dir) speak for it, as a tampered agent would.
    await c.crash(w1);
    const f = readNodeFile(w1.dir)!;
    const t = c.net.createTransport(w1.seed, {
      clusterId: f.clusterId,
      discoveryKey: Buffer.from(f.discoveryKey, "hex"),
      clusterPublicKey: Buffer.from(f.clusterPublicKey, "hex"),
      certificate: { cert: Buffer.from(f.cert, "hex"), sig: Buffer.from(f.sig, "hex") },
    });
    extra.push(t);
    await t.start();
    await waitUntil("connected to the leader", () => t.isConnected(leader.id), 5000);
    const s = t.openStream(leader.id, SESSION_CHANNEL, { description: { Hostname: "w1", Platform: { Architecture: "", OS: "" }, Resources: { NanoCPUs: 0, MemoryBytes: 0 }, Engine: { EngineVersion: "" } }, dhtPort: 1 });
    // Read the welcome without ending the stream (ending it would end the session).
    const first = (await (s as AsyncIterable<SessionMessage>)[Symbol.asyncIterator]().next()).value as SessionMessage;
    const session = first.t === "welcome" ? first.session : "";
    expect(session).not.toBe("");
    const e = await error(t.request(leader.id, REPORT_CHANNEL, { session, statuses: [{ id: victim.ID, status: { ...victim.Status, State: "failed", Message: "forged", Timestamp: new Date().toISOString() } }] }));
    expect(e.remoteCode).toBe("FORBIDDEN");
    expect(e.message).toMatch(/not assigned to this node/);
    expect(c.state().tasks[victim.ID]!.Status.State).toBe("running");
    s.cancel();
  }, 30_000);

  test("a removed (revoked) node cannot come back, even after a restart", async () => {
    cluster = await TestCluster.start(54, 1, 2);
    const c = cluster;
    const m = c.leader()!;
    const w2 = c.nodes.find((n) => n.name === "w2")!;
    await m.api.removeNodes(["w2"], true);
    await waitUntil("nobody connected to w2", () => c.nodes.every((n) => n === w2 || !n.agent.transportPeers.some((p) => p.id === w2.id)), 5000);
    await c.crash(w2);
    await c.restart(w2);
    await Bun.sleep(0);
    await waitUntil("w2's restarted transport is refused by everyone", () => w2.agent.transportPeers.length === 0 && c.nodes.every((n) => n === w2 || !n.agent.transportPeers.some((p) => p.id === w2.id)), 5000);
    expect(c.state().nodes[w2.id]).toBeUndefined();
  }, 30_000);

  test("a peer admitted by a join secret alone may use the join channel and nothing else", async () => {
    cluster = await TestCluster.start(55, 1, 0);
    const c = cluster;
    const leader = c.leader()!;
    const token = parseToken(c.token("worker"));
    const j = c.net.createTransport(seed(77), { clusterId: token.clusterId, discoveryKey: token.discoveryKey, proveSecret: token.secret });
    extra.push(j);
    await j.start();
    await waitUntil("the joiner connected to the manager", () => j.isConnected(leader.id), 5000);
    for (const ch of [PROPOSE_CHANNEL, REPORT_CHANNEL, HEARTBEAT_CHANNEL]) {
      const e = await error(j.request(leader.id, ch, { session: "x", statuses: [], data: new Uint8Array(1) }));
      expect(e.code).toBe("FORBIDDEN");
    }
    expect(Object.keys(c.state().nodes)).toHaveLength(1);
  }, 30_000);
});
