/**
 * Cluster benchmark: ours vs Docker Swarm side by side on the same 5 test-bed hosts (the same
 * dockerds), in one run. See scenario.ts for what (a)-(d) measure; report.ts for the targets.
 *
 *   scripts/bench/cluster/run [--rounds N] [--only swarm|ours] [--join sequential|parallel] [--no-build] [--keep]
 *
 * --rounds N   rounds per system (default 1); each system alternates going first; medians reported
 * --only X     run one side: `swarm` = Docker Swarm only (ours is not built or run), `ours` = ours only
 * --join       how the 4 nodes join in (a): one after another (default) or all at once
 * --no-build   use dist/swarm as it is (by default it is rebuilt first, ~1 s; $SWARM_BIN, if set, is used as is)
 * --trace DIR  record where the time of (a) and (b) goes (engine events, CPU, ours' agent logs) into DIR
 *              (trace.ts; same as $SWARM_BENCH_TRACE). Run with SWARM_LOG_LEVEL=debug for ours' timings.
 * --until STEP stop each round after (a) (`join`) or (b) (`create`): e.g. to profile the agents, which then
 *              leave gracefully (BUN_OPTIONS="--cpu-prof --cpu-prof-dir=D" writes a profile per process)
 * --keep       leave the bed up at the end (inspect it with `SWARM_TESTBED_NAME=bench-cluster scripts/testbed status`)
 *
 * Between systems every host is booted again and the system that ran leaves and is cleaned off the
 * engines (state, containers). Ends with scripts/bench/cluster/control-plane.ts if present (the
 * one-process control-plane bench). Needs root and what the test bed needs (docs/testbed.md).
 */
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { Testbed, unsupportedReason } from "../../../test/testbed/index.ts";
import { swarmBinary } from "../../../test/cli/fixture.ts";
import { dockerSwarm } from "./docker-swarm.ts";
import { ours } from "./ours.ts";
import { formatReport, formatRss, type Column } from "./report.ts";
import { runRound } from "./scenario.ts";
import type { ClusterSystem } from "./system.ts";

const root = resolve(import.meta.dir, "../../..");
const BED = "bench-cluster";
const HOSTS = 5;
// No registry on the bed: without this, every Swarm task first tries to pull and waits ~20 s for DNS
// to time out in the hosts' namespaces. Ours pulls only images that are missing; this is the same.
const DOCKERD_ENV = { DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: "1" };

interface Args {
  rounds: number;
  only: "swarm" | "ours" | null;
  join: "sequential" | "parallel";
  /** Rebuild dist/swarm before running ours (unless $SWARM_BIN names a binary). */
  build: boolean;
  keep: boolean;
  until?: "join" | "create";
}

const USAGE = "usage: scripts/bench/cluster/run [--rounds N] [--only swarm|ours] [--join sequential|parallel] [--no-build] [--keep] [--trace DIR] [--until join|create]";

function parseArgs(argv: string[]): Args {
  const a: Args = { rounds: 1, only: null, join: "sequential", build: true, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) fail(`${f} needs a value`);
      return v;
    };
    if (f === "--rounds") a.rounds = Number(val());
    else if (f === "--only") a.only = val() as Args["only"];
    else if (f === "--join") a.join = val() as Args["join"];
    else if (f === "--no-build") a.build = false;
    else if (f === "--keep") a.keep = true;
    else if (f === "--until") a.until = val() as Args["until"];
    else if (f === "--trace") process.env.SWARM_BENCH_TRACE = resolve(val());
    else if (f === "-h" || f === "--help") { console.log(USAGE); process.exit(0); }
    else fail(`unknown argument ${f}`);
  }
  if (!Number.isInteger(a.rounds) || a.rounds < 1) fail("--rounds must be a positive integer");
  if (a.only !== null && a.only !== "swarm" && a.only !== "ours") fail("--only must be swarm (Docker Swarm) or ours");
  if (a.join !== "sequential" && a.join !== "parallel") fail("--join must be sequential or parallel");
  if (a.until !== undefined && a.until !== "join" && a.until !== "create") fail("--until must be join or create");
  return a;
}

function fail(msg: string): never {
  console.error(`${msg}\n${USAGE}`);
  process.exit(2);
}

const log = (line: string): void => console.error(line);

