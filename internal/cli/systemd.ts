/**
 * `swarm install`: the systemd unit that runs `swarm agent` with the flags given. Pure: rendering and
 * quoting here, the effects (write, daemon-reload, enable) in the command through `InstallEffects`.
 */

export const UNIT_NAME = "swarm.service";
export const DEFAULT_UNIT_DIR = "/etc/systemd/system";

/** One ExecStart argument as systemd reads it: quoted when needed, `%` doubled (specifiers), `\` and `"` escaped. */
export function systemdQuote(arg: string): string {
  const escaped = arg.replace(/%/g, "%%");
  if (escaped !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** systemd's own splitting of an ExecStart line (for tests and `--print` readers): the inverse of systemdQuote. */
export function systemdSplit(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === " ") i++;
    if (i >= line.length) break;
    let arg = "";
    if (line[i] === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === "\\") i++;
        arg += line[i++];
      }
      i++;
    } else {
      while (i < line.length && line[i] !== " ") arg += line[i++];
    }
    out.push(arg.replace(/%%/g, "%"));
  }
  return out;
}

export function renderUnit(execArgv: string[]): string {
  return `# Written by \`swarm install\`. Change the flags by running it again (or edit, then \`systemctl daemon-reload\`).
[Unit]
Description=swarm agent (container orchestrator for small clusters)
# The engine runs the containers; the network must be up to reach the other nodes.
After=network-online.target docker.service containerd.service
Wants=network-online.target docker.service

[Service]
Type=simple
ExecStart=${execArgv.map(systemdQuote).join(" ")}
# The agent stops cleanly on SIGTERM; the containers keep running (a restarted agent adopts them).
KillSignal=SIGTERM
TimeoutStopSec=30
Restart=always
RestartSec=2
LimitNOFILE=1048576

[Install]
WantedBy=multi-user.target
`;
}

/** What installing does to the host (the command passes real ones, tests fakes). */
export interface InstallEffects {
  /** systemd is the running init (sd_booted: /run/systemd/system exists). */
  systemdRunning(): boolean;
  writeFile(path: string, text: string): void;
  systemctl(args: string[]): Promise<{ code: number; output: string }>;
  /** An agent already answers on the socket (one `swarm init` started, say). */
  agentAnswers(): Promise<boolean>;
  /** Stops that agent, leaving its state and containers (the unit's agent resumes them). */
  stopAgent(): Promise<void>;
}

export interface InstallPlan {
  unitPath: string;
  execArgv: string[];
  /** Start the agent now (`enable --now`), not only at boot. */
  start: boolean;
}

/** Writes the unit; where systemd runs, reloads it and enables (and starts) it. Returns what it did, as lines. */
export async function installUnit(plan: InstallPlan, fx: InstallEffects): Promise<string[]> {
  const said: string[] = [];
  fx.writeFile(plan.unitPath, renderUnit(plan.execArgv));
  said.push(`Wrote ${plan.unitPath}: ${plan.execArgv.join(" ")}`);
  if (!fx.systemdRunning()) {
    said.push(`systemd is not running on this host: nothing was enabled. On a systemd host: systemctl daemon-reload && systemctl enable --now ${UNIT_NAME}`);
    return said;
  }
  const run = async (args: string[]) => {
    const r = await fx.systemctl(args);
    if (r.code !== 0) throw new Error(`systemctl ${args.join(" ")} failed (exit ${r.code}): ${r.output.trim()}`);
  };
  await run(["daemon-reload"]);
  if (plan.start && (await fx.agentAnswers())) {
    // An agent started by `swarm init` holds the data dir: hand over to the unit's agent.
    await fx.stopAgent();
    said.push("Stopped the running agent (its containers keep running); systemd starts it again");
  }
  await run(plan.start ? ["enable", "--now", UNIT_NAME] : ["enable", UNIT_NAME]);
  said.push(plan.start ? `Enabled and started ${UNIT_NAME} (systemctl status swarm; journalctl -u swarm)` : `Enabled ${UNIT_NAME}: it starts at boot (systemctl start swarm to start it now)`);
  return said;
}
