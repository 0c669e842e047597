/**
 * The shared suite against the real transport: Hyperswarm + HyperDHT over our UDX (internal/udx),
 * all nodes in this process on 127.0.0.1 with a private bootstrap node.
 */
import { createHyperswarmTransport } from "../../internal/transport/hyperswarm.ts";
import { keyPairFromSeed, nodeIdOf, type ClusterTransport } from "../../internal/transport/index.ts";
import { describe, expect, test } from "bun:test";
import { SECRET, freeUdpPort, recordingLogger, seedOf, testCluster, waitFor } from "./helpers.ts";
import { HOST, hyperswarmHarness } from "./hyperswarm-harness.ts";
import { transportSuite } from "./suite.ts";
import { hostileSuite } from "./hostile-suite.ts";

transportSuite("hyperswarm", hyperswarmHarness, { connectMs: 10_000, handshakeMs: 2000 });
hostileSuite("hyperswarm", hyperswarmHarness, { connectMs: 10_000, handshakeMs: 2000 });

describe("hyperswarm transport: bootstrap node starting after the others (cluster reboot)", () => {
  test("nodes that found no bootstrap rebuild their DHT and mesh once it is up", async () => {
    const port = await freeUdpPort(HOST);
    const bootstrap = [`${HOST}:${port}`];
    const { log, lines } = recordingLogger();
    const c = testCluster(`late-${process.pid}`, { log });
    const opts = (label: string) => ({ ...c.member(seedOf(label), "worker"), keySeed: seedOf(label), dataDir: "/nonexistent", bootstrap });
    const ts: ClusterTransport[] = [];
    try {
      ts.push(createHyperswarmTransport({ ...opts("late-1"), host: "127.0.0.2" }));
      ts.push(createHyperswarmTransport({ ...opts("late-2"), host: "127.0.0.3" }));
      await Promise.all(ts.map((t) => t.start()));
      await waitFor("bootstrap retry logged", () => lines.some((l) => l.msg.startsWith("no DHT bootstrap node answered")), 15_000);
      const m = createHyperswarmTransport({ ...opts("late-0"), host: HOST, port });
      ts.push(m);
      await m.start();
      await waitFor("mesh after the late bootstrap", () => ts.every((t) => t.peers().length === 2), 30_000);
    } finally {
      await Promise.all(ts.map((t) => t.close()));
    }
  }, 60_000);
});

