/**
 * The Harness of the shared suites for the real transport: Hyperswarm + HyperDHT over our UDX
 * (internal/udx), all nodes in this process on 127.0.0.1 with a private bootstrap node; raw peers
 * are HyperDHT connections of their own (a stranger with a key pair and nothing else).
 */
import { UDX } from "../../internal/udx/index.ts";
import { createHyperswarmTransport, startBootstrapNode, type HyperswarmTransport } from "../../internal/transport/hyperswarm.ts";
import { keyPairFromSeed, type ClusterTransport, type RawPeer } from "../../internal/transport/index.ts";
import { freeUdpPort } from "./helpers.ts";
import type { Harness } from "./suite.ts";

const HyperDHT = require("hyperdht");
export const HOST = "127.0.0.1";

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

export interface HyperswarmHarness extends Harness {
  readonly bootstrap: string[];
  start(spec: Parameters<Harness["start"]>[0]): Promise<HyperswarmTransport>;
}

export async function hyperswarmHarness(): Promise<HyperswarmHarness> {
  const boot = await startBootstrapNode({ host: HOST, port: await freeUdpPort(HOST), udx: new UDX() });
  const bootstrap = [`${boot.address.host}:${boot.address.port}`];
  const nodes: ClusterTransport[] = [];
  const udxOf = new Map<ClusterTransport, SilenceableUDX>();
  const rawDhts: { destroy(o?: object): Promise<void> }[] = [];
  const raws: RawPeer[] = [];
  return {
    bootstrap,
    async start(spec) {
      const udx = new SilenceableUDX();
      const t = createHyperswarmTransport({
        // Every node and raw peer here is on 127.0.0.1: one host, as far as the per-host attempt
        // limit goes, so it is raised (its own test sets it back).
        connectBurstPerHost: 1000,
        connectsPerHostPerSecond: 1000,
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

