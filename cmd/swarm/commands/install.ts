/**
 * `swarm install [AGENT FLAGS]`: runs the agent as a systemd service. Writes swarm.service with
 * `ExecStart=<this binary> agent <the flags given>` and, where systemd runs, enables and starts it
 * (an agent `swarm init` started is stopped first; the unit's agent resumes its cluster and adopts
 * its containers). `--print` only prints the unit.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bool, DEFAULT_UNIT_DIR, installUnit, one, renderUnit, UNIT_NAME, type FlagDef } from "../../../internal/cli/index.ts";
import { AgentClient } from "../../../internal/client/index.ts";
import { DEFAULT_SOCKET } from "../../../internal/config/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";
import { selfArgv, stopStartedAgent } from "../start-agent.ts";
import { agentConfigFrom, AGENT_FLAGS } from "./agent.ts";

const FLAGS: FlagDef[] = [
  ...AGENT_FLAGS.filter((d) => d.name !== "log-file"),
  { name: "unit-dir", kind: "string", value: "path", help: `Where to write ${UNIT_NAME} (default ${DEFAULT_UNIT_DIR})` },
  { name: "no-start", kind: "bool", help: "Enable the unit for the next boot without starting it now" },
  { name: "print", kind: "bool", help: "Print the unit and change nothing" },
];

export const installCmd: Command = {
  name: "install",
  summary: "Run the agent as a systemd service (writes and enables swarm.service)",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm install [OPTIONS]\n\nWrite a systemd unit that runs `swarm agent` with these flags; where systemd runs, enable and start it.", FLAGS);
    if (!p) return 0;
    const cfg = agentConfigFrom(p, ctx); // refuses bad flag values before anything is written
    const execArgv = [...selfArgv(), "agent"];
    if (cfg.socketPath !== DEFAULT_SOCKET && one(p, "socket") === undefined) execArgv.push("--socket", cfg.socketPath);
    for (const d of AGENT_FLAGS) {
      const v = one(p, d.name);
      if (v !== undefined) execArgv.push(`--${d.name}`, v);
    }
    if (bool(p, "print")) {
      ctx.out(renderUnit(execArgv));
      return 0;
    }
    const client = new AgentClient(cfg.socketPath);
    const unitPath = join(one(p, "unit-dir") ?? DEFAULT_UNIT_DIR, UNIT_NAME);
    const said = await installUnit({ unitPath, execArgv, start: !bool(p, "no-start") }, {
      systemdRunning: () => existsSync("/run/systemd/system"),
      writeFile: (path, text) => writeFileSync(path, text, { mode: 0o644 }),
      async systemctl(args) {
        const proc = Bun.spawn(["systemctl", ...args], { stdio: ["ignore", "pipe", "pipe"] });
        const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
        return { code, output: out + err };
      },
      agentAnswers: () => client.ping(),
      stopAgent: () => stopStartedAgent(client, false),
    });
    ctx.out(said.map((l) => l + "\n").join(""));
    return 0;
  },
};
