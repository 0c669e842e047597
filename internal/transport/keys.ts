/**
 * The node's persistent Noise key and the cluster topic. The key is a 32-byte ed25519 seed in
 * `<dataDir>/transport.key`, mode 0600; the key pair (and so the NodeId) derives from it.
 *
 * Whatever the umask or the order of startup (issue 10 finding 7): the key is written to a fresh
 * 0600 file opened O_EXCL, synced, and linked into place (never a partly written or looser key
 * file, and no race with a second process); an existing key must be a regular file owned by us —
 * a symlink or another user's file is refused (someone who can plant one knows the key); looser
 * permissions are reset to 0600. The data dir itself belongs to the agent (it creates it 0700
 * before anything else); we create it 0700 if missing and warn when others can enter it.
 */
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, closeSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { keyPairFromSeed } from "./admission.ts";
import { TransportError } from "./errors.ts";
import type { Logger } from "./types.ts";

export const KEY_FILE = "transport.key";

/** Reads the seed from dataDir, creating it (0600) on first use. Tightens looser permissions. */
export function loadOrCreateKeySeed(dataDir: string, log?: Logger): Uint8Array {
  const path = join(dataDir, KEY_FILE);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if ((statSync(dataDir).mode & 0o077) !== 0) {
    log?.warn({ dataDir }, "the data dir is open to other users; make it 0700 (chmod 700) — it holds the node key and cluster state");
  }
  if (!exists(path)) {
    const fresh = randomBytes(32);
    if (createExclusive(path, fresh)) return new Uint8Array(fresh);
    // Another process created it first: use theirs.
  }
  const st = lstatSync(path);
  if (!st.isFile()) throw TransportError.invalid(`${path} is not a regular file (a symlink?); remove it and restore the node key from a backup`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw TransportError.invalid(`${path} belongs to user ${st.uid}, not to this process (${uid}); check who planted it, then fix its owner or remove it`);
  }
  const seed = readFileSync(path);
  if (seed.length !== 32) {
    throw TransportError.invalid(`${path} is not a 32-byte key; restore it from a backup or remove it to make this a new node`);
  }
  if ((st.mode & 0o077) !== 0) {
    chmodSync(path, 0o600);
    log?.warn({ path }, "node key file was readable by others; permissions reset to 0600");
  }
  return new Uint8Array(seed);
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

/** Writes `bytes` to a new 0600 temp file, syncs it and links it to `path`. False if `path` appeared
 * meanwhile. */
function createExclusive(path: string, bytes: Uint8Array): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    chmodSync(tmp, 0o600); // whatever the umask did (it can only have removed bits, but be exact)
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
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
