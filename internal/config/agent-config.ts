/**
 * The agent's configuration: one type, its defaults, and a validator. Flags override env, env
 * overrides defaults (see cmd/swarm/commands/agent.ts).
 */
import { isAbsolute } from "node:path";
import { SwarmError } from "../api/index.ts";

export interface AgentConfig {
  /** Where the store (Raft-shaped log + snapshots), the node identity and archived logs live. */
  dataDir: string;
  /** Unix socket the CLI talks to (HTTP + JSON). */
  socketPath: string;
  /** Docker Engine API address: unix:///path or tcp://host:port. */
  dockerHost: string;
  /** Address other nodes reach this one at; defaults to the first non-loopback IPv4. */
  advertiseAddr?: string;
  /**
   * UDP port of this node's DHT (`--listen-addr [ADDR:]PORT`): where other nodes reach it, and, on
   * managers, where joining nodes and restarted nodes bootstrap. Unset: what the node joined with, else
   * 2377, Docker Swarm's port.
   */
  listenPort?: number;
  /** Routing-mesh backend: auto (IPVS, else nftables, else userspace) or one of them explicitly. */
  meshBackend: MeshBackendChoice;
  /** How often the leader loop reconciles even without changes (time-based restart policy). */
  reconcileTickMs: number;
}

export type MeshBackendChoice = "auto" | "ipvs" | "nftables" | "userspace";
export const MESH_BACKENDS: readonly MeshBackendChoice[] = ["auto", "ipvs", "nftables", "userspace"];

export const DEFAULT_DATA_DIR = "/var/lib/swarm";
export const DEFAULT_SOCKET = "/run/swarm/swarm.sock";
export const DEFAULT_LISTEN_PORT = 2377;

/** `--listen-addr`: `PORT`, `ADDR:PORT` or `ADDR` → the port (the DHT binds the advertise address). */
export function parseListenAddr(v: string): { host?: string; port: number } {
  const m = /^(?:([\w.-]+):)?(\d{1,5})$/.exec(v) ?? /^([\w.-]+)$/.exec(v);
  if (!m) throw SwarmError.invalid(`--listen-addr must look like 0.0.0.0:2377, 2377 or an address, got "${v}"`);
  const port = m[2] !== undefined ? Number(m[2]) : DEFAULT_LISTEN_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw SwarmError.invalid(`--listen-addr port must be 0-65535, got "${v}"`);
  return { host: m[1], port };
}

export function defaultDockerHost(env: Record<string, string | undefined> = process.env): string {
  return env.DOCKER_HOST || "unix:///var/run/docker.sock";
}

export function defaultConfig(env: Record<string, string | undefined> = process.env): AgentConfig {
  return {
    dataDir: env.SWARM_DATA_DIR || DEFAULT_DATA_DIR,
    socketPath: socketFromHost(env.SWARM_HOST) ?? DEFAULT_SOCKET,
    dockerHost: defaultDockerHost(env),
    advertiseAddr: env.SWARM_ADVERTISE_ADDR || undefined,
    meshBackend: (env.SWARM_MESH_BACKEND || "auto") as MeshBackendChoice,
    // 1 s: restart delays are whole seconds in practice, and a tick is cheap on a small cluster.
    reconcileTickMs: 1000,
  };
}

/** `unix:///run/swarm/swarm.sock` or a bare path → the socket path. */
export function socketFromHost(host: string | undefined): string | undefined {
  if (!host) return undefined;
  if (host.startsWith("unix://")) return host.slice("unix://".length);
  if (host.startsWith("/")) return host;
  throw SwarmError.invalid(`unsupported host "${host}": use unix:///path/to/swarm.sock`);
}

export function validateConfig(c: AgentConfig): AgentConfig {
  if (!isAbsolute(c.dataDir)) throw SwarmError.invalid(`--data-dir must be an absolute path, got "${c.dataDir}"`);
  if (!isAbsolute(c.socketPath)) throw SwarmError.invalid(`--socket must be an absolute path, got "${c.socketPath}"`);
  if (!/^(unix:\/\/\/|tcp:\/\/|http:\/\/)/.test(c.dockerHost)) {
    throw SwarmError.invalid(`--docker-host must look like unix:///var/run/docker.sock or tcp://host:2375, got "${c.dockerHost}"`);
  }
  if (c.advertiseAddr !== undefined && !/^[\w.:-]+$/.test(c.advertiseAddr)) {
    throw SwarmError.invalid(`--advertise-addr must be an IP address or host name, got "${c.advertiseAddr}"`);
  }
  if (!MESH_BACKENDS.includes(c.meshBackend)) {
    throw SwarmError.invalid(`--mesh-backend (or SWARM_MESH_BACKEND) must be one of ${MESH_BACKENDS.join(", ")}, got "${c.meshBackend}"`);
  }
  return c;
}
