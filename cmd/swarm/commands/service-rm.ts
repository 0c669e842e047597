/** `swarm service rm SERVICE [SERVICE...]`: all or nothing — an unknown name removes none. */
import { SwarmError } from "../../../internal/api/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

export const serviceRmCmd: Command = {
  name: "rm",
  summary: "Remove one or more services",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm service rm SERVICE [SERVICE...]\n\nRemove one or more services.", []);
    if (!p) return 0;
    if (p.args.length === 0) throw SwarmError.invalid(`"swarm service rm" requires at least 1 argument: SERVICE`);
    await ctx.client.call("POST", "/services/remove", { refs: p.args });
    ctx.out(p.args.map((a) => a + "\n").join(""));
    return 0;
  },
};
