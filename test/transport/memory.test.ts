import { afterEach, describe, expect, test } from "bun:test";
import { MemoryNetwork, type ClusterTransport, type RawPeer } from "../../internal/transport/index.ts";
import { keyPairFromSeed } from "../../internal/transport/admission.ts";
import { recordingLogger, seedOf, testCluster, waitFor } from "./helpers.ts";
import { transportSuite, type Harness } from "./suite.ts";
import { hostileSuite } from "./hostile-suite.ts";

function memoryHarness(splitWrites: boolean): () => Promise<Harness> {
  return async () => {
    const net = new MemoryNetwork({ splitWrites });
    const nodes: ClusterTransport[] = [];
    const raws: RawPeer[] = [];
    return {
      async start(spec) {
        const t = net.createTransport(spec.seed, spec.options);
        nodes.push(t);
        await t.start();
        return t;
      },
      async rawConnect(target, seed) {
        const r = net.rawConnect(target.self, new Uint8Array(keyPairFromSeed(seed).publicKey));
        raws.push(r);
        return r;
      },
      silence(t, on) {
        for (const other of nodes) {
          if (other === t) continue;
          if (on) net.partition(t.self, other.self);
          else net.heal(t.self, other.self);
        }
      },
      async close() {
        for (const r of raws) r.close();
        await Promise.all(nodes.map((n) => n.close()));
      },
    };
  };
}

transportSuite("memory", memoryHarness(false), { connectMs: 2000, handshakeMs: 500 });
transportSuite("memory-split-writes", memoryHarness(true), { connectMs: 2000, handshakeMs: 500 });
hostileSuite("memory", memoryHarness(true), { connectMs: 2000, handshakeMs: 500 });

describe("memory network partitions", () => {
  let net: MemoryNetwork;
  let nodes: ClusterTransport[] = [];
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    nodes = [];
  });

  test("cut drops the connection and heal restores it", async () => {
    net = new MemoryNetwork();
    const { log } = recordingLogger();
    const cl = testCluster("part", { log });
    nodes = [0, 1, 2].map((i) => net.createTransport(seedOf(`part-${i}`), cl.member(seedOf(`part-${i}`), "worker")));
    await Promise.all(nodes.map((n) => n.start()));
    const [a, b, c] = nodes as [ClusterTransport, ClusterTransport, ClusterTransport];
    await waitFor("mesh", () => nodes.every((n) => n.peers().length === 2));
    net.cut(a.self, b.self);
    await waitFor("a-b cut", () => !a.isConnected(b.self) && !b.isConnected(a.self));
    expect(a.isConnected(c.self)).toBe(true);
    net.isolate(c.self);
    await waitFor("c isolated", () => c.peers().length === 0);
    net.heal(a.self, b.self);
    net.rejoin(c.self);
    await waitFor("mesh again", () => nodes.every((n) => n.peers().length === 2));
  });

  test("partition holds traffic (requests wait or time out); healed in time nothing is lost, else the connection dies", async () => {
    net = new MemoryNetwork({ deadPeerMs: 300 });
    const { log } = recordingLogger();
    const c = testCluster("held", { log });
    nodes = [0, 1].map((i) => net.createTransport(seedOf(`held-${i}`), c.member(seedOf(`held-${i}`), "worker")));
    const [a, b] = nodes as [ClusterTransport, ClusterTransport];
    b.handle("echo", (m) => m);
    await Promise.all(nodes.map((n) => n.start()));
    await waitFor("connected", () => a.isConnected(b.self));
    const downs: string[] = [];
    a.on("peer-down", (id) => downs.push(id));

    net.partition(a.self, b.self);
    const slow = a.request(b.self, "echo", "held", { timeoutMs: 5000 });
    const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (e: { code: string }) => e.code);
    expect(await codeOf(a.request(b.self, "echo", 1, { timeoutMs: 50 }))).toBe("TIMEOUT");
    net.heal(a.self, b.self);
    expect(await slow).toBe("held");
    expect(downs).toEqual([]);

    net.partition(a.self, b.self);
    await waitFor("dead after deadPeerMs", () => downs.length === 1);
    net.heal(a.self, b.self);
    await waitFor("reconnected", () => a.isConnected(b.self));
    expect(await a.request(b.self, "echo", 2)).toBe(2);
  });
});
