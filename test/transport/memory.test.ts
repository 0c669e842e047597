import { afterEach, describe, expect, test } from "bun:test";
import { MemoryNetwork, type ClusterTransport, type RawPeer } from "../../internal/transport/index.ts";
import { keyPairFromSeed } from "../../internal/transport/admission.ts";
import { SECRET, recordingLogger, seedOf, waitFor } from "./helpers.ts";
import { transportSuite, type Harness } from "./suite.ts";

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
      async close() {
        for (const r of raws) r.close();
        await Promise.all(nodes.map((n) => n.close()));
      },
    };
  };
}

transportSuite("memory", memoryHarness(false), { connectMs: 2000, handshakeMs: 500 });
transportSuite("memory-split-writes", memoryHarness(true), { connectMs: 2000, handshakeMs: 500 });

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
    nodes = [0, 1, 2].map((i) => net.createTransport(seedOf(`part-${i}`), { clusterId: "part", joinSecret: SECRET, log }));
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
});
