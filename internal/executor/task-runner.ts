/**
 * One task on this node: a serialized loop of observe → decide → perform until `decide` says idle.
 * `poke()` (from sync or a Docker event) re-runs the loop; a poke during a `wait` cuts it short.
 * Engine-unreachable errors back off (0.5 s doubling to 10 s) and retry instead of failing the task.
 */
import { isTerminal, stateRank, type DesiredState, type Task, type TaskState, type TaskStatus } from "../api/index.ts";
import type { LogArchive } from "../logs/index.ts";
import type { Limiter } from "./concurrency.ts";
import { isValidImageRef } from "../imageref/index.ts";
import { createSpecFor, portStatus, stopGraceSeconds, type CreateDefaults } from "./container-spec.ts";
import { decide, type ContainerObs, type Step } from "./decide.ts";
import type { Logger } from "./logger.ts";
import { RuntimeError, type BoundPort, type ContainerInfo, type ContainerRuntime, type CreateSpec, type TaskFiles } from "./runtime.ts";

export interface RunnerContext {
  runtime: ContainerRuntime;
  clusterId: string;
  nodeId: string;
  limiter: Limiter;
  /** Ensures the image is present; resolves to the pull error message when it could not be pulled. */
  ensureImage(ref: string): Promise<string | undefined>;
  archive: LogArchive;
  /** Node-level container defaults (e.g. init). */
  defaults: CreateDefaults;
  /** Secrets and configs (absent: a task that uses any is rejected). */
  files?: TaskFiles;
  emit(taskId: string, status: TaskStatus): void;
  now(): number;
  logger: Logger;
  closed(): boolean;
  onIdle(r: TaskRunner): void;
}

/** Lines fetched from a container being removed; the archive keeps at most this many anyway. */
const ARCHIVE_TAIL_LINES = 10_000;

export type RunnerDesired = DesiredState | "unassigned" | "adopted";

export function toObs(info: ContainerInfo | undefined): ContainerObs {
  if (!info) return { kind: "none" };
  switch (info.status) {
    case "running":
    case "paused":
    case "restarting":
      return info.health ? { kind: "running", id: info.id, pid: info.pid, health: info.health, healthLog: info.healthLog ?? "" } : { kind: "running", id: info.id, pid: info.pid };
    case "created":
      return info.error !== "" ? { kind: "exited", id: info.id, exitCode: info.exitCode, error: info.error } : { kind: "created", id: info.id };
    default:
      return { kind: "exited", id: info.id, exitCode: info.exitCode, error: "" };
  }
}

export class TaskRunner {
  task: Task | undefined;
  serviceName: string | undefined;
  /** `adopted`: found at startup, not yet matched by a sync; nothing is done until then. */
  desired: RunnerDesired = "adopted";
  reported: TaskState = "new";
  lastStatus: TaskStatus | undefined;
  containerId: string | undefined;
  hadContainer = false;
  lastObs: ContainerObs = { kind: "none" };
  /** Host ports of the container as last observed (reported with `running`). */
  lastPorts: BoundPort[] = [];
  needsResend = false;
  looping = false;
  private dirty = false;
  /** The engine may have changed since `lastObs` (a poke, or a step that acted on it). */
  private stale = true;
  /** Set by a step whose result tells what the engine now shows (create): no need to observe. */
  private knownFresh = false;
  private wake: (() => void) | undefined;
  private retryMs = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** This runner wrote secret or config files for its task (or may have: adopted after a restart). */
  private filesWritten = false;

  constructor(
    readonly taskId: string,
    private readonly ctx: RunnerContext,
  ) {}

  /** From sync: the store's view of this task. Returns true when something changed that needs a poke. */
  assign(task: Task, serviceName: string): boolean {
    const prev = this.task;
    const prevDesired = this.desired;
    this.task = task;
    this.serviceName = serviceName;
    this.desired = task.DesiredState;
    const storeState = task.Status.State;
    let changed = prev === undefined || prevDesired !== task.DesiredState || prev.NotBefore !== task.NotBefore;
    if (stateRank(storeState) > stateRank(this.reported)) {
      this.reported = storeState;
      this.lastStatus = task.Status;
      changed = true;
    } else if (stateRank(storeState) < stateRank(this.reported) && this.needsResend && this.lastStatus) {
      this.needsResend = false;
      this.ctx.emit(this.taskId, this.lastStatus);
    }
    const cs = task.Spec?.ContainerSpec;
    if (cs?.Secrets?.length || cs?.Configs?.length) this.filesWritten = true;
    const cid = task.Status.ContainerStatus?.ContainerID;
    if (cid) {
      this.hadContainer = true;
      this.containerId ??= cid;
    }
    return changed;
  }

