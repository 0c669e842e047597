/**
 * Admission proofs (DESIGN.md "Admission", docs/cluster.md "Identity and keys"). Pure functions over
 * node:crypto; no I/O, and the clock comes in as `nowMs`.
 *
 * - Cluster id = clusterFingerprint(cluster public key): a joiner that only knows the id (from its
 *   token) recognises the real cluster key by it.
 * - Join secret: HMAC-SHA256(secret, "swarm-join-v1\0" ‖ clusterId ‖ "\0" ‖ senderKey ‖ receiverKey).
 *   Bound to both Noise public keys and to the direction, so a recorded proof is useless on any
 *   other connection and cannot be reflected back. A peer admitted by it is a "joiner".
 * - Node certificate v2: the cluster's ed25519 key signs ("swarm-cert-v2\0" ‖ encoded certificate);
 *   the certificate names the cluster, the node id (its Noise key), its role, a serial and a
 *   validity window. A peer admitted by it is a "manager" or a "worker".
 *
 * NodeId is the lowercase hex of the node's 32-byte Noise public key.
 */
import { createHash, createHmac, createPrivateKey, createPublicKey, randomBytes, sign, timingSafeEqual, verify } from "node:crypto";
import { Packr } from "msgpackr";
import { TransportError } from "./errors.ts";
import type { HelloProof } from "./messages.ts";

export type NodeId = string;
export type Role = "manager" | "worker";
/** What a peer is on a connection: its certificate's role, or "joiner" (admitted by a join secret). */
export type PeerClass = Role | "joiner";

export interface NodeCertificate {
  v: 2;
  clusterId: string;
  nodeId: NodeId;
  role: Role;
  /** Increases with every certificate the cluster issues. */
  serial: number;
  notBeforeMs: number;
  notAfterMs: number;
}

/** An ed25519 key pair in raw form (32-byte public key, 32-byte seed). */
export interface ClusterKey {
  publicKey: Uint8Array;
  seed: Uint8Array;
}

/** Certificate bytes plus the cluster key's signature: what a node keeps and presents. */
export interface SignedCertificate {
  cert: Uint8Array;
  sig: Uint8Array;
}

/** A join secret a manager accepts, and the role a joiner proving it will be given. */
export interface JoinSecret {
  role: Role;
  secret: Uint8Array;
}

export interface AdmissionPolicy {
  clusterId: string;
  /** Secrets we accept from joiners (managers only). */
  joinSecrets: JoinSecret[];
  /** What we prove when we have no certificate (a joiner's token secret). */
  proveSecret?: Uint8Array;
  /** Verifies certificates. Without it we are a joiner: only manager certificates chained to a key
   * whose fingerprint is `clusterId` are accepted, and no secret ever is. */
  clusterPublicKey?: Uint8Array;
  /** Our own certificate: when present it is our only proof (never a MAC). */
  certificate?: SignedCertificate;
}

export type AdmissionResult =
  | {
      ok: true;
      class: PeerClass;
      via: "secret" | "certificate";
      cert?: NodeCertificate;
      /** The certificate as presented (for peer exchange). */
      signed?: SignedCertificate;
      /** The key the peer's certificate verified under. */
      ca?: Uint8Array;
      /** For a joiner: which of our secrets it proved. */
      joinSecret?: JoinSecret;
    }
  | { ok: false; code: "ADMISSION_REFUSED"; reason: string };

/** Accepted difference between our clock and the issuer's, on both ends of a validity window. */
export const CLOCK_SKEW_MS = 5 * 60_000;

const certPackr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, structuredClone: false });
const JOIN_LABEL = Buffer.from("swarm-join-v1\0");
const CERT_LABEL = Buffer.from("swarm-cert-v2\0");
const CLUSTER_LABEL = Buffer.from("swarm-cluster-v1\0");
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export function nodeIdOf(publicKey: Uint8Array): NodeId {
  return Buffer.from(publicKey).toString("hex");
}

/**
 * The cluster id of a cluster public key: the first 128 bits of sha256("swarm-cluster-v1\0" ‖ key)
 * in base36, zero-padded to 25 characters (36^25 > 2^128).
 */
export function clusterFingerprint(publicKey: Uint8Array): string {
  const h = createHash("sha256").update(CLUSTER_LABEL).update(publicKey).digest();
  return BigInt("0x" + h.subarray(0, 16).toString("hex")).toString(36).padStart(25, "0");
}

export function joinMac(secret: Uint8Array, clusterId: string, sender: Uint8Array, receiver: Uint8Array): Uint8Array {
  const h = createHmac("sha256", secret);
  h.update(JOIN_LABEL).update(Buffer.from(clusterId + "\0")).update(sender).update(receiver);
  return new Uint8Array(h.digest());
}

/** The ed25519 key pair of a 32-byte seed, in the layout sodium and hyperdht use (secretKey = seed ‖ pub). */
export function keyPairFromSeed(seed: Uint8Array): { publicKey: Buffer; secretKey: Buffer } {
  if (seed.length !== 32) throw TransportError.invalid("a key seed must be 32 bytes");
  const priv = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  const pub = createPublicKey(priv).export({ format: "der", type: "spki" }).subarray(ED25519_SPKI_PREFIX.length);
  return { publicKey: Buffer.from(pub), secretKey: Buffer.concat([seed, pub]) };
}

export function generateClusterKey(): ClusterKey {
  return clusterKeyFromSeed(randomBytes(32));
}

export function clusterKeyFromSeed(seed: Uint8Array): ClusterKey {
  return { seed: new Uint8Array(seed), publicKey: new Uint8Array(keyPairFromSeed(seed).publicKey) };
}

