/** `swarm leave --force`: stop the agent, remove this node's containers and its state. */
import { SwarmError } from "../../../internal/api/index.ts";
import { bool } from "../../../internal/cli/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

export const leaveCmd: Command = {
  name: "leave",
  summary: "Leave the cluster: stop the agent and remove its state",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm leave [OPTIONS]\n\nLeave the cluster: stop the agent, remove this node's containers and state.", [
      { name: "force", short: "f", kind: "bool", help: "Force this node to leave the swarm (required on the last manager)" },
    ]);
    if (!p) return 0;
    if (!bool(p, "force")) {
      throw SwarmError.invalid("this node is the last manager: leaving removes the cluster and its state; use --force to confirm");
    }
    await ctx.client.call("POST", "/shutdown", { removeState: true });
    const until = Date.now() + 30000;
    while (Date.now() < until && (await ctx.client.ping())) await Bun.sleep(20);
    if (await ctx.client.ping()) throw SwarmError.unavailable("the agent did not stop within 30s; see its agent.log");
    ctx.out("Node left the swarm.\n");
    return 0;
  },
};
