/**
 * The shared suite against the real transport: Hyperswarm + HyperDHT over our UDX (internal/udx),
 * all nodes in this process on 127.0.0.1 with a private bootstrap node.
 */
import { UDX } from "../../internal/udx/index.ts";
import { createHyperswarmTransport, startBootstrapNode } from "../../internal/transport/hyperswarm.ts";
import { keyPairFromSeed, type ClusterTransport, type RawPeer } from "../../internal/transport/index.ts";
import { describe, test } from "bun:test";
import { freeUdpPort, recordingLogger, seedOf, testCluster, waitFor } from "./helpers.ts";
import { transportSuite, type Harness } from "./suite.ts";

const HyperDHT = require("hyperdht");
const HOST = "127.0.0.1";

/** A UDX whose sockets can be silenced: nothing is sent or received while `silent` (a powered-off
 * or cut-off host, as far as its peers can tell), and nothing is closed. */
class SilenceableUDX extends UDX {
  silent = false;
  override createSocket(opts?: Parameters<UDX["createSocket"]>[0]) {
    const s = super.createSocket(opts);
    const [sendRaw, sendMany] = [s.sendRaw.bind(s), s.sendMany.bind(s)];
    s.sendRaw = (...a) => (this.silent ? true : sendRaw(...a));
    s.sendMany = (...a) => (this.silent ? a[0].length : sendMany(...a));
    return s;
  }
  override routePacket(...a: Parameters<UDX["routePacket"]>): boolean {
    return this.silent || super.routePacket(...a);
  }
}

async function hyperswarmHarness(): Promise<Harness> {
  const boot = await startBootstrapNode({ host: HOST, port: await freeUdpPort(HOST), udx: new UDX() });
  const bootstrap = [`${boot.address.host}:${boot.address.port}`];
  const nodes: ClusterTransport[] = [];
  const udxOf = new Map<ClusterTransport, SilenceableUDX>();
  const rawDhts: { destroy(o?: object): Promise<void> }[] = [];
  const raws: RawPeer[] = [];
  return {
    async start(spec) {
      const udx = new SilenceableUDX();
      const t = createHyperswarmTransport({
        ...spec.options,
        dataDir: "/nonexistent", // keySeed is given: no key file
        keySeed: spec.seed,
        host: HOST,
        bootstrap,
        udx,
      });
      nodes.push(t);
      udxOf.set(t, udx);
      await t.start();
      return t;
    },
    async rawConnect(target, seed) {
      const keyPair = keyPairFromSeed(seed);
      const dht = new HyperDHT({ udx: new UDX(), bootstrap: [boot.address], host: HOST, firewalled: false, keyPair });
      rawDhts.push(dht);
      await dht.fullyBootstrapped();
      const conn = dht.connect(Buffer.from(target.self, "hex"), { keyPair });
      const received: Uint8Array[] = [];
      conn.on("data", (c: Uint8Array) => received.push(c));
      conn.on("error", () => {}); // the transport closing us is the expected outcome
      const closed = new Promise<string>((r) => conn.on("close", () => r("closed")));
      const raw: RawPeer = {
        publicKey: keyPair.publicKey,
        received,
        closed,
        write: (b) => conn.write(b),
        close: () => conn.destroy(),
      };
      raws.push(raw);
      return raw;
    },
    silence(t, on) {
      udxOf.get(t)!.silent = on;
    },
    async close() {
      for (const r of raws) r.close();
      await Promise.all(nodes.map((n) => n.close()));
      await Promise.all(rawDhts.map((d) => d.destroy({ force: true })));
      await boot.close();
    },
  };
}

transportSuite("hyperswarm", hyperswarmHarness, { connectMs: 10_000, handshakeMs: 2000 });

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
