/** `swarm stack ls`: every stack (services labelled com.docker.stack.namespace) and its service count. */
import { SwarmError, type ServiceView } from "../../../internal/api/index.ts";
import { one, table, type FlagDef } from "../../../internal/cli/index.ts";
import { listStacks } from "../../../internal/stack/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

const FLAGS: FlagDef[] = [{ name: "format", kind: "string", help: 'Format output ("json")' }];

export const stackLsCmd: Command = {
  name: "ls",
  summary: "List stacks",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm stack ls [OPTIONS]\n\nList stacks.", FLAGS);
    if (!p) return 0;
    if (p.args.length) throw SwarmError.invalid(`"swarm stack ls" accepts no arguments`);
    const stacks = listStacks((await ctx.client.call<ServiceView[]>("GET", "/services")).map((v) => v.Service));
    const format = one(p, "format");
    if (format === "json") ctx.out(stacks.map((s) => JSON.stringify({ Name: s.name, Services: String(s.services) }) + "\n").join(""));
    else if (format !== undefined) throw SwarmError.invalid(`unsupported --format "${format}": use json`);
    else ctx.out(table(["NAME", "SERVICES"], stacks.map((s) => [s.name, String(s.services)])));
    return 0;
  },
};
