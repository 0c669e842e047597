/** Shared by command files: parse flags, and print the command's --help. */
import { parseFlags, usage, type FlagDef, type Parsed } from "../../internal/cli/index.ts";
import type { Ctx } from "./context.ts";

export const HELP: FlagDef = { name: "help", kind: "bool", help: "Print usage" };

/** Returns null when --help was asked for (and printed). */
export function parseOrHelp(
  ctx: Ctx,
  argv: string[],
  title: string,
  defs: FlagDef[],
  opts: { interspersed?: boolean } = {},
): Parsed | null {
  const all = defs.some((d) => d.name === "help") ? defs : [...defs, HELP];
  const leading = opts.interspersed === false ? argv.findIndex((a) => !a.startsWith("-")) : -1;
  const flagPart = leading < 0 ? argv : argv.slice(0, leading);
  if (flagPart.includes("--help") || flagPart.includes("-h")) {
    ctx.out(usage(title, all));
    return null;
  }
  return parseFlags(argv, all, opts);
}
