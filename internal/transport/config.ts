/**
 * Transport configuration: one type, a defaults function and a validator. Shared by both
 * implementations; adapter-specific options live with the adapter.
 */
import type { AdmissionPolicy, NodeId, SignedCertificate } from "./admission.ts";
import { TransportError } from "./errors.ts";
import type { Logger } from "./types.ts";

export interface TransportOptions {
  /** The cluster identity; the topic and every admission proof are bound to it. */
  clusterId: string;
  /** Peers proving this secret are admitted; we prove it when we have no certificate. */
  joinSecret?: Uint8Array;
  /** The cluster's ed25519 public key; needed to accept certificates. */
  clusterPublicKey?: Uint8Array;
  /** Our certificate, signed by the cluster key. */
  certificate?: SignedCertificate;
  /** Node ids refused from the start (more can be added with `revoke`). */
  revoked?: Iterable<NodeId>;
  /** A peer that has not completed the handshake by then is closed (not banned). A LAN handshake
   * takes a few ms; 3 s tolerates a loaded host without holding silent peers for long. */
  handshakeTimeoutMs?: number;
  /** Default request timeout. Leader requests on a LAN answer in ms; 5 s covers a Raft commit. */
  requestTimeoutMs?: number;
  /** Largest accepted frame; a larger declared length is MALFORMED. 16 MiB fits a Raft snapshot chunk. */
  maxFrameBytes?: number;
  /** Messages a stream writer may send ahead of its reader. 64 log lines is a few kB. */
  streamCredit?: number;
  log?: Logger;
}

export interface ResolvedOptions {
  policy: AdmissionPolicy;
  revoked: Set<NodeId>;
  handshakeTimeoutMs: number;
  requestTimeoutMs: number;
  maxFrameBytes: number;
  streamCredit: number;
  log: Logger;
}

export function resolveOptions(o: TransportOptions): ResolvedOptions {
  if (typeof o.clusterId !== "string" || o.clusterId.length === 0) {
    throw TransportError.invalid("clusterId is required: pass the cluster's identity string");
  }
  if (!o.joinSecret && !o.certificate) {
    throw TransportError.invalid("a node needs a join secret or a certificate to be admitted; pass joinSecret or certificate");
  }
  if (o.joinSecret && o.joinSecret.length < 16) throw TransportError.invalid("joinSecret must be at least 16 bytes");
  if (o.clusterPublicKey && o.clusterPublicKey.length !== 32) throw TransportError.invalid("clusterPublicKey must be 32 bytes (raw ed25519)");
  const r: ResolvedOptions = {
    policy: {
      clusterId: o.clusterId,
      joinSecret: o.joinSecret,
      clusterPublicKey: o.clusterPublicKey,
      certificate: o.certificate,
    },
    revoked: new Set(o.revoked ?? []),
    handshakeTimeoutMs: o.handshakeTimeoutMs ?? 3000,
    requestTimeoutMs: o.requestTimeoutMs ?? 5000,
    maxFrameBytes: o.maxFrameBytes ?? 16 * 1024 * 1024,
    streamCredit: o.streamCredit ?? 64,
    log: o.log ?? stderrLogger("warn"),
  };
  for (const k of ["handshakeTimeoutMs", "requestTimeoutMs", "maxFrameBytes", "streamCredit"] as const) {
    if (!Number.isSafeInteger(r[k]) || r[k] <= 0) throw TransportError.invalid(`${k} must be a positive integer`);
  }
  return r;
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
