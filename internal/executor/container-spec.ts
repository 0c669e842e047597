/**
 * Pure translation of a task into the container the runtime creates: name `<service>.<slot|node>.<task>`,
 * identifying labels (LABEL.*) over the spec's own container labels, and the ContainerSpec fields with
 * Docker Swarm's meaning (Command = entrypoint, Args = cmd).
 */
import { LABEL, containerName, type Task } from "../api/index.ts";
import type { CreateSpec } from "./runtime.ts";

export const DEFAULT_STOP_GRACE_NS = 10_000_000_000;

/** Stop grace period in whole seconds (Docker's stop API takes seconds), rounded up. */
export function stopGraceSeconds(task: Pick<Task, "Spec">): number {
  const ns = task.Spec.ContainerSpec.StopGracePeriod ?? DEFAULT_STOP_GRACE_NS;
  return Math.max(0, Math.ceil(ns / 1e9));
}

export function taskLabels(clusterId: string, nodeId: string, task: Task, serviceName: string): Record<string, string> {
  const labels: Record<string, string> = {
    ...(task.Spec.ContainerSpec.Labels ?? {}),
    [LABEL.cluster]: clusterId,
    [LABEL.service]: task.ServiceID,
    [LABEL.serviceName]: serviceName,
    [LABEL.task]: task.ID,
    [LABEL.node]: nodeId,
  };
  if (task.Slot !== undefined) labels[LABEL.slot] = String(task.Slot);
  return labels;
}

/** Node-level choices that are not part of the task's spec. */
export interface CreateDefaults {
  /** Docker's `--init` for task containers whose spec leaves `Init` unset (default false). */
  init?: boolean;
}

export function createSpecFor(clusterId: string, nodeId: string, task: Task, serviceName: string, defaults: CreateDefaults = {}): CreateSpec {
  const cs = task.Spec.ContainerSpec;
  const spec: CreateSpec = {
    name: containerName(serviceName, task),
    image: cs.Image,
    labels: taskLabels(clusterId, nodeId, task, serviceName),
    stopTimeoutSec: stopGraceSeconds(task),
  };
  if (cs.Env?.length) spec.env = [...cs.Env];
  if (cs.Command?.length) spec.entrypoint = [...cs.Command];
  if (cs.Args?.length) spec.cmd = [...cs.Args];
  if (cs.Dir) spec.workingDir = cs.Dir;
  if (cs.User) spec.user = cs.User;
  if (cs.Hostname) spec.hostname = cs.Hostname;
  if (cs.Mounts?.length) spec.mounts = cs.Mounts.map((m) => ({ ...m }));
  const limits = task.Spec.Resources?.Limits;
  if (limits?.NanoCPUs) spec.nanoCpus = limits.NanoCPUs;
  if (limits?.MemoryBytes) spec.memoryBytes = limits.MemoryBytes;
  if (task.Spec.Networks?.some((n) => n.Target === "host")) spec.networkMode = "host";
  if (cs.Init ?? defaults.init) spec.init = true;
  return spec;
}
