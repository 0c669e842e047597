/**
 * What the bench reads straight from the hosts, the same way for both systems: containers through
 * each host's Docker Engine API (a fetch over its socket, no CLI process per poll), and a
 * process's resident memory from /proc.
 */
import { existsSync, readFileSync } from "node:fs";
import type { TestbedHost } from "../../../test/testbed/index.ts";

interface ContainerSummary {
  Id: string;
  State: string;
  Labels: Record<string, string>;
}

async function engineGet<T>(h: TestbedHost, path: string): Promise<T> {
  const res = await fetch(`http://docker${path}`, { unix: h.socketPath, signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${h.name}: GET ${path} → ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Running containers on `h` whose `label` is `value`; 0 when the engine does not answer (host off). */
export async function runningWithLabel(h: TestbedHost, label: string, value: string): Promise<number> {
  if (!existsSync(h.socketPath)) return 0;
  const filters = encodeURIComponent(JSON.stringify({ label: [`${label}=${value}`], status: ["running"] }));
  try {
    return (await engineGet<ContainerSummary[]>(h, `/containers/json?filters=${filters}`)).length;
  } catch {
    return 0;
  }
}

/** Sum of runningWithLabel over `hosts`, asked in parallel. */
export async function runningOn(hosts: readonly TestbedHost[], label: string, value: string): Promise<number> {
  const counts = await Promise.all(hosts.map((h) => runningWithLabel(h, label, value)));
  return counts.reduce((a, b) => a + b, 0);
}

/** Force-removes every container on `h` (the bed runs nothing else). Resolves once none is left. */
export async function removeAllContainers(h: TestbedHost): Promise<void> {
  const all = await engineGet<ContainerSummary[]>(h, "/containers/json?all=1");
  await Promise.all(all.map(async (c) => {
    const res = await fetch(`http://docker/containers/${c.Id}?force=1&v=1`, { method: "DELETE", unix: h.socketPath, signal: AbortSignal.timeout(30_000) });
    await res.text();
    // 404: removed meanwhile (the orchestrator's own cleanup); 409: removal already in progress.
    if (!res.ok && res.status !== 404 && res.status !== 409) throw new Error(`${h.name}: removing container ${c.Id.slice(0, 12)} → ${res.status}`);
  }));
}

/** Resident memory of `pid` in bytes, or null if it is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The command line of `pid` as argv, or null if it is gone. */
export function cmdline(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((a) => a !== "");
  } catch {
    return null;
  }
}

/** True while `pid` runs (a zombie waiting to be reaped counts as dead). */
export function alive(pid: number): boolean {
  try {
    return !/^State:\s+[ZX]/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}
