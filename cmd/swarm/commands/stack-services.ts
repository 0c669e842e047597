/**
 * `swarm stack services STACK` and `swarm stack ps STACK`: `service ls` / `service ps` of the stack's
 * services (Docker's columns and flags), or "Nothing found in stack: STACK".
 */
import { SwarmError, type ServiceView } from "../../../internal/api/index.ts";
import { parseFlags, type FlagDef } from "../../../internal/cli/index.ts";
import { STACK_LABEL, stackServices } from "../../../internal/stack/index.ts";
import type { Command, Ctx } from "../context.ts";
import { parseOrHelp } from "../parse.ts";
import { serviceLsCmd } from "./service-ls.ts";
import { servicePsCmd } from "./service-ps.ts";

const COMMON: FlagDef[] = [
  { name: "quiet", short: "q", kind: "bool", help: "Only display IDs" },
  { name: "filter", short: "f", kind: "list", value: "filter", help: "Filter output based on conditions provided" },
  { name: "format", kind: "string", help: 'Format output ("json")' },
  { name: "no-trunc", kind: "bool", help: "Do not truncate output" },
];

/** The flags as given, without the STACK argument (passed on to the service command). */
function splitStack(argv: string[], cmd: string): { stack: string; rest: string[] } {
  const p = parseFlags(argv, [...COMMON, { name: "help", kind: "bool", help: "" }]);
  if (p.args.length !== 1) throw SwarmError.invalid(`"swarm stack ${cmd}" requires exactly 1 argument: STACK (see --help)`);
  const stack = p.args[0]!;
  const i = argv.lastIndexOf(stack);
  return { stack, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
}

async function servicesOf(ctx: Ctx, stack: string) {
  return stackServices(stack, (await ctx.client.call<ServiceView[]>("GET", "/services")).map((v) => v.Service));
}

export const stackServicesCmd: Command = {
  name: "services",
  summary: "List the services in the stack",
  async run(argv, ctx) {
    if (!parseOrHelp(ctx, argv, "Usage:  swarm stack services [OPTIONS] STACK\n\nList the services in the stack.", COMMON)) return 0;
    const { stack, rest } = splitStack(argv, "services");
    if ((await servicesOf(ctx, stack)).length === 0) {
      ctx.err(`Nothing found in stack: ${stack}\n`);
      return 0;
    }
    return serviceLsCmd.run([...rest, "--filter", `label=${STACK_LABEL.namespace}=${stack}`], ctx);
  },
};

export const stackPsCmd: Command = {
  name: "ps",
  summary: "List the tasks in the stack",
  async run(argv, ctx) {
    if (!parseOrHelp(ctx, argv, "Usage:  swarm stack ps [OPTIONS] STACK\n\nList the tasks in the stack.", COMMON)) return 0;
    const { stack, rest } = splitStack(argv, "ps");
    const services = await servicesOf(ctx, stack);
    if (services.length === 0) {
      ctx.err(`Nothing found in stack: ${stack}\n`);
      return 0;
    }
    return servicePsCmd.run([...rest, "--", ...services.map((s) => s.ID)], ctx);
  },
};
