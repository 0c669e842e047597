/** `swarm service update [OPTIONS] SERVICE`. */
import { SwarmError } from "../../../internal/api/index.ts";
import { bool } from "../../../internal/cli/index.ts";
import type { ServiceView } from "../../../internal/api/index.ts";
import { buildUpdateSpec, UPDATE_FLAGS } from "../../../internal/spec/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";
import { waitForConvergence } from "../progress.ts";

export const serviceUpdateCmd: Command = {
  name: "update",
  summary: "Update a service",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm service update [OPTIONS] SERVICE\n\nUpdate a service.", UPDATE_FLAGS);
    if (!p) return 0;
    if (p.args.length !== 1) throw SwarmError.invalid(`"swarm service update" requires exactly 1 argument: SERVICE (see --help)`);
    const ref = p.args[0]!;
    const { Service } = await ctx.client.call<ServiceView>("GET", `/services/${encodeURIComponent(ref)}`);
    const spec = buildUpdateSpec(Service.Spec, p);
    const { ID } = await ctx.client.call<{ ID: string }>("POST", `/services/${encodeURIComponent(Service.ID)}/update`, { spec });
    ctx.out(`${ref}\n`);
    if (!bool(p, "detach")) await waitForConvergence(ctx, ID, bool(p, "quiet"));
    return 0;
  },
};
