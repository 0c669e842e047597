/** `swarm service create [OPTIONS] IMAGE [COMMAND] [ARG...]`. */
import { bool } from "../../../internal/cli/index.ts";
import { buildCreateSpec, CREATE_FLAGS } from "../../../internal/spec/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";
import { waitForConvergence } from "../progress.ts";

export const serviceCreateCmd: Command = {
  name: "create",
  summary: "Create a new service",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm service create [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate a new service.", CREATE_FLAGS, { interspersed: false });
    if (!p) return 0;
    const spec = buildCreateSpec(p);
    const { ID } = await ctx.client.call<{ ID: string }>("POST", "/services", { spec });
    ctx.out(ID + "\n");
    if (!bool(p, "detach")) await waitForConvergence(ctx, ID, bool(p, "quiet"));
    return 0;
  },
};
