/**
 * `swarm leave [--force]`: leave the cluster. A worker tells the leader, stops and removes its
 * containers and its state. A manager is demoted first so Raft keeps quorum; the last manager (or one
 * whose leaving breaks quorum) needs --force, with Docker's warning.
 */
import { SwarmError } from "../../../internal/api/index.ts";
import { bool } from "../../../internal/cli/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

export const leaveCmd: Command = {
  name: "leave",
  summary: "Leave the swarm",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm leave [OPTIONS]\n\nLeave the swarm: stop this node's containers, remove its state and stop the agent.", [
      { name: "force", short: "f", kind: "bool", help: "Force this node to leave the swarm, ignoring warnings" },
    ]);
    if (!p) return 0;
    const info = await ctx.client.call<{ Cluster: unknown }>("GET", "/info");
    if (!info.Cluster) {
      if (!bool(p, "force")) throw SwarmError.invalid("This node is not part of a swarm");
      await ctx.client.call("POST", "/shutdown", { removeState: true });
    } else {
      await ctx.client.call("POST", "/leave", { force: bool(p, "force") });
    }
    const until = Date.now() + 30000;
    while (Date.now() < until && (await ctx.client.ping())) await Bun.sleep(20);
    if (await ctx.client.ping()) throw SwarmError.unavailable("the agent did not stop within 30s; see its agent.log");
    ctx.out("Node left the swarm.\n");
    return 0;
  },
};
