/**
 * `swarm init`: start the agent in the background (unless one already answers on the socket), create
 * the cluster with this node as its first manager, and print what `swarm join` needs.
 */
import { one } from "../../../internal/cli/index.ts";
import { AgentClient } from "../../../internal/client/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";
import { ensureAgent, refuseIfClusterWithoutAgent, stopStartedAgent } from "../start-agent.ts";
import { agentConfigFrom, AGENT_FLAGS } from "./agent.ts";

export const initCmd: Command = {
  name: "init",
  summary: "Initialize a swarm with this node as its first manager (starts the agent)",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm init [OPTIONS]\n\nStart the agent in the background and create a cluster with this node as its manager.", AGENT_FLAGS.filter((d) => d.name !== "log-file"));
    if (!p) return 0;
    const cfg = agentConfigFrom(p, ctx);
    const client = new AgentClient(cfg.socketPath);
    await refuseIfClusterWithoutAgent(cfg, client, "create");
    const started = await ensureAgent(cfg, client, one(p, "listen-addr"));
    let res: { nodeId: string; workerToken: string; address: string };
    try {
      res = await client.call("POST", "/init", {});
    } catch (err) {
      // A cluster we could not create leaves nothing behind: stop the agent we started.
      if (started) await stopStartedAgent(client, false);
      throw err;
    }
    ctx.out(
      `Swarm initialized: current node (${res.nodeId.slice(0, 25)}) is now a manager.\n\n` +
        `To add a worker to this swarm, run the following command:\n\n` +
        `    swarm join --token ${res.workerToken} ${res.address}\n\n` +
        `To add a manager to this swarm, run 'swarm join-token manager' and follow the instructions.\n\n` +
        `Agent: unix://${cfg.socketPath}, data in ${cfg.dataDir}, Docker at ${cfg.dockerHost}\n`,
    );
    return 0;
  },
};
