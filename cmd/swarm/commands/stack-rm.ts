/**
 * `swarm stack rm STACK [STACK...]`: removes every service of each stack, then the secrets and configs
 * the stack created (its namespace label; external ones are not the stack's), as Docker does.
 */
import { SwarmError, type Config, type SecretView, type ServiceView } from "../../../internal/api/index.ts";
import { stackFiles, stackServices } from "../../../internal/stack/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

export const stackRmCmd: Command = {
  name: "rm",
  summary: "Remove one or more stacks",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm stack rm STACK [STACK...]\n\nRemove one or more stacks.", []);
    if (!p) return 0;
    if (p.args.length === 0) throw SwarmError.invalid(`"swarm stack rm" requires at least 1 argument: STACK`);
    const all = (await ctx.client.call<ServiceView[]>("GET", "/services")).map((v) => v.Service);
    for (const stack of p.args) {
      const services = stackServices(stack, all).sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name));
      const secrets = stackFiles(stack, await ctx.client.call<SecretView[]>("GET", "/secrets"));
      const configs = stackFiles(stack, await ctx.client.call<Config[]>("GET", "/configs"));
      if (services.length === 0 && secrets.length === 0 && configs.length === 0) {
        ctx.err(`Nothing found in stack: ${stack}\n`);
        continue;
      }
      for (const s of services) ctx.out(`Removing service ${s.Spec.Name}\n`);
      if (services.length) await ctx.client.call("POST", "/services/remove", { refs: services.map((s) => s.ID) });
      for (const [kind, list] of [["secret", secrets], ["config", configs]] as const) {
        if (!list.length) continue;
        for (const x of list) ctx.out(`Removing ${kind} ${x.Spec.Name}\n`);
        await ctx.client.call("POST", `/${kind}s/remove`, { refs: list.map((x) => x.ID) });
      }
    }
    return 0;
  },
};
