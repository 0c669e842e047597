/**
 * The worker: runs this node's tasks on the container engine and reports their states as store
 * Commands (`task.status`), batched.
 *
 * Contract (called by the agent):
 * - `adopt(assignments?)` once at startup: finds this node's containers (cluster + node labels). With
 *   `assignments`, it also syncs; otherwise containers whose task is absent from the NEXT sync are
 *   archived (logs) and removed.
 * - `sync(assignments)` whenever the store changes: the full set of tasks assigned to this node, with
 *   their service names. Idempotent; returns at once (work continues in the background).
 * - `whenIdle()` resolves when no task has work in progress (a task waiting for its NotBefore counts
 *   as in progress; one waiting to retry after an engine error does not, so this never hangs while
 *   Docker is down) and all reports are sent.
 * - `close()` stops watching and driving (containers keep running; a new worker adopts them).
 *
 * Engine calls that create, start or remove are bounded (`maxConcurrent`, default 8); stops are not
 * (they mostly wait for the grace period). A pull of an image shared by many tasks happens once.
 */
import { LABEL, type Command, type Task, type TaskStatus } from "../api/index.ts";
import type { LogArchive } from "../logs/index.ts";
import { Limiter, SingleFlight } from "./concurrency.ts";
import { silentLogger, type Logger } from "./logger.ts";
import { Reporter } from "./reporter.ts";
import type { ContainerRuntime, Subscription, TaskFiles } from "./runtime.ts";
import { TaskRunner, type RunnerContext } from "./task-runner.ts";

export interface Assignment {
  task: Task;
  serviceName: string;
}

export interface WorkerOptions {
  runtime: ContainerRuntime;
  clusterId: string;
  nodeId: string;
  report: (cmds: Command[]) => Promise<void>;
  logs: LogArchive;
  logger?: Logger;
  clock?: { now(): number };
  /** Bound on concurrent create/start/remove calls. Default 8. */
  maxConcurrent?: number;
  /**
   * Run docker-init as PID 1 in every task container (Docker's `--init`). Default false, as in Docker
   * Swarm. With it, programs that do not handle SIGTERM themselves (busybox `ping` as PID 1) stop at once
   * instead of after the whole grace period.
   */
  init?: boolean;
  /**
   * Called when the engine stops answering (its event stream broke) and when it answers again: the
   * node agent re-describes itself to the leader so `node ls` shows an unreachable engine.
   */
  onEngine?: (reachable: boolean) => void;
  /** Secrets and configs of tasks that use them (absent: such a task is rejected). */
  files?: TaskFiles;
}

export interface Worker {
  sync(assignments: readonly Assignment[]): Promise<void>;
  adopt(assignments?: readonly Assignment[]): Promise<void>;
  whenIdle(): Promise<void>;
  close(): Promise<void>;
}

