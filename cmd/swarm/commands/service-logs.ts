/** `swarm service logs [OPTIONS] SERVICE`. */
import { SwarmError } from "../../../internal/api/index.ts";
import { bool, one, type FlagDef } from "../../../internal/cli/index.ts";
import type { LogRecord, LogWarning } from "../../../internal/api/index.ts";
import { parseSince } from "../../../internal/logs/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

const FLAGS: FlagDef[] = [
  { name: "follow", short: "f", kind: "bool", help: "Follow log output" },
  { name: "tail", short: "n", kind: "string", help: 'Number of lines to show from the end of the logs of each task (default "all")' },
  { name: "timestamps", short: "t", kind: "bool", help: "Show timestamps" },
  { name: "since", kind: "string", help: "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)" },
  { name: "no-task-ids", kind: "bool", help: "Do not include task IDs in output" },
  { name: "no-trunc", kind: "bool", help: "Do not truncate output" },
  { name: "raw", kind: "bool", help: "Do not neatly format logs" },
];

export function logPrefix(r: LogRecord, o: { noTaskIds: boolean; noTrunc: boolean }): string {
  const id = o.noTaskIds ? "" : `.${o.noTrunc ? r.task : r.task.slice(0, 12)}`;
  return `${r.name}${id}@${r.node}`;
}

export const serviceLogsCmd: Command = {
  name: "logs",
  summary: "Fetch the logs of a service",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm service logs [OPTIONS] SERVICE\n\nFetch the logs of a service (all its tasks, merged).", FLAGS);
    if (!p) return 0;
    if (p.args.length !== 1) throw SwarmError.invalid(`"swarm service logs" requires exactly 1 argument: SERVICE`);
    const q = new URLSearchParams({ service: p.args[0]! });
    if (bool(p, "follow")) q.set("follow", "1");
    const tail = one(p, "tail");
    if (tail !== undefined && tail !== "all") {
      if (!/^\d+$/.test(tail)) throw SwarmError.invalid(`invalid --tail "${tail}": expected a number of lines or "all"`);
      q.set("tail", tail);
    }
    const since = one(p, "since");
    if (since !== undefined) {
      parseSince(since, Date.now()); // validates here, with the agent's own rules, before any request
      q.set("since", since);
    }
    const o = { noTaskIds: bool(p, "no-task-ids"), noTrunc: bool(p, "no-trunc") };
    const raw = bool(p, "raw");
    const ts = bool(p, "timestamps");
    const ac = new AbortController();
    process.once("SIGINT", () => {
      ac.abort();
      process.exit(0);
    });
    let width = 0;
    for await (const r of ctx.client.stream<LogRecord | LogWarning>(`/logs?${q}`, ac.signal)) {
      // A node that is down or unreachable: its tasks' lines are missing, and stderr says which.
      if ("warning" in r) {
        if (!ctx.err(`warning: ${r.warning}\n`)) await ctx.drained();
        continue;
      }
      const text = (ts ? `${r.ts} ` : "") + r.line + "\n";
      let line = text;
      if (!raw) {
        const prefix = logPrefix(r, o);
        width = Math.max(width, prefix.length);
        line = `${prefix.padEnd(width)}    | ${text}`;
      }
      // A slow reader slows the stream down (the agent's side waits too) instead of growing memory.
      if (!(r.stream === "stderr" ? ctx.err : ctx.out)(line)) await ctx.drained();
    }
    return 0;
  },
};
