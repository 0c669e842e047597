/**
 * Secrets at rest: a secret's payload is sealed (AES-256-GCM) by the manager that receives it, with a
 * key derived from the cluster key seed (HKDF, its own label), so plaintext never enters the Raft log,
 * the replicated state or a snapshot; only managers can open it (they alone hold the seed). The leader
 * opens a secret only to send it to a node that runs a task using it (the dispatcher's assignments).
 *
 * Sealed form: base64 of version byte 1 ‖ 12-byte nonce ‖ ciphertext ‖ 16-byte tag; the secret's ID is
 * the additional data, so a sealed payload cannot be replayed under another secret.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { SwarmError, type Cluster, type Id } from "../api/index.ts";

const keys = new WeakMap<Cluster["Secrets"], Buffer>();

function keyOf(cluster: Cluster): Buffer {
  let k = keys.get(cluster.Secrets);
  if (!k) {
    k = Buffer.from(hkdfSync("sha256", Buffer.from(cluster.Secrets.KeySeed, "hex"), Buffer.alloc(0), "swarm-secrets-v1", 32));
    keys.set(cluster.Secrets, k);
  }
  return k;
}

export function sealSecret(cluster: Cluster, id: Id, data: Uint8Array): string {
  const nonce = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", keyOf(cluster), nonce);
  c.setAAD(Buffer.from(id));
  const body = Buffer.concat([c.update(data), c.final()]);
  return Buffer.concat([Buffer.from([1]), nonce, body, c.getAuthTag()]).toString("base64");
}

/** Throws INTERNAL when the payload does not open with this cluster's key (corrupted or foreign). */
export function openSecret(cluster: Cluster, id: Id, sealed: string): Uint8Array {
  const raw = Buffer.from(sealed, "base64");
  if (raw.length < 29 || raw[0] !== 1) throw new SwarmError("INTERNAL", `secret ${id}: sealed payload is malformed`);
  try {
    const d = createDecipheriv("aes-256-gcm", keyOf(cluster), raw.subarray(1, 13));
    d.setAAD(Buffer.from(id));
    d.setAuthTag(raw.subarray(raw.length - 16));
    return new Uint8Array(Buffer.concat([d.update(raw.subarray(13, raw.length - 16)), d.final()]));
  } catch {
    throw new SwarmError("INTERNAL", `secret ${id}: sealed payload does not open with this cluster's key`);
  }
}
