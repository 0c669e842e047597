#!/usr/bin/env bun
/**
 * Requests half of `scripts/bench/transport`: the session layer's cost (framing, decoding, admission
 * checks, access checks) measured through the whole stack. Two nodes in this process, over the
 * in-memory twin and over Hyperswarm + our UDX on 127.0.0.1:
 *   - rtt: 2000 sequential small requests ({i, s: 16 chars}) → p50 / p99 in µs;
 *   - small/s: 20 000 small requests, 64 in flight → requests per second;
 *   - 64KiB MB/s: 512 requests of 64 KiB bodies, 16 in flight → MB/s of request bodies;
 *   - 1MiB MB/s: 64 sequential requests of 1 MiB bodies.
 * Works against the transport API before and after the trust-model change (it builds the admission
 * options either way), so the same file measures a checkout of an older commit.
 * Usage: scripts/bench/transport-requests.ts [--runs N]; or via scripts/bench/transport requests.
 */
import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import * as T from "../../internal/transport/index.ts";
import { UDX } from "../../internal/udx/index.ts";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const TT = T as Any;
const seed = (s: string) => new Uint8Array(createHash("sha256").update("bench:" + s).digest());

function optionsFor(s: Uint8Array): Any {
  if (typeof TT.clusterFingerprint === "function") {
    const ck = TT.clusterKeyFromSeed(seed("cluster"));
    const clusterId = TT.clusterFingerprint(ck.publicKey);
    const nodeId = TT.nodeIdOf(TT.keyPairFromSeed(s).publicKey);
    const now = Date.now();
    const certificate = TT.issueCertificate(ck, { v: 2, clusterId, nodeId, role: "worker", serial: 1, notBeforeMs: now - 1000, notAfterMs: now + 3_600_000 });
    return { clusterId, clusterPublicKey: ck.publicKey, certificate, log: quiet };
  }
  return { clusterId: "bench", joinSecret: seed("secret"), log: quiet };
}
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function freePort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function pair(kind: "memory" | "hyperswarm"): Promise<{ a: T.ClusterTransport; b: T.ClusterTransport; close(): Promise<void> }> {
  if (kind === "memory") {
    const net = new T.MemoryNetwork();
    const a = net.createTransport(seed("a"), optionsFor(seed("a")));
    const b = net.createTransport(seed("b"), optionsFor(seed("b")));
    return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
  }
  const boot = await T.startBootstrapNode({ host: "127.0.0.1", port: await freePort(), udx: new UDX() });
  const bootstrap = [`127.0.0.1:${boot.address.port}`];
  const mk = (name: string) =>
    T.createHyperswarmTransport({ ...optionsFor(seed(name)), keySeed: seed(name), dataDir: "/nonexistent", host: "127.0.0.1", bootstrap, udx: new UDX() });
  const a = mk("a");
  const b = mk("b");
  return { a, b, close: async () => void (await Promise.all([a.close(), b.close()]), await boot.close()) };
}

const pct = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const median = (xs: number[]) => pct(xs, 0.5);

async function pool(n: number, inFlight: number, one: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all([...Array(inFlight)].map(async () => {
    while (next < n) await one(next++);
  }));
}

interface Result { p50: number; p99: number; smallPerS: number; mb64k: number; mb1m: number }

async function once(kind: "memory" | "hyperswarm"): Promise<Result> {
  const { a, b, close } = await pair(kind);
  try {
    b.handle("echo", (m) => m);
    b.handle("sink", (m) => (m as Uint8Array).length);
    await Promise.all([a.start(), b.start()]);
    const deadline = Date.now() + 20_000;
    while (!a.isConnected(b.self)) {
      if (Date.now() > deadline) throw new Error(`${kind}: nodes did not connect`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const small = (i: number) => a.request(b.self, "echo", { i, s: "0123456789abcdef" });
    for (let i = 0; i < 200; i++) await small(i); // warm up
    const rtts: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = performance.now();
      await small(i);
      rtts.push((performance.now() - t) * 1000);
    }
    let t = performance.now();
    await pool(20_000, 64, small);
    const smallPerS = 20_000 / ((performance.now() - t) / 1000);
    const b64 = new Uint8Array(64 * 1024).fill(7);
    t = performance.now();
    await pool(512, 16, () => a.request(b.self, "sink", b64, { timeoutMs: 30_000 }));
    const mb64k = (512 * b64.length) / 1e6 / ((performance.now() - t) / 1000);
    const b1m = new Uint8Array(1024 * 1024).fill(9);
    t = performance.now();
    for (let i = 0; i < 64; i++) await a.request(b.self, "sink", b1m, { timeoutMs: 30_000 });
    const mb1m = (64 * b1m.length) / 1e6 / ((performance.now() - t) / 1000);
    return { p50: median(rtts), p99: pct(rtts, 0.99), smallPerS, mb64k, mb1m };
  } finally {
    await close();
  }
}

export async function runRequestsBench(argv: string[] = []): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { runs: { type: "string" } }, strict: false });
  const runs = Number(values.runs ?? 3);
  for (const kind of ["memory", "hyperswarm"] as const) {
    const rs: Result[] = [];
    for (let i = 0; i < runs; i++) rs.push(await once(kind));
    const m = (f: (r: Result) => number) => median(rs.map(f));
    console.log(
      `requests ${kind.padEnd(10)} (${runs} runs, medians): rtt p50 ${Math.round(m((r) => r.p50))} µs p99 ${Math.round(m((r) => r.p99))} µs; ` +
        `small ${Math.round(m((r) => r.smallPerS))}/s (64 in flight); 64KiB ${m((r) => r.mb64k).toFixed(1)} MB/s; 1MiB ${m((r) => r.mb1m).toFixed(1)} MB/s`,
    );
  }
}

if (import.meta.main) await runRequestsBench(process.argv.slice(2));
