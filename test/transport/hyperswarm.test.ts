/**
 * The shared suite against the real transport: Hyperswarm + HyperDHT over our UDX (internal/udx),
 * all nodes in this process on 127.0.0.1 with a private bootstrap node.
 */
import { createHyperswarmTransport } from "../../internal/transport/hyperswarm.ts";
import type { ClusterTransport } from "../../internal/transport/index.ts";
import { describe, test } from "bun:test";
import { freeUdpPort, recordingLogger, seedOf, testCluster, waitFor } from "./helpers.ts";
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
