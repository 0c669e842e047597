/**
 * Transport configuration: one type, a defaults function and a validator. Shared by both
 * implementations; adapter-specific options live with the adapter.
 */
import {
  clusterFingerprint, nodeIdOf, verifySignature, withinWindow,
  type AdmissionPolicy, type JoinSecret, type NodeId, type SignedCertificate,
} from "./admission.ts";
import { TransportError } from "./errors.ts";
import type { Logger } from "./types.ts";

export interface TransportOptions {
  /** The cluster id: clusterFingerprint(cluster public key). Every admission proof is bound to it. */
  clusterId: string;
  /** Join secrets we accept from joining nodes (managers set these, one per role). */
  joinSecrets?: JoinSecret[];
  /** A joining node's token secret: what we prove while we have no certificate. */
  proveSecret?: Uint8Array;
  /** The cluster's ed25519 public key: certificates signed by it are accepted. Without it this node
   * is a joiner (it admits only managers certified by the key its cluster id fingerprints). */
  clusterPublicKey?: Uint8Array;
  /** Our certificate, signed by the cluster key (needs clusterPublicKey). Our only proof when set. */
  certificate?: SignedCertificate;
  /** Node ids refused from the start (see `revoke`, `setRevoked`). */
  revoked?: Iterable<NodeId>;
  /** 32 secret bytes the discovery topic derives from (carried in join tokens, kept by members), so
   * the cluster id alone does not list the members on the DHT. Without it: the cluster id. */
  discoveryKey?: Uint8Array;
  /** A peer that has not completed the handshake by then is closed (not banned). A LAN handshake
   * takes a few ms; 3 s tolerates a loaded host without holding silent peers for long. */
  handshakeTimeoutMs?: number;
  /** Default request timeout. Leader requests on a LAN answer in ms; 5 s covers a Raft commit. */
  requestTimeoutMs?: number;
  /** Largest frame from an admitted member; a larger declared length is MALFORMED. 16 MiB fits a
   * Raft snapshot chunk. Channels may set a lower limit (`maxBytes`). */
  maxFrameBytes?: number;
  /** Largest frame before admission and from joiners: a HELLO is ~300 bytes and a join request a
   * few kB, so 64 KiB costs a stranger's connection little memory while leaving room. */
  preAdmissionFrameBytes?: number;
  /** Messages a stream writer may send ahead of its reader. 64 log lines is a few kB. */
  streamCredit?: number;
  /** A connection that hears nothing (not even a keepalive, sent every third of this) for this long
   * is closed and its peer goes down. 15 s = three missed keepalives of hyperdht's default 5 s; the
   * cluster uses 3 s. */
  deadPeerTimeoutMs?: number;
  /** Connections still in the admission handshake, at most, in all and from one host: more are
   * closed at once. A handshake lasts milliseconds, so 64 / 8 never bind a real cluster starting
   * together, while a flood of strangers is bounded. */
  maxHandshakes?: number;
  maxHandshakesPerHost?: number;
  log?: Logger;
}

export interface ResolvedOptions {
  policy: AdmissionPolicy;
  revoked: Set<NodeId>;
  handshakeTimeoutMs: number;
  requestTimeoutMs: number;
  maxFrameBytes: number;
  preAdmissionFrameBytes: number;
  streamCredit: number;
  deadPeerTimeoutMs: number;
  maxHandshakes: number;
  maxHandshakesPerHost: number;
  log: Logger;
}

