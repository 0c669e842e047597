/** `swarm node ls / inspect / ps / update / promote / demote / rm`, with Docker's flags and tables. */
import { SwarmError, type Node, type TaskView } from "../../../internal/api/index.ts";
import { all, bool, capitalize, NODE_FORMAT, nodeRow, one, renderEach, renderRows, shortId, type FlagDef } from "../../../internal/cli/index.ts";
import { checkFilterKeys, filtersFromFlags, nodeMatches, NODE_FILTERS } from "../../../internal/lookup/index.ts";
import type { Command, Ctx } from "../context.ts";
import { parseOrHelp } from "../parse.ts";
import { orderForPs, taskTable } from "./service-ps.ts";

async function selfId(ctx: Ctx): Promise<string> {
  return (await ctx.client.call<{ NodeID: string }>("GET", "/info")).NodeID;
}

/** Docker's node filters (internal/lookup `nodeMatches`): id, name, role, membership, node.label, label. */
function nodeFilter(filters: string[]): (n: Node) => boolean {
  const f = filtersFromFlags(filters);
  checkFilterKeys(f, NODE_FILTERS);
  return (n) => nodeMatches(n, f);
}

const FORMAT_HELP = 'Format output using a Go template ("table {{.Hostname}}\\t{{.Status}}", "{{json .}}"), or "json" for swarm\'s objects';
const INSPECT_FORMAT: FlagDef = { name: "format", short: "f", kind: "string", help: "Format output using a Go template (e.g. '{{.Status.Addr}}')" };

export const nodeLsCmd: Command = {
  name: "ls",
  summary: "List nodes in the swarm",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm node ls [OPTIONS]\n\nList nodes in the swarm.", [
      { name: "quiet", short: "q", kind: "bool", help: "Only display IDs" },
      { name: "filter", short: "f", kind: "list", value: "filter", help: "Filter output (id, name, role, membership, node.label=k[=v], label)" },
      { name: "format", kind: "string", help: FORMAT_HELP },
    ]);
    if (!p) return 0;
    const me = await selfId(ctx);
    const nodes = (await ctx.client.call<Node[]>("GET", "/nodes"))
      .filter(nodeFilter(all(p, "filter")))
      .sort((a, b) => a.Description.Hostname.localeCompare(b.Description.Hostname) || a.ID.localeCompare(b.ID));
    if (bool(p, "quiet")) {
      ctx.out(nodes.map((n) => n.ID + "\n").join(""));
    } else if (one(p, "format") === "json") {
      ctx.out(nodes.map((n) => JSON.stringify(n) + "\n").join(""));
    } else {
      const now = Date.now();
      ctx.out(renderRows(one(p, "format"), nodes.map((n) => nodeRow(n, me, now)), NODE_FORMAT, "node"));
    }
    return 0;
  },
};

function pretty(n: Node): string {
  const lines = [
    `ID:\t\t\t${n.ID}`,
    `Hostname:\t\t${n.Description.Hostname}`,
    `Joined at:\t\t${n.CreatedAt}`,
    `Status:`,
    ` State:\t\t\t${capitalize(n.Status.State)}`,
    ...(n.Status.Message ? [` Message:\t\t${n.Status.Message}`] : []),
    ` Availability:\t\t${capitalize(n.Spec.Availability)}`,
    ` Address:\t\t${n.Status.Addr}`,
  ];
  if (n.ManagerStatus) {
    lines.push(`Manager Status:`, ` Address:\t\t${n.ManagerStatus.Addr}`, ` Raft Status:\t\t${capitalize(n.ManagerStatus.Reachability)}`, ` Leader:\t\t${n.ManagerStatus.Leader ? "Yes" : "No"}`);
  }
  const labels = Object.entries(n.Spec.Labels);
  if (labels.length) lines.push(`Labels:`, ...labels.map(([k, v]) => ` - ${k}=${v}`));
  lines.push(
    `Platform:`,
    ` Operating System:\t${n.Description.Platform.OS}`,
    ` Architecture:\t\t${n.Description.Platform.Architecture}`,
    `Resources:`,
    ` CPUs:\t\t\t${n.Description.Resources.NanoCPUs / 1e9}`,
    ` Memory:\t\t${(n.Description.Resources.MemoryBytes / 2 ** 30).toFixed(2)}GiB`,
    `Engine Version:\t\t${n.Description.Engine.EngineVersion}`,
    ...(n.Description.Engine.Unreachable ? [`Engine Status:\t\tunreachable: ${n.Description.Engine.Unreachable}`] : []),
  );
  if (n.Certificate) lines.push(`Certificate:`, ` Role:\t\t\t${n.Certificate.Role}`, ` Serial:\t\t${n.Certificate.Serial}`, ` Expires:\t\t${new Date(n.Certificate.NotAfterMs).toISOString()}`);
  return lines.join("\n") + "\n";
}

