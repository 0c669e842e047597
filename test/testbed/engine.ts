// One dockerd per host, started with `nsenter --net --uts` (not `ip netns exec`, which remounts /sys
// so that dockerd fails with "Devices cgroup isn't mounted") from inside the host's freezer cgroup, so
// dockerd, its containerd, the shims and every container belong to the host's cgroup subtree.

import { openSync, closeSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import type { HostPlan } from "./config.ts";
import { FREEZER, ensureFreezerCgroup } from "./cgroup.ts";
import { TestbedError } from "./errors.ts";
import { netnsPath } from "./net.ts";
import { waitFor } from "./run.ts";

// $0 = cgroup dir, $1 = netns file, $2 = uts file (or ""), rest = the command.
const WRAP = 'echo $$ > "$0/cgroup.procs" || exit 125; n="$1"; u="$2"; shift 2; ' +
  'if [ -n "$u" ]; then exec nsenter --net="$n" --uts="$u" -- "$@"; else exec nsenter --net="$n" -- "$@"; fi';

/**
 * argv that runs `cmd` inside a host: its network and UTS namespaces, its freezer cgroup `cgroup`
 * (so power-off and teardown kill it). The root mount namespace and filesystem are shared.
 */
export function wrapArgv(cgroup: string, netns: string, utsFile: string | null, cmd: readonly string[]): string[] {
  return ["sh", "-c", WRAP, `${FREEZER}/${cgroup}`, netnsPath(netns), utsFile ?? "", ...cmd];
}

export function dockerdArgs(h: HostPlan): string[] {
  return [
    "dockerd",
    `--data-root=${h.dataRoot}`,
    `--exec-root=${h.execRoot}`,
    `--pidfile=${h.pidFile}`,
    `--host=unix://${h.socketPath}`,
    `--config-file=${h.daemonJson}`,
    `--bip=${h.bip}`,
    `--default-address-pool=${h.addressPool}`,
    `--cgroup-parent=/${h.cgroup}/docker`,
    "--exec-opt=native.cgroupdriver=cgroupfs",
    "--log-level=warn",
    ...h.dockerdExtraArgs,
  ];
}

/** Pure: daemon.json of a host. deprecated-key-path gives each host its own engine ID. */
export function daemonJson(h: HostPlan): string {
  return JSON.stringify({ "deprecated-key-path": `${h.dataRoot}/key.json` }, null, 2);
}

/** A started dockerd: `exited()` turns true if it died (so waiting can stop early). */
export interface StartedEngine {
  exited(): boolean;
}

/** Starts the host's dockerd in the background (it outlives this process). Does not wait. */
export function startEngine(h: HostPlan): StartedEngine {
  mkdirSync(h.dataRoot, { recursive: true });
  mkdirSync(h.execRoot, { recursive: true });
  writeFileSync(h.daemonJson, daemonJson(h));
  // A stale containerd pid file makes dockerd wait 15 s for a dead containerd and then fail.
  rmSync(`${h.execRoot}/containerd/containerd.pid`, { force: true });
  rmSync(h.pidFile, { force: true });
  rmSync(h.socketPath, { force: true });
  ensureFreezerCgroup(h.cgroup);
  const log = openSync(h.logFile, "a");
  try {
    const [cmd, ...args] = wrapArgv(h.cgroup, h.netns, h.utsFile, dockerdArgs(h));
    const child = spawn(cmd!, args, {
      detached: true,
      stdio: ["ignore", log, log],
      env: { ...process.env, ...h.dockerdEnv },
    });
    child.unref();
    let dead = false;
    child.on("exit", () => (dead = true));
    child.on("error", () => (dead = true));
    return { exited: () => dead };
  } finally {
    closeSync(log);
  }
}

/** True when the engine answers GET /_ping. */
export async function engineAnswers(h: HostPlan): Promise<boolean> {
  if (!existsSync(h.socketPath)) return false;
  try {
    const res = await fetch("http://docker/_ping", { unix: h.socketPath, signal: AbortSignal.timeout(2_000) });
    await res.text();
    return res.ok;
  } catch {
    return false;
  }
}

function logTail(h: HostPlan): string {
  try {
    return readFileSync(h.logFile, "utf8").trim().split("\n").slice(-5).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Waits until the engine answers; throws ENGINE_TIMEOUT with the log's tail if it does not within
 * deadlineMs, or as soon as the started process exits.
 */
export async function waitEngine(h: HostPlan, started?: StartedEngine, deadlineMs = 60_000): Promise<void> {
  let died = false;
  const ok = await waitFor(async () => {
    if (await engineAnswers(h)) return true;
    died = started?.exited() ?? false;
    return died;
  }, deadlineMs, 50);
  if (ok && !died) return;
  const what = died ? "exited during startup" : `did not answer within ${deadlineMs} ms`;
  throw new TestbedError("ENGINE_TIMEOUT", `dockerd of ${h.name} ${what}; ${h.logFile} ends with:\n${logTail(h)}`);
}

/** Pids of the host's dockerd and containerd (the processes in the host's own cgroup with that name). */
export function enginePids(h: HostPlan): number[] {
  let procs = "";
  try {
    procs = readFileSync(`${FREEZER}/${h.cgroup}/cgroup.procs`, "utf8");
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const p of procs.split("\n").filter((x) => x.trim() !== "")) {
    try {
      const comm = readFileSync(`/proc/${p}/comm`, "utf8").trim();
      if (comm === "dockerd" || comm === "containerd") pids.push(Number(p));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Crashes the engine: SIGKILL to dockerd and containerd; shims and containers keep running. */
export async function killEngine(h: HostPlan): Promise<void> {
  const pids = enginePids(h);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  const gone = await waitFor(() => enginePids(h).length === 0, 10_000, 20);
  if (!gone) throw new TestbedError("COMMAND_FAILED", `dockerd/containerd of ${h.name} survived SIGKILL for 10 s`);
}
