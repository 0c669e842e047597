/**
 * `swarm secret create|ls|inspect|rm` and `swarm config create|ls|inspect|rm`, as Docker's. A secret's
 * data is never shown (the agent never returns it); a config's is, base64 in `inspect` as Docker does.
 */
import { readFileSync } from "node:fs";
import { SwarmError, type Config, type SecretView } from "../../../internal/api/index.ts";
import { ago, all, bool, one, shortId, table } from "../../../internal/cli/index.ts";
import { parseKeyValue } from "../../../internal/spec/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

type Kind = "secret" | "config";

async function readData(kind: Kind, file: string): Promise<Uint8Array> {
  try {
    if (file === "-") return new Uint8Array(await new Response(Bun.stdin.stream()).arrayBuffer());
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw SwarmError.invalid(`cannot read the ${kind} from ${file === "-" ? "stdin" : file}: ${(e as Error).message}`);
  }
}

function createCmd(kind: Kind): Command {
  return {
    name: "create",
    summary: `Create a ${kind} from a file or STDIN as content`,
    async run(argv, ctx) {
      const p = parseOrHelp(ctx, argv, `Usage:  swarm ${kind} create [OPTIONS] ${kind.toUpperCase()} FILE|-\n\nCreate a ${kind} from a file or STDIN as content.`, [
        { name: "label", short: "l", kind: "list", help: `${kind[0]!.toUpperCase()}${kind.slice(1)} labels` },
      ]);
      if (!p) return 0;
      if (p.args.length !== 2) throw SwarmError.invalid(`"swarm ${kind} create" requires exactly 2 arguments: ${kind.toUpperCase()} FILE|- (see --help)`);
      const [name, file] = p.args as [string, string];
      const labels = Object.fromEntries(all(p, "label").map((l) => parseKeyValue("--label", l)));
      const data = await readData(kind, file);
      const { ID } = await ctx.client.call<{ ID: string }>("POST", `/${kind}s`, { name, data: Buffer.from(data).toString("base64"), labels });
      ctx.out(ID + "\n");
      return 0;
    },
  };
}

function lsCmd(kind: Kind): Command {
  return {
    name: "ls",
    summary: `List ${kind}s`,
    async run(argv, ctx) {
      const p = parseOrHelp(ctx, argv, `Usage:  swarm ${kind} ls [OPTIONS]\n\nList ${kind}s.`, [
        { name: "quiet", short: "q", kind: "bool", help: "Only display IDs" },
        { name: "format", kind: "string", help: 'Format output ("json")' },
      ]);
      if (!p) return 0;
      const list = (await ctx.client.call<(SecretView | Config)[]>("GET", `/${kind}s`)).sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name));
      if (bool(p, "quiet")) ctx.out(list.map((s) => s.ID + "\n").join(""));
      else if (one(p, "format") === "json") ctx.out(list.map((s) => JSON.stringify({ ID: s.ID, Name: s.Spec.Name, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt }) + "\n").join(""));
      else if (one(p, "format") !== undefined) throw SwarmError.invalid(`unsupported --format "${one(p, "format")}": use json`);
      else ctx.out(table(["ID", "NAME", "CREATED", "UPDATED"], list.map((s) => [shortId(s.ID, true), s.Spec.Name, ago(s.CreatedAt), ago(s.UpdatedAt)])));
      return 0;
    },
  };
}

function inspectCmd(kind: Kind): Command {
  return {
    name: "inspect",
    summary: `Display detailed information on one or more ${kind}s`,
    async run(argv, ctx) {
      const p = parseOrHelp(ctx, argv, `Usage:  swarm ${kind} inspect ${kind.toUpperCase()} [${kind.toUpperCase()}...]\n\nDisplay detailed information on one or more ${kind}s.`, []);
      if (!p) return 0;
      if (p.args.length === 0) throw SwarmError.invalid(`"swarm ${kind} inspect" requires at least 1 argument: ${kind.toUpperCase()}`);
      const out = [];
      for (const ref of p.args) out.push(await ctx.client.call("GET", `/${kind}s/${encodeURIComponent(ref)}`));
      ctx.out(JSON.stringify(out, null, 4) + "\n");
      return 0;
    },
  };
}

function rmCmd(kind: Kind): Command {
  return {
    name: "rm",
    summary: `Remove one or more ${kind}s`,
    async run(argv, ctx) {
      const p = parseOrHelp(ctx, argv, `Usage:  swarm ${kind} rm ${kind.toUpperCase()} [${kind.toUpperCase()}...]\n\nRemove one or more ${kind}s.`, []);
      if (!p) return 0;
      if (p.args.length === 0) throw SwarmError.invalid(`"swarm ${kind} rm" requires at least 1 argument: ${kind.toUpperCase()}`);
      await ctx.client.call("POST", `/${kind}s/remove`, { refs: p.args });
      ctx.out(p.args.map((a) => a + "\n").join(""));
      return 0;
    },
  };
}

export const fileGroups = {
  secret: { summary: "Manage secrets", commands: [createCmd("secret"), inspectCmd("secret"), lsCmd("secret"), rmCmd("secret")] },
  config: { summary: "Manage configs", commands: [createCmd("config"), inspectCmd("config"), lsCmd("config"), rmCmd("config")] },
};
