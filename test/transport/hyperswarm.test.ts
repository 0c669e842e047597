/**
 * The shared suite against the real transport: Hyperswarm + HyperDHT over our UDX (internal/udx),
 * all nodes in this process on 127.0.0.1 with a private bootstrap node.
 */
import { UDX } from "../../internal/udx/index.ts";
import { createHyperswarmTransport, startBootstrapNode } from "../../internal/transport/hyperswarm.ts";
import { keyPairFromSeed, type ClusterTransport, type RawPeer } from "../../internal/transport/index.ts";
import { freeUdpPort } from "./helpers.ts";
import { transportSuite, type Harness } from "./suite.ts";

const HyperDHT = require("hyperdht");
const HOST = "127.0.0.1";

async function hyperswarmHarness(): Promise<Harness> {
  const boot = await startBootstrapNode({ host: HOST, port: await freeUdpPort(HOST), udx: new UDX() });
  const bootstrap = [`${boot.address.host}:${boot.address.port}`];
  const nodes: ClusterTransport[] = [];
  const rawDhts: { destroy(o?: object): Promise<void> }[] = [];
  const raws: RawPeer[] = [];
  return {
    async start(spec) {
      const t = createHyperswarmTransport({
        ...spec.options,
        dataDir: "/nonexistent", // keySeed is given: no key file
        keySeed: spec.seed,
        host: HOST,
        bootstrap,
        udx: new UDX(),
      });
      nodes.push(t);
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
    async close() {
      for (const r of raws) r.close();
      await Promise.all(nodes.map((n) => n.close()));
      await Promise.all(rawDhts.map((d) => d.destroy({ force: true })));
      await boot.close();
    },
  };
}

transportSuite("hyperswarm", hyperswarmHarness, { connectMs: 10_000 });
