/** `swarm service ps SERVICE [SERVICE...]`: tasks per slot, newest first, history as `\_`. */
import { SwarmError } from "../../../internal/api/index.ts";
import { all, bool, currentState, one, parseFilter, renderRows, shortId, TASK_FORMAT, taskRow, type FlagDef } from "../../../internal/cli/index.ts";
import type { TaskView } from "../../../internal/api/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

const FLAGS: FlagDef[] = [
  { name: "quiet", short: "q", kind: "bool", help: "Only display task IDs" },
  { name: "no-trunc", kind: "bool", help: "Do not truncate output" },
  { name: "filter", short: "f", kind: "list", value: "filter", help: "Filter output (id, name, node, desired-state)" },
  { name: "format", kind: "string", help: 'Format output using a Go template ("table {{.Name}}\\t{{.Node}}", "{{json .}}"), or "json" for swarm\'s objects' },
];

function matches(t: TaskView, filters: string[]): boolean {
  return filters.every((f) => {
    const [k, v] = parseFilter(f);
    switch (k) {
      case "id": return t.Task.ID.startsWith(v);
      case "name": return t.Name.startsWith(v);
      case "node": return t.NodeHostname === v || (t.Task.NodeID ?? "").startsWith(v);
      case "desired-state": return t.Task.DesiredState === v;
      default: throw SwarmError.invalid(`invalid filter '${k}': use id, name, node or desired-state`);
    }
  });
}

/** Orders tasks like Docker: by service, then slot; within a slot the newest first. */
export function orderForPs(tasks: TaskView[]): { view: TaskView; history: boolean }[] {
  const groups = new Map<string, TaskView[]>();
  for (const t of tasks) {
    const key = t.Name;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  const keys = [...groups.keys()].sort((a, b) => {
    const [sa, na] = [a.slice(0, a.lastIndexOf(".")), a.slice(a.lastIndexOf(".") + 1)];
    const [sb, nb] = [b.slice(0, b.lastIndexOf(".")), b.slice(b.lastIndexOf(".") + 1)];
    return sa.localeCompare(sb) || (Number(na) - Number(nb) || na.localeCompare(nb));
  });
  return keys.flatMap((k) =>
    groups.get(k)!.sort((a, b) => b.Task.CreatedAt.localeCompare(a.Task.CreatedAt)).map((view, i) => ({ view, history: i > 0 })),
  );
}

/** Docker's task table (`service ps`, `node ps`), or the rows through a `--format` template. */
export function taskTable(ordered: { view: TaskView; history: boolean }[], noTrunc: boolean, now = Date.now(), format?: string): string {
  const rows = ordered.map(({ view, history }) => taskRow(view, history, noTrunc, now));
  return renderRows(format, rows, TASK_FORMAT, "task");
}

export { currentState };

export const servicePsCmd: Command = {
  name: "ps",
  summary: "List the tasks of one or more services",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm service ps [OPTIONS] SERVICE [SERVICE...]\n\nList the tasks of one or more services.", FLAGS);
    if (!p) return 0;
    if (p.args.length === 0) throw SwarmError.invalid(`"swarm service ps" requires at least 1 argument: SERVICE (see --help)`);
    const qs = p.args.map((a) => `service=${encodeURIComponent(a)}`).join("&");
    const tasks = (await ctx.client.call<TaskView[]>("GET", `/tasks?${qs}`)).filter((t) => matches(t, all(p, "filter")));
    const noTrunc = bool(p, "no-trunc");
    const ordered = orderForPs(tasks);
    if (bool(p, "quiet")) {
      ctx.out(ordered.map(({ view }) => shortId(view.Task.ID, noTrunc) + "\n").join(""));
      return 0;
    }
    if (one(p, "format") === "json") {
      ctx.out(ordered.map(({ view }) => JSON.stringify({ ID: view.Task.ID, Name: view.Name, Image: view.Task.Spec.ContainerSpec.Image, Node: view.NodeHostname, DesiredState: view.Task.DesiredState, CurrentState: view.Task.Status.State, Since: view.Task.Status.Timestamp, Error: view.Task.Status.Err ?? "", Slot: view.Task.Slot }) + "\n").join(""));
      return 0;
    }
    ctx.out(taskTable(ordered, noTrunc, Date.now(), one(p, "format")));
    return 0;
  },
};
