/**
 * One round of the cluster benchmark for one system on a 5-host bed (h1 initialises; h2, h3 join as
 * managers, h4, h5 as workers). Each measurement starts its clock right before the action and stops
 * when a poll (every POLL_MS, no fixed sleeps) first sees the condition:
 *   (a) 4 nodes join            → `node ls` on h1 shows 5 nodes Ready, h1-h3 Leader or Reachable
 *   (b) create 20 replicas      → 20 containers of the service run (counted on the engines)
 *   (c) power off worker h5     → `node ls` on h1 shows it Down / 20 containers run on h1..h4
 *   (d) SIGKILL the leader's control plane → another manager accepts a write
 * RSS of every control-plane process is read once settled after (a) (idle) and after (b).
 */
import type { Testbed, TestbedHost } from "../../../test/testbed/index.ts";
import { waitUntil } from "../../../test/harness/index.ts";
import { rssBytes, runningOn, runningWithLabel } from "./engine.ts";
import { CommandFailed, type ClusterSystem, type JoinTokens } from "./system.ts";
import { keepInspect, traceIdle, traceStep } from "./trace.ts";

export const POLL_MS = 50;
export const REPLICAS = 20;
const SERVICE = "web";

export type StepKey = "join" | "create" | "down" | "moved" | "failover";

export interface RoundResult {
  /** Milliseconds per step; a step that failed or did not run is absent. */
  ms: Partial<Record<StepKey, number>>;
  /**
   * Why a step did not finish (the first failure ends the round). `refused`: a command of init,
   * join-token or join exited non-zero, i.e. the system cannot form a cluster at all.
   */
  failure?: { step: StepKey | "init"; message: string; refused: boolean };
  /** Control-plane RSS per host once settled, bytes: after (a) (no service yet) and after (b) (20 tasks). */
  rss: { idle: HostRss[]; loaded: HostRss[] };
  notes: string[];
}

export interface HostRss {
  host: string;
  /** 0 when no control-plane process was found on the host. */
  bytes: number;
}

export interface RoundOptions {
  /** Join the 4 nodes one after another (like a user at each host) or all at once. */
  join: "sequential" | "parallel";
  /** Stop the round after this step (profiling a part of it: the agents then leave gracefully). */
  until?: "join" | "create";
  /** Deadline of each wait. */
  stepTimeoutMs: number;
  log: (line: string) => void;
}

const elapsed = (t0: number): number => performance.now() - t0;

/**
 * Polls `cond` every POLL_MS until true; returns the milliseconds since t0 at the end of the poll that
 * saw it (so each poll's own cost counts against the system measured), plus a note on the polls.
 */
async function timeUntil(what: string, t0: number, cond: () => Promise<boolean>, timeoutMs: number, notes: string[]): Promise<number> {
  let polls = 0;
  let pollMs = 0;
  await waitUntil(what, async () => {
    const p0 = performance.now();
    try {
      return (await cond()) || undefined;
    } finally {
      polls++;
      pollMs += performance.now() - p0;
    }
  }, timeoutMs, POLL_MS);
  const ms = elapsed(t0);
  notes.push(`${what}: ${ms.toFixed(0)} ms, ${polls} polls of ${(pollMs / polls).toFixed(0)} ms on average`);
  return ms;
}

/** A failure that belongs to a given step (the two waits of (c) fail separately). */
class StepFailed extends Error {
  constructor(readonly step: StepKey, cause: Error) {
    super(cause.message);
  }
}

interface Round {
  bed: Testbed;
  sys: ClusterSystem;
  opts: RoundOptions;
  res: RoundResult;
  hosts: [TestbedHost, TestbedHost, TestbedHost, TestbedHost, TestbedHost];
  /** `<system>-r<round>`: names this round's traces (trace.ts). */
  label: string;
}