export function issueCertificate(key: ClusterKey, cert: NodeCertificate): SignedCertificate {
  if (cert.v !== 2) throw TransportError.invalid("only v2 certificates can be issued");
  const bytes = certPackr.pack([2, cert.clusterId, cert.nodeId, cert.role, cert.serial, cert.notBeforeMs, cert.notAfterMs]);
  const priv = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, key.seed]), format: "der", type: "pkcs8" });
  const sig = sign(null, Buffer.concat([CERT_LABEL, bytes]), priv);
  return { cert: new Uint8Array(bytes), sig: new Uint8Array(sig) };
}

/** The certificate if the signature verifies under `clusterPublicKey` and `nowMs` is inside its
 * validity window (± CLOCK_SKEW_MS); otherwise undefined. v1 certificates are not accepted. */
export function verifyCertificate(clusterPublicKey: Uint8Array, signed: SignedCertificate, nowMs = Date.now()): NodeCertificate | undefined {
  const cert = verifySignature(clusterPublicKey, signed);
  if (!cert || !withinWindow(cert, nowMs)) return undefined;
  return cert;
}

/** The certificate if only its signature verifies (the validity window is not checked). */
export function verifySignature(clusterPublicKey: Uint8Array, signed: SignedCertificate): NodeCertificate | undefined {
  try {
    if (clusterPublicKey.length !== 32) return undefined;
    const pub = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, clusterPublicKey]), format: "der", type: "spki" });
    if (!verify(null, Buffer.concat([CERT_LABEL, signed.cert]), pub, Buffer.from(signed.sig))) return undefined;
    const a = certPackr.unpack(signed.cert) as unknown;
    if (!Array.isArray(a) || a[0] !== 2 || a.length !== 7) return undefined;
    const [, clusterId, nodeId, role, serial, notBeforeMs, notAfterMs] = a;
    if (typeof clusterId !== "string" || typeof nodeId !== "string") return undefined;
    if (role !== "manager" && role !== "worker") return undefined;
    if (![serial, notBeforeMs, notAfterMs].every(Number.isSafeInteger)) return undefined;
    return { v: 2, clusterId, nodeId, role, serial, notBeforeMs, notAfterMs };
  } catch {
    return undefined; // a malformed key or certificate is simply not a valid proof
  }
}

export function withinWindow(cert: NodeCertificate, nowMs: number): boolean {
  return cert.notBeforeMs - CLOCK_SKEW_MS <= nowMs && nowMs <= cert.notAfterMs + CLOCK_SKEW_MS;
}

/** The proof we send on a connection from `local` to `remote`: our certificate (with the cluster
 * key beside it) when we have one, else the MAC of our token secret. */
export function makeProof(policy: AdmissionPolicy, local: Uint8Array, remote: Uint8Array): HelloProof {
  if (policy.certificate && policy.clusterPublicKey) {
    return { v: 2, cert: policy.certificate.cert, sig: policy.certificate.sig, ca: policy.clusterPublicKey };
  }
  if (policy.proveSecret) return { v: 2, mac: joinMac(policy.proveSecret, policy.clusterId, local, remote) };
  throw TransportError.invalid("admission needs a certificate (with the cluster public key) or a token secret to prove");
}

/**
 * Checks the proof the remote sent us. A peer presenting a certificate is judged by it alone (an
 * invalid certificate is refused even beside a MAC that would pass). Revocation applies to every
 * path. A joiner (no clusterPublicKey) admits only managers whose certificate chains to a key
 * fingerprinted as our cluster id, and never admits anyone by secret.
 */
export function checkProof(
  policy: AdmissionPolicy,
  proof: HelloProof,
  local: Uint8Array,
  remote: Uint8Array,
  isRevoked: (id: NodeId) => boolean,
  nowMs: number,
): AdmissionResult {
  const remoteId = nodeIdOf(remote);
  if (isRevoked(remoteId)) return refuse(`node ${remoteId.slice(0, 8)} is revoked`);
  if (proof.cert || proof.sig) {
    if (!proof.cert || !proof.sig) return refuse("certificate without signature");
    const joiner = !policy.clusterPublicKey;
    let ca = policy.clusterPublicKey;
    if (joiner) {
      if (!proof.ca || clusterFingerprint(proof.ca) !== policy.clusterId) {
        return refuse("the peer's cluster key does not match the cluster id of our token");
      }
      ca = proof.ca;
    }
    const signedOnly = verifySignature(ca!, { cert: proof.cert, sig: proof.sig });
    if (!signedOnly) return refuse("certificate not signed by the cluster key");
    if (signedOnly.clusterId !== policy.clusterId) return refuse("certificate of another cluster");
    if (signedOnly.nodeId !== remoteId) return refuse("certificate issued to another node");
    if (!withinWindow(signedOnly, nowMs)) return refuse("certificate expired or not yet valid (check both clocks)");
    if (joiner && signedOnly.role !== "manager") return refuse("a joining node admits managers only");
    return { ok: true, class: signedOnly.role, via: "certificate", cert: signedOnly, signed: { cert: proof.cert, sig: proof.sig }, ca: new Uint8Array(ca!) };
  }
  if (proof.mac) {
    if (!policy.clusterPublicKey) return refuse("a joining node admits managers only");
    for (const js of policy.joinSecrets) {
      const want = joinMac(js.secret, policy.clusterId, remote, local);
      if (proof.mac.length === want.length && timingSafeEqual(proof.mac, want)) {
        return { ok: true, class: "joiner", via: "secret", joinSecret: js };
      }
    }
    return refuse("no valid join-secret proof");
  }
  return refuse("no proof");
}

function refuse(reason: string): AdmissionResult {
  return { ok: false, code: "ADMISSION_REFUSED", reason };
}