export function resolveOptions(o: TransportOptions): ResolvedOptions {
  const r: ResolvedOptions = {
    policy: {
      clusterId: o.clusterId,
      joinSecrets: [...(o.joinSecrets ?? [])],
      proveSecret: o.proveSecret,
      clusterPublicKey: o.clusterPublicKey,
      certificate: o.certificate,
    },
    revoked: new Set(o.revoked ?? []),
    handshakeTimeoutMs: o.handshakeTimeoutMs ?? 3000,
    requestTimeoutMs: o.requestTimeoutMs ?? 5000,
    maxFrameBytes: o.maxFrameBytes ?? 16 * 1024 * 1024,
    preAdmissionFrameBytes: o.preAdmissionFrameBytes ?? 64 * 1024,
    streamCredit: o.streamCredit ?? 64,
    deadPeerTimeoutMs: o.deadPeerTimeoutMs ?? 15_000,
    maxHandshakes: o.maxHandshakes ?? 64,
    maxHandshakesPerHost: o.maxHandshakesPerHost ?? 8,
    log: o.log ?? stderrLogger("warn"),
  };
  const ints = [
    "handshakeTimeoutMs", "requestTimeoutMs", "maxFrameBytes", "preAdmissionFrameBytes", "streamCredit", "deadPeerTimeoutMs",
    "maxHandshakes", "maxHandshakesPerHost",
  ] as const;
  for (const k of ints) {
    if (!Number.isSafeInteger(r[k]) || r[k] <= 0) throw TransportError.invalid(`${k} must be a positive integer`);
  }
  if (r.deadPeerTimeoutMs < 1500) throw TransportError.invalid("deadPeerTimeoutMs must be at least 1500 (keepalives go every third of it)");
  if (o.discoveryKey !== undefined && o.discoveryKey.length !== 32) throw TransportError.invalid("discoveryKey must be 32 bytes");
  validatePolicy(r.policy);
  return r;
}

/** Checks an admission policy on its own (the core also checks our certificate names us). */
export function validatePolicy(p: AdmissionPolicy): void {
  if (typeof p.clusterId !== "string" || p.clusterId.length === 0 || p.clusterId.length > 256) {
    throw TransportError.invalid("clusterId is required: pass the cluster id (the fingerprint of the cluster public key)");
  }
  if (p.clusterPublicKey) {
    if (p.clusterPublicKey.length !== 32) throw TransportError.invalid("clusterPublicKey must be 32 bytes (raw ed25519)");
    if (clusterFingerprint(p.clusterPublicKey) !== p.clusterId) {
      throw TransportError.invalid("clusterId is not the fingerprint of clusterPublicKey: pass clusterFingerprint(clusterPublicKey)");
    }
  }
  if (p.certificate && !p.clusterPublicKey) throw TransportError.invalid("a certificate needs the clusterPublicKey that signed it");
  if (!p.certificate && !p.proveSecret) {
    throw TransportError.invalid("a node needs a certificate or a token secret to be admitted; pass certificate or proveSecret");
  }
  for (const s of [p.proveSecret, ...p.joinSecrets.map((j) => j.secret)]) {
    if (s && s.length < 16) throw TransportError.invalid("join secrets must be at least 16 bytes");
  }
  for (const j of p.joinSecrets) {
    if (j.role !== "manager" && j.role !== "worker") throw TransportError.invalid(`join secret role "${String(j.role)}" is not manager or worker`);
  }
}

/** Throws unless `signed` is a certificate for `self` in this cluster, signed by its key. Warns
 * (does not throw) when it is outside its validity window: peers will refuse it until renewed. */
export function checkOwnCertificate(p: AdmissionPolicy, self: Uint8Array, log: Logger, nowMs = Date.now()): void {
  if (!p.certificate || !p.clusterPublicKey) return;
  const cert = verifySignature(p.clusterPublicKey, p.certificate);
  if (!cert) throw TransportError.invalid("our certificate is not signed by clusterPublicKey (or is not a v2 certificate)");
  if (cert.clusterId !== p.clusterId) throw TransportError.invalid("our certificate names another cluster");
  if (cert.nodeId !== nodeIdOf(self)) throw TransportError.invalid("our certificate was issued to another node id");
  if (!withinWindow(cert, nowMs)) log.warn({ notBeforeMs: cert.notBeforeMs, notAfterMs: cert.notAfterMs }, "our certificate is outside its validity window; peers will refuse it until it is renewed");
}

const LEVELS = ["debug", "info", "warn", "error"] as const;

/** A JSON-lines logger to stderr at or above `min`: the default when no logger is given. */
export function stderrLogger(min: (typeof LEVELS)[number]): Logger {
  const at = LEVELS.indexOf(min);
  const make = (level: (typeof LEVELS)[number]) => (obj: object, msg: string) => {
    if (LEVELS.indexOf(level) >= at) process.stderr.write(JSON.stringify({ level, component: "transport", ...obj, msg }) + "\n");
  };
  return { debug: make("debug"), info: make("info"), warn: make("warn"), error: make("error") };
}
