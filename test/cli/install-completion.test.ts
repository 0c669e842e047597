/**
 * `swarm install` (the systemd unit) and `swarm completion` with the compiled binary: the unit's
 * ExecStart runs the agent with exactly the flags given (systemd's own parser agrees, when
 * systemd-analyze is on the machine), enabling goes through systemctl in the right order where systemd
 * runs, and the bash completion completes commands, flags, flag values and service names in a real bash.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installUnit, renderUnit, systemdQuote, systemdSplit, type InstallEffects } from "../../internal/cli/index.ts";
import { runBinary, swarmBinary } from "./fixture.ts";

const dir = mkdtempSync(join(tmpdir(), "swarm-install-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the systemd unit", () => {
  test("ExecStart quoting is systemd's: spaces, quotes, backslashes and % survive", () => {
    const args = ["/usr/local/bin/swarm", "agent", "--data-dir", "/var/lib/my swarm", "--web", "", 'a"b\\c', "100%", "--x=y"];
    expect(systemdSplit(args.map(systemdQuote).join(" "))).toEqual(args);
    expect(systemdQuote("100%")).toBe("100%%");
  });

  test("swarm install --print: the agent with the flags given, restarted always, after the network and Docker", async () => {
    const bin = await swarmBinary();
    const r = await runBinary(bin, ["install", "--print", "--advertise-addr", "10.0.0.5", "--web", "0.0.0.0:2378", "--data-dir", "/srv/swarm state"], {});
    expect(r.code).toBe(0);
    const exec = /^ExecStart=(.*)$/m.exec(r.stdout)![1]!;
    expect(systemdSplit(exec)).toEqual([bin, "agent", "--data-dir", "/srv/swarm state", "--advertise-addr", "10.0.0.5", "--web", "0.0.0.0:2378"]);
    expect(r.stdout).toContain("Restart=always");
    expect(r.stdout).toContain("After=network-online.target docker.service");
    expect(r.stdout).toContain("WantedBy=multi-user.target");
    // Flags are checked before anything is written.
    const bad = await runBinary(bin, ["install", "--print", "--web", "nonsense"], {});
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--web must look like");
  });

  const haveAnalyze = existsSync("/usr/bin/systemd-analyze");
  if (!haveAnalyze) console.warn("SKIPPED: systemd-analyze is not installed (Debian's systemd package); the unit is not verified");
  test.skipIf(!haveAnalyze)("systemd-analyze verify accepts the unit", async () => {
    const unit = join(dir, "swarm.service");
    writeFileSync(unit, renderUnit([await swarmBinary(), "agent", "--advertise-addr", "10.0.0.5"]));
    const p = Bun.spawnSync(["systemd-analyze", "verify", "--man=no", unit], { stdout: "pipe", stderr: "pipe" });
    const out = p.stderr.toString() + p.stdout.toString();
    // Only complaints about this unit count (the host's own units may not load in a container).
    expect(out.split("\n").filter((l) => l.includes("swarm.service"))).toEqual([]);
  });

  const systemdRuns = existsSync("/run/systemd/system");
  if (systemdRuns) console.warn("SKIPPED: systemd runs here; `swarm install` would enable the unit on this host");
  test.skipIf(systemdRuns)("without systemd: the unit is written and nothing else is touched", async () => {
    const bin = await swarmBinary();
    const r = await runBinary(bin, ["install", "--unit-dir", dir, "--advertise-addr", "10.0.0.7"], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Wrote ${dir}/swarm.service`);
    expect(r.stdout).toContain("systemd is not running on this host");
    expect(readFileSync(join(dir, "swarm.service"), "utf8")).toContain(`ExecStart=${bin} agent --advertise-addr 10.0.0.7`);
  });

  test("with systemd: daemon-reload, the running agent handed over, then enable --now", async () => {
    const calls: string[] = [];
    const fx: InstallEffects = {
      systemdRunning: () => true,
      writeFile: (p) => void calls.push(`write ${p}`),
      systemctl: async (args) => (calls.push(`systemctl ${args.join(" ")}`), { code: 0, output: "" }),
      agentAnswers: async () => true,
      stopAgent: async () => void calls.push("stop agent"),
    };
    const said = await installUnit({ unitPath: "/etc/systemd/system/swarm.service", execArgv: ["/usr/bin/swarm", "agent"], start: true }, fx);
    expect(calls).toEqual(["write /etc/systemd/system/swarm.service", "systemctl daemon-reload", "stop agent", "systemctl enable --now swarm.service"]);
    expect(said.at(-1)).toContain("Enabled and started swarm.service");
    calls.length = 0;
    await installUnit({ unitPath: "/u/swarm.service", execArgv: ["/usr/bin/swarm", "agent"], start: false }, fx);
    expect(calls).toEqual(["write /u/swarm.service", "systemctl daemon-reload", "systemctl enable swarm.service"]);
    await expect(installUnit({ unitPath: "/u", execArgv: [], start: true }, { ...fx, systemctl: async () => ({ code: 1, output: "Access denied" }) })).rejects.toThrow("Access denied");
  });
});

describe("shell completion", () => {
  /** Runs the bash completion for a command line (the last word is being completed). */
  async function complete(line: string[]): Promise<string[]> {
    const bin = await swarmBinary();
    const script = join(dir, "swarm.bash");
    if (!existsSync(script)) writeFileSync(script, (await runBinary(bin, ["completion", "bash"], {})).stdout);
    // A stand-in `swarm` on PATH answers the name lookups the completion makes.
    const fake = join(dir, "bin");
    if (!existsSync(fake)) {
      Bun.spawnSync(["mkdir", "-p", fake]);
      writeFileSync(join(fake, "swarm"), `#!/bin/sh\ncase "$*" in *"service ls --format"*) echo web; echo db;; *"node ls --format"*) echo h1; echo h2;; esac\n`);
      chmodSync(join(fake, "swarm"), 0o755);
    }
    const words = line.map((w) => `'${w}'`).join(" ");
    const p = Bun.spawnSync(["bash", "-c", `source ${script}; COMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _swarm; printf '%s\\n' "\${COMPREPLY[@]}"`], {
      env: { PATH: `${fake}:/usr/bin:/bin` }, stdout: "pipe", stderr: "pipe",
    });
    expect(p.stderr.toString()).toBe("");
    return p.stdout.toString().split("\n").filter(Boolean).sort();
  }

  test("commands, subcommands, flags and flag values", async () => {
    expect(await complete(["swarm", "se"])).toEqual(["secret", "service"]);
    expect(await complete(["swarm", "in"])).toEqual(["info", "init", "install"]);
    expect(await complete(["swarm", "service", "l"])).toEqual(["logs", "ls"]);
    expect(await complete(["swarm", "node", "update", "--av"])).toEqual(["--availability"]);
    expect(await complete(["swarm", "node", "update", "--availability", "d"])).toEqual(["drain"]);
    expect(await complete(["swarm", "service", "ls", "--fo"])).toEqual(["--format"]);
    expect(await complete(["swarm", "completion", ""])).toEqual(["bash", "fish", "zsh"]);
    expect(await complete(["swarm", "-H", "unix:///x.sock", "node", "p"])).toEqual(["promote", "ps"]);
  });

  test("service and node names come from the agent", async () => {
    expect(await complete(["swarm", "service", "logs", ""])).toEqual(["db", "web"]);
    expect(await complete(["swarm", "service", "scale", "w"])).toEqual(["web"]);
    expect(await complete(["swarm", "node", "inspect", ""])).toEqual(["h1", "h2", "self"]);
  });

  for (const shell of ["zsh", "fish"]) {
    const bin = `/usr/bin/${shell}`;
    if (!existsSync(bin)) console.warn(`SKIPPED: ${shell} is not installed; its completion script is generated but not syntax-checked`);
    test.skipIf(!existsSync(bin))(`the ${shell} script parses`, async () => {
      const file = join(dir, `swarm.${shell}`);
      writeFileSync(file, (await runBinary(await swarmBinary(), ["completion", shell], {})).stdout);
      const p = Bun.spawnSync([bin, "-n", file], { stdout: "pipe", stderr: "pipe" });
      expect(p.stderr.toString()).toBe("");
      expect(p.exitCode).toBe(0);
    });
  }
});
