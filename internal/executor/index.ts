/**
 * executor: runs this node's tasks on the Docker engine and reports their states as store Commands.
 * See worker.ts for the contract, decide.ts for the state-driving core, runtime.ts for the engine seam.
 */
import type Dockerode from "dockerode";
import { dockerRuntime } from "./docker-runtime.ts";
import type { ContainerRuntime } from "./runtime.ts";
import { createRuntimeWorker, type Worker, type WorkerOptions } from "./worker.ts";

export type CreateWorkerOptions = Omit<WorkerOptions, "runtime"> & ({ docker: Dockerode } | { runtime: ContainerRuntime });

/** A worker over a dockerode client (`docker`) or any ContainerRuntime (`runtime`, e.g. the fake). */
export function createWorker(opts: CreateWorkerOptions): Worker {
  const runtime = "runtime" in opts ? opts.runtime : dockerRuntime(opts.docker);
  return createRuntimeWorker({ ...opts, runtime });
}

export { createRuntimeWorker, type Worker, type WorkerOptions, type Assignment } from "./worker.ts";
export { dockerRuntime, toRuntimeError } from "./docker-runtime.ts";
export { createFakeRuntime, type FakeRuntime } from "./fake-runtime.ts";
export { createSpecFor, taskLabels, stopGraceSeconds, portBindings, portStatus, DEFAULT_STOP_GRACE_NS, type CreateDefaults } from "./container-spec.ts";
export { decide, exitReport, type Step, type TaskView, type ContainerObs } from "./decide.ts";
export {
  RuntimeError,
  type ContainerRuntime,
  type ContainerInfo,
  type ContainerSummary,
  type ContainerStatusName,
  type CreateSpec,
  type RawLogLine,
  type RuntimeEvent,
  type RuntimeEventAction,
  type Subscription,
  type TaskFiles,
} from "./runtime.ts";
export { silentLogger, type Logger } from "./logger.ts";
