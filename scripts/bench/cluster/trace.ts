/**
 * Optional tracing of the bench (`--trace DIR` or $SWARM_BENCH_TRACE): where the time of a step goes,
 * read the same way for both systems. For a traced step it records
 *   - every container event of every host's engine in the step's window (GET /events?since&until:
 *     create/start times of each container, how many each host created/started and how close together),
 *   - CPU used in the window per host (the host's cpuacct cgroup: engine, shims, containers, and ours'
 *     agent, which lives in the host's cgroup) and by each control-plane process (/proc/PID/stat),
 * and writes `<dir>/<system>-r<round>-<step>.json` plus a one-line summary per host to the log.
 * Ours' agent logs are copied to the trace dir before the bed is cleaned (ours.ts `clean`).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestbedHost } from "../../../test/testbed/index.ts";

export const traceDir = (): string | undefined => process.env.SWARM_BENCH_TRACE || undefined;

export interface EngineEvent {
  host: string;
  /** Milliseconds since the step's start (t0). */
  atMs: number;
  action: string;
  id: string;
  name: string;
}

interface RawEvent {
  Action?: string;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/** Container events of `h` between two wall-clock times (ms), relative to t0Wall. */
async function eventsOf(h: TestbedHost, fromWall: number, toWall: number, t0Wall: number): Promise<EngineEvent[]> {
  const filters = encodeURIComponent(JSON.stringify({ type: ["container"] }));
  const q = `since=${(fromWall / 1000).toFixed(3)}&until=${(toWall / 1000 + 1).toFixed(3)}&filters=${filters}`;
  try {
    const res = await fetch(`http://docker/events?${q}`, { unix: h.socketPath, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    const out: EngineEvent[] = [];
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      const e = JSON.parse(line) as RawEvent;
      const atWall = (e.timeNano ?? 0) / 1e6;
      if (atWall > toWall) continue;
      out.push({ host: h.name, atMs: Math.round(atWall - t0Wall), action: (e.Action ?? "").split(":")[0]!, id: (e.Actor?.ID ?? "").slice(0, 12), name: e.Actor?.Attributes?.name ?? "" });
    }
    return out;
  } catch (e) {
    return [{ host: h.name, atMs: -1, action: `error: ${(e as Error).message}`, id: "", name: "" }];
  }
}

const cpuacct = (h: TestbedHost): number => {
  try {
    return Number(readFileSync(`/sys/fs/cgroup/cpuacct/${h.plan.cgroup}/cpuacct.usage`, "utf8").trim()) / 1e6;
  } catch {
    return NaN;
  }
};

/** utime + stime of `pid` (and its reaped children's) in ms. */
const procCpu = (pid: number | null): number => {
  if (pid === null) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
};

const dockerdPid = (h: TestbedHost): number | null => {
  try {
    return Number(readFileSync(h.plan.pidFile, "utf8").trim()) || null;
  } catch {
    return null;
  }
};

export interface StepTrace {
  /** Call right after the step's clock stopped; writes the trace and returns summary lines. */
  finish(elapsedMs: number): Promise<string[]>;
}

/**
 * Starts tracing a step whose clock starts now (call right before t0). `pidOf` names each host's
 * control-plane process (ours' agent / dockerd).
 */
export function traceStep(hosts: readonly TestbedHost[], label: string, pidOf: (h: TestbedHost) => number | null): StepTrace | undefined {
  const dir = traceDir();
  if (!dir) return undefined;
  const t0Wall = Date.now();
  const before = hosts.map((h) => ({ cg: cpuacct(h), pid: pidOf(h), proc: procCpu(pidOf(h)), engine: dockerdPid(h), engineCpu: procCpu(dockerdPid(h)) }));
  return {
    async finish(elapsedMs) {
      const toWall = Date.now();
      const cpu = hosts.map((h, i) => ({
        host: h.name,
        cgroupMs: Math.round(cpuacct(h) - before[i]!.cg),
        controlPlaneMs: Math.round(procCpu(before[i]!.pid) - before[i]!.proc),
        dockerdMs: Math.round(procCpu(before[i]!.engine) - before[i]!.engineCpu),
      }));
      const events = (await Promise.all(hosts.map((h) => eventsOf(h, t0Wall, toWall, t0Wall)))).flat().sort((a, b) => a.atMs - b.atMs);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${label}.json`), JSON.stringify({ label, t0Wall, elapsedMs, cpu, events }, null, 1));
      return summarize(label, elapsedMs, cpu, events);
    },
  };
}

function summarize(label: string, elapsedMs: number, cpu: { host: string; cgroupMs: number; controlPlaneMs: number; dockerdMs: number }[], events: EngineEvent[]): string[] {
  const lines = [`trace ${label}: ${elapsedMs.toFixed(0)} ms`];
  for (const c of cpu) {
    const mine = events.filter((e) => e.host === c.host);
    const at = (a: string) => mine.filter((e) => e.action === a).map((e) => e.atMs);
    const creates = at("create");
    const starts = at("start");
    const gaps: number[] = [];
    for (const e of mine.filter((x) => x.action === "start")) {
      const cr = mine.find((x) => x.action === "create" && x.id === e.id);
      if (cr) gaps.push(e.atMs - cr.atMs);
    }
    const span = (xs: number[]) => (xs.length ? `${Math.min(...xs)}..${Math.max(...xs)}` : "-");
    lines.push(`  ${c.host}: cpu: control plane ${c.controlPlaneMs} ms, dockerd ${c.dockerdMs} ms, cgroup ${c.cgroupMs} ms; create ${creates.length} at ${span(creates)}; ` +
      `start ${starts.length} at ${span(starts)}; create→start ${span(gaps)} ms`);
  }
  return lines;
}

/** Copies `src` into the trace dir as `name` (best effort). */
export function keepFile(src: string, name: string): void {
  const dir = traceDir();
  if (!dir) return;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), readFileSync(src));
  } catch {
    // nothing to keep
  }
}

/** Saves `docker inspect` of one container of `h` with `label`=`value` (what the system asked the engine for). */
export async function keepInspect(h: TestbedHost, label: string, value: string, name: string): Promise<void> {
  const dir = traceDir();
  if (!dir) return;
  try {
    const filters = encodeURIComponent(JSON.stringify({ label: [`${label}=${value}`] }));
    const list = (await (await fetch(`http://docker/containers/json?filters=${filters}`, { unix: h.socketPath })).json()) as { Id: string }[];
    if (!list[0]) return;
    const info = await (await fetch(`http://docker/containers/${list[0].Id}/json`, { unix: h.socketPath })).text();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), info);
  } catch {
    // best effort
  }
}

/** CPU of every control-plane process over `ms` of idling (a traced round only). */
export async function traceIdle(hosts: readonly TestbedHost[], label: string, pidOf: (h: TestbedHost) => number | null, ms: number): Promise<string[]> {
  const t = traceStep(hosts, label, pidOf);
  if (!t) return [];
  await Bun.sleep(ms);
  return t.finish(ms);
}
