// A handle on one simulated host: run commands in it, talk to its engine.

import type { Subprocess } from "bun";
import type { HostPlan } from "./config.ts";
import { wrapArgv } from "./engine.ts";
import { TestbedError } from "./errors.ts";
import { run, type RunOptions, type RunResult } from "./run.ts";

export type ExecResult = RunResult;

export interface SpawnOptions {
  env?: Record<string, string>;
  stdin?: "ignore" | "pipe" | "inherit";
  stdout?: "ignore" | "pipe" | "inherit";
  stderr?: "ignore" | "pipe" | "inherit";
  cwd?: string;
}

/** Something commands can run in: a namespace set plus a cgroup (a host, or the bed's client). */
export class Place {
  constructor(
    /** Name: "h1".. for hosts, "c" for the client. */
    readonly name: string,
    /** Address on the bed's LAN. */
    readonly ip: string,
    /** Network namespace name (usable with `ip netns exec`, though exec() is preferred). */
    readonly netns: string,
    private readonly cgroup: string,
    private readonly utsFile: string | null,
  ) {}

  /** Extra environment for commands run here. */
  get env(): Record<string, string> {
    return {};
  }

  /**
   * argv running `cmd` here: in this network (and UTS) namespace and cgroup (so poweroff and down
   * kill it). The filesystem and mount namespace are the machine's.
   */
  argv(cmd: readonly string[]): string[] {
    return wrapArgv(this.cgroup, this.netns, this.utsFile, cmd);
  }

  /** Runs cmd here to completion. Never throws for a non-zero exit (see execOk). */
  exec(cmd: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
    return run(this.argv(cmd), { ...opts, env: { ...this.env, ...opts.env } });
  }

  /** Like exec, but throws COMMAND_FAILED unless the exit code is 0. Returns stdout. */
  async execOk(cmd: readonly string[], opts: RunOptions = {}): Promise<string> {
    const r = await this.exec(cmd, opts);
    if (r.code !== 0) {
      throw new TestbedError("COMMAND_FAILED", `${this.name}: \`${cmd.join(" ")}\` exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    }
    return r.stdout;
  }

  /**
   * Starts a long-running process here (an agent, a server). The caller owns it; bed.down() (and
   * bed.poweroff() for a host) kill it too since it lives in this place's cgroup.
   */
  spawn(cmd: readonly string[], opts: SpawnOptions = {}): Subprocess<"ignore" | "pipe" | "inherit", "ignore" | "pipe" | "inherit", "ignore" | "pipe" | "inherit"> {
    return Bun.spawn(this.argv(cmd), {
      env: { ...process.env, ...this.env, ...opts.env },
      stdin: opts.stdin ?? "ignore",
      stdout: opts.stdout ?? "pipe",
      stderr: opts.stderr ?? "pipe",
      cwd: opts.cwd,
    });
  }
}

/** One simulated host: its own netns, hostname, cgroup and Docker engine. */
export class TestbedHost extends Place {
  /** 0-based position in bed.hosts; the CLI and the name use index + 1. */
  readonly index: number;
  /** Path of the host's engine socket. */
  readonly socketPath: string;
  /** "unix://<socketPath>": what DOCKER_HOST is set to in exec() and spawn(). */
  readonly dockerHost: string;
  /** A directory private to this host (its state dir); put per-host agent data below it. */
  readonly dir: string;

  constructor(readonly plan: HostPlan) {
    super(plan.name, plan.ip, plan.netns, plan.cgroup, plan.utsFile);
    this.index = plan.index;
    this.socketPath = plan.socketPath;
    this.dockerHost = `unix://${plan.socketPath}`;
    this.dir = plan.dir;
  }

  /** Environment for commands on this host: DOCKER_HOST points at its engine. */
  override get env(): Record<string, string> {
    return { DOCKER_HOST: this.dockerHost };
  }

  /** Runs the docker CLI against this host's engine (from the root namespace; only the socket matters). */
  docker(args: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
    return run(["docker", ...args], { ...opts, env: { ...this.env, ...opts.env } });
  }

  /** Like docker, but throws COMMAND_FAILED unless the exit code is 0. Returns stdout, trimmed. */
  async dockerOk(args: readonly string[], opts: RunOptions = {}): Promise<string> {
    const r = await this.docker(args, opts);
    if (r.code !== 0) {
      throw new TestbedError("COMMAND_FAILED", `${this.name}: \`docker ${args.join(" ")}\` exited ${r.code}: ${r.stderr.trim()}`);
    }
    return r.stdout.trim();
  }
}
