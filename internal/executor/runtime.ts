/**
 * The container runtime the executor drives: the few Docker Engine calls it needs, behind a small
 * interface so the state-driving logic runs against an in-memory twin (fake-runtime.ts) as well as a
 * real engine (docker-runtime.ts). Both pass the same suite (test/executor/runtime-suite.ts).
 *
 * Errors: every method throws `RuntimeError`. `status` is the engine's HTTP status (404 no such
 * container/image, 409 name conflict, 500 …); it is undefined when the engine could not be reached, and
 * then the caller retries instead of failing the task.
 */
import type { Mount, Task } from "../api/index.ts";

export type ContainerStatusName = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

export interface ContainerInfo {
  id: string;
  /** Without Docker's leading slash. */
  name: string;
  labels: Record<string, string>;
  status: ContainerStatusName;
  running: boolean;
  pid: number;
  exitCode: number;
  /** Engine's error when the container failed to start (e.g. executable not found). */
  error: string;
  /** Ports bound on the host while running (NetworkSettings.Ports), one per host port; absent if none. */
  ports?: BoundPort[];
  /** Its health check's verdict (State.Health.Status) while it has one; absent without a health check. */
  health?: "starting" | "healthy" | "unhealthy";
  /** The output of the last health probe (trimmed), to say why a container is unhealthy. */
  healthLog?: string;
  /** The container's IPv4 address on the default bridge while running (absent: none, e.g. host network). */
  ip?: string;
}

export interface BoundPort {
  protocol: "tcp" | "udp";
  targetPort: number;
  hostPort: number;
}

/** A container port to publish: on an ephemeral host port (`hostPort` 0) or a fixed one. */
export interface PortBinding {
  protocol: "tcp" | "udp";
  targetPort: number;
  hostPort: number;
}

export interface ContainerSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
}

export interface CreateSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  env?: string[];
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  user?: string;
  hostname?: string;
  mounts?: Mount[];
  nanoCpus?: number;
  memoryBytes?: number;
  networkMode?: "host";
  /** Ports to publish on the host (never with networkMode host). */
  ports?: PortBinding[];
  stopTimeoutSec?: number;
  /** Run an init (docker-init/tini) as PID 1 that forwards signals and reaps zombies. */
  init?: boolean;
  /** Docker's Config.Healthcheck (durations in ns); absent: the image's own HEALTHCHECK applies. */
  healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
}

/** `health_status`: a container's health check changed verdict (Docker's `health_status: healthy`). */
export type RuntimeEventAction = "create" | "start" | "die" | "stop" | "kill" | "oom" | "destroy" | "health_status";

export interface RuntimeEvent {
  action: RuntimeEventAction;
  containerId: string;
  labels: Record<string, string>;
  /** Set on `die`. */
  exitCode?: number;
}

/** One line of a container's output; `ts` is Docker's RFC3339Nano timestamp. */
export interface RawLogLine {
  stream: "stdout" | "stderr";
  ts: string;
  line: string;
}

export interface Subscription {
  close(): void;
}

export interface ContainerRuntime {
  /** Whether the image is present locally. */
  hasImage(ref: string): Promise<boolean>;
  /** Pulls the image; resolves when complete; throws RuntimeError with the engine's message. */
  pullImage(ref: string): Promise<void>;
  /** Creates (does not start) a container; returns its ID. */
  create(spec: CreateSpec): Promise<string>;
  start(id: string): Promise<void>;
  /** By ID or name; undefined when no such container. */
  inspect(idOrName: string): Promise<ContainerInfo | undefined>;
  /**
   * SIGTERM, then SIGKILL after timeoutSec (undefined: the container's own StopTimeout, set at create).
   * No error when already stopped or gone.
   */
  stop(id: string, timeoutSec?: number): Promise<void>;
  /** Force-removes; no error when already gone. */
  remove(id: string): Promise<void>;
  /** All containers (running or not) that carry every given label. */
  list(labels: Record<string, string>): Promise<ContainerSummary[]>;
  /** The container's output so far (the last `tail` lines when given), with timestamps. */
  logs(id: string, tail?: number): Promise<RawLogLine[]>;
  /**
   * Container events for containers carrying every given label. `onError` is called once when the
   * event stream breaks (the subscription is then dead; subscribe again). `onReady` is called once the
   * engine has accepted the subscription: events from then on are delivered.
   */
  subscribe(
    labels: Record<string, string>,
    onEvent: (e: RuntimeEvent) => void,
    onError: (err: Error) => void,
    onReady?: () => void,
  ): Subscription;
}

/**
 * A task's secrets and configs on this node: `mounts` writes the task's files (to memory) and returns
 * the bind mounts that put them in the container; it throws when a payload is missing. `release`
 * deletes a task's files (idempotent).
 */
export interface TaskFiles {
  mounts(task: Task): Promise<Mount[]>;
  release(taskId: string): Promise<void>;
}

export class RuntimeError extends Error {
  override readonly name = "RuntimeError";
  constructor(
    message: string,
    /** Engine HTTP status; undefined when the engine was unreachable. */
    readonly status?: number,
  ) {
    super(message);
  }
  get unreachable(): boolean {
    return this.status === undefined;
  }
}
