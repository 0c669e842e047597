// Mount bookkeeping. dockerd runs in the root mount namespace (only net and uts are entered), so its
// overlay, shm and netns mounts under a host's state directory are visible here and must be undone.

import { readFileSync } from "node:fs";
import { run } from "./run.ts";

const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Mount points equal to or below `dir`, in mountinfo order (parents before children). */
export function mountsUnder(dir: string): string[] {
  const base = dir.replace(/\/+$/, "");
  const out: string[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const mp = line.split(" ")[4];
    if (mp === undefined) continue;
    const path = unescape(mp);
    if (path === base || path.startsWith(`${base}/`)) out.push(path);
  }
  return out;
}

/** Lazily unmounts everything at or below `dir`, children first, until nothing is left. */
export async function unmountUnder(dir: string): Promise<string[]> {
  for (let round = 0; round < 5; round++) {
    const mps = mountsUnder(dir);
    if (mps.length === 0) return [];
    for (const mp of [...new Set(mps)].reverse()) await run(["umount", "-l", mp]);
  }
  return mountsUnder(dir);
}
