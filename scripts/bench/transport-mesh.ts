#!/usr/bin/env bun
/**
 * Mesh half of `scripts/bench/transport`: time from process start to full mesh for 3 and 10 node
 * processes on 127.0.0.1..N with a private bootstrap (node 0). Targets: ≤ 1 s (3), ≤ 3 s (10).
 *
 * "Full mesh" = every process has every other one admitted (the `mesh` event of
 * `__transport-node`); "exchanged" = every process also got a response from every peer. Times are
 * on the parent's clock from the first spawn, so they include Bun's start-up and module loading;
 * `child` is the slowest process's own clock (ms since its start) at its mesh event.
 *
 * Runs the nodes under Bun, or the compiled binary with SWARM_BIN=dist/swarm (or --bin PATH).
 * Usage: scripts/bench/transport-mesh.ts [--runs N] [--bin PATH]; or via scripts/bench/transport mesh.
 */
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { ProcCluster, binaryNodeCommand, bunNodeCommand } from "../../test/fixtures/transport/procs.ts";
import { freeUdpPort } from "../../test/transport/helpers.ts";

const TARGET_MS: Record<number, number> = { 3: 1000, 10: 3000 };

interface Run {
  meshMs: number;
  exchangedMs: number;
  childMs: number;
  /** Median CPU time (user+sys) a node process had used when it reached the mesh. */
  cpuMs: number;
}

/** CPU ms (user+sys) used so far by a process, from /proc (clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = f.slice(f.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

async function once(command: string[], n: number): Promise<Run> {
  const port = await freeUdpPort("127.0.0.1");
  const c = new ProcCluster(command, [`127.0.0.1:${port}`]);
  try {
    const t0 = performance.now();
    const nodes = [...Array(n).keys()].map((i) =>
      c.spawn(`node${i}`, { host: `127.0.0.${i + 1}`, port: i === 0 ? port : undefined, dataDir: c.dataDir(`n${i}`), expect: n - 1 }),
    );
    const meshAt = await Promise.all(
      nodes.map(async (p) => {
        const e = await p.waitFor("mesh", (ev) => ev.event === "mesh", 60_000);
        return { parent: p.arrivals[p.events.indexOf(e)]! - t0, child: e.t, cpu: cpuMsOf(p.proc.pid) };
      }),
    );
    const exchangedAt = await Promise.all(
      nodes.map(async (p) => {
        for (;;) {
          const ok = new Set(p.events.filter((e) => e.event === "pong" && e.ok).map((e) => e.peer));
          if (ok.size >= n - 1) return p.arrivals[p.events.length - 1]! - t0;
          await p.waitFor("pongs", (e) => e.event === "pong", 60_000, p.events.length);
        }
      }),
    );
    return {
      meshMs: Math.max(...meshAt.map((m) => m.parent)),
      exchangedMs: Math.max(...exchangedAt),
      childMs: Math.max(...meshAt.map((m) => m.child)),
      cpuMs: median(meshAt.map((m) => m.cpu)),
    };
  } finally {
    await c.close();
  }
}

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function runMeshBench(argv: string[] = []): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { runs: { type: "string" }, bin: { type: "string" } }, strict: false });
  const runs = Number(values.runs ?? 3);
  const bin = (values.bin as string | undefined) ?? process.env.SWARM_BIN;
  const command = bin ? binaryNodeCommand(bin) : bunNodeCommand();
  const runtime = bin ? `binary ${bin}` : `bun ${Bun.version}`;
  for (const n of [3, 10]) {
    const rs: Run[] = [];
    for (let i = 0; i < runs; i++) rs.push(await once(command, n));
    const m = median(rs.map((r) => r.meshMs));
    const target = TARGET_MS[n]!;
    console.log(
      `mesh n=${n} (${runtime}, ${runs} runs): full mesh median ${Math.round(m)} ms ` +
        `[${rs.map((r) => Math.round(r.meshMs)).join(", ")}], all exchanged median ${Math.round(median(rs.map((r) => r.exchangedMs)))} ms, ` +
        `slowest child's own clock median ${Math.round(median(rs.map((r) => r.childMs)))} ms, ` +
        `CPU per node until mesh median ${Math.round(median(rs.map((r) => r.cpuMs)))} ms; load average ${loadavg()}; target ≤ ${target} ms: ${m <= target ? "MET" : "MISSED"}`,
    );
  }
}

if (import.meta.main) await runMeshBench(process.argv.slice(2));
