/**
 * Multi-process scenarios for the real transport: N processes on 127.0.0.1..N with a private
 * bootstrap (node 0) reach a full mesh and exchange requests; restarts (graceful and kill -9) are
 * reconnected; a process certified by another cluster key is refused. Run with Bun (mesh.test.ts) and
 * with the compiled binary (binary.test.ts).
 */
import { afterEach, expect, test } from "bun:test";
import { ProcCluster, type NodeProc } from "../fixtures/transport/procs.ts";
import { freeUdpPort } from "./helpers.ts";

const WAIT_MS = 30_000;
/** Short dead-peer timeout so a kill -9 is noticed quickly. */
const DEAD_MS = 3000;

/** Waits until `p` (from its event index `from`) is ready, meshed with n peers and got a pong from
 * each; fails on any failed ping but PEER_GONE (a connection replaced while the mesh forms). */
export async function meshed(p: NodeProc, n: number, from = 0): Promise<void> {
  // A node can reach its peers (peer exchange) before its own DHT has finished bootstrapping and it
  // prints "ready" with its id: wait for both.
  await p.waitFor("ready", (e) => e.event === "ready", WAIT_MS, from);
  await p.waitFor("mesh", (e) => e.event === "mesh", WAIT_MS, from);
  const deadline = Date.now() + WAIT_MS;
  const okPeers = () => new Set(p.events.slice(from).filter((e) => e.event === "pong" && e.ok).map((e) => e.peer));
  while (okPeers().size < n) {
    await p.waitFor(`${n} pongs`, (e) => e.event === "pong", Math.max(1, deadline - Date.now()), p.events.length);
  }
  // A connection replaced while the mesh forms (simultaneous dials) fails its in-flight ping with
  // PEER_GONE; the node pings again on the next peer-up. Any other failure is a bug.
  const bad = p.events.slice(from).filter((e) => e.event === "pong" && !e.ok && e.code !== "PEER_GONE");
  expect(bad).toEqual([]);
}

export function processScenarios(label: string, command: () => string[] | undefined): void {
  let cluster: ProcCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });
  const skip = command() === undefined;

  async function start(n: number): Promise<{ c: ProcCluster; nodes: NodeProc[] }> {
    const port = await freeUdpPort("127.0.0.1");
    const c = (cluster = new ProcCluster(command()!, [`127.0.0.1:${port}`]));
    const nodes = [...Array(n).keys()].map((i) =>
      c.spawn(`node${i}`, { host: `127.0.0.${i + 1}`, port: i === 0 ? port : undefined, dataDir: c.dataDir(`n${i}`), expect: n - 1, deadPeerMs: DEAD_MS }),
    );
    await Promise.all(nodes.map((p) => meshed(p, n - 1)));
    const ids = nodes.map((p) => p.id);
    for (const [i, p] of nodes.entries()) {
      const up = new Set(p.events.filter((e) => e.event === "peer-up").map((e) => e.peer));
      expect([...up].sort()).toEqual(ids.filter((_, j) => j !== i).sort() as string[]);
    }
    return { c, nodes };
  }

  test.skipIf(skip)(`${label}: 3 processes mesh; restarts are reconnected; a peer of another cluster key is refused`, async () => {
    const { c, nodes } = await start(3);
    const [n0, n1, n2] = nodes as [NodeProc, NodeProc, NodeProc];
    const id1 = n1.id!;
    const id2 = n2.id!;

    // Graceful restart of node2 with the same data dir: same id, seen down then up again.
    await n2.stop();
    await n0.waitFor("peer-down node2", (e) => e.event === "peer-down" && e.peer === id2, WAIT_MS);
    let mark0 = n0.events.length;
    const n2b = c.spawn("node2b", { host: "127.0.0.3", dataDir: c.dataDir("n2"), expect: 2, deadPeerMs: DEAD_MS });
    await meshed(n2b, 2);
    expect(n2b.id).toBe(id2);
    await n0.waitFor("pong node2b", (e) => e.event === "pong" && e.peer === id2 && e.ok === true, WAIT_MS, mark0);

    // kill -9 of node1 and an immediate restart: nobody was told; the new connection replaces the
    // dead one.
    mark0 = n0.events.length;
    n1.proc.kill("SIGKILL");
    await n1.exited;
    const n1b = c.spawn("node1b", { host: "127.0.0.2", dataDir: c.dataDir("n1"), expect: 2, deadPeerMs: DEAD_MS });
    await meshed(n1b, 2);
    expect(n1b.id).toBe(id1);
    await n0.waitFor("pong node1b", (e) => e.event === "pong" && e.peer === id1 && e.ok === true, WAIT_MS, mark0);

    // kill -9 of node2b for good: silence closes its connections within the dead-peer timeout.
    mark0 = n0.events.length;
    n2b.proc.kill("SIGKILL");
    await n2b.exited;
    const killedAt = performance.now();
    await n0.waitFor("dead node2b noticed", (e) => e.event === "peer-down" && e.peer === id2, WAIT_MS, mark0);
    expect(performance.now() - killedAt).toBeLessThan(DEAD_MS + 10_000); // timeout + slack for a loaded host

    // A certificate from another cluster key (it knows the discovery key, so it finds the nodes):
    // refused by the nodes it reaches, and told so; never admitted.
    const bad = c.spawn("intruder", { host: "127.0.0.4", dataDir: c.dataDir("bad"), clusterKey: "00".repeat(32) });
    await bad.waitFor("ready", (e) => e.event === "ready", WAIT_MS);
    const badShort = bad.id!.slice(0, 8);
    // Each side checks the other's proof, so the intruder refuses the nodes' proofs as well.
    await n0.waitFor("intruder refused", (e) => e.event === "refused" && e.peer === badShort, WAIT_MS);
    await bad.waitFor("intruder refused or told", (e) => e.event === "refused-by-peer" || e.event === "refused", WAIT_MS);
    expect(bad.events.some((e) => e.event === "peer-up")).toBe(false);
    for (const p of [n0, n1b]) expect(p.events.some((e) => e.event === "peer-up" && e.peer === bad.id)).toBe(false);

    const codes = await Promise.all(c.procs.filter((p) => !p.done).map(async (p) => `${p.name}:${await p.stop()}`));
    expect(codes).toEqual(["node0:0", "node1b:0", "intruder:0"]);
  }, 120_000);

  test.skipIf(skip)(`${label}: 10 processes on 127.0.0.1-10 reach a full mesh and exchange messages`, async () => {
    const { c } = await start(10);
    const codes = await Promise.all(c.procs.map(async (p) => `${p.name}:${await p.stop()}`));
    expect(codes).toEqual(c.procs.map((p) => `${p.name}:0`));
  }, 120_000);
}
