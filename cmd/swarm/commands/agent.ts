/** `swarm agent`: run the daemon in the foreground (for systemd, and what `swarm init` starts). */
import { one, type FlagDef } from "../../../internal/cli/index.ts";
import { createLogSink } from "../../../internal/logs/index.ts";
import { defaultConfig, parseListenAddr, socketFromHost, validateConfig, type AgentConfig } from "../../../internal/config/index.ts";
import type { Command, Ctx } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

export const AGENT_FLAGS: FlagDef[] = [
  { name: "data-dir", kind: "string", value: "path", help: "Where state lives (default /var/lib/swarm, env SWARM_DATA_DIR)" },
  { name: "socket", kind: "string", value: "path", help: "API socket (default /run/swarm/swarm.sock, env SWARM_HOST)" },
  { name: "docker-host", kind: "string", value: "addr", help: "Docker Engine API (default DOCKER_HOST, else unix:///var/run/docker.sock)" },
  { name: "advertise-addr", kind: "string", value: "ip", help: "Address other nodes reach this one at" },
  { name: "listen-addr", kind: "string", value: "[addr:]port", help: "UDP port of this node's cluster transport (default 2377)" },
  { name: "mesh-backend", kind: "string", value: "name", help: "Routing mesh: auto|ipvs|nftables|userspace (default auto, env SWARM_MESH_BACKEND)" },
  { name: "docker-api", kind: "string", value: "unix:///path", help: 'Serve the Docker Engine API (swarm part) here; "" for none (default docker.sock beside --socket, env SWARM_DOCKER_API)' },
  { name: "web", kind: "string", value: "addr:port", help: 'Serve the visualizer page and /metrics here; "" for none (default 127.0.0.1:2378, env SWARM_WEB)' },
  { name: "log-file", kind: "string", value: "path", help: "Write the agent's log here instead of stdout" },
];

export function agentConfigFrom(p: ReturnType<typeof parseOrHelp> & {}, ctx: Ctx): AgentConfig {
  const cfg = defaultConfig();
  cfg.socketPath = socketFromHost(ctx.socket) ?? cfg.socketPath;
  const dataDir = one(p, "data-dir");
  if (dataDir) cfg.dataDir = dataDir;
  const socket = one(p, "socket");
  if (socket) cfg.socketPath = socketFromHost(socket)!;
  const dh = one(p, "docker-host");
  if (dh) cfg.dockerHost = dh;
  const la = one(p, "listen-addr");
  if (la) {
    const l = parseListenAddr(la);
    cfg.listenPort = l.port;
    // `--listen-addr ADDR:PORT` without --advertise-addr: other nodes reach us there.
    if (l.host && l.host !== "0.0.0.0" && !one(p, "advertise-addr")) cfg.advertiseAddr = l.host;
  }
  const aa = one(p, "advertise-addr");
  if (aa) cfg.advertiseAddr = aa.replace(/:\d+$/, "");
  const da = one(p, "docker-api");
  if (da !== undefined) cfg.dockerApi = da;
  const web = one(p, "web");
  if (web !== undefined) cfg.web = web;
  const mb = one(p, "mesh-backend");
  if (mb) cfg.meshBackend = mb as AgentConfig["meshBackend"];
  return validateConfig(cfg);
}

export const agentCmd: Command = {
  name: "agent",
  summary: "Run the swarm agent in the foreground",
  async run(argv, ctx) {
    // Before anything creates a file: whatever the caller's umask, what the agent makes is private
    // (the socket is opened up to 0660 once bound; see internal/daemon/data-dir.ts).
    process.umask(0o077);
    const p = parseOrHelp(ctx, argv, "Usage:  swarm agent [OPTIONS]\n\nRun the swarm agent (daemon) in the foreground.", AGENT_FLAGS);
    if (!p) return 0;
    const cfg = agentConfigFrom(p, ctx);
    const logFile = one(p, "log-file");
    // Loaded here, not at the top: every other command starts faster without the daemon's modules.
    const [{ default: pino }, { startDaemon, prepareDataDir }] = await Promise.all([import("pino"), import("../../../internal/daemon/index.ts")]);
    prepareDataDir(cfg.dataDir); // before the logger: agent.log usually lives there
    // A log file that cannot be written (a full disk) drops lines; it never stops the agent.
    const log = pino({ base: undefined, level: process.env.SWARM_LOG_LEVEL || "info" }, logFile ? createLogSink(logFile) : pino.destination(1));
    // The last line of defence: an error that escaped every handler (an engine call's stray error
    // event, a bug) is logged and the agent carries on; one bad request or task must not take down
    // the node, and a stored spec that fails must not fail again on every start.
    process.on("uncaughtException", (err) => log.error({ err }, "an error escaped its handler; the agent carries on"));
    process.on("unhandledRejection", (err) => log.error({ err }, "a rejected promise had no handler; the agent carries on"));
    if (log.isLevelEnabled("debug")) watchEventLoop(log);
    let daemon;
    try {
      daemon = await startDaemon(cfg, log);
    } catch (err) {
      log.error({ err }, "agent failed to start");
      throw err;
    }
    const stop = () => void daemon.stop();
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    await daemon.done;
    return 0;
  },
};


/**
 * Debug only: logs each time the event loop answered a 20 ms timer more than 50 ms late, with the
 * CPU this process used meanwhile: about as much CPU as lag means JS kept the loop busy; much less
 * means the process waited (descheduled on a loaded machine, or a synchronous system call).
 */
function watchEventLoop(log: { debug(obj: object, msg: string): void }): void {
  let last = performance.now();
  let cpu = process.cpuUsage();
  setInterval(() => {
    const now = performance.now();
    const lag = now - last - 20;
    const used = process.cpuUsage(cpu);
    if (lag > 50) log.debug({ lagMs: Math.round(lag), cpuMs: Math.round((used.user + used.system) / 1000) }, "event loop lagged");
    last = now;
    cpu = process.cpuUsage();
  }, 20).unref();
}
