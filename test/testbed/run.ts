// Running external commands (ip, nft, nsenter, ...) and capturing their output.

import { TestbedError } from "./errors.ts";
import { reached } from "../harness/wait.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  stdin?: string;
  /** Kill the command after this long (SIGKILL) and report code 124, like timeout(1). */
  timeoutMs?: number;
}

/** Runs argv to completion. Never throws for a non-zero exit; see runOk. */
export async function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const proc = Bun.spawn([...argv], {
    stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
    env: opts.env ? { ...process.env, ...opts.env } : process.env,
  });
  let timedOut = false;
  const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, opts.timeoutMs);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (timer) clearTimeout(timer);
  return { code: timedOut ? 124 : code, stdout, stderr };
}

/** Runs argv and throws COMMAND_FAILED (with its stderr) unless it exits 0. Returns stdout. */
export async function runOk(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) {
    throw new TestbedError("COMMAND_FAILED", `\`${argv.join(" ")}\` exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

/** True when `name` resolves on PATH. */
export function haveTool(name: string): boolean {
  return Bun.which(name) !== null;
}

/** Polls `check` until it returns true or deadlineMs passes (the harness's one polling loop). */
export function waitFor(check: () => Promise<boolean> | boolean, deadlineMs: number, stepMs = 50): Promise<boolean> {
  return reached(check, deadlineMs, stepMs);
}
