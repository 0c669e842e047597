/**
 * The real ClusterTransport: Hyperswarm over a private HyperDHT. Every node joins the cluster topic
 * as client and server; each connection (a Noise secret-stream) becomes a Link for the shared core,
 * which runs admission, framing, requests and streams.
 *
 * Upkeep: Hyperswarm keeps one connection per peer key (it resolves simultaneous dials) and retries
 * client connections with backoff; on top of that we re-run discovery (`refresh`: announce + lookup)
 * with exponential backoff from refreshMinMs to refreshMaxMs, restarting at the minimum whenever a
 * peer goes down, because a node that looked the topic up before others announced
 * would otherwise never find them. Admission failures close connections (never banned); only revoked keys are refused by the firewall.
 *
 * The DHT is built here with `host`, `firewalled: false` and `ephemeral: false` (DESIGN.md: hyperdht
 * 6.32 quirks on one host and on LANs) and takes an injected `udx` (our internal/udx under Bun).
 *
 * Lookups never ask our own DHT node, so the topic records it stores are read directly and handed to
 * Hyperswarm like lookup results (local-records.ts): without that, a DHT of two nodes (a manager and
 * its first worker) never meshes.
 */
import { loadOrCreateKeyPair, topicOf } from "./keys.ts";
import { keyPairFromSeed } from "./admission.ts";
import type { TransportOptions } from "./config.ts";
import { TransportCore } from "./core.ts";
import { PeerExchange } from "./peer-exchange.ts";
import { LocalRecords, decodeTopicRecord, storedTopicRecords, type TopicPeer } from "./local-records.ts";
import { Buckets } from "./rate.ts";
import { TransportError } from "./errors.ts";
import type { ClusterTransport, Link } from "./types.ts";
import { UDX } from "../udx/index.ts";

// Minimal shapes of the untyped packages (only what we use).
interface NoiseStream {
  publicKey: Uint8Array;
  remotePublicKey: Uint8Array;
  rawStream?: { remoteHost?: string; remotePort?: number } | null;
  write(b: Uint8Array): boolean;
  end(): void;
  destroy(err?: Error): void;
  setTimeout(ms: number): void;
  on(ev: string, fn: (...a: any[]) => void): void;
  once(ev: string, fn: (...a: any[]) => void): void;
}
interface Discovery {
  refresh(): Promise<unknown>;
  flushed(): Promise<boolean>;
}
interface ServerLike {
  /** hyperdht's server firewall: true refuses the handshake (before any stream exists). */
  firewall: (remotePublicKey: Uint8Array, payload: unknown, client: { host: string; port: number } | null) => boolean;
}
interface SwarmLike {
  server: ServerLike;
  join(topic: Uint8Array, opts: { server: boolean; client: boolean }): Discovery;
  on(ev: "connection", fn: (conn: NoiseStream) => void): void;
  listen(): Promise<void>;
  joinPeer(publicKey: Uint8Array): void;
  /** What Hyperswarm does with each peer a topic lookup finds (internal, hyperswarm 4.x). */
  _handlePeer?(peer: TopicPeer, topic: Uint8Array): void;
  leavePeer(publicKey: Uint8Array): void;
  /** Hyperswarm's peer table (internal, used only to lift a revocation's ban). */
  peers?: Map<string, { ban(v: boolean): void }>;
  explicitPeers?: Set<unknown>;
  destroy(opts?: { force?: boolean }): Promise<void>;
}
interface DHTLike {
  /** dht-rpc: still true after bootstrapping when no bootstrap node answered. */
  ephemeral: boolean;
  address(): { host: string; port: number } | null;
  fullyBootstrapped(): Promise<void>;
  destroy(opts?: { force?: boolean }): Promise<void>;
}
interface DHTCtor {
  new (opts: object): DHTLike;
  /** A DHT node that knows its own address from the start, as the first node of a network must. */
  bootstrapper(port: number, host: string, opts: object): DHTLike;
}
const HyperDHT: DHTCtor = require("hyperdht");
const Hyperswarm: new (opts: object) => SwarmLike = require("hyperswarm");

/**
 * Hyperswarm redials a peer whose connection closed after these delays (then stays at the last).
 * Its defaults (1 s, 5 s, 15 s, 10 min) suit the public DHT; a cluster on a LAN wants a peer that
 * restarted, or reconnected to present a new certificate, back within a fraction of a second.
 */
const DEFAULT_REDIAL_BACKOFFS_MS = [150, 1000, 5000, 60_000];
const REDIAL_JITTER_MS = 100;