  /** A report of ours did not reach the store: re-send it when the store still lags at the next sync. */
  markResend(): void {
    this.needsResend = true;
  }

  unassign(): boolean {
    if (this.desired === "unassigned") return false;
    this.desired = "unassigned";
    return true;
  }

  poke(): void {
    this.dirty = true;
    this.stale = true;
    this.wake?.();
    if (!this.looping) void this.loop();
  }

  /** An engine call failed and a retry is scheduled. */
  get retrying(): boolean {
    return this.retryTimer !== undefined;
  }

  /** Nothing left to do and no container: the worker may forget this runner. */
  get finished(): boolean {
    return !this.looping && this.desired === "unassigned" && this.lastObs.kind === "none" && this.retryTimer === undefined;
  }

  cancelRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.wake?.();
  }

  private async loop(): Promise<void> {
    this.looping = true;
    try {
      while (!this.ctx.closed() && this.desired !== "adopted") {
        this.dirty = false;
        try {
          const step = await this.next();
          if (step.kind === "idle") {
            if (this.dirty) continue;
            if (isTerminal(this.reported) && this.lastObs.kind !== "running") await this.releaseFiles();
            break;
          }
          await this.perform(step);
          if (step.kind !== "report" && !this.knownFresh) this.stale = true;
          this.knownFresh = false;
          this.retryMs = 0;
        } catch (e) {
          this.stale = true;
          this.retryMs = Math.min(Math.max(this.retryMs * 2, 500), 10_000);
          this.ctx.logger.warn({ task: this.taskId, err: String(e), retryMs: this.retryMs }, "task step failed; retrying");
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.poke();
          }, this.retryMs);
          break;
        }
      }
    } finally {
      this.looping = false;
      this.ctx.onIdle(this);
    }
  }

  private async next(): Promise<Step> {
    if (this.stale) {
      this.stale = false;
      const info = await this.observe();
      const was = this.lastObs.kind;
      this.lastObs = toObs(info);
      if (this.lastObs.kind !== was) this.ctx.logger.debug({ task: this.taskId, seen: this.lastObs.kind }, "task: engine shows the container");
      this.lastPorts = info?.ports ?? [];
    }
    if (this.desired === "adopted") return { kind: "idle" };
    const notBefore = this.task?.NotBefore ? Date.parse(this.task.NotBefore) : undefined;
    return decide({
      desired: this.desired,
      reported: this.reported,
      container: this.lastObs,
      hadContainer: this.hadContainer,
      nowMs: this.ctx.now(),
      ...(notBefore !== undefined && Number.isFinite(notBefore) ? { notBeforeMs: notBefore } : {}),
    });
  }

  /**
   * The task's container: by ID once known, else by its name. A task that never got as far as
   * `preparing` has no container (we report preparing before creating one), so it costs no call.
   */
  private async observe(): Promise<ContainerInfo | undefined> {
    const fresh = this.containerId === undefined && !this.hadContainer && stateRank(this.reported) < stateRank("preparing");
    if (fresh) return undefined;
    const ref = this.containerId ?? (this.task && this.serviceName ? createSpecFor(this.ctx.clusterId, this.ctx.nodeId, this.task, this.serviceName).name : undefined);
    const info = ref === undefined ? undefined : await this.ctx.runtime.inspect(ref);
    if (info) {
      this.containerId = info.id;
      this.hadContainer = true;
    }
    return info;
  }

  /** The task's secrets and configs are deleted once no container of it runs (ended or removed). */
  private async releaseFiles(): Promise<void> {
    if (!this.filesWritten || !this.ctx.files) return;
    this.filesWritten = false;
    try {
      await this.ctx.files.release(this.taskId);
    } catch (e) {
      this.filesWritten = true;
      this.ctx.logger.warn({ task: this.taskId, err: String(e) }, "could not delete the task's secrets and configs; retrying later");
    }
  }

  private report(state: TaskState, message: string, err?: string, container?: TaskStatus["ContainerStatus"]): void {
    const status: TaskStatus = { Timestamp: new Date(this.ctx.now()).toISOString(), State: state, Message: message };
    if (err !== undefined) status.Err = err;
    if (container) status.ContainerStatus = container;
    const ports = state === "running" ? this.task?.Endpoint?.Ports : undefined;
    if (ports?.length && !this.task!.Spec.Networks?.some((n) => n.Target === "host")) {
      status.PortStatus = { Ports: portStatus(ports, this.lastPorts) };
    }
    this.reported = state;
    this.lastStatus = status;
    this.ctx.logger.debug({ task: this.taskId, state }, "task: reporting");
    this.ctx.emit(this.taskId, status);
  }

  private async perform(step: Exclude<Step, { kind: "idle" }>): Promise<void> {
    const { runtime, limiter } = this.ctx;
    switch (step.kind) {
      case "report":
        this.report(step.state, step.message, step.err, step.container);
        return;
      case "prepare": {
        const task = this.task!;
        // A spec that cannot become a container (malformed, or an invalid image reference) rejects
        // this task with the reason; it must never reach the engine, or fail anything but this task.
        let spec: CreateSpec;
        try {
          spec = createSpecFor(this.ctx.clusterId, this.ctx.nodeId, task, this.serviceName!, this.ctx.defaults);
          if (typeof spec.image !== "string" || !isValidImageRef(spec.image)) throw new Error(`invalid image reference "${String(spec.image).slice(0, 80)}"`);
        } catch (e) {
          this.report("rejected", "preparing", `invalid task spec: ${e instanceof Error ? e.message : String(e)}`);
          return;
        }
        const cs = task.Spec.ContainerSpec;
        if (cs.Secrets?.length || cs.Configs?.length) {
          try {
            if (!this.ctx.files) throw new Error("this node cannot mount secrets or configs");
            spec.mounts = [...(spec.mounts ?? []), ...(await this.ctx.files.mounts(task))];
            this.filesWritten = true;
          } catch (e) {
            this.report("rejected", "preparing", `secrets and configs: ${e instanceof Error ? e.message : String(e)}`);
            await this.releaseFiles();
            return;
          }
        }
        // Create first: the image is almost always present, and the engine's 404 says when it is not
        // (then it is pulled, once for all tasks that need it, and the create tried again). One
        // engine call on the way to a running task instead of an image inspect before every create.
        let pullErr: string | undefined;
        let pulled = false;
        for (;;) {
          try {
            const id = await limiter.run(() => runtime.create(spec));
            this.ctx.logger.debug({ task: this.taskId }, "task: container created");
            this.containerId = id;
            this.hadContainer = true;
            this.lastObs = { kind: "created", id };
            this.knownFresh = true; // a poke meanwhile still marks it stale
          } catch (e) {
            if (!(e instanceof RuntimeError) || e.unreachable) throw e;
            if (e.status === 409) return; // a container with our name exists: observe it
            if (e.status === 404 && !pulled) {
              // No such image (or something else the create needs): make sure of the image, then retry.
              pulled = true;
              pullErr = await this.ctx.ensureImage(spec.image);
              this.ctx.logger.debug({ task: this.taskId, pullErr }, "task: image checked");
              if (this.desired !== "running" && this.desired !== "complete") return; // changed while pulling: decide again
              continue;
            }
            if (pullErr !== undefined) this.ctx.logger.info({ task: this.taskId, pullErr }, "image pull failed");
            this.report("rejected", "preparing", e.message);
          }
          return;
        }
      }
      case "wait": {
        const ms = step.untilMs - this.ctx.now();
        if (ms <= 0) return;
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
          function done() {
            clearTimeout(t);
            resolve();
          }
          this.wake = done;
        });
        this.wake = undefined;
        return;
      }
      case "start":
        try {
          await limiter.run(() => runtime.start(step.id));
          this.ctx.logger.debug({ task: this.taskId }, "task: container started");
        } catch (e) {
          if (!(e instanceof RuntimeError) || e.unreachable) throw e;
          this.report("failed", "starting", `starting container failed: ${e.message}`, { ContainerID: step.id });
        }
        return;
      case "stop": {
        // A stray (task unknown) stops with the grace period recorded in its container at create.
        const grace = this.task ? stopGraceSeconds(this.task) : undefined;
        await runtime.stop(step.id, grace);
        return;
      }
      case "remove":
        await limiter.run(async () => {
          try {
            await this.ctx.archive.save(this.taskId, await runtime.logs(step.id, ARCHIVE_TAIL_LINES));
          } catch (e) {
            if (e instanceof RuntimeError && e.unreachable) throw e;
            this.ctx.logger.warn({ task: this.taskId, err: String(e) }, "could not archive the task's logs before removing its container");
          }
          await runtime.remove(step.id);
        });
        await this.releaseFiles();
        return;
    }
  }
}