// A DHT of two nodes: each node's topic record is stored only on the other, and dht-rpc never asks
// itself, so lookups alone never find anyone (local-records.ts). The shared suites always run a
// separate bootstrap node, which hides this; `swarm join` (one manager, the first worker) hits it.
describe("hyperswarm transport: a DHT of two nodes (the manager is the bootstrap node)", () => {
  const pairOf = (label: string) => {
    const c = testCluster(`${label}-${process.pid}`);
    const seeds = { m: seedOf(`${label}-m`), w: seedOf(`${label}-w`) };
    return { c, seeds, ids: { m: nodeIdOf(keyPairFromSeed(seeds.m).publicKey), w: nodeIdOf(keyPairFromSeed(seeds.w).publicKey) } };
  };

  test("a manager and a worker mesh, and again after the worker restarts with the same key", async () => {
    const { c, seeds, ids } = pairOf("pair");
    const port = await freeUdpPort(HOST);
    const bootstrap = [`${HOST}:${port}`];
    const worker = () => createHyperswarmTransport({ ...c.member(seeds.w, "worker"), keySeed: seeds.w, dataDir: "/nonexistent", host: "127.0.0.2", bootstrap });
    const m = createHyperswarmTransport({ ...c.member(seeds.m, "manager"), keySeed: seeds.m, dataDir: "/nonexistent", host: HOST, port, bootstrap });
    m.handle("echo", (msg) => msg);
    const ts: ClusterTransport[] = [m];
    try {
      await m.start();
      let w = worker();
      ts.push(w);
      await w.start();
      await waitFor("manager and worker meshed", () => m.peers().some((p) => p.id === ids.w) && w.peers().some((p) => p.id === ids.m), 10_000);
      expect(await w.request(ids.m, "echo", { n: 1 })).toEqual({ n: 1 });

      await w.close();
      await waitFor("manager saw the worker go", () => m.peers().length === 0, 10_000);
      w = worker();
      ts.push(w);
      await w.start();
      await waitFor("meshed again after the restart", () => m.peers().some((p) => p.id === ids.w) && w.peers().some((p) => p.id === ids.m), 10_000);
      expect(await w.request(ids.m, "echo", { n: 2 })).toEqual({ n: 2 });
    } finally {
      await Promise.all(ts.map((t) => t.close()));
    }
  }, 40_000);

  test("a joining node (token secret only) reaches the manager", async () => {
    const { c, seeds, ids } = pairOf("join");
    const port = await freeUdpPort(HOST);
    const bootstrap = [`${HOST}:${port}`];
    const m = createHyperswarmTransport({
      ...c.member(seeds.m, "manager", { joinSecrets: [{ role: "worker", secret: SECRET }] }), keySeed: seeds.m, dataDir: "/nonexistent", host: HOST, port, bootstrap,
    });
    const j = createHyperswarmTransport({ ...c.joiner(SECRET), keySeed: seeds.w, dataDir: "/nonexistent", host: "127.0.0.2", bootstrap });
    try {
      await m.start();
      await j.start();
      await waitFor("joiner admitted", () => m.peers().some((p) => p.id === ids.w && p.class === "joiner") && j.peers().some((p) => p.id === ids.m), 10_000);
    } finally {
      await Promise.all([m.close(), j.close()]);
    }
  }, 30_000);

  // A refused joiner's DHT node used to stay in the manager's routing table after it exited, and
  // every later joiner's DHT queries waited out its timeouts (13 s joins on the test bed).
  test("a joiner stays out of routing tables until admitted: refused, it leaves no trace; certified, it turns persistent and is known", async () => {
    const { c, seeds, ids } = pairOf("probation");
    const port = await freeUdpPort(HOST);
    const bootstrap = [`${HOST}:${port}`];
    const m = createHyperswarmTransport({
      ...c.member(seeds.m, "manager", { joinSecrets: [{ role: "worker", secret: SECRET }] }), keySeed: seeds.m, dataDir: "/nonexistent", host: HOST, port, bootstrap,
    });
    const joiner = (host: string, secret: Uint8Array, seed: Uint8Array) =>
      createHyperswarmTransport({ ...c.joiner(secret), keySeed: seed, dataDir: "/nonexistent", host, bootstrap });
    const knows = (host: string) => m.dhtState().nodes.some((n) => n.host === host);
    const ts = [m];
    try {
      await m.start();
      const bad = joiner("127.0.0.3", new Uint8Array(32).fill(7), seedOf("probation-bad"));
      ts.push(bad);
      let refused = false;
      bad.on("refused", () => (refused = true));
      await bad.start();
      await waitFor("the wrong secret refused", () => refused, 10_000);
      expect(bad.dhtState().persistent).toBe(false);
      expect(knows("127.0.0.3")).toBe(false);

      const j = joiner("127.0.0.2", SECRET, seeds.w);
      ts.push(j);
      await j.start();
      await waitFor("joiner admitted", () => j.peers().some((p) => p.id === ids.m), 10_000);
      expect(j.dhtState().persistent).toBe(false);
      expect(knows("127.0.0.2")).toBe(false);
      j.updateAdmission({ certificate: c.certFor(seeds.w, "worker"), clusterPublicKey: c.ck.publicKey, proveSecret: null });
      await waitFor("the certified node's DHT node persistent", () => j.dhtState().persistent, 10_000);
      await waitFor("the manager's routing table knows it", () => knows("127.0.0.2"), 10_000);
      expect(knows("127.0.0.3")).toBe(false);
    } finally {
      await Promise.all(ts.map((t) => t.close()));
    }
  }, 40_000);
});
