/** `swarm service rollback [OPTIONS] SERVICE`: back to the spec before the last update. */
import { SwarmError, type ServiceView } from "../../../internal/api/index.ts";
import { bool } from "../../../internal/cli/index.ts";
import type { Command, Ctx } from "../context.ts";
import { parseOrHelp } from "../parse.ts";
import { waitForConvergence } from "../progress.ts";

/** Shared with `service update --rollback`: rolls back and (unless detached) follows the rollback. */
export async function rollbackService(ctx: Ctx, ref: string, detach: boolean, quiet: boolean): Promise<void> {
  const { Service } = await ctx.client.call<ServiceView>("GET", `/services/${encodeURIComponent(ref)}`);
  const since = Service.UpdateStatus?.StartedAt;
  const { ID } = await ctx.client.call<{ ID: string }>("POST", `/services/${encodeURIComponent(Service.ID)}/rollback`, { version: Service.Version.Index });
  ctx.out(`${ref}\n`);
  if (!detach) await waitForConvergence(ctx, ID, quiet, since);
}

export const serviceRollbackCmd: Command = {
  name: "rollback",
  summary: "Revert changes to a service's configuration",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm service rollback [OPTIONS] SERVICE\n\nRevert changes to a service's configuration.", [
      { name: "detach", short: "d", kind: "bool", help: "Exit immediately instead of waiting for the service to converge" },
      { name: "quiet", short: "q", kind: "bool", help: "Suppress progress output" },
    ]);
    if (!p) return 0;
    if (p.args.length !== 1) throw SwarmError.invalid(`"swarm service rollback" requires exactly 1 argument: SERVICE (see --help)`);
    await rollbackService(ctx, p.args[0]!, bool(p, "detach"), bool(p, "quiet"));
    return 0;
  },
};
