/**
 * The cluster's secrets (docs/cluster.md "Identity and keys", "Tokens"): creating them on `init`,
 * deriving the join secrets from the cluster key, formatting tokens, signing node certificates.
 * Only managers hold the cluster key (it lives in the replicated state); nothing here is sent to
 * workers except a certificate signed for them.
 */
import { createHmac, randomBytes } from "node:crypto";
import { formatToken, type Cluster, type NodeRole } from "../api/index.ts";
import { clusterFingerprint, generateClusterKey, issueCertificate, type ClusterKey, type SignedCertificate } from "../transport/index.ts";

/** A certificate is valid this long; the node's session renews it when less than half remains. */
export const CERT_VALIDITY_MS = 90 * 24 * 3600 * 1000;
/** Certificates start a little in the past so a node whose clock lags accepts a fresh one. */
const CERT_BACKDATE_MS = 5 * 60 * 1000;

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
export const fromHex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));

/** A new cluster's identity and secrets (random), as `cluster.init` records them. */
export function newCluster(at: string): Cluster {
  const key = generateClusterKey();
  return {
    ID: clusterFingerprint(key.publicKey),
    CreatedAt: at,
    Spec: { Name: "default" },
    PublicKey: hex(key.publicKey),
    Secrets: { KeySeed: hex(key.seed), DiscoveryKey: hex(randomBytes(32)), TokenGeneration: { worker: 1, manager: 1 } },
    Revoked: [],
  };
}

export function clusterKeyOf(c: Cluster): ClusterKey {
  return { publicKey: fromHex(c.PublicKey), seed: fromHex(c.Secrets.KeySeed) };
}

/** The role's current join secret: HMAC of the cluster key seed, the role and its generation. */
export function joinSecret(c: Cluster, role: NodeRole): Uint8Array {
  const h = createHmac("sha256", Buffer.from(c.Secrets.KeySeed, "hex"));
  h.update(`swarm-join-v1\0${role}\0${c.Secrets.TokenGeneration[role]}`);
  return new Uint8Array(h.digest().subarray(0, 16));
}

export function joinSecrets(c: Cluster): { role: NodeRole; secret: Uint8Array }[] {
  return (["worker", "manager"] as const).map((role) => ({ role, secret: joinSecret(c, role) }));
}

export function joinTokenOf(c: Cluster, role: NodeRole): string {
  return formatToken({ clusterId: c.ID, discoveryKey: fromHex(c.Secrets.DiscoveryKey), secret: joinSecret(c, role) });
}

/** Signs a node's certificate. `serial` is the state index that recorded it (`node.certificate`). */
export function signCertificate(c: Cluster, nodeId: string, role: NodeRole, serial: number, nowMs: number, notAfterMs: number): SignedCertificate {
  return issueCertificate(clusterKeyOf(c), {
    v: 2,
    clusterId: c.ID,
    nodeId,
    role,
    serial,
    notBeforeMs: nowMs - CERT_BACKDATE_MS,
    notAfterMs,
  });
}
