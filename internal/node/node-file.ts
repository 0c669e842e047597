/**
 * `<data-dir>/node.json`: what a node needs to come back on its own after a restart — its certificate,
 * the cluster's public key and discovery key, and where the managers are. Written when the node joins
 * (or inits), when it gets a new certificate, and when the managers change; the join token is never
 * needed again. Written atomically (temp file + rename), mode 0600.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SwarmError, type NodeRole } from "../api/index.ts";

export const NODE_FILE = "node.json";

export interface NodeFile {
  v: 1;
  clusterId: string;
  /** Hex: the cluster key certificates chain to. */
  clusterPublicKey: string;
  /** Hex: derives the Hyperswarm topic. */
  discoveryKey: string;
  /** The role of `cert`. */
  role: NodeRole;
  /** Hex: this node's certificate and the cluster key's signature. */
  cert: string;
  sig: string;
  /** host:port of every manager's DHT, to bootstrap from. */
  managers: string[];
  advertiseAddr: string;
  /** UDP port of this node's DHT (managers: where others bootstrap). */
  listenPort: number;
}

export function readNodeFile(dataDir: string): NodeFile | undefined {
  const path = join(dataDir, NODE_FILE);
  if (!existsSync(path)) return undefined;
  let v: NodeFile;
  try {
    v = JSON.parse(readFileSync(path, "utf8")) as NodeFile;
  } catch (e) {
    throw SwarmError.unavailable(`${path} is unreadable (${(e as Error).message}); restore it from a backup, or run \`swarm leave --force\` and join again`);
  }
  if (v?.v !== 1 || typeof v.clusterId !== "string" || typeof v.cert !== "string" || !Array.isArray(v.managers)) {
    throw SwarmError.unavailable(`${path} has an unknown format; use the swarm binary that wrote it, or leave and join again`);
  }
  return v;
}

export function writeNodeFile(dataDir: string, f: NodeFile): void {
  const path = join(dataDir, NODE_FILE);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(f, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, path);
}

export function removeNodeFile(dataDir: string): void {
  rmSync(join(dataDir, NODE_FILE), { force: true });
}
