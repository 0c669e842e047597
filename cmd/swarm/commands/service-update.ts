/** `swarm service update [OPTIONS] SERVICE`. */
import { SwarmError } from "../../../internal/api/index.ts";
import { bool, updateServiceWithRetry } from "../../../internal/cli/index.ts";
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
    // Based on the version read; re-read and re-applied if another update landed first.
    const { ID } = await updateServiceWithRetry(ctx.client, ref, (svc) => buildUpdateSpec(svc.Spec, p));
    ctx.out(`${ref}\n`);
    if (!bool(p, "detach")) await waitForConvergence(ctx, ID, bool(p, "quiet"));
    return 0;
  },
};
