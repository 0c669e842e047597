/** The command tree: `swarm <group> <command>`; each command lives in its own file. */
import { SwarmError } from "../../internal/api/index.ts";
import type { Command, Ctx } from "./context.ts";
import { agentCmd } from "./commands/agent.ts";
import { infoCmd, versionCmd } from "./commands/info.ts";
import { initCmd } from "./commands/init.ts";
import { joinCmd } from "./commands/join.ts";
import { leaveCmd } from "./commands/leave.ts";
import { nodeDemoteCmd, nodeInspectCmd, nodeLsCmd, nodePromoteCmd, nodePsCmd, nodeRmCmd, nodeUpdateCmd } from "./commands/node.ts";
import { joinTokenCmd } from "./commands/join-token.ts";
import { serviceCreateCmd } from "./commands/service-create.ts";
import { serviceInspectCmd } from "./commands/service-inspect.ts";
import { serviceLogsCmd } from "./commands/service-logs.ts";
import { serviceLsCmd } from "./commands/service-ls.ts";
import { servicePsCmd } from "./commands/service-ps.ts";
import { serviceRmCmd } from "./commands/service-rm.ts";
import { serviceRollbackCmd } from "./commands/service-rollback.ts";
import { fileGroups } from "./commands/files.ts";
import { serviceScaleCmd } from "./commands/service-scale.ts";
import { serviceUpdateCmd } from "./commands/service-update.ts";
import { stackDeployCmd } from "./commands/stack-deploy.ts";
import { stackLsCmd } from "./commands/stack-ls.ts";
import { stackRmCmd } from "./commands/stack-rm.ts";
import { stackPsCmd, stackServicesCmd } from "./commands/stack-services.ts";
import { selfcheckCmd } from "./commands/selfcheck.ts";
import { transportNodeCmd } from "./commands/transport-node.ts";
import { completionCmd } from "./commands/completion.ts";
import { installCmd } from "./commands/install.ts";

const groups: Record<string, { summary: string; commands: Command[] }> = {
  service: {
    summary: "Manage services",
    commands: [serviceCreateCmd, serviceInspectCmd, serviceLogsCmd, serviceLsCmd, servicePsCmd, serviceRmCmd, serviceRollbackCmd, serviceScaleCmd, serviceUpdateCmd],
  },
  stack: { summary: "Manage stacks", commands: [stackDeployCmd, stackLsCmd, stackPsCmd, stackRmCmd, stackServicesCmd] },
  ...fileGroups,
  node: { summary: "Manage nodes", commands: [nodeDemoteCmd, nodeInspectCmd, nodeLsCmd, nodePromoteCmd, nodePsCmd, nodeRmCmd, nodeUpdateCmd] },
};
const top: Command[] = [agentCmd, initCmd, joinCmd, joinTokenCmd, leaveCmd, infoCmd, versionCmd, installCmd, completionCmd];

/** The visible commands, for `swarm completion`. */
export function commandTree(): { top: Command[]; groups: typeof groups } {
  return { top: top.filter((c) => !c.hidden), groups };
}
const aliases: Record<string, string> = { list: "ls", remove: "rm", down: "rm", up: "deploy" };

export function topHelp(): string {
  const lines = [
    "Usage:  swarm [OPTIONS] COMMAND",
    "",
    "A container orchestrator for small clusters, with Docker Swarm's commands.",
    "",
    "Options:",
    "  -H, --host string   Agent socket to connect to (default unix:///run/swarm/swarm.sock, env SWARM_HOST)",
    "  -v, --version       Print version information and quit",
    "",
    "Management Commands:",
    ...Object.entries(groups).map(([n, g]) => `  ${n.padEnd(10)} ${g.summary}`),
    "",
    "Commands:",
    ...top.filter((c) => !c.hidden).map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    "",
    "Run 'swarm COMMAND --help' for more information on a command.",
    "",
  ];
  return lines.join("\n");
}

function groupHelp(name: string): string {
  const g = groups[name]!;
  return [
    `Usage:  swarm ${name} COMMAND`,
    "",
    g.summary,
    "",
    "Commands:",
    ...g.commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    "",
    `Run 'swarm ${name} COMMAND --help' for more information on a command.`,
    "",
  ].join("\n");
}

export async function dispatch(argv: string[], ctx: Ctx): Promise<number> {
  const [first, ...rest] = argv as [string, ...string[]];
  const group = groups[first];
  if (group) {
    const [sub, ...args] = rest;
    if (!sub || sub === "--help" || sub === "-h") {
      ctx.out(groupHelp(first));
      return sub ? 0 : 1;
    }
    const cmd = group.commands.find((c) => c.name === (aliases[sub] ?? sub));
    if (!cmd) throw SwarmError.invalid(`unknown command "swarm ${first} ${sub}": see 'swarm ${first} --help'`);
    return cmd.run(args, ctx);
  }
  const cmd = [...top, ...hiddenCommands].find((c) => c.name === first);
  if (!cmd) throw SwarmError.invalid(`unknown command "${first}": see 'swarm --help'`);
  return cmd.run(rest, ctx);
}

/** Test entries compiled into the binary (not in --help). Registered by their own modules. */
export const hiddenCommands: Command[] = [selfcheckCmd, transportNodeCmd];
