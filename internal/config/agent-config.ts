/**
 * The agent's configuration: one type, its defaults, and a validator. Flags override env, env
 * overrides defaults (see cmd/swarm/commands/agent.ts).
 */
import { dirname, isAbsolute, join } from "node:path";
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
  /**
   * The Docker-compatible API (`--docker-api unix:///path`, env SWARM_DOCKER_API): its unix socket, or
   * "" for none. Unset: `docker.sock` beside the agent's socket (/run/swarm/docker.sock by default),
   * so agents with their own --socket never share one.
   */
  dockerApi?: string;
  /** The web page and /metrics (`--web ADDR:PORT`, env SWARM_WEB); "" for none. Unset: DEFAULT_WEB. */
  web?: string;
}

export type MeshBackendChoice = "auto" | "ipvs" | "nftables" | "userspace";
export const MESH_BACKENDS: readonly MeshBackendChoice[] = ["auto", "ipvs", "nftables", "userspace"];

export const DEFAULT_DATA_DIR = "/var/lib/swarm";
export const DEFAULT_SOCKET = "/run/swarm/swarm.sock";
export const DEFAULT_LISTEN_PORT = 2377;
/**
 * The visualizer page and /metrics listen on loopback by default: they need no login, and the page
 * shows the cluster's layout (hosts, services, images) to whoever reaches it. Port 2378 sits beside
 * the cluster's 2377 and clear of the ports services usually publish (8080, 80, 9090). Reach it from
 * elsewhere with `--web 0.0.0.0:2378` (a Prometheus on another host, a dashboard on the LAN).
 */
export const DEFAULT_WEB = "127.0.0.1:2378";

/** The Docker engine's own socket path when --docker-host is a unix socket. */
function engineSocket(c: AgentConfig): string | undefined {
  return c.dockerHost.startsWith("unix://") ? c.dockerHost.slice("unix://".length) : undefined;
}

/**
 * The Docker-compatible API's socket path, or undefined when it is off. The default, `docker.sock`
 * beside the agent's socket, is never the Docker engine's own socket (an agent with
 * `--socket /var/run/swarm.sock`, or a test bed host whose dockerd listens beside it): then it is
 * `swarm-docker.sock` there.
 */
export function dockerApiSocket(c: AgentConfig): string | undefined {
  if (c.dockerApi === "") return undefined;
  if (c.dockerApi !== undefined) return socketFromHost(c.dockerApi);
  const beside = join(dirname(c.socketPath), "docker.sock");
  return beside === engineSocket(c) ? join(dirname(c.socketPath), "swarm-docker.sock") : beside;
}

/** `--web ADDR:PORT` → where to listen, or undefined when it is off. */
export function webListen(c: AgentConfig): { hostname: string; port: number } | undefined {
  const v = c.web ?? DEFAULT_WEB;
  if (v === "") return undefined;
  return parseWebAddr(v);
}

export function parseWebAddr(v: string): { hostname: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([\w.-]*)):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw SwarmError.invalid(`--web must look like 127.0.0.1:2378, 0.0.0.0:2378 or :2378 (or "" for no web page), got "${v}"`);
  return { hostname: m[1] ?? (m[2] || "0.0.0.0"), port };
}

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
    ...(env.SWARM_DOCKER_API !== undefined ? { dockerApi: env.SWARM_DOCKER_API } : {}),
    ...(env.SWARM_WEB !== undefined ? { web: env.SWARM_WEB } : {}),
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
  if (c.dockerApi !== undefined && c.dockerApi !== "") {
    const p = /^unix:\/\//.test(c.dockerApi) ? c.dockerApi.slice(7) : c.dockerApi;
    if (!isAbsolute(p)) throw SwarmError.invalid(`--docker-api must look like unix:///run/swarm/docker.sock (or "" for none), got "${c.dockerApi}"`);
    if (p === c.socketPath) throw SwarmError.invalid(`--docker-api must differ from the agent's --socket (${c.socketPath})`);
    if (p === engineSocket(c)) {
      throw SwarmError.invalid(`--docker-api must differ from the Docker engine's socket (--docker-host ${c.dockerHost}): choose e.g. unix:///run/swarm/docker.sock`);
    }
  }
  if (c.web !== undefined && c.web !== "") parseWebAddr(c.web);
  if (!MESH_BACKENDS.includes(c.meshBackend)) {
    throw SwarmError.invalid(`--mesh-backend (or SWARM_MESH_BACKEND) must be one of ${MESH_BACKENDS.join(", ")}, got "${c.meshBackend}"`);
  }
  return c;
}
