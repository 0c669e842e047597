/**
 * `swarm join --token TOKEN HOST[:PORT]`: start the agent in the background (same flags as `init`) and
 * join the cluster through the manager at HOST:PORT (default port 2377). Returns once this node is a
 * member. The token can come from `--token-file F` or `--token -` (stdin): argv is visible to every
 * local user. On failure nothing of the cluster is left on disk.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseToken, SwarmError } from "../../../internal/api/index.ts";
import { one } from "../../../internal/cli/index.ts";
import { AgentClient } from "../../../internal/client/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";
import { ensureAgent, refuseIfClusterWithoutAgent, stopStartedAgent } from "../start-agent.ts";
import { agentConfigFrom, AGENT_FLAGS } from "./agent.ts";

function remoteOf(arg: string): string {
  const m = /^([\w.-]+)(?::(\d{1,5}))?$/.exec(arg);
  const port = m?.[2] !== undefined ? Number(m[2]) : 2377;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw SwarmError.invalid(`invalid address "${arg}": expected HOST[:PORT] of a manager, like 192.168.1.10:2377`);
  }
  return `${m[1]}:${port}`;
}

async function readToken(flag: string | undefined, file: string | undefined): Promise<string> {
  if (file) {
    try {
      return readFileSync(file, "utf8").trim();
    } catch (e) {
      throw SwarmError.invalid(`cannot read --token-file ${file}: ${(e as Error).message}`);
    }
  }
  if (flag === "-") return (await new Response(Bun.stdin.stream()).text()).trim();
  if (!flag) throw SwarmError.invalid(`"swarm join" requires --token (or --token-file): print one with \`swarm join-token worker\` on a manager`);
  return flag;
}

export const joinCmd: Command = {
  name: "join",
  summary: "Join a swarm as a node (starts the agent)",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm join [OPTIONS] HOST[:PORT]\n\nJoin a swarm as a node and/or manager.", [
      { name: "token", kind: "string", value: "string", help: "Token for entry into the swarm (- reads it from stdin)" },
      { name: "token-file", kind: "string", value: "path", help: "Read the token from this file" },
      ...AGENT_FLAGS.filter((d) => d.name !== "log-file"),
    ]);
    if (!p) return 0;
    if (p.args.length !== 1) throw SwarmError.invalid(`"swarm join" requires exactly 1 argument: the address of a manager (HOST[:PORT])`);
    const remote = remoteOf(p.args[0]!);
    const token = await readToken(one(p, "token"), one(p, "token-file"));
    parseToken(token); // a malformed token fails here, before anything starts
    const cfg = agentConfigFrom(p, ctx);
    const client = new AgentClient(cfg.socketPath);
    const fresh = !existsSync(cfg.dataDir);
    await refuseIfClusterWithoutAgent(cfg, client, "join");
    const started = await ensureAgent(cfg, client, one(p, "listen-addr"));
    let res: { role: string };
    try {
      res = await client.call("POST", "/join", { token, remote });
    } catch (err) {
      // Nothing half-joined: stop the agent we started, and remove the data dir we created.
      if (started) await stopStartedAgent(client, fresh);
      throw err;
    }
    ctx.out(`This node joined a swarm as a ${res.role}.\n`);
    return 0;
  },
};
