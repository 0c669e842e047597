/** `swarm service ls`. */
import { modeName, SwarmError } from "../../../internal/api/index.ts";
import { all, bool, one, portsText, renderRows, replicasText, SERVICE_FORMAT, serviceRow, shortId, type FlagDef } from "../../../internal/cli/index.ts";
import type { ServiceView } from "../../../internal/api/index.ts";
import { checkFilterKeys, filtersFromFlags, serviceMatches, SERVICE_FILTERS } from "../../../internal/lookup/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

const FLAGS: FlagDef[] = [
  { name: "quiet", short: "q", kind: "bool", help: "Only display IDs" },
  { name: "filter", short: "f", kind: "list", value: "filter", help: "Filter output based on conditions provided (id, name, label, mode)" },
{ name: "format", kind: "string", help: 'Format output using a Go template ("table {{.Name}}\\t{{.Replicas}}", "{{json .}}"), or "json" for swarm\'s objects' },
  { name: "no-trunc", kind: "bool", help: "Do not truncate output" },
];

/** Docker's service filters (id and name prefixes, label, mode): internal/lookup `serviceMatches`. */
export function matchesFilters(v: ServiceView, filters: string[]): boolean {
  const f = filtersFromFlags(filters);
  checkFilterKeys(f, SERVICE_FILTERS);
  return serviceMatches(v.Service, f);
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
    } else {
      ctx.out(renderRows(one(p, "format"), views.map((v) => serviceRow(v, noTrunc)), SERVICE_FORMAT, "service"));
    }
    return 0;
  },
};
