/** `swarm join`: joining other nodes lands with the cluster transport; this build says so plainly. */
import { SwarmError } from "../../../internal/api/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

export const joinCmd: Command = {
  name: "join",
  summary: "Join a cluster as a node (not available in this build)",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm join [OPTIONS] HOST:PORT\n\nJoin a cluster as a node.", [
      { name: "token", kind: "string", help: "Token for entry into the swarm" },
    ]);
    if (!p) return 0;
    throw new SwarmError(
      "UNAVAILABLE",
      "joining a multi-node cluster is not available in this build yet (one-node clusters only): run `swarm init` on this host instead",
    );
  },
};
