/**
 * `swarm agent`: opens the store in the data dir, connects to Docker, serves the API on the unix
 * socket, and resumes the cluster if this node already belongs to one. Runs until `stop()` (SIGTERM,
 * SIGINT, or `swarm leave`). Stopping leaves the node's containers running, like dockerd restarting;
 * a restarted agent adopts them. `leave --force` removes them and the state.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import { SwarmError } from "../api/index.ts";
import { openStore } from "../store/index.ts";
import { Cluster, removeDataDir } from "./cluster.ts";
import type { AgentConfig } from "../config/index.ts";
import { dockerClient } from "./docker.ts";
import { loadOrCreateNodeId } from "./identity.ts";
import { makeRouter } from "./routes.ts";

export interface Daemon {
  cluster: Cluster;
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

export async function startDaemon(cfg: AgentConfig, log: Logger): Promise<Daemon> {
  mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
  mkdirSync(dirname(cfg.socketPath), { recursive: true });
  if (existsSync(cfg.socketPath)) {
    if (await socketAnswers(cfg.socketPath)) {
      throw SwarmError.conflict(`another swarm agent already answers on ${cfg.socketPath}: stop it first, or use --socket`);
    }
    rmSync(cfg.socketPath, { force: true }); // stale, left by a killed agent
  }
  const store = await openStore({ path: join(cfg.dataDir, "state.db") });
  const nodeId = loadOrCreateNodeId(cfg.dataDir);
  const cluster = new Cluster(cfg, store, dockerClient(cfg.dockerHost), nodeId, log);
  // idleTimeout 0: `logs --follow` and `--detach=false` watches stay open as long as the CLI wants.
  const server = Bun.serve({ unix: cfg.socketPath, fetch: makeRouter(cluster), idleTimeout: 0 } as unknown as Parameters<typeof Bun.serve>[0]);
  log.info({ socket: cfg.socketPath, dataDir: cfg.dataDir, docker: cfg.dockerHost, nodeId }, "agent listening");

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopping: Promise<void> | undefined;
  const stop = (removeState = false) =>
    (stopping ??= (async () => {
      await cluster.close();
      server.stop(true);
      store.close();
      rmSync(cfg.socketPath, { force: true });
      if (removeState) removeDataDir(cfg.dataDir);
      log.info({ removeState }, "agent stopped");
      resolveDone();
    })());
  cluster.onShutdown = (removeState) => stop(removeState);
  await cluster.resume();
  return { cluster, done, stop: () => stop(false) };
}
