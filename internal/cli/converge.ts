/**
 * When has a service converged after `create`/`update`/`scale`? Pure: (service, tasks, now) → a
 * progress report. A slot counts once its newest task runs the current spec; the service has
 * converged when every slot counts, nothing beyond the desired count still runs, and each running
 * task has stayed up for `monitorMs` since it started. Tasks that were already stable before the
 * change cost no wait at all (Docker Swarm always waits 5 s); a task that dies inside the window
 * is replaced and the wait goes on.
 */
import { isDesiredLive, isJob, isOutdated, isTerminal, stateRank, SwarmError, type Service, type Task, type TaskState } from "../api/index.ts";

export const DEFAULT_MONITOR_MS = 1000;

export interface ProgressLine {
  label: string; // "1/3" or a node id
  state: TaskState | "pending";
  message: string; // error text for failed/rejected tasks
}

export interface Progress {
  done: number;
  total: number;
  lines: ProgressLine[];
  /** Every slot running the current spec; `verifyRemainingMs` says how long until it is stable. */
  allRunning: boolean;
  verifyRemainingMs: number;
  converged: boolean;
}

export function progressOf(svc: Service, tasks: Task[], now: number, monitorMs = DEFAULT_MONITOR_MS): Progress {
  if (isJob(svc.Spec)) return jobProgressOf(svc, tasks);
  const current = tasks.filter((t) => t.ServiceID === svc.ID);
  const lines: ProgressLine[] = [];
  let done = 0;
  let remaining = 0;
  const check = (label: string, newest: Task | undefined, slotTasks: Task[]) => {
    if (!newest) {
      lines.push({ label, state: "pending", message: "" });
      return;
    }
    // "Current" is what the orchestrator means by it: the task template and the published ports.
    const ok = newest.Status.State === "running" && !isOutdated(newest, svc);
    if (ok) {
      done++;
      remaining = Math.max(remaining, Date.parse(newest.Status.Timestamp) + monitorMs - now);
    }
    lines.push({ label, state: newest.Status.State, message: ok ? "" : slotError(newest, slotTasks) });
  };
  const newestOf = (ts: Task[]) =>
    ts.filter((t) => t.DesiredState === "running").sort((a, b) => b.CreatedAt.localeCompare(a.CreatedAt) || stateRank(b.Status.State) - stateRank(a.Status.State))[0];
  let total: number;
  let leftovers = 0;
  if ("Replicated" in svc.Spec.Mode) {
    total = svc.Spec.Mode.Replicated.Replicas;
    for (let slot = 1; slot <= total; slot++) {
      const inSlot = current.filter((t) => t.Slot === slot);
      check(`${slot}/${total}`, newestOf(inSlot), inSlot);
    }
    leftovers = current.filter((t) => (t.Slot ?? 0) > total && !isTerminal(t.Status.State)).length;
  } else {
    const nodes = [...new Set(current.filter((t) => t.DesiredState === "running").map((t) => t.NodeID ?? ""))].sort();
    total = nodes.length;
    for (const n of nodes) {
      const onNode = current.filter((t) => t.NodeID === n);
      check(n.slice(0, 12), newestOf(onNode), onNode);
    }
  }
  const allRunning = done === total && leftovers === 0;
  const verifyRemainingMs = Math.max(0, remaining);
  return { done, total, lines, allRunning, verifyRemainingMs, converged: allRunning && verifyRemainingMs === 0 };
}

/**
 * A job has converged when its current iteration has completed: TotalCompletions tasks complete (a
 * replicated job), or every task of the iteration complete (a global job, one per eligible node).
 */
function jobProgressOf(svc: Service, tasks: Task[]): Progress {
  const iteration = svc.JobStatus?.JobIteration.Index;
  const mine = tasks.filter((t) => t.ServiceID === svc.ID && (iteration === undefined || t.JobIteration?.Index === iteration));
  const done = mine.filter((t) => t.Status.State === "complete").length;
  const replicated = "ReplicatedJob" in svc.Spec.Mode ? svc.Spec.Mode.ReplicatedJob : undefined;
  const live = mine.filter((t) => isDesiredLive(t.DesiredState) && !isTerminal(t.Status.State));
  const total = replicated ? replicated.TotalCompletions : done + live.length;
  const lines: ProgressLine[] = live
    .sort((a, b) => (a.Slot ?? 0) - (b.Slot ?? 0) || (a.NodeID ?? "").localeCompare(b.NodeID ?? ""))
    .map((t) => ({ label: t.Slot !== undefined ? `job ${t.Slot}` : (t.NodeID ?? "").slice(0, 12), state: t.Status.State, message: t.Status.Err ?? "" }));
  const finished = replicated ? done >= total : live.length === 0 && mine.length > 0;
  return { done, total, lines, allRunning: finished, verifyRemainingMs: 0, converged: finished };
}

/**
 * A rolling update that stopped short, for `--detach=false`: an update paused by failures, a rollback
 * paused, or an update rolled back by its failure action (reported once the rollback completed).
 * Returned as an error (non-zero exit) so that scripts see it; undefined while the rollout goes on or
 * once it completed. `watch.since`: the UpdateStatus.StartedAt before this command's change (a status
 * left by an earlier update is not ours); `watch.rolledBack` is kept between calls.
 */
export function rolloutFailure(svc: Service, watch: { since: string | undefined; rolledBack?: string }): SwarmError | undefined {
  const u = svc.UpdateStatus;
  if (!u || u.StartedAt === watch.since) return undefined;
  if (u.State === "rollback_started" && /^update rolled back/.test(u.Message)) watch.rolledBack = u.Message;
  if (u.State === "paused" || u.State === "rollback_paused") {
    const what = u.State === "paused" ? "update" : "rollback";
    return SwarmError.conflict(`${what} paused: ${u.Message}; fix the spec and run \`swarm service update\` again, or \`swarm service rollback ${svc.Spec.Name}\``);
  }
  if (u.State === "rollback_completed" && watch.rolledBack !== undefined) return SwarmError.conflict(`service rolled back: ${watch.rolledBack}`);
  return undefined;
}

/**
 * What is wrong with a slot that is not done, as Docker's progress shows it: the newest task's own
 * error (a failed start, or why the scheduler cannot place it), else the error of the slot's most
 * recent failed or rejected task while its replacement waits (an image that cannot be pulled retries
 * forever: the user must see why). Empty when nothing went wrong.
 */
function slotError(newest: Task, slotTasks: Task[]): string {
  const own = newest.Status.Err;
  if (own) return own;
  if (isTerminal(newest.Status.State) && newest.Status.State !== "complete") return newest.Status.Message;
  const lastFailure = slotTasks
    .filter((t) => t !== newest && (t.Status.State === "failed" || t.Status.State === "rejected") && (t.Status.Err || t.Status.Message))
    .sort((a, b) => b.Status.Timestamp.localeCompare(a.Status.Timestamp))[0];
  return lastFailure ? lastFailure.Status.Err || lastFailure.Status.Message : "";
}

const STEPS: Partial<Record<TaskState | "pending", number>> = {
  new: 1, pending: 3, assigned: 4, accepted: 5, preparing: 6, starting: 8, running: 9,
};

/** Docker's per-task progress bar: `running   [=====>   ]`. */
export function progressBar(state: TaskState | "pending"): string {
  const step = STEPS[state];
  if (step === undefined) return "";
  const width = 50;
  const filled = Math.round((step / 9) * width);
  const bar = step === 9 ? "=".repeat(width - 1) + ">" : "=".repeat(Math.max(0, filled - 1)) + ">" + " ".repeat(width - filled);
  return `[${bar}]`;
}
