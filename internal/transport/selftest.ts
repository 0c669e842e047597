/**
 * Hidden test entry: `swarm __transport-node <flags>` runs one transport node and reports on stdout,
 * one JSON object per line, so tests and benchmarks can drive real processes (Bun or the compiled
 * binary). Not a user command.
 *
 *   --cluster-key HEX     32-byte seed of the cluster key (required): the node certifies itself with
 *                         it (cluster id = its fingerprint), so nodes with another key are refused
 *   --discovery HEX       32-byte discovery key (required): the topic derives from it
 *   --role R              manager | worker, the role in the node's certificate (default worker)
 *   --host IP             address to bind and be reached on (required)
 *   --port N              DHT UDP port (needed when this node is a bootstrap)
 *   --bootstrap H:P[,..]  bootstrap nodes; list this node's own host:port to run one (required)
 *   --data-dir DIR        holds transport.key (required; a restart with the same dir keeps the id)
 *   --expect N            print "mesh" once N peers are connected
 *   --dead-peer-ms N      close connections silent for N ms (default 15000)
 *   --load-ms N           once meshed, ping every peer every N ms (selftest-load.ts) ...
 *   --report-ms M         ... and print a "load" event every M ms (default 2000)
 *
 * Events: {"event":"started","t"} (code loaded) · {"event":"ready","id","dht":{host,port},"t"} · {"event":"peer-up","peer","peers","t"} ·
 * {"event":"peer-down","peer","reason","peers","t"} · {"event":"mesh","peers","t"} ·
 * {"event":"pong","peer","ok","t"} (after peer-up, once meshed: a request/response to that peer) ·
 * {"event":"refused","peer","reason"} (we refused a peer) · {"event":"refused-by-peer","peer"} ·
 * {"event":"error","message"}. `t` is ms since process start. It answers channel "selftest.ping".
 * It stops cleanly on SIGTERM, SIGINT or stdin end, and exits 0; bad flags exit 2.
 */
import { parseArgs } from "node:util";
import { clusterFingerprint, clusterKeyFromSeed, issueCertificate, nodeIdOf } from "./admission.ts";
import { createHyperswarmTransport } from "./hyperswarm.ts";
import { loadOrCreateKeyPair } from "./keys.ts";
import { startLoad } from "./selftest-load.ts";
import type { Logger, NodeId } from "./types.ts";

const USAGE =
  "usage: swarm __transport-node --cluster-key HEX --discovery HEX [--role R] --host IP [--port N] --bootstrap H:P[,H:P] --data-dir DIR [--expect N] [--dead-peer-ms N] [--load-ms N [--report-ms M]]";

