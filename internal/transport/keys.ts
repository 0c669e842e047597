/**
 * The node's persistent Noise key and the cluster topic. The key is a 32-byte ed25519 seed in
 * `<dataDir>/transport.key`, mode 0600; the key pair (and so the NodeId) derives from it.
 */
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keyPairFromSeed } from "./admission.ts";
import { TransportError } from "./errors.ts";
import type { Logger } from "./types.ts";

export const KEY_FILE = "transport.key";

/** Reads the seed from dataDir, creating it (0600) on first use. Tightens looser permissions. */
export function loadOrCreateKeySeed(dataDir: string, log?: Logger): Uint8Array {
  const path = join(dataDir, KEY_FILE);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let seed: Buffer;
  try {
    seed = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    const fresh = randomBytes(32);
    try {
      writeFileSync(path, fresh, { mode: 0o600, flag: "wx" });
      return new Uint8Array(fresh);
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code !== "EEXIST") throw e2;
      seed = readFileSync(path); // another process created it first
    }
  }
  if (seed.length !== 32) {
    throw TransportError.invalid(`${path} is not a 32-byte key; restore it from a backup or remove it to make this a new node`);
  }
  if ((statSync(path).mode & 0o077) !== 0) {
    chmodSync(path, 0o600);
    log?.warn({ path }, "node key file was readable by others; permissions reset to 0600");
  }
  return new Uint8Array(seed);
}

export function loadOrCreateKeyPair(dataDir: string, log?: Logger): { publicKey: Buffer; secretKey: Buffer } {
  return keyPairFromSeed(loadOrCreateKeySeed(dataDir, log));
}

/** The 32-byte Hyperswarm topic of a cluster known only by its (public) id. */
export function clusterTopic(clusterId: string): Buffer {
  return createHash("sha256").update("swarm-topic-v1\0").update(clusterId).digest();
}

/** The 32-byte Hyperswarm topic derived from a secret discovery key (issue 10 finding 8): whoever
 * does not hold the key cannot look the members up on the DHT. */
export function discoveryTopic(discoveryKey: Uint8Array): Buffer {
  return createHash("sha256").update("swarm-topic-v2\0").update(discoveryKey).digest();
}

/** The topic a node joins: from its discovery key when it has one, else from the cluster id. */
export function topicOf(o: { clusterId: string; discoveryKey?: Uint8Array }): Buffer {
  return o.discoveryKey ? discoveryTopic(o.discoveryKey) : clusterTopic(o.clusterId);
}
