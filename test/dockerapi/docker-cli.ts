/**
 * The stock Docker CLIs the suite drives against swarm's Docker-compatible API: Debian's docker.io
 * (`/usr/bin/docker`, 20.10, installed by scripts/install-deps) and, when the machine has one, a
 * current Docker CLI elsewhere on PATH (e.g. /usr/local/bin/docker, 28.x). Each runs with its own
 * empty config dir so nothing of the machine's Docker setup (contexts, auth) leaks in.
 */
import { existsSync, mkdirSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface DockerCli {
  bin: string;
  version: string;
}

function versionOf(bin: string): string | undefined {
  const p = Bun.spawnSync([bin, "--version"], { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) return undefined;
  return /version (\S+?),?\s/.exec(p.stdout.toString())?.[1];
}

/** Debian's docker.io CLI: required (the suite's install-deps puts it there). */
export const DEBIAN_DOCKER = "/usr/bin/docker";

/** A Docker CLI other than Debian's on PATH (a current one), if any. */
export function currentDockerCli(): DockerCli | undefined {
  const seen = existsSync(DEBIAN_DOCKER) ? realpathSync(DEBIAN_DOCKER) : "";
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const bin = join(dir, "docker");
    if (!dir || !existsSync(bin) || realpathSync(bin) === seen) continue;
    const version = versionOf(bin);
    if (version) return { bin, version };
  }
  return undefined;
}

export function debianDockerCli(): DockerCli | undefined {
  if (!existsSync(DEBIAN_DOCKER)) return undefined;
  const version = versionOf(DEBIAN_DOCKER);
  return version ? { bin: DEBIAN_DOCKER, version } : undefined;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

// One config dir for every run (beside the cached test image), so no run leaves a new one behind.
const configDir = join(tmpdir(), "swarm-test-cache", "docker-cli-config");
mkdirSync(configDir, { recursive: true, mode: 0o700 });

/** Runs `docker -H unix://socket args…` (with `env` added, e.g. DOCKER_API_VERSION) and returns its exit code and output (never throws). */
export async function docker(cli: DockerCli, socket: string, args: string[], timeoutMs = 60_000, env: Record<string, string> = {}): Promise<CliResult> {
  const p = Bun.spawn([cli.bin, "-H", `unix://${socket}`, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: configDir, DOCKER_CONFIG: configDir, DOCKER_CLI_HINTS: "false", ...env },
  });
  const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Like `docker` but throws with the output unless it exits 0. */
export async function dockerOk(cli: DockerCli, socket: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await docker(cli, socket, args, timeoutMs);
  if (r.code !== 0) throw new Error(`docker ${args.join(" ")} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}
