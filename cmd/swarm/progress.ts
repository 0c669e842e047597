/**
 * `--detach=false`: follow a service until it converges, drawing Docker-style progress. Returns when
 * converged; Ctrl-C stops watching and leaves the change running (it is already committed).
 */
import type { Service, Task } from "../../internal/api/index.ts";
import { progressBar, progressOf, rolloutFailure, type Progress } from "../../internal/cli/index.ts";
import type { ServiceView, TaskView } from "../../internal/api/index.ts";
import type { Ctx } from "./context.ts";

type WatchMsg = { index: number; service?: ServiceView; tasks?: TaskView[]; removed?: boolean };

/** `rollback`: the rollback's message while this command's change is being rolled back (Docker's lines). */
function render(p: Progress, verify: string, rollback?: string): string[] {
  const lines = [`overall progress: ${rollback !== undefined ? "rolling back update: " : ""}${p.done} out of ${p.total} tasks`];
  const shown = p.lines.length > 20 ? p.lines.filter((l) => l.state !== "running").slice(0, 20) : p.lines;
  for (const l of shown) {
    const text = l.message ? l.message : `${l.state.padEnd(9)} ${progressBar(l.state)}`;
    lines.push(`${l.label}: ${text}`);
  }
  if (rollback) lines.push(`rollback: ${rollback}`);
  if (verify) lines.push(`verify: ${verify}`);
  return lines;
}

/**
 * `since`: the service's UpdateStatus.StartedAt before this command's change (undefined for a create):
 * a rollout that pauses or rolls back after it ends the wait with an error.
 */
export async function waitForConvergence(ctx: Ctx, serviceId: string, quiet: boolean, since?: string): Promise<void> {
  const rollout: { since: string | undefined; rolledBack?: string } = { since };
  let failure: Error | undefined;
  const ac = new AbortController();
  const tty = process.stdout.isTTY === true;
  let latest: { svc: Service; tasks: Task[] } | undefined;
  let removed = false;
  let drawn = 0;
  let lastText = "";
  const printedErrors = new Set<string>();
  const onSigint = () => {
    ac.abort();
    ctx.err("\nOperation continuing in background.\nUse `swarm service ps " + serviceId.slice(0, 12) + "` to check progress.\n");
    process.exit(0);
  };
  process.once("SIGINT", onSigint);
  const draw = (p: Progress, lines: string[], final: boolean) => {
    if (quiet) return;
    const text = lines.join("\n");
    if (tty) {
      if (drawn) ctx.out(`\x1b[${drawn}A\x1b[J`);
      ctx.out(text + "\n");
      drawn = lines.length;
    } else if (final) {
      const first = lastText.split("\n")[0] === lines[0] ? 1 : 0;
      ctx.out(lines.slice(first).join("\n") + "\n");
    } else {
      if (text !== lastText && lines[0] !== lastText.split("\n")[0]) ctx.out(lines[0] + "\n");
      // Without a terminal to redraw, each slot's new error is printed once: waiting never hides why.
      for (const l of p.lines) {
        const e = l.message ? `${l.label}: ${l.message}` : "";
        if (e && !printedErrors.has(e)) {
          printedErrors.add(e);
          ctx.out(e + "\n");
        }
      }
    }
    lastText = text;
  };
  const reader = (async () => {
    for await (const m of ctx.client.stream<WatchMsg>(`/watch?service=${encodeURIComponent(serviceId)}`, ac.signal)) {
      if (m.removed) {
        removed = true;
        return;
      }
      latest = { svc: m.service!.Service, tasks: m.tasks!.map((t) => t.Task) };
      failure ??= rolloutFailure(latest.svc, rollout); // every state: a short-lived one is not missed
    }
  })();
  try {
    for (;;) {
      if (removed) throw new Error(`service ${serviceId} was removed while waiting for it to converge`);
      if (latest) {
        const p = progressOf(latest.svc, latest.tasks, Date.now());
        const u = latest.svc.UpdateStatus;
        const rollback = u && u.StartedAt !== since && u.State.startsWith("rollback") ? (rollout.rolledBack ?? u.Message) : undefined;
        if (failure) {
          draw(p, render(p, "", rollback), true);
          throw failure;
        }
        // Rolled back by its failure action: the old spec converging is not success; wait for the verdict.
        if (p.converged && rollout.rolledBack === undefined) {
          draw(p, render(p, "Service converged", rollback), true);
          return;
        }
        const verify = p.allRunning ? `Waiting ${Math.ceil(p.verifyRemainingMs / 1000)} seconds to verify that tasks are stable...` : "";
        draw(p, render(p, verify, rollback), false);
      }
      await Promise.race([Bun.sleep(50), reader]);
    }
  } finally {
    process.off("SIGINT", onSigint);
    ac.abort();
    await reader.catch(() => undefined);
  }
}