export interface HyperswarmTransportOptions extends TransportOptions {
  /** Holds `transport.key` (the node's identity). */
  dataDir: string;
  /** IPv4 address to bind the DHT socket to and be reached on (a LAN address, or 127.0.0.x). */
  host: string;
  /** UDP port of the DHT. Bootstrap nodes need a fixed one; others may omit it (any free port). */
  port?: number;
  /** "host:port" of the cluster's bootstrap nodes (the managers). A node whose own host:port is in
   * the list runs as a bootstrap node (it needs `port`); the others are its bootstrap peers. */
  bootstrap: string[];
  /** A UDX instance for the DHT (udx-native's API). Default: internal/udx's UDX under Bun (the stock
   * udx-native cannot run there), udx-native under Node.js. */
  udx?: unknown;
  /** Uses this 32-byte seed instead of the key file (tests). */
  keySeed?: Uint8Array;
  /** Discovery refresh backoff. 250 ms finds a peer that announced a moment after our lookup; 10 s
   * bounds the cost (one small DHT query) once the mesh is stable. */
  refreshMinMs?: number;
  refreshMaxMs?: number;
  /** How long close() lets the DHT unannounce us before cutting it short. */
  closeGraceMs?: number;
  /** Hyperswarm's connection cap (its default 64 is too low for a big flat cluster). */
  maxPeers?: number;
  /** Delays before Hyperswarm redials a peer whose connection closed (DEFAULT_REDIAL_BACKOFFS_MS). */
  redialBackoffsMs?: number[];
  /** Incoming connection attempts accepted per remote host: a burst, then a rate. Refused ones cost
   * one Noise message and no connection (issue 10 finding 3). A node reconnects a few times a
   * minute at most, so 16 and 4/s never bind a cluster member. */
  connectBurstPerHost?: number;
  connectsPerHostPerSecond?: number;
}

export interface HyperswarmTransport extends ClusterTransport {
  /** The bound DHT address, after start() (what others list in `bootstrap` if this node is one). */
  dhtAddress(): { host: string; port: number };
  /** Counters for tests and diagnostics: connections still handshaking, open peer-exchange dials,
   * Hyperswarm's explicit peers. */
  stats(): { handshaking: number; pxDials: number; explicitPeers: number };
}

/** Builds the transport (reads or creates the key file; binds nothing yet). Register handlers and
 * listeners, then `await start()`: it joins the topic and resolves once the DHT is bootstrapped. */
