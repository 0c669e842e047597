/**
 * Admission proofs (DESIGN.md "Admission"). Pure functions over node:crypto; no I/O.
 *
 * - Join secret: HMAC-SHA256(secret, "swarm-join-v1" ‖ clusterId ‖ senderKey ‖ receiverKey). Bound to
 *   both Noise public keys and to the direction, so a recorded proof is useless on any other
 *   connection and cannot be reflected back.
 * - Node certificate: the cluster's ed25519 key signs ("swarm-cert-v1" ‖ encoded certificate), where
 *   the certificate names the cluster, the node id and the node's Noise public key.
 *
 * NodeId is the lowercase hex of the node's 32-byte Noise public key.
 */
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, timingSafeEqual, verify } from "node:crypto";
import { Packr } from "msgpackr";
import { TransportError } from "./errors.ts";
import type { HelloProof } from "./messages.ts";

export type NodeId = string;

export interface NodeCertificate {
  clusterId: string;
  nodeId: NodeId;
  role: "manager" | "worker";
  issuedAtMs: number;
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

export interface AdmissionPolicy {
  clusterId: string;
  /** Accept peers proving this secret; also used to prove ourselves when we have no certificate. */
  joinSecret?: Uint8Array;
  /** Verifies certificates; without it certificates are not accepted. */
  clusterPublicKey?: Uint8Array;
  /** Our own certificate, presented instead of the secret MAC when present. */
  certificate?: SignedCertificate;
}

export type AdmissionResult =
  | { ok: true; via: "secret" | "certificate"; cert?: NodeCertificate }
  | { ok: false; code: "ADMISSION_REFUSED"; reason: string };

const certPackr = new Packr({ useRecords: false, mapsAsObjects: true });
const JOIN_LABEL = Buffer.from("swarm-join-v1\0");
const CERT_LABEL = Buffer.from("swarm-cert-v1\0");
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export function nodeIdOf(publicKey: Uint8Array): NodeId {
  return Buffer.from(publicKey).toString("hex");
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
  const seed = randomBytes(32);
  return { seed: new Uint8Array(seed), publicKey: new Uint8Array(keyPairFromSeed(seed).publicKey) };
}

export function issueCertificate(key: ClusterKey, cert: NodeCertificate): SignedCertificate {
  const bytes = certPackr.pack([1, cert.clusterId, cert.nodeId, cert.role, cert.issuedAtMs]);
  const priv = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, key.seed]), format: "der", type: "pkcs8" });
  const sig = sign(null, Buffer.concat([CERT_LABEL, bytes]), priv);
  return { cert: new Uint8Array(bytes), sig: new Uint8Array(sig) };
}

/** Returns the certificate if the signature verifies under clusterPublicKey, else undefined. */
export function verifyCertificate(clusterPublicKey: Uint8Array, signed: SignedCertificate): NodeCertificate | undefined {
  try {
    const pub = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, clusterPublicKey]), format: "der", type: "spki" });
    if (!verify(null, Buffer.concat([CERT_LABEL, signed.cert]), pub, Buffer.from(signed.sig))) return undefined;
    const a = certPackr.unpack(signed.cert) as unknown;
    if (!Array.isArray(a) || a[0] !== 1 || a.length !== 5) return undefined;
    const [, clusterId, nodeId, role, issuedAtMs] = a;
    if (typeof clusterId !== "string" || typeof nodeId !== "string" || typeof issuedAtMs !== "number") return undefined;
    if (role !== "manager" && role !== "worker") return undefined;
    return { clusterId, nodeId, role, issuedAtMs };
  } catch {
    return undefined; // a malformed key or certificate is simply not a valid proof
  }
}

/** The proof we send on a connection from `local` to `remote`. */
export function makeProof(policy: AdmissionPolicy, local: Uint8Array, remote: Uint8Array): HelloProof {
  const proof: HelloProof = { v: 1 };
  if (policy.certificate) {
    proof.cert = policy.certificate.cert;
    proof.sig = policy.certificate.sig;
  }
  if (policy.joinSecret) proof.mac = joinMac(policy.joinSecret, policy.clusterId, local, remote);
  if (!proof.mac && !proof.cert) throw TransportError.invalid("admission needs a join secret or a node certificate");
  return proof;
}

/**
 * Checks the proof the remote sent us. A valid certificate wins over a MAC; revocation applies to
 * both paths (a revoked node that still knows the join secret is refused).
 */
export function checkProof(
  policy: AdmissionPolicy,
  proof: HelloProof,
  local: Uint8Array,
  remote: Uint8Array,
  isRevoked: (id: NodeId) => boolean,
): AdmissionResult {
  const remoteId = nodeIdOf(remote);
  if (isRevoked(remoteId)) return refuse(`node ${remoteId.slice(0, 8)} is revoked`);
  if (proof.cert && proof.sig && policy.clusterPublicKey) {
    const cert = verifyCertificate(policy.clusterPublicKey, { cert: proof.cert, sig: proof.sig });
    if (cert && cert.clusterId === policy.clusterId && cert.nodeId === remoteId) {
      return { ok: true, via: "certificate", cert };
    }
  }
  if (proof.mac && policy.joinSecret) {
    const want = joinMac(policy.joinSecret, policy.clusterId, remote, local);
    if (proof.mac.length === want.length && timingSafeEqual(proof.mac, want)) return { ok: true, via: "secret" };
  }
  return refuse("no valid join-secret proof or cluster certificate");
}

function refuse(reason: string): AdmissionResult {
  return { ok: false, code: "ADMISSION_REFUSED", reason };
}