export function createRuntimeWorker(opts: WorkerOptions): Worker {
  const { runtime, clusterId, nodeId } = opts;
  const logger = opts.logger ?? silentLogger;
  const now = opts.clock ? () => opts.clock!.now() : () => Date.now();
  const runners = new Map<string, TaskRunner>();
  const pulls = new SingleFlight<string | undefined>();
  const ownLabels = { [LABEL.cluster]: clusterId, [LABEL.node]: nodeId };
  let closed = false;
  let subscription: Subscription | undefined;
  let resubscribeTimer: ReturnType<typeof setTimeout> | undefined;
  let idleWaiters: (() => void)[] = [];

  const reporter = new Reporter(opts.report, logger, (cmds) => {
    for (const c of cmds) if (c.kind === "task.status") runners.get(c.id)?.markResend();
  });

  const checkIdle = () => {
    if (idleWaiters.length === 0) return;
    for (const r of runners.values()) if (r.looping) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    void reporter.drained().then(() => waiters.forEach((w) => w()));
  };

  const ctx: RunnerContext = {
    runtime,
    clusterId,
    nodeId,
    limiter: new Limiter(opts.maxConcurrent ?? 8),
    archive: opts.logs,
    defaults: { init: opts.init ?? false },
    ...(opts.files ? { files: opts.files } : {}),
    logger,
    now,
    closed: () => closed,
    ensureImage: (ref) =>
      pulls.do(ref, async () => {
        if (await runtime.hasImage(ref)) return undefined;
        try {
          logger.info({ image: ref }, "pulling image");
          await runtime.pullImage(ref);
          return undefined;
        } catch (e) {
          return e instanceof Error ? e.message : String(e);
        }
      }),
    emit(taskId: string, status: TaskStatus) {
      reporter.push({ kind: "task.status", id: taskId, status, at: status.Timestamp });
    },
    onIdle(r) {
      if (r.finished && runners.get(r.taskId) === r) runners.delete(r.taskId);
      checkIdle();
    },
  };

  const runnerFor = (taskId: string): TaskRunner => {
    let r = runners.get(taskId);
    if (!r) {
      r = new TaskRunner(taskId, ctx);
      runners.set(taskId, r);
    }
    return r;
  };

  /** Whether a sync has run: from then on a container whose task has no runner is a stray. */
  let synced = false;
  /**
   * Lists this node's containers and gives each a runner. Containers of tasks absent from the last
   * sync are strays: archived and removed. Run by adopt(), and again whenever the engine comes back
   * after the event stream broke (adopt may have failed while Docker was down).
   */
  const discover = async (): Promise<number> => {
    const found = await runtime.list(ownLabels);
    const strays: TaskRunner[] = [];
    for (const c of found) {
      const taskId = c.labels[LABEL.task];
      if (taskId === undefined) continue;
      const known = runners.has(taskId);
      const r = runnerFor(taskId);
      r.containerId ??= c.id;
      r.hadContainer = true;
      if (!known && synced && r.unassign()) strays.push(r);
    }
    for (const r of strays) r.poke();
    return found.length;
  };

  let resubscribeMs = 0;
  let engineUp = true;
  const subscribe = () => {
    if (closed) return;
    const reconnect = resubscribeMs > 0;
    subscription = runtime.subscribe(
      ownLabels,
      (e) => {
        const taskId = e.labels[LABEL.task];
        if (taskId === undefined) return;
        const r = runners.get(taskId);
        if (r && (e.action === "die" || e.action === "destroy" || e.action === "start" || e.action === "oom" || e.action === "health_status")) r.poke();
      },
      (err) => {
        if (engineUp) {
          engineUp = false;
          opts.onEngine?.(false);
        }
        resubscribeMs = Math.min(Math.max(resubscribeMs * 2, 1000), 10_000);
        logger.warn({ err: err.message, retryMs: resubscribeMs }, "docker event stream broke; resubscribing");
        subscription = undefined;
        resubscribeTimer = setTimeout(() => {
          resubscribeTimer = undefined;
          subscribe();
        }, resubscribeMs);
      },
      () => {
        resubscribeMs = 0;
        if (!engineUp) {
          engineUp = true;
          opts.onEngine?.(true);
        }
        for (const r of runners.values()) r.poke(); // a container may have died before we listened
        if (reconnect) void discover().catch((e: unknown) => logger.warn({ err: String(e) }, "listing containers failed"));
      },
    );
  };
  subscribe();

  const worker: Worker = {
    async sync(assignments) {
      if (closed) return;
      synced = true;
      const seen = new Set<string>();
      const toPoke: TaskRunner[] = [];
      for (const a of assignments) {
        if (a.task.NodeID !== nodeId) continue; // not (or no longer) ours
        seen.add(a.task.ID);
        const r = runnerFor(a.task.ID);
        if (r.assign(a.task, a.serviceName)) toPoke.push(r);
      }
      for (const r of runners.values()) if (!seen.has(r.taskId) && r.unassign()) toPoke.push(r);
      for (const r of toPoke) r.poke();
    },

    async adopt(assignments) {
      const n = await discover();
      logger.info({ containers: n }, "adopted this node's containers");
      if (assignments) await worker.sync(assignments);
    },

    whenIdle() {
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
        checkIdle();
      });
    },

    async close() {
      closed = true;
      subscription?.close();
      if (resubscribeTimer) clearTimeout(resubscribeTimer);
      for (const r of runners.values()) r.cancelRetry();
      await reporter.drained();
    },
  };
  return worker;
}
