/**
 * `swarm agent`: opens the agent on its data dir, serves the API on the unix socket, and resumes the
 * cluster if this node already belongs to one. Runs until `stop()` (SIGTERM, SIGINT, or `swarm
 * leave`). Stopping leaves the node's containers running, like dockerd restarting; a restarted agent
 * adopts them. Leaving removes them and the state.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import { SwarmError } from "../api/index.ts";
import { Agent } from "../agent/index.ts";
import { dockerApiSocket, webListen, type AgentConfig } from "../config/index.ts";
import { createDockerApiHandler } from "../dockerapi/index.ts";
import { RequestMetrics } from "../metrics/index.ts";
import { Api } from "./api.ts";
import { prepareDataDir, prepareSocketDir, secureSocket } from "./data-dir.ts";
import { realDeps } from "./real-deps.ts";
import { serveApi } from "./http.ts";
import { makeRouter } from "./routes.ts";
import { dockerBackend } from "./docker-backend.ts";
import { optional, removeSocket, serveTcp, serveUnix } from "./listeners.ts";
import { webHandler } from "./web-source.ts";

export interface Daemon {
  api: Api;
  /** The Docker-compatible API's socket and the web address, when they are served. */
  dockerApi?: string;
  web?: { hostname: string; port: number };
  /** Resolves when the agent has stopped (after `stop()` or a `leave`). */
  done: Promise<void>;
  stop(): Promise<void>;
}

async function socketAnswers(path: string): Promise<boolean> {
  try {
    const res = await fetch("http://localhost/_ping", { unix: path, signal: AbortSignal.timeout(1000) } as RequestInit);
    return res.ok;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  // A killed agent whose parent never reaps it stays a zombie: that is not a running agent.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

/** One agent per data dir: `<data-dir>/agent.pid` names the running one. */
function claimDataDir(dataDir: string): string {
  const pidFile = join(dataDir, "agent.pid");
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw SwarmError.conflict(`another swarm agent (pid ${pid}) uses the data directory ${dataDir}: stop it first, or use another --data-dir`);
    }
  }
  writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
  return pidFile;
}

export function firstAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

export async function startDaemon(cfg: AgentConfig, log: Logger): Promise<Daemon> {
  prepareDataDir(cfg.dataDir);
  prepareSocketDir(cfg.socketPath);
  if (existsSync(cfg.socketPath)) {
    if (await socketAnswers(cfg.socketPath)) {
      throw SwarmError.conflict(`another swarm agent already answers on ${cfg.socketPath}: stop it first, or use --socket`);
    }
    rmSync(cfg.socketPath, { force: true }); // stale, left by a killed agent
  }
  const pidFile = claimDataDir(cfg.dataDir);
  const deps = realDeps(cfg, log);
  const agent = new Agent(
    { dataDir: cfg.dataDir, advertiseAddr: cfg.advertiseAddr, defaultAddr: firstAddress(), listenPort: cfg.listenPort, meshBackend: cfg.meshBackend },
    deps,
    log,
  );
  const api = new Api(agent, cfg, deps.docker, deps.archive, log);

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopping: Promise<void> | undefined;
  let server: ReturnType<typeof Bun.serve> | undefined;
  const stop = (removeState = false) =>
    (stopping ??= (async () => {
      await agent.close();
      await api.forgotten.flush().catch((err) => log.warn({ err }, "writing the index of archived task logs failed"));
      // The last log line comes before the data dir goes: the log file lives in it, and writing
      // after the removal would create the directory again.
      log.info({ removeState }, "agent stopped");
      // State goes before the socket stops answering: whoever asked for the shutdown waits for
      // that, and must then find nothing left on disk (a failed join leaves no data dir).
      dockerServer?.stop(true);
      webServer?.stop(true);
      removeSocket(dockerServer ? dockerSocket : undefined);
      if (removeState) rmSync(cfg.dataDir, { recursive: true, force: true });
      rmSync(pidFile, { force: true });
      rmSync(cfg.socketPath, { force: true });
      server?.stop(true);
      resolveDone();
    })());
  const metrics = new RequestMetrics();
  server = serveApi(cfg.socketPath, metrics.wrap("swarm", makeRouter(api, (rm) => void stop(rm))));
  secureSocket(cfg.socketPath);
  const dockerSocket = dockerApiSocket(cfg);
  const dockerHandler = createDockerApiHandler(dockerBackend(api), {
    onInternalError: (err, method, path) => log.error({ err, method, path }, "internal error answering a Docker API request"),
    onNote: (note, method, path) => log.info({ method, path }, note),
  });
  let dockerServer: ReturnType<typeof Bun.serve> | undefined;
  if (dockerSocket) dockerServer = await optional(log, `the Docker API on ${dockerSocket}`, () => serveUnix(dockerSocket, metrics.wrap("docker", dockerHandler)));
  const web = webListen(cfg);
  let webServer: ReturnType<typeof Bun.serve> | undefined;
  if (web) webServer = await optional(log, `the web page on ${web.hostname}:${web.port}`, () => serveTcp(web.hostname, web.port, metrics.wrap("web", webHandler(api, metrics))));
  const webAt = webServer ? { hostname: web!.hostname, port: webServer.port as number } : undefined;
  api.listeners = { dockerApi: dockerServer ? `unix://${dockerSocket}` : null, web: webAt ? `http://${webAt.hostname.includes(":") ? `[${webAt.hostname}]` : webAt.hostname}:${webAt.port}/` : null };
  log.info({ socket: cfg.socketPath, dataDir: cfg.dataDir, docker: cfg.dockerHost, nodeId: agent.nodeId, dockerApi: dockerServer ? dockerSocket : null, web: webAt ?? null }, "agent listening");
  if (process.env.SWARM_DEBUG_MEMORY) startMemoryDiagnostics(log, Number(process.env.SWARM_DEBUG_MEMORY) || 30_000);
  try {
    await agent.resume();
  } catch (err) {
    log.error({ err }, "resuming the cluster failed; the agent answers, but this node is not running its tasks");
  }
  return { api, done, stop: () => stop(false), dockerApi: dockerServer ? dockerSocket : undefined, web: webAt };
}

/**
 * `SWARM_DEBUG_MEMORY=<ms>`: every <ms>, log the agent's memory and the JS heap's largest object
 * types (finding what an idle agent holds).
 */
function startMemoryDiagnostics(log: Logger, everyMs: number): void {
  const t = setInterval(async () => {
    const { heapStats } = await import("bun:jsc");
    Bun.gc(true);
    const h = heapStats();
    const top = Object.entries(h.objectTypeCounts).sort((a, b) => b[1] - a[1]).slice(0, 25);
    log.info({ memory: process.memoryUsage(), heapSize: h.heapSize, extraMemorySize: h.extraMemorySize, objects: h.objectCount, top }, "memory diagnostics");
  }, everyMs);
  t.unref();
}