export function createHyperswarmTransport(o: HyperswarmTransportOptions): HyperswarmTransport {
  const keyPair = o.keySeed ? keyPairFromSeed(o.keySeed) : loadOrCreateKeyPair(o.dataDir, o.log);
  const core = new TransportCore(keyPair.publicKey, o);
  const self = o.port ? `${o.host}:${o.port}` : undefined;
  const isBootstrap = self !== undefined && o.bootstrap.includes(self);
  const bootstrap = o.bootstrap.filter((b) => b !== self).map(parseHostPort);
  if (!isBootstrap && bootstrap.length === 0) {
    throw TransportError.invalid("no bootstrap node: pass bootstrap host:port, or list this node's own host:port to run one");
  }
  const deadMs = core.deadPeerTimeoutMs;
  const dhtOpts = {
    ...udxOption(o.udx), bootstrap, host: o.host, firewalled: false, ephemeral: false, keyPair,
    connectionKeepAlive: Math.max(500, Math.floor(deadMs / 3)),
    // dht-rpc otherwise waits a flat 1 s per unanswered request; adaptive timeouts start at 250 ms
    // and follow each peer's measured RTT, so a node that asked a bootstrap node a moment before it
    // was up (a cluster starting together) retries within a quarter second on a LAN.
    adaptiveTimeout: {},
  };
  // A bootstrap node has a fixed port and is told its own address (nobody can tell it); without that
  // it never gets a node id, stays out of routing tables, and peers that only know each other miss
  // records stored on it.
  let dht: DHTLike | undefined;
  let swarm: SwarmLike | undefined;
  let bound: { host: string; port: number } | undefined;

  const minMs = o.refreshMinMs ?? 250;
  const maxMs = o.refreshMaxMs ?? 10_000;
  let delay = minMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let refreshing = false;
  let discovery: Discovery | undefined;
  const topic = topicOf(o);
  // Topic records our own DHT node holds (local-records.ts): handed to Hyperswarm as a lookup's
  // results would be; new ones at once (polled every refreshMinMs), all after each refresh.
  const local = new LocalRecords(
    () => storedTopicRecords(dht, topic, o.maxPeers ?? 256),
    decodeTopicRecord,
    (peer) => {
      if (swarm?._handlePeer) return swarm._handlePeer(peer, topic);
      px.dialNow(Buffer.from(peer.publicKey).toString("hex")); // a Hyperswarm without it: dial for a while
    },
  );
  let localTimer: ReturnType<typeof setInterval> | undefined;
  const refresh = async () => {
    timer = undefined;
    if (core.isClosed) return;
    refreshing = true;
    try {
      await discovery!.refresh();
    } catch (e) {
      core.log.debug({ err: (e as Error).message }, "discovery refresh failed; retrying");
    }
    if (!core.isClosed) local.all();
    refreshing = false;
    schedule();
  };
  const schedule = () => {
    if (core.isClosed || timer || refreshing) return;
    timer = setTimeout(refresh, delay);
    delay = Math.min(maxMs, delay * 2);
  };
  const soon = () => {
    delay = minMs;
    if (timer && !refreshing) {
      clearTimeout(timer);
      timer = undefined;
    }
    schedule();
  };
  // A lost peer may have restarted elsewhere: look again soon. New peers need no lookup: peer
  // exchange (below) tells us about theirs.
  core.on("peer-down", soon);

  // Peer exchange (peer-exchange.ts): members tell each other whom they are connected to, by
  // certificate, and we dial those keys directly. Dialing is safe: every connection still goes
  // through admission.
  const px = new PeerExchange(core, (id) => swarm?.joinPeer(Buffer.from(id, "hex")), (id) => swarm?.leavePeer(Buffer.from(id, "hex")));
  // Revoked keys are refused by Hyperswarm's firewall before any handshake (it bans them for the
  // life of the swarm; setRevoked lifting a revocation lifts the ban).
  core.onRevoke = (id) => px.forget(id);
  // Incoming attempts: revoked keys and hosts over their rate are refused at the DHT handshake, by
  // hyperdht's server firewall directly (Hyperswarm's own firewall hook would ban the key for the
  // life of the swarm); outgoing dials to revoked keys by Hyperswarm's hook (unbanned on unrevoke).
  const attempts = new Buckets({ burst: o.connectBurstPerHost ?? 16, perSecond: o.connectsPerHostPerSecond ?? 4 });
  const serverFirewall = (remoteKey: Uint8Array, _payload: unknown, client: { host: string } | null) => {
    const id = Buffer.from(remoteKey).toString("hex");
    if (id === core.self || refuseRevoked(id)) return true;
    const host = client?.host ?? "unknown";
    if (attempts.take(host)) return false;
    core.limited.warn({ host: host.slice(0, 64) }, "refusing connection: too many attempts from this host");
    return true;
  };
  const refuseRevoked = (id: string) => {
    if (!core.isRevoked(id)) return false;
    core.limited.warn({ peer: id.slice(0, 8), reason: `node ${id.slice(0, 8)} is revoked (firewall)` }, "refusing peer");
    return true;
  };
  core.onRedial = (id) => px.dialNow(id);
  core.onUnrevoke = (id) => {
    swarm?.peers?.get(id)?.ban(false);
    px.dialNow(id); // Hyperswarm's own retry of a refused peer backs off to minutes
  };


  // One attempt: a DHT node, a swarm on it, the topic joined. True if the DHT is usable: a node
  // asked to be persistent stays ephemeral when no bootstrap node answered, and then never joins
  // routing tables nor learns of later nodes (dht-rpc does not re-bootstrap), so we rebuild it.
  const attempt = async (): Promise<boolean> => {
    const d = (dht = isBootstrap
      ? HyperDHT.bootstrapper(o.port!, o.host, dhtOpts)
      : new HyperDHT({ ...dhtOpts, port: o.port, anyPort: !o.port }));
    const sw = (swarm = new Hyperswarm({
      dht: d, keyPair, maxPeers: o.maxPeers ?? 256, firewall: (remoteKey: Uint8Array) => refuseRevoked(Buffer.from(remoteKey).toString("hex")),
      backoffs: o.redialBackoffsMs ?? DEFAULT_REDIAL_BACKOFFS_MS, jitter: REDIAL_JITTER_MS,
    }));
    sw.server.firewall = serverFirewall;
    sw.on("connection", (conn) => {
      conn.on("error", (e: Error) => core.log.debug({ err: e.message }, "connection error"));
      conn.setTimeout(deadMs);
      core.accept(new SecretStreamLink(conn));
    });
    discovery = sw.join(topic, { server: true, client: true });
    soon();
    await d.fullyBootstrapped();
    const addr = d.address();
    if (!addr) throw TransportError.invalid(`the DHT could not bind ${o.host}:${o.port ?? "any"}; check the address`);
    bound = { host: o.host, port: addr.port };
    return isBootstrap || !d.ephemeral;
  };
  const retryBootstrap = async () => {
    for (let wait = 1000; !core.isClosed; wait = Math.min(wait * 2, maxMs)) {
      core.log.warn({ bootstrap: o.bootstrap, retryMs: wait }, "no DHT bootstrap node answered; start one (a manager) or check the addresses");
      await sleep(wait);
      if (core.isClosed) return;
      await swarm!.destroy({ force: true }).catch(() => undefined);
      if (core.isClosed) return;
      try {
        if (await attempt()) return core.log.info({}, "DHT bootstrapped");
      } catch (e) {
        core.log.warn({ err: (e as Error).message }, "DHT restart failed");
      }
    }
  };

  core.onStart = async () => {
    localTimer = setInterval(() => local.fresh(), minMs);
    localTimer.unref?.();
    if (!(await attempt())) void retryBootstrap();
  };

  core.onClose = async () => {
    clearTimeout(timer);
    clearInterval(localTimer);
    if (!swarm || !dht) return;
    const [sw, d] = [swarm, dht];
    // Closing the server unannounces us (nice: peers stop dialing a dead record) but waits for DHT
    // timeouts when other nodes are gone; give it closeGraceMs, then destroy the DHT under it.
    const destroyed = sw.destroy().catch((e: Error) => core.log.debug({ err: e.message }, "swarm destroy failed"));
    const late = await Promise.race([destroyed.then(() => false), sleep(o.closeGraceMs ?? 500).then(() => true)]);
    if (late) {
      await d.destroy({ force: true }).catch(() => undefined);
      await destroyed;
    }
  };

  return Object.assign(core, {
    stats: () => ({ handshaking: core.handshakeCounts().total, pxDials: px.dialing, explicitPeers: swarm?.explicitPeers?.size ?? 0 }),
    dhtAddress: () => {
      if (!bound) throw TransportError.invalid("the DHT is not bound yet: await start() first");
      return bound;
    },
  });
}

