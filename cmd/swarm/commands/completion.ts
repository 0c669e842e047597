/** `swarm completion bash|zsh|fish`: prints the shell's completion script (see internal/cli/completion.ts). */
import { SwarmError } from "../../../internal/api/index.ts";
import { bashCompletion, fishCompletion, flagsFromUsage, zshCompletion, type CommandInfo, type CommandTree } from "../../../internal/cli/index.ts";
import type { Command, Ctx } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

const SERVICE_ARGS = new Set(["inspect", "logs", "ps", "rm", "scale", "update"]);

/** A command's flags, read from its own --help (generated from its FlagDefs by `usage()`). */
async function info(cmd: Command, ctx: Ctx, group?: string): Promise<CommandInfo> {
  let text = "";
  await cmd.run(["--help"], { ...ctx, out: (s) => ((text += s), true), err: () => true });
  const args = group === "service" && SERVICE_ARGS.has(cmd.name) ? "service" : group === "node" && cmd.name !== "ls" ? "node" : cmd.name === "completion" ? "shell" : undefined;
  return { name: cmd.name, summary: cmd.summary, flags: flagsFromUsage(text), ...(args ? { args } : {}) };
}

export const completionCmd: Command = {
  name: "completion",
  summary: "Print the shell completion script (bash, zsh or fish)",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm completion bash|zsh|fish\n\nPrint the completion script: source <(swarm completion bash), or swarm completion fish | source.", []);
    if (!p) return 0;
    const shell = p.args[0];
    if (p.args.length !== 1 || !["bash", "zsh", "fish"].includes(shell!)) throw SwarmError.invalid(`"swarm completion" requires exactly 1 argument: bash, zsh or fish`);
    const { commandTree } = await import("../registry.ts");
    const t = commandTree();
    const tree: CommandTree = { top: [], groups: {} };
    for (const c of t.top) tree.top.push(await info(c, ctx));
    for (const [g, grp] of Object.entries(t.groups)) {
      tree.groups[g] = { summary: grp.summary, commands: [] };
      for (const c of grp.commands) tree.groups[g]!.commands.push(await info(c, ctx, g));
    }
    ctx.out(shell === "bash" ? bashCompletion(tree) : shell === "zsh" ? zshCompletion(tree) : fishCompletion(tree));
    return 0;
  },
};