export const nodeInspectCmd: Command = {
  name: "inspect",
  summary: "Display detailed information on one or more nodes",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm node inspect [OPTIONS] self|NODE [NODE...]\n\nDisplay detailed information on one or more nodes.", [
      { name: "pretty", kind: "bool", help: "Print the information in a human friendly format" },
      INSPECT_FORMAT,
    ]);
    if (!p) return 0;
    if (p.args.length === 0) throw SwarmError.invalid(`"swarm node inspect" requires at least 1 argument: NODE`);
    const nodes: Node[] = [];
    for (const ref of p.args) nodes.push(await ctx.client.call<Node>("GET", `/nodes/${encodeURIComponent(ref)}`));
    const format = one(p, "format");
    if (format !== undefined && format !== "json") ctx.out(renderEach(format, nodes));
    else if (bool(p, "pretty")) ctx.out(nodes.map(pretty).join("\n"));
    else ctx.out(JSON.stringify(nodes, null, 4) + "\n");
    return 0;
  },
};

export const nodePsCmd: Command = {
  name: "ps",
  summary: "List tasks running on one or more nodes, defaults to current node",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm node ps [OPTIONS] [NODE...]\n\nList tasks running on one or more nodes, defaults to current node.", [
      { name: "quiet", short: "q", kind: "bool", help: "Only display task IDs" },
      { name: "no-trunc", kind: "bool", help: "Do not truncate output" },
      { name: "format", kind: "string", help: 'Format output using a Go template ("table {{.Name}}\\t{{.CurrentState}}", "{{json .}}")' },
    ]);
    if (!p) return 0;
    const refs = p.args.length ? p.args : ["self"];
    const tasks = await ctx.client.call<TaskView[]>("GET", `/tasks?${refs.map((r) => `node=${encodeURIComponent(r)}`).join("&")}`);
    const noTrunc = bool(p, "no-trunc");
    const ordered = orderForPs(tasks);
    if (bool(p, "quiet")) {
      ctx.out(ordered.map(({ view }) => shortId(view.Task.ID, noTrunc) + "\n").join(""));
      return 0;
    }
    ctx.out(taskTable(ordered, noTrunc, Date.now(), one(p, "format")));
    return 0;
  },
};

function labelPairs(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of list) {
    const i = l.indexOf("=");
    if (i === 0) throw SwarmError.invalid(`invalid label "${l}": expected key=value or key`);
    if (i < 0) out[l] = "";
    else out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}

export const nodeUpdateCmd: Command = {
  name: "update",
  summary: "Update a node",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm node update [OPTIONS] NODE\n\nUpdate a node.", [
      { name: "availability", kind: "string", value: "string", help: 'Availability of the node ("active"|"pause"|"drain")' },
      { name: "label-add", kind: "list", value: "list", help: "Add or update a node label (key=value)" },
      { name: "label-rm", kind: "list", value: "list", help: "Remove a node label if exists" },
      { name: "role", kind: "string", value: "string", help: 'Role of the node ("worker"|"manager")' },
    ]);
    if (!p) return 0;
    if (p.args.length !== 1) throw SwarmError.invalid(`"swarm node update" requires exactly 1 argument: NODE`);
    const body: Record<string, unknown> = {};
    const av = one(p, "availability");
    if (av !== undefined) body.availability = av;
    const role = one(p, "role");
    if (role !== undefined) {
      if (role !== "worker" && role !== "manager") throw SwarmError.invalid(`invalid role "${role}": expected worker or manager`);
      body.role = role;
    }
    if (all(p, "label-add").length) body.labelAdd = labelPairs(all(p, "label-add"));
    if (all(p, "label-rm").length) body.labelRm = all(p, "label-rm");
    const r = await ctx.client.call<{ ID: string }>("POST", `/nodes/${encodeURIComponent(p.args[0]!)}/update`, body);
    ctx.out(`${p.args[0] === r.ID ? r.ID : p.args[0]}\n`);
    return 0;
  },
};

function roleCmd(name: "promote" | "demote"): Command {
  const verb = name === "promote" ? "Promote one or more nodes to manager in the swarm" : "Demote one or more nodes from manager in the swarm";
  return {
    name,
    summary: verb,
    async run(argv, ctx) {
      const p = parseOrHelp(ctx, argv, `Usage:  swarm node ${name} NODE [NODE...]\n\n${verb}.`, []);
      if (!p) return 0;
      if (p.args.length === 0) throw SwarmError.invalid(`"swarm node ${name}" requires at least 1 argument: NODE`);
      const r = await ctx.client.call<{ names: string[] }>("POST", `/nodes/${name}`, { refs: p.args });
      for (const [i, ref] of p.args.entries()) {
        ctx.out(name === "promote" ? `Node ${ref} promoted to a manager in the swarm.\n` : `Manager ${ref} demoted in the swarm.\n`);
        void r.names[i];
      }
      return 0;
    },
  };
}

export const nodePromoteCmd = roleCmd("promote");
export const nodeDemoteCmd = roleCmd("demote");

export const nodeRmCmd: Command = {
  name: "rm",
  summary: "Remove one or more nodes from the swarm",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm node rm [OPTIONS] NODE [NODE...]\n\nRemove one or more nodes from the swarm.", [
      { name: "force", short: "f", kind: "bool", help: "Force remove a node from the swarm" },
    ]);
    if (!p) return 0;
    if (p.args.length === 0) throw SwarmError.invalid(`"swarm node rm" requires at least 1 argument: NODE`);
    await ctx.client.call("POST", "/nodes/remove", { refs: p.args, force: bool(p, "force") });
    ctx.out(p.args.map((a) => a + "\n").join(""));
    return 0;
  },
};
