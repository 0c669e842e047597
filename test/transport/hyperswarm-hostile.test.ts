/**
 * Rogue peers against what only the Hyperswarm adapter has (issue 10): peer exchange (finding 4)
 * and the DHT topic (finding 8). Nodes, raw peers and an outsider DHT in this process on 127.0.0.1.
 */
import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { UDX } from "../../internal/udx/index.ts";
import { encodeFrame } from "../../internal/transport/frame.ts";
import { Kind, encodeMessage } from "../../internal/transport/messages.ts";
import { clusterTopic, discoveryTopic, generateClusterKey, issueCertificate } from "../../internal/transport/index.ts";
import { recordingLogger, seedOf, testCluster, waitFor } from "./helpers.ts";
import { HOST, hyperswarmHarness } from "./hyperswarm-harness.ts";

const HyperDHT = require("hyperdht");

/** Largest event-loop delay seen while `body` runs and for `afterMs` after, sampled every 10 ms. */
async function maxLag<T>(body: () => Promise<T>, afterMs: number): Promise<{ result: T; lagMs: number }> {
  let lag = 0;
  let last = performance.now();
  const t = setInterval(() => {
    const now = performance.now();
    lag = Math.max(lag, now - last - 10);
    last = now;
  }, 10);
  try {
    const result = await body();
    const until = performance.now() + afterMs;
    await waitFor("the lag window", () => performance.now() >= until, afterMs + 5000);
    return { result, lagMs: lag };
  } finally {
    clearInterval(t);
  }
}

describe("hyperswarm transport against rogue peers", () => {
  test("finding 4: an admitted peer flooding peer exchange makes us dial only certified members, at most 32 at once, at its rate", async () => {
    const h = await hyperswarmHarness();
    const { log, lines } = recordingLogger();
    const c = testCluster(`px-${process.pid}`, { log });
    try {
      const [sa, sb] = [seedOf("px-a"), seedOf("px-b")];
      const a = await h.start({ seed: sa, options: c.member(sa, "manager") });
      const b = await h.start({ seed: sb, options: c.member(sb, "worker") });
      await waitFor("mesh", () => a.isConnected(b.self), 10_000);

      const rs = seedOf("px-rogue");
      const rogue = await h.rawConnect(a, rs);
      const cert = c.certFor(rs, "worker");
      rogue.write(encodeFrame(encodeMessage({ k: Kind.Hello, proof: { v: 2, cert: cert.cert, sig: cert.sig, ca: c.ck.publicKey } })));
      rogue.write(encodeFrame(encodeMessage({ k: Kind.Welcome })));
      await waitFor("rogue admitted", () => a.isConnected(Buffer.from(rogue.publicKey).toString("hex")), 10_000);

      const foreign = generateClusterKey();
      const now = Date.now();
      const fake = (signer: typeof foreign) => {
        // An id above ours, so we would be the one to dial it.
        const nodeId = "f" + randomBytes(32).toString("hex").slice(1);
        return issueCertificate(signer, { v: 2, clusterId: c.clusterId, nodeId, role: "worker", serial: 1, notBeforeMs: now - 1000, notAfterMs: now + 3_600_000 });
      };
      // Built before measuring: the lag below is the node's, not the cost of forging these.
      const frames: Uint8Array[] = [];
      const px = (body: unknown) => frames.push(encodeFrame(encodeMessage({ k: Kind.Send, channel: "_transport.px", body })));
      for (let i = 0; i < 40; i++) {
        px({ peers: [...Array(1024)].map(() => randomBytes(32).toString("hex")) }); // the old format: bare ids
        px({ certs: [...Array(64)].map(() => fake(foreign)) }); // certificates of another cluster key
        // The worst an admitted member could send: valid certificates (it cannot mint them; the
        // test can). Dialing them is right, but only so many at once.
        px({ certs: [...Array(64)].map(() => fake(c.ck)) });
      }
      const { lagMs } = await maxLag(async () => {
        for (const f of frames) rogue.write(f);
        await waitFor("rate limit logged", () => lines.some((l) => l.msg === "dropping peer exchange: sender over its rate"), 10_000);
      }, 3000);
      const s = a.stats();
      expect(s.pxDials).toBeLessThanOrEqual(32);
      expect(s.pxDials).toBeGreaterThan(0);
      expect(s.explicitPeers).toBeLessThanOrEqual(32);
      expect(lagMs).toBeLessThan(250); // before: 3.3-3.8 s stalls with 8,192 explicit peers
      expect(a.isConnected(b.self)).toBe(true);
      b.handle("ping", () => "pong");
      expect(await a.request(b.self, "ping", null)).toBe("pong");
    } finally {
      await h.close();
    }
  }, 60_000);

  test("finding 3: connection attempts from one host beyond its burst are refused at the DHT handshake, not banned", async () => {
    const h = await hyperswarmHarness();
    const { log, lines } = recordingLogger();
    const c = testCluster(`rate-${process.pid}`, { log });
    try {
      const sa = seedOf("rate-a");
      const a = await h.start({ seed: sa, options: { ...c.member(sa, "manager"), connectBurstPerHost: 4, connectsPerHostPerSecond: 1 } as never });
      const raws = [];
      for (let i = 0; i < 8; i++) raws.push(await h.rawConnect(a, seedOf(`rate-raw-${i}`)));
      await waitFor("refusals logged", () => lines.some((l) => l.msg === "refusing connection: too many attempts from this host"), 10_000);
      // A refused attempt never became a connection: at most the burst reached the session layer.
      await Promise.all(raws.map((r) => r.closed));
      const sessions = lines.filter((l) => l.msg === "closing connection: silent peer" || l.msg === "refusing peer").length;
      expect(sessions).toBeLessThanOrEqual(4);
      // Not banned: after the bucket refills, a member from the same host gets in.
      const sb = seedOf("rate-b");
      const b = await h.start({ seed: sb, options: c.member(sb, "worker") });
      await waitFor("member admitted after the refill", () => a.isConnected(b.self), 15_000);
    } finally {
      await h.close();
    }
  }, 60_000);

  test("finding 8: the topic derives from the discovery key; whoever knows only the cluster id finds nobody", async () => {
    const h = await hyperswarmHarness();
    const { log } = recordingLogger();
    const c = testCluster(`topic-${process.pid}`, { log });
    const outsider = new HyperDHT({ udx: new UDX(), bootstrap: h.bootstrap, host: HOST, firewalled: false });
    try {
      const [sa, sb] = [seedOf("topic-a"), seedOf("topic-b")];
      const a = await h.start({ seed: sa, options: c.member(sa, "manager") });
      const b = await h.start({ seed: sb, options: c.member(sb, "worker") });
      await waitFor("mesh", () => a.isConnected(b.self), 10_000);
      await outsider.fullyBootstrapped();
      const lookup = async (topic: Uint8Array) => {
        const found = new Set<string>();
        for await (const r of outsider.lookup(topic)) for (const p of r.peers) found.add(Buffer.from(p.publicKey).toString("hex"));
        return found;
      };
      expect((await lookup(clusterTopic(c.clusterId))).size).toBe(0);
      const members = await lookup(discoveryTopic(c.discoveryKey));
      expect([...members].sort()).toEqual([a.self, b.self].sort());
    } finally {
      await outsider.destroy({ force: true });
      await h.close();
    }
  }, 30_000);
});
