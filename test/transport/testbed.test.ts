/**
 * The real transport across hosts of the multi-host test bed (docs/testbed.md): one `__transport-node`
 * process per host, each in its own network namespace on the bed's LAN (10.77.0.0/24), h1 the
 * manager and DHT bootstrap node. Loopback tests share one namespace; this is the cluster's real
 * shape. Runs Bun processes, or the compiled binary with SWARM_BIN=dist/swarm.
 *
 * Covers: two DHT nodes alone (manager + first worker: each one's topic record lives only on the
 * other, see internal/transport/local-records.ts), a third host joining (full mesh, request/response
 * between every pair), a graceful restart, a kill -9 + restart, and the last two nodes re-meshing
 * after a restart. Budget: ~15-30 s (bed up/down included). Needs root: skipped, loudly, without.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { ProcCluster, binaryNodeCommand, bunNodeCommand, type NodeProc } from "../fixtures/transport/procs.ts";
import { Testbed, unsupportedReason, type TestbedHost } from "../testbed/index.ts";
import { meshed } from "./scenarios.ts";

const WAIT_MS = 30_000;
/** Short dead-peer timeout so a kill -9 is noticed quickly. */
const DEAD_MS = 3000;
const PORT = 4000;

const why = unsupportedReason();
if (why) console.warn(`SKIPPING transport test-bed tests (3 hosts on a bridge): ${why}`);

describe.skipIf(why !== null)("transport across the test bed (3 hosts)", () => {
  let bed: Testbed | undefined;
  let cluster: ProcCluster | undefined;

  beforeAll(async () => {
    bed = await Testbed.up({ name: "xnet-transport", hosts: 3, loadImage: false });
  }, 120_000);

  afterAll(async () => {
    await cluster?.close();
    await bed?.down();
  }, 60_000);

  test("two hosts mesh alone; a third joins (full mesh, requests both ways); restarts reconnect", async () => {
    const [h1, h2, h3] = bed!.hosts as [TestbedHost, TestbedHost, TestbedHost];
    const bin = process.env.SWARM_BIN;
    const c = (cluster = new ProcCluster(bin ? binaryNodeCommand(resolve(bin)) : bunNodeCommand(), [`${h1.ip}:${PORT}`]));
    const spawn = (name: string, h: TestbedHost, expect: number, dir = h.name) =>
      c.spawn(name, { host: h.ip, port: h === h1 ? PORT : undefined, dataDir: c.dataDir(dir), expect, deadPeerMs: DEAD_MS, wrap: (argv) => h.argv(argv) });
    const pongFrom = (p: NodeProc, peer: NodeProc, from: number) =>
      p.waitFor(`pong from ${peer.name}`, (e) => e.event === "pong" && e.peer === peer.id && e.ok === true, WAIT_MS, from);

    // Two DHT nodes alone: the manager (bootstrap) and one worker. They expect 2 peers, so they
    // ping each peer only once meshed with both: wait for peer-up here.
    const n1 = spawn("h1", h1, 2);
    await n1.waitFor("ready", (e) => e.event === "ready", WAIT_MS);
    const n2 = spawn("h2", h2, 2);
    await n2.waitFor("ready", (e) => e.event === "ready", WAIT_MS);
    await n1.waitFor("peer-up h2", (e) => e.event === "peer-up" && e.peer === n2.id, WAIT_MS);
    await n2.waitFor("peer-up h1", (e) => e.event === "peer-up" && e.peer === n1.id, WAIT_MS);

    // A third host: full mesh, and a request/response from every node to every other.
    const n3 = spawn("h3", h3, 2);
    await Promise.all([n1, n2, n3].map((p) => meshed(p, 2)));
    const sawUp = (p: NodeProc, peer: NodeProc) => p.events.some((e) => e.event === "peer-up" && e.peer === peer.id);
    for (const p of [n1, n2, n3]) for (const q of [n1, n2, n3]) if (p !== q) expect(sawUp(p, q)).toBe(true);
    expect(new Set([n1.id, n2.id, n3.id]).size).toBe(3);

    // Graceful restart of h2 (same data dir, same id): seen down, then up and answering again.
    let mark1 = n1.events.length;
    let mark3 = n3.events.length;
    const id2 = n2.id;
    expect(await n2.stop()).toBe(0);
    await n1.waitFor("peer-down h2", (e) => e.event === "peer-down" && e.peer === id2, WAIT_MS, mark1);
    const n2b = spawn("h2b", h2, 2, "h2");
    await meshed(n2b, 2);
    expect(n2b.id).toBe(id2);
    await Promise.all([pongFrom(n1, n2b, mark1), pongFrom(n3, n2b, mark3)]);

    // kill -9 of h3 and an immediate restart: nobody was told; the new connection replaces the dead one.
    mark1 = n1.events.length;
    let mark2 = n2b.events.length;
    const id3 = n3.id;
    n3.proc.kill("SIGKILL");
    await n3.exited;
    const n3b = spawn("h3b", h3, 2, "h3");
    await meshed(n3b, 2);
    expect(n3b.id).toBe(id3);
    await Promise.all([pongFrom(n1, n3b, mark1), pongFrom(n2b, n3b, mark2)]);

    // h3 leaves for good; then h2 is killed and restarted: the last two nodes (a DHT of two again)
    // must find each other with nothing but their own records.
    expect(await n3b.stop()).toBe(0);
    mark1 = n1.events.length;
    n2b.proc.kill("SIGKILL");
    await n2b.exited;
    const n2c = spawn("h2c", h2, 1, "h2");
    await meshed(n2c, 1);
    await pongFrom(n1, n2c, mark1); // h1 has been meshed, so it pings every new peer-up

    const codes = await Promise.all(c.procs.filter((p) => !p.done).map(async (p) => `${p.name}:${await p.stop()}`));
    expect(codes.sort()).toEqual(["h1:0", "h2c:0"]);
  }, 180_000);
});