export async function runRound(bed: Testbed, sys: ClusterSystem, round: number, opts: RoundOptions): Promise<RoundResult> {
  const res: RoundResult = { ms: {}, rss: { idle: [], loaded: [] }, notes: [] };
  const label = `${sys.name === "swarm" ? "ours" : "docker"}-r${round + 1}`;
  const r: Round = { bed, sys, opts, res, hosts: bed.hosts as Round["hosts"], label };
  let step: StepKey | "init" = "init";
  try {
    const tokens = await initCluster(r);
    step = "join";
    await joinFour(r, tokens);
    res.rss.idle = await settledRss(bed, sys);
    if (opts.until === "join") return res;
    for (const line of await traceIdle(bed.hosts, `${label}-idle`, (h) => sys.agentPid(h), 3000)) opts.log(`  ${line}`);
    step = "create";
    await createReplicas(r);
    res.rss.loaded = await settledRss(bed, sys);
    if (opts.until === "create") return res;
    step = "down";
    await powerOffWorker(r);
    step = "failover";
    await killLeader(r, round);
  } catch (e) {
    const err = e as Error;
    const failedStep = err instanceof StepFailed ? err.step : step;
    const refused = err instanceof CommandFailed && (step === "init" || step === "join");
    const message = refused ? `${err.argv.slice(0, 2).join(" ")} refused: ${err.output.trim().split("\n")[0]}` : err.message;
    res.failure = { step: failedStep, refused, message };
    opts.log(`  failed at ${failedStep}: ${err.message}`);
  }
  return res;
}

/** init on h1 (not timed into (a)) and the join tokens. */
async function initCluster({ sys, res, hosts: [h1] }: Round): Promise<JoinTokens> {
  const t0 = performance.now();
  await sys.init(h1);
  res.notes.push(`init on h1 took ${elapsed(t0).toFixed(0)} ms (not part of (a))`);
  return sys.joinTokens(h1);
}

/** (a) h2, h3 join as managers, h4, h5 as workers, until node ls shows all 5 Ready and 3 managers up. */
async function joinFour({ bed, sys, res, opts, label, hosts: [h1, h2, h3, h4, h5] }: Round, tokens: JoinTokens): Promise<void> {
  const joiners: [TestbedHost, string][] = [[h2, tokens.manager], [h3, tokens.manager], [h4, tokens.worker], [h5, tokens.worker]];
  const trace = traceStep(bed.hosts, `${label}-join`, (h) => sys.agentPid(h));
  const t0 = performance.now();
  const each: string[] = [];
  const joinOne = async (h: TestbedHost, t: string) => {
    const j0 = performance.now();
    await sys.join(h, t, h1);
    each.push(`${h.name} ${(j0 - t0).toFixed(0)}..${elapsed(t0).toFixed(0)}`);
  };
  if (opts.join === "parallel") await Promise.all(joiners.map(([h, t]) => joinOne(h, t)));
  else for (const [h, t] of joiners) await joinOne(h, t);
  res.notes.push(`join commands (ms since t0): ${each.join(", ")}`);
  res.notes.push(`join commands (${opts.join}) returned after ${elapsed(t0).toFixed(0)} ms`);
  const managers = [h1.name, h2.name, h3.name];
  res.ms.join = await timeUntil("5 nodes Ready (h1-h3 Leader or Reachable)", t0, async () => {
    const rows = await sys.nodeLs(h1);
    const managersUp = rows.filter((r) => managers.includes(r.hostname) && ["Leader", "Reachable"].includes(r.managerStatus));
    return rows.length === 5 && rows.every((r) => r.status === "Ready") && managersUp.length === 3;
  }, opts.stepTimeoutMs, res.notes);
  opts.log(`  (a) ${res.ms.join.toFixed(0)} ms`);
  for (const line of (await trace?.finish(res.ms.join)) ?? []) opts.log(`  ${line}`);
}

/** (b) service create --replicas 20 on h1 until 20 of its containers run on the engines. */
async function createReplicas({ bed, sys, res, opts, label, hosts: [h1] }: Round): Promise<void> {
  const trace = traceStep(bed.hosts, `${label}-create`, (h) => sys.agentPid(h));
  const t0 = performance.now();
  await sys.createService(h1, SERVICE, REPLICAS);
  res.notes.push(`service create returned after ${elapsed(t0).toFixed(0)} ms`);
  res.ms.create = await timeUntil(`${REPLICAS} replicas running`, t0,
    async () => (await runningOn(bed.hosts, sys.serviceLabel, SERVICE)) === REPLICAS, opts.stepTimeoutMs, res.notes);
  opts.log(`  (b) ${res.ms.create.toFixed(0)} ms`);
  for (const line of (await trace?.finish(res.ms.create)) ?? []) opts.log(`  ${line}`);
  await keepInspect(h1, sys.serviceLabel, SERVICE, `${label}-container.json`);
}

