/**
 * The executor's pure core: given what the store wants (desired state), what we last reported, and what
 * the engine shows now, the one next step for a task. The task runner performs the step, observes again
 * and asks again, until the answer is `idle`. Level-triggered: any number of repeated calls with the same
 * view give the same answer, so restarts and duplicate events are harmless.
 *
 * Reports only move forward (`canAdvance`): a terminal task is never started again; its container is
 * kept (for logs) until the task is desired `remove` or no longer assigned to this node.
 */
import { isTerminal, stateRank, type ContainerStatus, type DesiredState, type TaskState } from "../api/index.ts";

export type ContainerObs =
  | { kind: "none" }
  | { kind: "created"; id: string }
  /** `health`: the container's health check verdict, when it has one (its own or its image's). */
  | { kind: "running"; id: string; pid: number; health?: "starting" | "healthy" | "unhealthy"; healthLog?: string }
  | { kind: "exited"; id: string; exitCode: number; error: string };

export interface TaskView {
  /** `unassigned`: the task left this node's assignments (or was never ours: an adopted stray). */
  desired: DesiredState | "unassigned";
  /** The furthest state reported (ours or the store's). */
  reported: TaskState;
  container: ContainerObs;
  /** A container existed for this task before (we created it, adopted it, or the store recorded one). */
  hadContainer: boolean;
  nowMs: number;
  notBeforeMs?: number;
}

export type Step =
  | { kind: "report"; state: TaskState; message: string; err?: string; container?: ContainerStatus }
  /** Create the container; if the engine lacks the image, pull it (once for all tasks) and create again. */
  | { kind: "prepare" }
  | { kind: "wait"; untilMs: number }
  | { kind: "start"; id: string }
  | { kind: "stop"; id: string }
  /** Archive the container's logs, then remove it. */
  | { kind: "remove"; id: string }
  | { kind: "idle" };

const before = (a: TaskState, b: TaskState) => stateRank(a) < stateRank(b);

export function exitReport(exitCode: number, error: string, id: string): Step {
  const container: ContainerStatus = { ContainerID: id, ExitCode: exitCode };
  if (exitCode === 0 && error === "") return { kind: "report", state: "complete", message: "finished", container };
  const err = error !== "" ? error : `task: non-zero exit (${exitCode})`;
  return { kind: "report", state: "failed", message: "started", err, container };
}

export function decide(v: TaskView): Step {
  const c = v.container;
  const terminal = isTerminal(v.reported);
  const id = c.kind === "none" ? undefined : c.id;

  if (v.desired === "unassigned" || v.desired === "remove" || v.desired === "shutdown") {
    if (c.kind === "running") return { kind: "stop", id: c.id };
    if (v.desired !== "unassigned" && !terminal) {
      const container: ContainerStatus | undefined = id !== undefined ? { ContainerID: id } : undefined;
      if (c.kind === "exited") container!.ExitCode = c.exitCode;
      return { kind: "report", state: "shutdown", message: "shutdown", ...(container ? { container } : {}) };
    }
    if (v.desired !== "shutdown" && id !== undefined) return { kind: "remove", id };
    return { kind: "idle" };
  }

  // desired running
  // Terminal in the store (ours, or decided by a manager) while the container still runs: stop it.
  if (terminal) return c.kind === "running" ? { kind: "stop", id: c.id } : { kind: "idle" };
  switch (c.kind) {
    case "none":
      if (v.hadContainer || !before(v.reported, "starting")) {
        return { kind: "report", state: "failed", message: "started", err: "task: container was removed outside swarm" };
      }
      if (before(v.reported, "accepted")) return { kind: "report", state: "accepted", message: "accepted" };
      if (before(v.reported, "preparing")) return { kind: "report", state: "preparing", message: "preparing" };
      // The restart delay holds before the pull too: an image that cannot be pulled is retried per
      // the restart policy, not in a tight loop.
      if (v.notBeforeMs !== undefined && v.nowMs < v.notBeforeMs) return { kind: "wait", untilMs: v.notBeforeMs };
      return { kind: "prepare" };
    case "created":
      if (before(v.reported, "accepted")) return { kind: "report", state: "accepted", message: "accepted" };
      if (before(v.reported, "preparing")) return { kind: "report", state: "preparing", message: "preparing" };
      if (v.notBeforeMs !== undefined && v.nowMs < v.notBeforeMs) return { kind: "wait", untilMs: v.notBeforeMs };
      if (before(v.reported, "starting")) {
        return { kind: "report", state: "starting", message: "starting", container: { ContainerID: c.id } };
      }
      return { kind: "start", id: c.id };
    case "running":
      // With a health check a task is `running` only once healthy (convergence, rolling updates and
      // the routing mesh count only running tasks); an unhealthy one fails (then it is stopped).
      if (c.health === "unhealthy") {
        const why = c.healthLog ? `: ${c.healthLog}` : "";
        return { kind: "report", state: "failed", message: "unhealthy container", err: `unhealthy container${why}`, container: { ContainerID: c.id, PID: c.pid } };
      }
      if (c.health === "starting") {
        if (before(v.reported, "starting")) return { kind: "report", state: "starting", message: "starting", container: { ContainerID: c.id } };
        return { kind: "idle" };
      }
      if (before(v.reported, "running")) {
        return { kind: "report", state: "running", message: "started", container: { ContainerID: c.id, PID: c.pid } };
      }
      return { kind: "idle" };
    case "exited":
      return exitReport(c.exitCode, c.error, c.id);
  }
}