export interface BootstrapNode {
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

/**
 * A DHT bootstrap node alone (no swarm, no transport): for a dedicated bootstrap host and for tests.
 * Managers normally run the bootstrap inside their transport (their own host:port in `bootstrap`).
 */
export async function startBootstrapNode(o: { host: string; port: number; udx?: unknown; bootstrap?: string[]; waitBootstrapped?: boolean }): Promise<BootstrapNode> {
  const dht = HyperDHT.bootstrapper(o.port, o.host, {
    ...udxOption(o.udx),
    host: o.host,
    bootstrap: (o.bootstrap ?? []).filter((b) => b !== `${o.host}:${o.port}`).map(parseHostPort),
  }) as DHTLike & { bind(): Promise<void> };
  // Bound (a port in use fails here) is enough for others to bootstrap from it. Its own first query
  // can take seconds when the network still remembers nodes that died (a restarted host): with
  // `waitBootstrapped: false` that happens in the background.
  await dht.bind();
  if (o.waitBootstrapped !== false) await dht.fullyBootstrapped();
  else dht.fullyBootstrapped().catch(() => undefined);
  return { address: { host: o.host, port: o.port }, close: () => dht.destroy({ force: true }) };
}

const WRITE_CHUNK = 1 << 20;

class SecretStreamLink implements Link {
  readonly localKey: Uint8Array;
  readonly remoteKey: Uint8Array;
  readonly remoteAddress: string | undefined;
  private done = false;

  constructor(private readonly conn: NoiseStream) {
    this.localKey = conn.publicKey;
    this.remoteKey = conn.remotePublicKey;
    const raw = conn.rawStream;
    this.remoteAddress = raw?.remoteHost ? `${raw.remoteHost}:${raw.remotePort}` : undefined;
  }

  attach(events: { data(chunk: Uint8Array): void; close(reason: string): void }): void {
    this.conn.on("data", (c: Uint8Array) => events.data(c));
    this.conn.on("close", () => {
      this.done = true;
      events.close("connection closed");
    });
  }

  /** Splits large frames: secret-stream refuses a single write over 16 MiB (its uint24 header). */
  write(bytes: Uint8Array): void {
    if (this.done) return;
    for (let off = 0; off < bytes.length; off += WRITE_CHUNK) this.conn.write(bytes.subarray(off, off + WRITE_CHUNK));
  }

  /** With flush, ends gracefully (so a REJECT frame still arrives) and destroys if the peer does not
   * close within a second; without, destroys at once (a dead peer would hold a graceful end open). */
  close(_reason: string, flush = false): void {
    if (this.done) return;
    this.done = true;
    if (!flush) return this.conn.destroy();
    this.conn.end();
    const t = setTimeout(() => this.conn.destroy(), 1000);
    t.unref?.();
    this.conn.once("close", () => clearTimeout(t));
  }
}

function udxOption(udx: unknown): { udx?: unknown } {
  if (udx) return { udx };
  return process.versions.bun ? { udx: new UDX() } : {};
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function parseHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(":");
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw TransportError.invalid(`bootstrap address "${s}" is not host:port`);
  }
  return { host: s.slice(0, i), port };
}