/** (c) power off worker h5; two clocks from the same start: shown Down on h1, and 20 running on h1-h4. */
async function powerOffWorker({ bed, sys, res, opts, hosts: [h1, , , , victim] }: Round): Promise<void> {
  const onVictim = await runningWithLabel(victim, sys.serviceLabel, SERVICE);
  res.notes.push(`${victim.name} ran ${onVictim} of the ${REPLICAS} tasks when powered off`);
  const survivors = bed.hosts.filter((h) => h !== victim);
  const t0 = performance.now();
  await bed.poweroff(victim);
  res.notes.push(`bed.poweroff(${victim.name}) itself took ${elapsed(t0).toFixed(0)} ms (inside (c))`);
  const [down, moved] = await Promise.allSettled([
    timeUntil(`${victim.name} shown Down`, t0,
      async () => (await sys.nodeLs(h1)).find((r) => r.hostname === victim.name)?.status === "Down", opts.stepTimeoutMs, res.notes),
    timeUntil(`${REPLICAS} replicas running on ${survivors.map((h) => h.name).join(",")}`, t0,
      async () => (await runningOn(survivors, sys.serviceLabel, SERVICE)) === REPLICAS, opts.stepTimeoutMs, res.notes),
  ]);
  if (down.status === "fulfilled") res.ms.down = down.value;
  if (moved.status === "fulfilled") res.ms.moved = moved.value;
  if (down.status === "rejected") throw new StepFailed("down", down.reason as Error);
  if (moved.status === "rejected") throw new StepFailed("moved", moved.reason as Error);
  opts.log(`  (c) Down ${res.ms.down!.toFixed(0)} ms, tasks elsewhere ${res.ms.moved!.toFixed(0)} ms`);
}

/**
 * (d) SIGKILL the leader's control plane, then send writes (a 0-replica service create) to another
 * live manager until one is accepted. A write the CLI holds until a leader exists counts as one poll.
 */
async function killLeader({ bed, sys, res, opts, hosts: [h1, , , , victim] }: Round, round: number): Promise<void> {
  const rows = await sys.nodeLs(h1);
  const leader = bed.hosts.find((h) => h.name === rows.find((r) => r.managerStatus === "Leader")?.hostname);
  if (!leader) throw new Error(`no Leader in node ls: ${JSON.stringify(rows)}`);
  const managers = rows.filter((r) => r.managerStatus !== "").map((r) => r.hostname);
  const target = bed.hosts.find((h) => h !== leader && h !== victim && managers.includes(h.name));
  if (!target) throw new Error(`no manager besides ${leader.name} to write to (managers: ${managers.join(",")})`);
  let attempts = 0;
  let firstRefusal: string | undefined;
  const t0 = performance.now();
  await sys.killAgent(bed, leader);
  res.ms.failover = await timeUntil(`a write accepted by ${target.name}`, t0, async () => {
    attempts++;
    try {
      await sys.write(target, `probe${round}x${attempts}`, 30_000);
    } catch (e) {
      firstRefusal ??= (e as Error).message;
      throw e;
    }
    return true;
  }, opts.stepTimeoutMs, res.notes);
  res.notes.push(`leader ${leader.name} killed; writes sent to ${target.name}` +
    (firstRefusal ? `; ${attempts - 1} refused, the first with: ${firstRefusal}` : ""));
  opts.log(`  (d) ${res.ms.failover.toFixed(0)} ms`);
}

/**
 * RSS of every host's control-plane process once the cluster is idle: sampled every 500 ms until two
 * samples in a row move less than 1 MB on every host (at most 15 s), then the last sample.
 */
async function settledRss(bed: Testbed, sys: ClusterSystem): Promise<HostRss[]> {
  const sample = () => bed.hosts.map((h) => {
    const pid = sys.agentPid(h);
    return { host: h.name, bytes: pid === null ? 0 : rssBytes(pid) ?? 0 };
  });
  let last: HostRss[] | null = null;
  try {
    await waitUntil("control-plane RSS to settle", () => {
      const now = sample();
      const prev = last;
      last = now;
      const settled = prev !== null && now.every((s, i) => Math.abs(s.bytes - prev[i]!.bytes) < 1 << 20);
      return settled || undefined;
    }, 15_000, 500);
  } catch {
    // still moving after 15 s: report the last sample
  }
  return last ?? sample();
}