export async function runTransportSelftest(argv: string[]): Promise<number> {
  let v: Record<string, string | undefined>;
  try {
    v = parseArgs({
      args: argv,
      options: {
        "cluster-key": { type: "string" }, discovery: { type: "string" }, role: { type: "string" }, host: { type: "string" }, port: { type: "string" },
        bootstrap: { type: "string" }, "data-dir": { type: "string" }, expect: { type: "string" },
        "dead-peer-ms": { type: "string" }, "load-ms": { type: "string" }, "report-ms": { type: "string" },
      },
      strict: true,
    }).values as Record<string, string | undefined>;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const missing = ["cluster-key", "discovery", "host", "bootstrap", "data-dir"].filter((k) => !v[k]);
  if (missing.length > 0) {
    process.stderr.write(`missing --${missing.join(", --")}\n${USAGE}\n`);
    return 2;
  }
  const role = v.role ?? "worker";
  const seed = Buffer.from(v["cluster-key"]!, "hex");
  const discoveryKey = Buffer.from(v.discovery!, "hex");
  if ((role !== "manager" && role !== "worker") || seed.length !== 32 || discoveryKey.length !== 32) {
    process.stderr.write(`--role must be manager or worker; --cluster-key and --discovery must be 32 bytes of hex\n${USAGE}\n`);
    return 2;
  }
  const emit = (o: object) => process.stdout.write(JSON.stringify({ ...o, t: Math.round(performance.now()) }) + "\n");
  const expect = v.expect ? Number(v.expect) : undefined;
  emit({ event: "started" });

  const log: Logger = {
    debug: () => {},
    info: () => {},
    warn: (obj, msg) => {
      const o = obj as { peer?: string; reason?: string };
      if (msg === "refusing peer") emit({ event: "refused", peer: o.peer, reason: o.reason });
      else if (msg.startsWith("peer refused our admission")) emit({ event: "refused-by-peer", peer: o.peer });
      else process.stderr.write(JSON.stringify({ level: "warn", ...obj, msg }) + "\n");
    },
    error: (obj, msg) => process.stderr.write(JSON.stringify({ level: "error", ...obj, msg }) + "\n"),
  };

  let t;
  try {
    const dataDir = v["data-dir"]!;
    const ck = clusterKeyFromSeed(seed);
    const clusterId = clusterFingerprint(ck.publicKey);
    const now = Date.now();
    const nodeId = nodeIdOf(loadOrCreateKeyPair(dataDir).publicKey);
    const certificate = issueCertificate(ck, { v: 2, clusterId, nodeId, role, serial: 1, notBeforeMs: now, notAfterMs: now + 86_400_000 });
    t = createHyperswarmTransport({
      clusterId,
      clusterPublicKey: ck.publicKey,
      certificate,
      discoveryKey,
      host: v.host!,
      port: v.port ? Number(v.port) : undefined,
      bootstrap: v.bootstrap!.split(","),
      dataDir: v["data-dir"]!,
      deadPeerTimeoutMs: v["dead-peer-ms"] ? Number(v["dead-peer-ms"]) : undefined,
      log,
    });
  } catch (e) {
    emit({ event: "error", message: (e as Error).message });
    return 1;
  }
  const transport = t;
  transport.handle("selftest.ping", (_m, from) => ({ pong: transport.self, from }));
  let meshed = false;
  let stopLoad = () => {};
  const ping = (peer: NodeId) =>
    transport.request(peer, "selftest.ping", null, { timeoutMs: 5000 }).then(
      (r) => emit({ event: "pong", peer, ok: (r as { pong?: string }).pong === peer }),
      (e: Error & { code?: string }) => emit({ event: "pong", peer, ok: false, code: e.code }),
    );
  transport.on("peer-up", (p) => {
    const peers = transport.peers().length;
    emit({ event: "peer-up", peer: p.id, peers });
    if (!meshed && expect !== undefined && peers >= expect) {
      meshed = true;
      if (v["load-ms"]) stopLoad = startLoad(transport, Number(v["load-ms"]), Number(v["report-ms"] ?? 2000), emit);
      emit({ event: "mesh", peers });
      for (const q of transport.peers()) void ping(q.id);
    } else if (meshed) void ping(p.id);
  });
  transport.on("peer-down", (id, reason) => emit({ event: "peer-down", peer: id, reason, peers: transport.peers().length }));
  // Listening for the stop before start() resolves: a DHT still bootstrapping (it can wait out dead
  // nodes' timeouts for seconds after peers are already meshed) must not leave SIGTERM to kill us.
  let stopRequested = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      stopRequested = true;
      resolve();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    process.stdin.on("end", stop);
    process.stdin.resume();
  });
  try {
    await Promise.race([transport.start(), stopped]);
  } catch (e) {
    emit({ event: "error", message: (e as Error).message });
    await transport.close();
    return 1;
  }
  if (!stopRequested) {
    emit({ event: "ready", id: transport.self, dht: transport.dhtAddress() });
    await stopped;
  }
  stopLoad();
  const closed = await Promise.race([
    transport.close().then(() => true),
    new Promise<false>((r) => setTimeout(() => r(false), 8000)),
  ]);
  if (!closed) emit({ event: "error", message: "close did not finish within 8 s" });
  return closed ? 0 : 1;
}
