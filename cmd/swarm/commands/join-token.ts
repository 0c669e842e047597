/** `swarm join-token [-q] [--rotate] worker|manager`: print (or rotate) a join token, like Docker. */
import { SwarmError } from "../../../internal/api/index.ts";
import { bool } from "../../../internal/cli/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

export const joinTokenCmd: Command = {
  name: "join-token",
  summary: "Manage join tokens",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm join-token [OPTIONS] (worker|manager)\n\nManage join tokens.", [
      { name: "quiet", short: "q", kind: "bool", help: "Only display token" },
      { name: "rotate", kind: "bool", help: "Rotate join token" },
    ]);
    if (!p) return 0;
    const role = p.args[0];
    if (p.args.length !== 1 || (role !== "worker" && role !== "manager")) {
      throw SwarmError.invalid(`"swarm join-token" requires exactly 1 argument: worker or manager`);
    }
    const rotate = bool(p, "rotate");
    const r = await ctx.client.call<{ token: string; address: string }>("GET", `/join-token?role=${role}${rotate ? "&rotate=1" : ""}`);
    if (bool(p, "quiet")) {
      ctx.out(r.token + "\n");
      return 0;
    }
    if (rotate) ctx.out(`Successfully rotated ${role} join token.\n\n`);
    ctx.out(`To add a ${role} to this swarm, run the following command:\n\n    swarm join --token ${r.token} ${r.address}\n\n`);
    return 0;
  },
};
