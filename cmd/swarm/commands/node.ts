/** `swarm node ls` and `swarm node inspect`. */
import type { Node } from "../../../internal/api/index.ts";
import { bool, capitalize, one, table, type FlagDef } from "../../../internal/cli/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

const LS_FLAGS: FlagDef[] = [
  { name: "quiet", short: "q", kind: "bool", help: "Only display IDs" },
  { name: "format", kind: "string", help: 'Format output ("json")' },
];

export const nodeLsCmd: Command = {
  name: "ls",
  summary: "List nodes in the swarm",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm node ls [OPTIONS]\n\nList nodes in the swarm.", LS_FLAGS);
    if (!p) return 0;
    const nodes = await ctx.client.call<Node[]>("GET", "/nodes");
    const info = await ctx.client.call<{ NodeID: string }>("GET", "/info");
    if (bool(p, "quiet")) {
      ctx.out(nodes.map((n) => n.ID + "\n").join(""));
    } else if (one(p, "format") === "json") {
      ctx.out(nodes.map((n) => JSON.stringify(n) + "\n").join(""));
    } else {
      const rows = nodes.map((n) => [
        n.ID + (n.ID === info.NodeID ? " *" : ""),
        n.Description.Hostname,
        capitalize(n.Status.State),
        capitalize(n.Spec.Availability),
        n.ManagerStatus ? (n.ManagerStatus.Leader ? "Leader" : capitalize(n.ManagerStatus.Reachability)) : "",
        n.Description.Engine.EngineVersion,
      ]);
      ctx.out(table(["ID", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS", "ENGINE VERSION"], rows));
    }
    return 0;
  },
};

export const nodeInspectCmd: Command = {
  name: "inspect",
  summary: "Display detailed information on one or more nodes",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm node inspect [OPTIONS] self|NODE [NODE...]\n\nDisplay detailed information on one or more nodes.", [
      { name: "pretty", kind: "bool", help: "Print the information in a human friendly format" },
    ]);
    if (!p) return 0;
    if (p.args.length === 0) throw new Error(`"swarm node inspect" requires at least 1 argument: NODE`);
    const self = await ctx.client.call<{ NodeID: string }>("GET", "/info");
    const nodes: Node[] = [];
    for (const ref of p.args) nodes.push(await ctx.client.call<Node>("GET", `/nodes/${encodeURIComponent(ref === "self" ? self.NodeID : ref)}`));
    if (bool(p, "pretty")) {
      for (const n of nodes) {
        ctx.out(
          `ID:\t\t\t${n.ID}\nHostname:\t\t${n.Description.Hostname}\nJoined at:\t\t${n.CreatedAt}\nStatus:\n State:\t\t\t${capitalize(n.Status.State)}\n Availability:\t\t${capitalize(n.Spec.Availability)}\n Address:\t\t${n.Status.Addr}\n` +
            `Manager Status:\n Raft Status:\t\t${n.ManagerStatus?.Reachability ?? "n/a"}\n Leader:\t\t${n.ManagerStatus?.Leader ? "Yes" : "No"}\n` +
            `Platform:\n Operating System:\t${n.Description.Platform.OS}\n Architecture:\t\t${n.Description.Platform.Architecture}\n` +
            `Resources:\n CPUs:\t\t\t${n.Description.Resources.NanoCPUs / 1e9}\n Memory:\t\t${(n.Description.Resources.MemoryBytes / 2 ** 30).toFixed(2)}GiB\n` +
            `Engine Version:\t\t${n.Description.Engine.EngineVersion}\n`,
        );
      }
    } else ctx.out(JSON.stringify(nodes, null, 4) + "\n");
    return 0;
  },
};
