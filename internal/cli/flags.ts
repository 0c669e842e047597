/**
 * A small flag parser with Docker's conventions: `--name v`, `--name=v`, `-n v`, boolean flags
 * (`--detach`, `--detach=false`, `-d`), repeatable flags, `--` ends flags. With `interspersed: false`
 * (Docker's `service create IMAGE [COMMAND] [ARG...]`), parsing stops at the first positional so that
 * the command's own flags reach the container untouched.
 */
import { SwarmError } from "../api/index.ts";

export interface FlagDef {
  name: string;
  short?: string;
  kind: "bool" | "string" | "list";
  help: string;
  /** Shown in --help as the value's placeholder. */
  value?: string;
}

export interface Parsed {
  flags: Map<string, string[]>;
  bools: Map<string, boolean>;
  args: string[];
}

export function parseFlags(argv: string[], defs: FlagDef[], opts: { interspersed?: boolean } = {}): Parsed {
  const byLong = new Map(defs.map((d) => [d.name, d]));
  const byShort = new Map(defs.filter((d) => d.short).map((d) => [d.short!, d]));
  const out: Parsed = { flags: new Map(), bools: new Map(), args: [] };
  const interspersed = opts.interspersed ?? true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      out.args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      if (!interspersed) {
        out.args.push(...argv.slice(i));
        break;
      }
      out.args.push(a);
      continue;
    }
    let def: FlagDef | undefined;
    let inline: string | undefined;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      inline = eq < 0 ? undefined : a.slice(eq + 1);
      def = byLong.get(name);
      if (!def) throw SwarmError.invalid(`unknown flag: --${name} (see --help)`);
    } else {
      // -d, -q, -dq (bool clusters), -e VALUE, -eVALUE
      const letters = a.slice(1);
      def = byShort.get(letters[0]!);
      if (!def) throw SwarmError.invalid(`unknown shorthand flag: '${letters[0]}' in ${a} (see --help)`);
      if (def.kind === "bool") {
        for (const l of letters) {
          const d = byShort.get(l);
          if (!d || d.kind !== "bool") throw SwarmError.invalid(`unknown shorthand flag: '${l}' in ${a} (see --help)`);
          out.bools.set(d.name, true);
        }
        continue;
      }
      if (letters.length > 1) inline = letters.slice(1).replace(/^=/, "");
    }
    if (def.kind === "bool") {
      if (inline === undefined) out.bools.set(def.name, true);
      else if (inline === "true" || inline === "1") out.bools.set(def.name, true);
      else if (inline === "false" || inline === "0") out.bools.set(def.name, false);
      else throw SwarmError.invalid(`invalid argument "${inline}" for "--${def.name}" flag: expected true or false`);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw SwarmError.invalid(`flag needs an argument: --${def.name}`);
      value = argv[++i]!;
    }
    const list = out.flags.get(def.name) ?? [];
    if (def.kind === "string") list.length = 0;
    list.push(value);
    out.flags.set(def.name, list);
  }
  return out;
}

export function one(p: Parsed, name: string): string | undefined {
  return p.flags.get(name)?.at(-1);
}

export function all(p: Parsed, name: string): string[] {
  return p.flags.get(name) ?? [];
}

export function bool(p: Parsed, name: string, dflt = false): boolean {
  return p.bools.get(name) ?? dflt;
}

export function has(p: Parsed, name: string): boolean {
  return p.flags.has(name) || p.bools.has(name);
}

export function usage(title: string, defs: FlagDef[]): string {
  const rows = defs.map((d) => {
    const left = `${d.short ? `-${d.short}, ` : "    "}--${d.name}${d.kind === "bool" ? "" : ` ${d.value ?? (d.kind === "list" ? "list" : "string")}`}`;
    return `  ${left.padEnd(34)} ${d.help}`;
  });
  return `${title}\n\nOptions:\n${rows.join("\n")}\n`;
}
