/**
 * Pure translation of a task into the container the runtime creates: name `<service>.<slot|node>.<task>`,
 * identifying labels (LABEL.*) over the spec's own container labels, and the ContainerSpec fields with
 * Docker Swarm's meaning (Command = entrypoint, Args = cmd).
 */
import { LABEL, containerName, type Task } from "../api/index.ts";
import type { BoundPort, CreateSpec, PortBinding } from "./runtime.ts";
import type { PortConfig } from "../api/index.ts";

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
  else {
    const ports = portBindings(task.Endpoint?.Ports ?? []);
    if (ports.length) spec.ports = ports;
  }
  if (cs.Init ?? defaults.init) spec.init = true;
  if (cs.Healthcheck) spec.healthcheck = { ...cs.Healthcheck, ...(cs.Healthcheck.Test ? { Test: [...cs.Healthcheck.Test] } : {}) };
  return spec;
}

/**
 * The host bindings for a task's ports: each ingress (protocol, target port) once on an ephemeral host
 * port (the routing mesh forwards the published port there); each host-mode port on its published port.
 */
export function portBindings(ports: PortConfig[]): PortBinding[] {
  const out: PortBinding[] = [];
  const seen = new Set<string>();
  for (const p of ports) {
    const hostPort = p.PublishMode === "host" ? p.PublishedPort : 0;
    const key = `${p.Protocol}/${p.TargetPort}/${hostPort}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ protocol: p.Protocol, targetPort: p.TargetPort, hostPort });
  }
  return out;
}

/**
 * What the task reports as PortStatus once running: its ports with PublishedPort = the host port bound
 * on this node. An ingress port whose binding is not (yet) visible is left out.
 */
export function portStatus(ports: PortConfig[], bound: BoundPort[]): PortConfig[] {
  const out: PortConfig[] = [];
  const fixed = new Set(ports.filter((p) => p.PublishMode === "host").map((p) => `${p.Protocol}/${p.TargetPort}/${p.PublishedPort}`));
  for (const p of ports) {
    if (p.PublishMode === "host") {
      out.push({ ...p });
      continue;
    }
    const b = bound.find((x) => x.protocol === p.Protocol && x.targetPort === p.TargetPort && !fixed.has(`${x.protocol}/${x.targetPort}/${x.hostPort}`));
    if (b) out.push({ ...p, PublishedPort: b.hostPort });
  }
  return out;
}
