/**
 * The agent's real dependencies (internal/agent `AgentDeps`): the Hyperswarm transport with the node
 * key in the data dir, Raft on bun:sqlite in `<data-dir>/raft.db`, the Docker engine through dockerode,
 * the log archive in `<data-dir>/logs`.
 */
import { existsSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import type { Logger } from "pino";
import type { NodeDescription } from "../api/index.ts";
import type { AgentDeps } from "../agent/index.ts";
import type { AgentConfig } from "../config/index.ts";
import { dockerRuntime } from "../executor/index.ts";
import { createFileLogArchive, dockerLogSource, type LogArchive } from "../logs/index.ts";
import { createHyperswarmTransport, keyPairFromSeed, loadOrCreateKeySeed, nodeIdOf, startBootstrapNode } from "../transport/index.ts";
import { dockerClient, engineFacts } from "./docker.ts";

async function freeUdpPort(host: string): Promise<number> {
  const s = await Bun.udpSocket({ hostname: host, port: 0 });
  const port = s.port;
  s.close();
  return port;
}

/** A killed node is noticed by its peers' transports within this (keepalives every third of it). */
const DEAD_PEER_MS = 3000;

export function realDeps(cfg: AgentConfig, log: Logger): AgentDeps & { docker: Docker; archive: LogArchive } {
  const seed = loadOrCreateKeySeed(cfg.dataDir);
  const nodeId = nodeIdOf(keyPairFromSeed(seed).publicKey);
  const docker = dockerClient(cfg.dockerHost);
  const raftDb = join(cfg.dataDir, "raft.db");
  let described: NodeDescription | undefined;
  const tlog = log.child({ component: "transport" });
  return {
    nodeId,
    docker,
    async startBootstrap(host, port, peers) {
      const b = await startBootstrapNode({ host, port: port === 0 ? await freeUdpPort(host) : port, bootstrap: peers, waitBootstrapped: false });
      return { port: b.address.port, close: () => b.close() };
    },
    transport: async (setup) => {
      return createHyperswarmTransport({
        ...setup,
        dataDir: cfg.dataDir,
        keySeed: seed,
        deadPeerTimeoutMs: DEAD_PEER_MS,
        log: {
          debug: (o, m) => tlog.debug(o, m),
          info: (o, m) => tlog.info(o, m),
          warn: (o, m) => tlog.warn(o, m),
          error: (o, m) => tlog.error(o, m),
        },
      });
    },
    // Raft's code is loaded on managers only.
    openRaftStorage: async () => new (await import("../raft/index.ts")).SqliteStorage(raftDb),
    dropRaftStorage: () => {
      for (const f of [raftDb, `${raftDb}-wal`, `${raftDb}-shm`]) rmSync(f, { force: true });
    },
    runtime: dockerRuntime(docker),
    logs: dockerLogSource(docker),
    /**
     * What the node's session tells the leader. While Docker does not answer, the last description
     * (or, for a node of a cluster restarted with Docker down, a minimal one) with Engine.Unreachable
     * saying why: the session opens anyway and `node ls` shows the engine as unreachable. Before the
     * node belongs to a cluster (init, join) an unreachable engine is an error: nothing is created.
     */
    async describe(): Promise<NodeDescription> {
      try {
        const f = await engineFacts(docker, cfg.dockerHost);
        described = {
          Hostname: hostname() || f.hostname,
          Platform: { Architecture: f.arch, OS: f.os },
          Resources: { NanoCPUs: f.nanoCpus, MemoryBytes: f.memoryBytes },
          Engine: { EngineVersion: f.version },
        };
        return described;
      } catch (err) {
        if (!described && !existsSync(join(cfg.dataDir, "node.json"))) throw err;
        const base: NodeDescription = described ?? {
          Hostname: hostname(),
          Platform: { Architecture: process.arch === "x64" ? "x86_64" : process.arch, OS: "linux" },
          Resources: { NanoCPUs: 0, MemoryBytes: 0 },
          Engine: { EngineVersion: "" },
        };
        return { ...base, Engine: { ...base.Engine, Unreachable: (err as Error).message } };
      }
    },
    archive: createFileLogArchive(`${cfg.dataDir}/logs`),
  };
}
