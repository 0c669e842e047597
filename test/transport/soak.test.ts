/**
 * Soak test of issue 10 ("Done means"): a 3-node mesh of `__transport-node` processes on
 * 127.0.0.1-3 pinging each other (every peer every 50 ms) while, from this process,
 *   - 20 unauthenticated connections (HyperDHT connections from 127.0.0.9, no proof) send garbage
 *     and maximum-size pre-admission frames (64 KiB), reconnecting whenever they are closed, and
 *   - one admitted peer (a worker certificate) floods node 0 with peer exchange.
 * Bounds, per node: request p99 (over all its requests during the attack) under 50 ms, no request
 * to a mesh member failing, and RSS under its idle RSS (same ping load, before the attack) + 30 MB.
 * Prints one summary line (also the worst 1-second window's p99).
 */
import { afterEach, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { UDX } from "../../internal/udx/index.ts";
import { encodeFrame } from "../../internal/transport/frame.ts";
import { Kind, encodeMessage } from "../../internal/transport/messages.ts";
import {
  clusterFingerprint, clusterKeyFromSeed, generateClusterKey, issueCertificate, keyPairFromSeed, nodeIdOf,
} from "../../internal/transport/index.ts";
import { ProcCluster, bunNodeCommand, binaryNodeCommand, type NodeEvent, type NodeProc } from "../fixtures/transport/procs.ts";
import { freeUdpPort, waitFor } from "./helpers.ts";

const HyperDHT = require("hyperdht");
const ATTACK_MS = 20_000;
const IDLE_MS = 6000;
const STRANGERS = 20;

let cluster: ProcCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

interface Conn {
  write(b: Uint8Array): boolean;
  destroy(): void;
  once(ev: string, fn: (...a: unknown[]) => void): void;
  on(ev: string, fn: (...a: unknown[]) => void): void;
}

test("soak: strangers and a peer-exchange flood do not move a 3-node mesh's request p99 over 50 ms nor its RSS over idle + 30 MB", async () => {
  const bin = process.env.SWARM_BIN;
  const port = await freeUdpPort("127.0.0.1");
  const c = (cluster = new ProcCluster(bin ? binaryNodeCommand(bin) : bunNodeCommand(), [`127.0.0.1:${port}`]));
  const nodes = [0, 1, 2].map((i) =>
    c.spawn(`node${i}`, { host: `127.0.0.${i + 1}`, port: i === 0 ? port : undefined, dataDir: c.dataDir(`n${i}`), expect: 2, loadMs: 50, reportMs: 1000 }),
  );
  for (const p of nodes) await p.waitFor("mesh", (e) => e.event === "mesh", 30_000);
  for (const p of nodes) await p.waitFor("ready", (e) => e.event === "ready", 30_000);
  const ids = nodes.map((p) => p.id!);

  // Idle: the same ping load, no attack.
  const idleStart = nodes.map((p) => p.events.length);
  await waitFor("idle phase", () => nodes.every((p, i) => loads(p, idleStart[i]!).length >= IDLE_MS / 1000), IDLE_MS + 10_000);
  const idle = nodes.map((p, i) => loads(p, idleStart[i]!).slice(-3)); // warmed up: the last 3 s
  const idleRss = idle.map((ls) => Math.max(...ls.map((l) => l.rss)));

  // The attack.
  const udx = new UDX();
  const dht = new HyperDHT({ udx, bootstrap: [{ host: "127.0.0.1", port }], host: "127.0.0.9", firewalled: false });
  await dht.fullyBootstrapped();
  let stop = false;
  const counts = { strangerConnections: 0, pxMessages: 0 };
  const live = new Set<Conn>();
  const connect = (target: string, seed: Uint8Array): Promise<Conn | undefined> =>
    new Promise((resolve) => {
      const conn: Conn = dht.connect(Buffer.from(target, "hex"), { keyPair: keyPairFromSeed(seed) });
      conn.on("error", () => {});
      conn.once("open", () => resolve(conn));
      conn.once("close", () => resolve(undefined));
    });

  const stranger = async (i: number) => {
    const seed = new Uint8Array(randomBytes(32));
    const maxFrame = new Uint8Array(4 + 65536).fill(0xc1);
    maxFrame.set([0, 1, 0, 0]); // 65,536 bytes declared: the largest a stranger may send
    while (!stop) {
      const conn = await connect(ids[i % 3]!, seed);
      if (!conn) continue;
      counts.strangerConnections++;
      live.add(conn);
      const closed = new Promise<void>((r) => conn.once("close", () => r()));
      if (i % 2 === 0) conn.write(maxFrame);
      else for (let k = 0; k < 8; k++) conn.write(randomBytes(4096)); // garbage
      await closed;
      live.delete(conn);
    }
  };

  const flooder = async () => {
    const ck = clusterKeyFromSeed(Buffer.from(c.clusterKey, "hex"));
    const clusterId = clusterFingerprint(ck.publicKey);
    const seed = new Uint8Array(randomBytes(32));
    const now = Date.now();
    const cert = issueCertificate(ck, {
      v: 2, clusterId, nodeId: nodeIdOf(keyPairFromSeed(seed).publicKey), role: "worker", serial: 99, notBeforeMs: now - 1000, notAfterMs: now + 3_600_000,
    });
    const foreign = generateClusterKey();
    const fake = () => issueCertificate(foreign, { v: 2, clusterId, nodeId: randomBytes(32).toString("hex"), role: "worker", serial: 1, notBeforeMs: 0, notAfterMs: now + 1e9 });
    const px = encodeFrame(encodeMessage({
      k: Kind.Send, channel: "_transport.px",
      body: { certs: [...Array(64)].map(fake), peers: [...Array(1024)].map(() => randomBytes(32).toString("hex")) },
    }));
    while (!stop) {
      const conn = await connect(ids[0]!, seed);
      if (!conn) continue;
      live.add(conn);
      let open = true;
      conn.once("close", () => (open = false));
      conn.write(encodeFrame(encodeMessage({ k: Kind.Hello, proof: { v: 2, cert: cert.cert, sig: cert.sig, ca: ck.publicKey } })));
      conn.write(encodeFrame(encodeMessage({ k: Kind.Welcome })));
      while (open && !stop) {
        conn.write(px);
        counts.pxMessages++;
        await new Promise((r) => setTimeout(r, 10));
      }
      live.delete(conn);
    }
  };

  const attackStart = nodes.map((p) => p.events.length);
  const attackers = [...[...Array(STRANGERS).keys()].map(stranger), flooder()];
  await waitFor("attack phase", () => nodes.every((p, i) => loads(p, attackStart[i]!).length >= ATTACK_MS / 1000), ATTACK_MS + 15_000);
  stop = true;
  for (const conn of live) conn.destroy();
  await Promise.all(attackers);
  await dht.destroy({ force: true });

  const attack = nodes.map((p, i) => loads(p, attackStart[i]!).slice(0, ATTACK_MS / 1000));
  const summary = nodes.map((p, i) => ({
    node: p.name,
    idleP99: p99(idle[i]!.flatMap((l) => l.lat)),
    attackP99: p99(attack[i]!.flatMap((l) => l.lat)),
    worstWindowP99: Math.max(...attack[i]!.map((l) => l.p99 ?? Infinity)),
    requests: attack[i]!.reduce((n, l) => n + l.n, 0),
    // Requests to mesh members only (the admitted flooder is a peer too, and never answers).
    failed: attack[i]!.reduce((n, l) => n + ids.reduce((m, id) => m + (l.failedBy[id.slice(0, 8)] ?? 0), 0), 0),
    idleRssMB: Math.round(idleRss[i]! / 1e6),
    maxRssMB: Math.round(Math.max(...attack[i]!.map((l) => l.rss)) / 1e6),
  }));
  console.log(`soak (${bin ? "binary" : "bun"}): ${JSON.stringify({ ...counts, nodes: summary })}`);
  for (const s of summary) {
    expect(s.failed).toBe(0);
    expect(s.attackP99).toBeLessThan(50);
    expect(s.maxRssMB - s.idleRssMB).toBeLessThan(30);
  }
  expect(counts.strangerConnections).toBeGreaterThan(STRANGERS);
  expect(nodes.every((p) => p.events.filter((e) => e.event === "peer-up" && e.peer !== undefined).length >= 2)).toBe(true);
}, 120_000);

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] ?? Infinity;

interface Load { n: number; failed: number; failedBy: Record<string, number>; lat: number[]; p50: number | null; p99: number | null; max: number | null; rss: number }

function loads(p: NodeProc, from: number): Load[] {
  return p.events.slice(from).filter((e: NodeEvent) => e.event === "load") as unknown as Load[];
}
