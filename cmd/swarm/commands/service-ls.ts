/** `swarm service ls`. */
import { modeName, SwarmError } from "../../../internal/api/index.ts";
import { all, bool, one, parseFilter, portsText, shortId, table, type FlagDef } from "../../../internal/cli/index.ts";
import type { ServiceView } from "../../../internal/api/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

const FLAGS: FlagDef[] = [
  { name: "quiet", short: "q", kind: "bool", help: "Only display IDs" },
  { name: "filter", short: "f", kind: "list", value: "filter", help: "Filter output based on conditions provided (id, name, label, mode)" },
  { name: "format", kind: "string", help: 'Format output ("json")' },
  { name: "no-trunc", kind: "bool", help: "Do not truncate output" },
];

/** `2/3`, or for a job `1/1 (3/5 completed)` as Docker shows it. */
function replicasText(v: ServiceView): string {
  const base = `${v.Running}/${v.Desired}`;
  return v.Completed ? `${base} (${v.Completed.Done}/${v.Completed.Total} completed)` : base;
}

export function matchesFilters(v: ServiceView, filters: string[]): boolean {
  return filters.every((f) => {
    let k: string, val: string;
    try {
      [k, val] = parseFilter(f);
    } catch (e) {
      throw SwarmError.invalid((e as Error).message);
    }
    const s = v.Service;
    switch (k) {
      case "id": return s.ID.startsWith(val);
      case "name": return s.Spec.Name.includes(val);
      case "mode": return modeName(s.Spec) === val;
      case "label": {
        const [lk, lv] = val.split("=", 2) as [string, string | undefined];
        return lk in s.Spec.Labels && (lv === undefined || s.Spec.Labels[lk] === lv);
      }
      default:
        throw SwarmError.invalid(`invalid filter '${k}': use id, name, label or mode`);
    }
  });
}

export const serviceLsCmd: Command = {
  name: "ls",
  summary: "List services",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm service ls [OPTIONS]\n\nList services.", FLAGS);
    if (!p) return 0;
    const filters = all(p, "filter");
    const views = (await ctx.client.call<ServiceView[]>("GET", "/services"))
      .filter((v) => matchesFilters(v, filters))
      .sort((a, b) => a.Service.Spec.Name.localeCompare(b.Service.Spec.Name));
    const noTrunc = bool(p, "no-trunc");
    if (bool(p, "quiet")) {
      ctx.out(views.map((v) => shortId(v.Service.ID, noTrunc) + "\n").join(""));
    } else if (one(p, "format") === "json") {
      ctx.out(views.map((v) => JSON.stringify({ ID: v.Service.ID, Name: v.Service.Spec.Name, Mode: modeName(v.Service.Spec), Replicas: replicasText(v), Image: v.Service.Spec.TaskTemplate.ContainerSpec.Image, Ports: portsText(v.Service.Endpoint.Ports) }) + "\n").join(""));
    } else if (one(p, "format") !== undefined) {
      throw SwarmError.invalid(`unsupported --format "${one(p, "format")}": use json`);
    } else {
      const rows = views.map((v) => [
        shortId(v.Service.ID, noTrunc),
        v.Service.Spec.Name,
        modeName(v.Service.Spec),
        replicasText(v),
        v.Service.Spec.TaskTemplate.ContainerSpec.Image,
        portsText(v.Service.Endpoint.Ports),
      ]);
      ctx.out(table(["ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"], rows));
    }
    return 0;
  },
};
