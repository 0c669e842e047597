/**
 * Modes of what the agent creates, whatever the umask (issue 11, defect 7): with umask 000 the API
 * socket was 0777, so any local user drove the agent and through it Docker.
 *
 * Contract: `swarm agent` sets `process.umask(0o077)` before anything opens a file; `prepareDataDir`
 * runs before the logger, the key file or sqlite touch the data dir; `secureSocket` runs right after
 * the socket is bound (until then the umask keeps it 0600).
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SwarmError } from "../api/index.ts";

/** Files of the data dir that hold secrets or state: 0600 even if an older agent or a user loosened them. */
const PRIVATE_FILES = ["raft.db", "raft.db-wal", "raft.db-shm", "node.json", "agent.log", "agent.pid", "transport.key"];

/** The group that may use the API socket besides root, like Docker's `docker` group. */
export const SOCKET_GROUP = "swarm";

/**
 * Makes `dir` a 0700 directory owned by this user (creating it if absent), `dir/logs` 0700, and the
 * state files in it 0600. Refuses a data dir that is a symlink, not a directory, or owned by someone
 * else: another user could then read the cluster's keys or swap the state under the agent.
 */
export function prepareDataDir(dir: string): void {
  const st = lstatOrUndefined(dir);
  if (st === undefined) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } else if (st.isSymbolicLink()) {
    throw SwarmError.invalid(`the data directory ${dir} is a symbolic link: point --data-dir at the real directory (the agent refuses a path another user could redirect)`);
  } else if (!st.isDirectory()) {
    throw SwarmError.invalid(`the data directory ${dir} is not a directory: remove it or choose another --data-dir`);
  }
  const uid = process.getuid?.();
  const owner = lstatSync(dir).uid;
  if (uid !== undefined && owner !== uid) {
    throw SwarmError.invalid(`the data directory ${dir} belongs to user ${owner}, not to this agent's user (${uid}): check who created it, then fix its owner (chown) or choose another --data-dir`);
  }
  chmodSync(dir, 0o700);
  const logs = join(dir, "logs");
  const ls = lstatOrUndefined(logs);
  if (ls === undefined) mkdirSync(logs, { mode: 0o700 });
  else if (!ls.isDirectory() || ls.isSymbolicLink()) throw SwarmError.invalid(`${logs} is not a directory: remove it (it holds archived task logs)`);
  chmodSync(logs, 0o700);
  for (const f of PRIVATE_FILES) {
    const p = join(dir, f);
    const fs = lstatOrUndefined(p);
    if (fs?.isFile()) chmodSync(p, 0o600);
  }
}

/** The socket's directory, created 0755 when absent (the socket itself carries the access check). */
export function prepareSocketDir(socketPath: string): void {
  const d = dirname(socketPath);
  if (existsSync(d)) return;
  mkdirSync(d, { recursive: true, mode: 0o755 });
  chmodSync(d, 0o755);
}

/** The API socket: 0660, group `swarm` when that group exists (else root's group). */
export function secureSocket(socketPath: string): void {
  const gid = groupId(SOCKET_GROUP);
  if (gid !== undefined) chownSync(socketPath, process.getuid?.() ?? 0, gid);
  chmodSync(socketPath, 0o660);
}

function groupId(name: string): number | undefined {
  try {
    for (const line of readFileSync("/etc/group", "utf8").split("\n")) {
      const [n, , gid] = line.split(":");
      if (n === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
    }
  } catch {
    // no /etc/group: no group to hand the socket to
  }
  return undefined;
}

function lstatOrUndefined(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}
