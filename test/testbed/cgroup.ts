// cgroup v1 helpers. Every process of a host (dockerd, containerd, shims, containers, commands run with
// exec/spawn) lives in the host's freezer cgroup subtree, which is what makes power-off and a leak-free
// teardown possible: freeze the subtree, SIGKILL everything in it, thaw, wait until it is empty.

import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync, mkdirSync } from "node:fs";
import { waitFor } from "./run.ts";

const ROOT = "/sys/fs/cgroup";
export const FREEZER = `${ROOT}/freezer`;

/** Absolute directories of every mounted cgroup hierarchy (v1 controllers, named ones, and v2). */
export function hierarchies(): string[] {
  const out: string[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const [left, right] = line.split(" - ");
    if (!left || !right) continue;
    const fstype = right.split(" ")[0];
    if (fstype === "cgroup" || fstype === "cgroup2") out.push(left.split(" ")[4]!);
  }
  return out;
}

export function freezerAvailable(): boolean {
  return existsSync(`${FREEZER}/cgroup.procs`);
}

/** Creates the freezer cgroup `rel` (and parents). Idempotent. */
export function ensureFreezerCgroup(rel: string): string {
  const dir = `${FREEZER}/${rel}`;
  mkdirSync(dir, { recursive: true });
  return dir;
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `${dir}/${d.name}`);
  } catch {
    return [];
  }
}

/** Every pid in the freezer subtree `rel` (empty if it does not exist). */
export function pidsInSubtree(rel: string): number[] {
  const pids: number[] = [];
  const walk = (dir: string): void => {
    let procs = "";
    try {
      procs = readFileSync(`${dir}/cgroup.procs`, "utf8");
    } catch {
      return;
    }
    for (const p of procs.split("\n")) if (p.trim() !== "") pids.push(Number(p));
    for (const d of subdirs(dir)) walk(d);
  };
  walk(`${FREEZER}/${rel}`);
  return pids;
}

function setFreezer(dir: string, state: "FROZEN" | "THAWED"): void {
  try {
    writeFileSync(`${dir}/freezer.state`, state);
  } catch {
    // the cgroup vanished meanwhile: nothing to freeze or thaw
  }
}

/**
 * Kills every process in the freezer subtree `rel` at once (no process sees another die first) and
 * waits until the subtree is empty. Idempotent. Returns false if processes remain after deadlineMs.
 */
export async function killSubtree(rel: string, deadlineMs = 10_000): Promise<boolean> {
  const dir = `${FREEZER}/${rel}`;
  if (!existsSync(dir)) return true;
  setFreezer(dir, "FROZEN");
  await waitFor(() => {
    try {
      return readFileSync(`${dir}/freezer.state`, "utf8").trim() !== "FREEZING";
    } catch {
      return true;
    }
  }, 2_000, 10);
  for (const pid of pidsInSubtree(rel)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  setFreezer(dir, "THAWED");
  return waitFor(() => {
    const left = pidsInSubtree(rel);
    for (const pid of left) {
      try {
        process.kill(pid, "SIGKILL"); // forked between the listing and the freeze completing
      } catch {
        // gone
      }
    }
    return left.length === 0;
  }, deadlineMs, 20);
}

/** Removes the cgroup `rel` and everything below it in every hierarchy (deepest first). */
export async function removeCgroupTree(rel: string, deadlineMs = 5_000): Promise<string[]> {
  const remaining: string[] = [];
  for (const h of hierarchies()) {
    const top = `${h}/${rel}`;
    if (!existsSync(top)) continue;
    const order: string[] = [];
    const walk = (d: string): void => {
      for (const s of subdirs(d)) walk(s);
      order.push(d);
    };
    walk(top);
    for (const d of order) {
      // a cgroup whose last task just died can be busy for a moment
      const ok = await waitFor(() => {
        try {
          rmdirSync(d);
          return true;
        } catch (e) {
          return (e as NodeJS.ErrnoException).code === "ENOENT";
        }
      }, deadlineMs, 20);
      if (!ok) remaining.push(d);
    }
  }
  return remaining;
}

/** Every leftover directory of cgroup `rel` across hierarchies (for leak assertions). */
export function cgroupLeftovers(rel: string): string[] {
  return hierarchies().map((h) => `${h}/${rel}`).filter((d) => existsSync(d));
}
