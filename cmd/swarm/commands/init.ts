/**
 * `swarm init`: start the agent in the background (unless one already answers on the socket), wait
 * until it answers, create the cluster, and print what `swarm join` needs.
 */
import { openSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { SwarmError } from "../../../internal/api/index.ts";
import { AgentClient } from "../../../internal/client/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";
import { agentConfigFrom, AGENT_FLAGS } from "./agent.ts";

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
    await Bun.sleep(20);
  }
  throw SwarmError.unavailable(`the agent did not answer on ${client.socketPath} within ${deadlineMs / 1000}s; see ${logFile}`);
}

export const initCmd: Command = {
  name: "init",
  summary: "Initialize a cluster on this node (starts the agent)",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm init [OPTIONS]\n\nStart the agent in the background and create a cluster with this node as its manager.", AGENT_FLAGS.filter((d) => d.name !== "log-file"));
    if (!p) return 0;
    const cfg = agentConfigFrom(p, ctx);
    const client = new AgentClient(cfg.socketPath);
    let started: ReturnType<typeof Bun.spawn> | undefined;
    if (!(await client.ping())) {
      mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
      const logFile = join(cfg.dataDir, "agent.log");
      const args = [...selfArgv(), "agent", "--data-dir", cfg.dataDir, "--socket", cfg.socketPath, "--docker-host", cfg.dockerHost, "--log-file", logFile];
      if (cfg.advertiseAddr) args.push("--advertise-addr", cfg.advertiseAddr);
      args.push("--mesh-backend", cfg.meshBackend);
      const fd = openSync(logFile, "a");
      started = Bun.spawn(args, { stdio: ["ignore", fd, fd], detached: true, env: process.env });
      started.unref();
      await waitForAgent(client, started, logFile, 15000);
    }
    let res: { clusterId: string; nodeId: string; joinToken: string; advertiseAddr: string };
    try {
      res = await client.call("POST", "/init", { advertiseAddr: cfg.advertiseAddr });
    } catch (err) {
      // A cluster we could not create leaves nothing behind: stop the agent we started.
      if (started) await client.call("POST", "/shutdown", { removeState: false }).catch(() => started!.kill());
      throw err;
    }
    ctx.out(
      `Swarm initialized: current node (${res.nodeId}) is now a manager.\n\n` +
        `To add a worker to this swarm, run the following command:\n\n` +
        `    swarm join --token ${res.joinToken} ${res.advertiseAddr}:2377\n\n` +
        `Agent: unix://${cfg.socketPath}, data in ${cfg.dataDir}, Docker at ${cfg.dockerHost}\n`,
    );
    return 0;
  },
};
