/** `swarm service update [OPTIONS] SERVICE`. */
import { SwarmError } from "../../../internal/api/index.ts";
import { bool, updateServiceWithRetry } from "../../../internal/cli/index.ts";
import { buildUpdateSpec, UPDATE_FLAGS } from "../../../internal/spec/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";
import { waitForConvergence } from "../progress.ts";
import { rollbackService } from "./service-rollback.ts";

export const serviceUpdateCmd: Command = {
  name: "update",
  summary: "Update a service",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm service update [OPTIONS] SERVICE\n\nUpdate a service.", UPDATE_FLAGS);
    if (!p) return 0;
    if (p.args.length !== 1) throw SwarmError.invalid(`"swarm service update" requires exactly 1 argument: SERVICE (see --help)`);
    const ref = p.args[0]!;
    if (bool(p, "rollback")) {
      const others = [...p.flags.keys(), ...p.bools.keys()].filter((f) => !["rollback", "detach", "quiet"].includes(f));
      if (others.length) throw SwarmError.invalid(`--rollback cannot be combined with --${others[0]}: roll back first, then update`);
      await rollbackService(ctx, ref, bool(p, "detach"), bool(p, "quiet"));
      return 0;
    }
    // Based on the version read; re-read and re-applied if another update landed first.
    let since: string | undefined;
    const { ID } = await updateServiceWithRetry(ctx.client, ref, (svc) => {
      since = svc.UpdateStatus?.StartedAt;
      return buildUpdateSpec(svc.Spec, p);
    });
    ctx.out(`${ref}\n`);
    if (!bool(p, "detach")) await waitForConvergence(ctx, ID, bool(p, "quiet"), since);
    return 0;
  },
};