/** Runs scripts/build.ts (its output goes to stderr, with the progress). */
async function buildBinary(): Promise<void> {
  const p = Bun.spawn([process.execPath, join(root, "scripts/build.ts")], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  log((out + err).trim());
  if (code !== 0) throw new Error(`scripts/build.ts exited ${code}: ${err.trim().split("\n").slice(-1)[0] ?? ""}`);
}

/** Boots every host again (after power-off / engine kill) and cleans `sys` off the engines. */
async function restore(bed: Testbed, sys: ClusterSystem): Promise<void> {
  for (const h of bed.hosts) await bed.start(h);
  await sys.clean(bed);
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const why = unsupportedReason();
  if (why) {
    console.error(`cannot run the cluster benchmark here: ${why}`);
    return 2;
  }
  const teardown = async (sig: string) => {
    console.error(`\n${sig}: tearing down the bed`);
    await Testbed.destroy({ name: BED });
    process.exit(130);
  };
  process.on("SIGINT", () => void teardown("SIGINT"));
  process.on("SIGTERM", () => void teardown("SIGTERM"));

  const swarmCol: Column = { name: "Docker Swarm", who: "Docker Swarm", rounds: [] };
  const oursCol: Column = { name: "swarm", who: "ours", rounds: [] };
  const systems: { sys: ClusterSystem; col: Column }[] = [];
  if (args.only === "ours") swarmCol.unavailable = "not run: --only ours";
  else systems.push({ sys: dockerSwarm(), col: swarmCol });
  if (args.only === "swarm") oursCol.unavailable = "not run: --only swarm";
  else {
    try {
      if (args.build && !process.env.SWARM_BIN) await buildBinary();
      const bin = await swarmBinary();
      log(`ours: ${bin} (built ${statSync(bin).mtime.toISOString()})`);
      systems.push({ sys: ours(bin), col: oursCol });
    } catch (e) {
      oursCol.unavailable = `no binary: ${(e as Error).message}`;
      log(`ours: not available (${oursCol.unavailable})`);
    }
  }

  log(`bringing up bed "${BED}" with ${HOSTS} hosts`);
  let bed = await Testbed.up({ name: BED, hosts: HOSTS, dockerdEnv: DOCKERD_ENV });
  try {
    log(`engine: ${(await bed.hosts[0]!.dockerOk(["version", "--format", "{{.Server.Version}}"]))}`);
    for (let i = 0; i < args.rounds; i++) {
      const order = i % 2 === 0 ? systems : [...systems].reverse();
      for (const { sys, col } of order) {
        if (col.unavailable !== undefined) continue;
        log(`round ${i + 1}/${args.rounds}: ${sys.name}`);
        const r = await runRound(bed, sys, i, { join: args.join, stepTimeoutMs: 180_000, log, ...(args.until ? { until: args.until } : {}) });
        if (r.failure?.refused && col.rounds.length === 0) {
          col.unavailable = r.failure.message;
          log(`${col.who}: not available (${r.failure.message})`);
        } else col.rounds.push(r);
        try {
          await restore(bed, sys);
        } catch (e) {
          log(`cleaning ${sys.name} off the bed failed (${(e as Error).message}): bringing the bed up again`);
          await bed.down();
          bed = await Testbed.up({ name: BED, hosts: HOSTS, dockerdEnv: DOCKERD_ENV });
        }
      }
    }
  } finally {
    if (args.keep) log(`bed "${BED}" kept; remove it with: SWARM_TESTBED_NAME=${BED} node_modules/.bin/bun scripts/testbed down`);
    else await bed.down();
  }

  console.log(formatReport(oursCol, swarmCol, args.rounds));
  if (oursCol.unavailable === undefined) {
    console.log(formatRss("agent RSS, idle 5-node cluster (after (a))", oursCol.rounds, "idle", 60));
    console.log(formatRss("agent RSS, 20 tasks running (after (b))", oursCol.rounds, "loaded", 60));
  }
  if (swarmCol.unavailable === undefined && swarmCol.rounds.length > 0) {
    console.log(formatRss("for reference, dockerd RSS (engine + Swarm) after (a)", swarmCol.rounds, "idle"));
    console.log(formatRss("for reference, dockerd RSS (engine + Swarm) after (b)", swarmCol.rounds, "loaded"));
  }

  const cp = join(import.meta.dir, "control-plane.ts");
  if (existsSync(cp)) {
    console.log("\n== control plane, one process (scripts/bench/cluster/control-plane.ts) ==");
    const p = Bun.spawn([process.execPath, cp], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
    const code = await p.exited;
    if (code !== 0) console.log(`control-plane.ts exited ${code}`);
  } else {
    console.log("\ncontrol plane: scripts/bench/cluster/control-plane.ts not present");
  }
  return 0;
}

process.exit(await main());
