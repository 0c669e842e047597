// Tearing a bed down by name alone (no state file needed), so a bed left by a crashed run is cleaned
// by the next `up`. Order: kill every process (freeze the whole bed's cgroup, SIGKILL, thaw), kill
// strays still holding the bed's network namespaces, unmount, delete namespaces, remove cgroups,
// remove the state directory. Idempotent.

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readlinkSync, rmSync, rmdirSync, statSync } from "node:fs";
import { cgroupLeftovers, hierarchies, killSubtree, pidsInSubtree, removeCgroupTree } from "./cgroup.ts";
import { deleteNetns, listNetns, netnsPath } from "./net.ts";
import { mountsUnder, unmountUnder } from "./mounts.ts";
import { waitFor } from "./run.ts";

export interface BedIds {
  stateDir: string;
  netnsPrefix: string;
  cgroup: string;
}

export const bedIds = (stateRoot: string, name: string): BedIds => ({
  stateDir: `${stateRoot}/${name}`,
  netnsPrefix: `stb-${name}-`,
  cgroup: `swarm-testbed/${name}`,
});

/** Pids (other than ours) whose network namespace is one of `nsFiles`. */
export function pidsInNetns(nsFiles: string[]): number[] {
  const inodes = new Set<string>();
  for (const f of nsFiles) {
    try {
      inodes.add(`net:[${statSync(f).ino}]`);
    } catch {
      // gone
    }
  }
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (inodes.has(readlinkSync(`/proc/${d}/ns/net`))) pids.push(Number(d));
    } catch {
      // exited or kernel thread
    }
  }
  return pids;
}

const ls = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/**
 * containerd shims listen on /run/containerd/s/sha256("<containerd address>/<namespace>/<id>") and
 * leave that socket behind when SIGKILLed. Removes those of the host whose state dir is hostDir.
 */
export function removeShimSockets(hostDir: string): void {
  const address = `${hostDir}/exec/containerd/containerd.sock`;
  for (const id of ls(`${hostDir}/data/containers`)) {
    const hash = createHash("sha256").update(`${address}/moby/${id}`).digest("hex");
    rmSync(`/run/containerd/s/${hash}`, { force: true });
  }
}

/** SIGKILLs processes that entered these namespaces without the bed's wrapper (`ip netns exec`). */
export async function killNetnsStrays(nsFiles: string[]): Promise<boolean> {
  return waitFor(() => {
    const strays = pidsInNetns(nsFiles);
    for (const pid of strays) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    return strays.length === 0;
  }, 5_000, 20);
}

export async function teardownBed(ids: BedIds): Promise<void> {
  await killSubtree(ids.cgroup);
  const nsNames = await listNetns(ids.netnsPrefix);
  const nsFiles = nsNames.map(netnsPath);
  await killNetnsStrays(nsFiles);
  await unmountUnder(ids.stateDir);
  for (const ns of nsNames) await deleteNetns(ns);
  await removeCgroupTree(ids.cgroup);
  for (const host of ls(ids.stateDir)) removeShimSockets(`${ids.stateDir}/${host}`);
  for (const h of hierarchies()) {
    try {
      rmdirSync(`${h}/swarm-testbed`); // only succeeds once no other bed uses it
    } catch {
      // other beds exist, or it was never created
    }
  }
  // A host powered off a moment ago can leave a mount the kernel still calls busy (EBUSY) while its
  // last processes exit: unmount again and retry for a few seconds before giving up loudly.
  let lastErr: unknown;
  const removed = await waitFor(async () => {
    await unmountUnder(ids.stateDir);
    if (mountsUnder(ids.stateDir).length > 0) return false;
    try {
      rmSync(ids.stateDir, { recursive: true, force: true });
      return true;
    } catch (e) {
      lastErr = e;
      if ((e as { code?: string }).code !== "EBUSY") throw e;
      return false;
    }
  }, 10_000, 100);
  if (!removed) throw new Error(`could not remove the bed's state dir ${ids.stateDir}: ${String(lastErr ?? "mounts left under it")}`);
}

export interface Leftovers {
  netns: string[];
  mounts: string[];
  processes: number[];
  cgroups: string[];
  stateDir: boolean;
}

/** What a bed left behind; all empty/false after a clean teardown. */
export async function leftovers(ids: BedIds): Promise<Leftovers> {
  const netns = await listNetns(ids.netnsPrefix);
  return {
    netns,
    mounts: [...mountsUnder(ids.stateDir), ...netns.flatMap((n) => mountsUnder(netnsPath(n)))],
    processes: [...new Set([...pidsInSubtree(ids.cgroup), ...pidsInNetns(netns.map(netnsPath))])],
    cgroups: cgroupLeftovers(ids.cgroup),
    stateDir: existsSync(ids.stateDir),
  };
}
