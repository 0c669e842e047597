/**
 * Starting the agent in the background for `swarm init` and `swarm join` (as dockerd would already be
 * running for Docker's): spawns `swarm agent` detached with the same flags, logging to
 * `<data-dir>/agent.log`, and waits until it answers on its socket.
 */
import { existsSync, fchmodSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { SwarmError } from "../../internal/api/index.ts";
import type { AgentClient } from "../../internal/client/index.ts";
import type { AgentConfig } from "../../internal/config/index.ts";

/** argv that runs this same program: the compiled binary, or `bun cmd/swarm/main.ts` in development. */
export function selfArgv(): string[] {
  const compiled = Bun.main.startsWith("/$bunfs/") || Bun.main.startsWith("B:/~BUN/");
  return compiled ? [process.execPath] : [process.execPath, Bun.main];
}

async function waitForAgent(client: AgentClient, child: { exitCode: number | null }, logFile: string, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (await client.ping()) return;
    if (child.exitCode !== null) {
      const tail = (await Bun.file(logFile).text().catch(() => "")).trim().split("\n").slice(-3).join("\n");
      throw SwarmError.unavailable(`the agent exited (code ${child.exitCode}) before answering; its log (${logFile}) ends with:\n${tail}`);
    }
    await Bun.sleep(5); // the agent answers ~50 ms after it starts
  }
  throw SwarmError.unavailable(`the agent did not answer on ${client.socketPath} within ${deadlineMs / 1000}s; see ${logFile}`);
}

/** Starts the agent unless one answers already. Returns whether this call started it. */
export async function ensureAgent(cfg: AgentConfig, client: AgentClient, listen?: string): Promise<boolean> {
  if (await client.ping()) return false;
  mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
  const logFile = join(cfg.dataDir, "agent.log");
  const args = [...selfArgv(), "agent", "--data-dir", cfg.dataDir, "--socket", cfg.socketPath, "--docker-host", cfg.dockerHost, "--log-file", logFile];
  if (cfg.advertiseAddr) args.push("--advertise-addr", cfg.advertiseAddr);
  if (listen) args.push("--listen-addr", listen);
  args.push("--mesh-backend", cfg.meshBackend);
  if (cfg.dockerApi !== undefined) args.push("--docker-api", cfg.dockerApi);
  if (cfg.web !== undefined) args.push("--web", cfg.web);
  const fd = openSync(logFile, "a", 0o600);
  fchmodSync(fd, 0o600); // an older file keeps its mode otherwise
  const child = Bun.spawn(args, { stdio: ["ignore", fd, fd], detached: true, env: process.env });
  child.unref();
  await waitForAgent(client, child, logFile, 15000);
  return true;
}

/** Stops an agent this command started (its cluster could not be created or joined). */
export async function stopStartedAgent(client: AgentClient, removeState: boolean): Promise<void> {
  await client.call("POST", "/shutdown", { removeState }).catch(() => undefined);
  const until = Date.now() + 10_000;
  while (Date.now() < until && (await client.ping())) await Bun.sleep(20);
}

/**
 * `init` and `join` on a data dir that already holds a cluster whose agent is not running (it was
 * stopped, or crashed): starting an agent there would resume that cluster, and the old advice
 * (`swarm leave --force`) destroyed it. Say how to start its agent again instead; nothing is started.
 */
export async function refuseIfClusterWithoutAgent(cfg: AgentConfig, client: AgentClient, command: string): Promise<void> {
  if (!existsSync(join(cfg.dataDir, "node.json")) || (await client.ping())) return;
  const args = ["swarm agent", `--data-dir ${cfg.dataDir}`, `--socket ${cfg.socketPath}`, `--docker-host ${cfg.dockerHost}`];
  throw SwarmError.conflict(
    `this node already belongs to a swarm (its state is in ${cfg.dataDir}), but its agent is not running: it stopped or crashed. ` +
      `Start the agent again to resume that swarm: \`${args.join(" ")} --log-file ${join(cfg.dataDir, "agent.log")} &\` ` +
      `(or through your service manager, e.g. \`systemctl start swarm\`). Nothing was changed. ` +
      `To ${command} another swarm, start that agent and run \`swarm leave\` first; deleting ${cfg.dataDir} loses this node's cluster state.`,
  );
}
