/**
 * Our objects as the Docker Engine API shows them (api/types/swarm in moby, API 1.41). Pure.
 *
 * Differences that are translated here, in one place:
 * - Node IDs are 64 hex characters (the node's public key); Docker's are 25 characters. Every node ID
 *   leaving this API is its first 25 characters, and every node reference coming in is resolved as an
 *   ID prefix (lookup `findNode`), so the short form works everywhere the Docker CLI sends it back.
 * - Docker's objects carry fields swarm has no notion of (VirtualIPs, TLSInfo, plugin descriptions):
 *   they are left out (Go clients decode a missing field as its zero value).
 * - A service without update (rollback) settings shows Docker's defaults (UPDATE_DEFAULTS), as a
 *   Docker daemon does; from-docker.ts reads the defaults back as no settings. Jobs show none.
 * - Zero durations and empty strings are left out as Go's `omitempty` leaves them out.
 */
import {
  isJob, isTerminal, UPDATE_DEFAULTS, type ClusterState, type ContainerSpec, type HealthConfig, type Node, type PortConfig, type Service, type ServiceSpec, type Task,
  type TaskSpec, type UpdateConfig, type UpdateStatus,
} from "../api/index.ts";

/** Docker's node IDs are 25 characters: ours, shortened (a unique prefix, resolved as one on the way in). */
export const NODE_ID_LENGTH = 25;

export function dockerNodeId(id: string): string {
  return id.slice(0, NODE_ID_LENGTH);
}

/**
 * Docker's UpdateConfig JSON: Parallelism, MaxFailureRatio and Order always; Delay, FailureAction and
 * Monitor only when set (omitempty). The Docker CLI's `--detach=false` waits Monitor after the tasks
 * run before it says "converged".
 */
export function dockerUpdateConfig(u: UpdateConfig | undefined) {
  const c = { ...UPDATE_DEFAULTS, ...u };
  return {
    Parallelism: c.Parallelism,
    ...(c.Delay ? { Delay: c.Delay } : {}),
    FailureAction: c.FailureAction,
    ...(c.Monitor ? { Monitor: c.Monitor } : {}),
    MaxFailureRatio: c.MaxFailureRatio,
    Order: c.Order,
  };
}

function dockerHealthcheck(h: HealthConfig | undefined) {
  if (!h) return undefined;
  return omitEmpty({ Test: h.Test, Interval: h.Interval || undefined, Timeout: h.Timeout || undefined, StartPeriod: h.StartPeriod || undefined, Retries: h.Retries || undefined });
}

const omitEmpty = <T extends object>(o: T): Partial<T> => {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o) as [keyof T, unknown][]) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === "string" && v === "") continue;
    out[k] = v as T[keyof T];
  }
  return out;
};

function dockerPorts(ports: PortConfig[]): PortConfig[] | undefined {
  return ports.length ? ports.map((p) => ({ Protocol: p.Protocol, TargetPort: p.TargetPort, PublishedPort: p.PublishedPort, PublishMode: p.PublishMode })) : undefined;
}

function dockerContainerSpec(c: ContainerSpec) {
  return omitEmpty({
    Image: c.Image,
    Labels: c.Labels && Object.keys(c.Labels).length ? c.Labels : undefined,
    Command: c.Command,
    Args: c.Args,
    Hostname: c.Hostname,
    Env: c.Env,
    Dir: c.Dir,
    User: c.User,
    Init: c.Init,
    Mounts: c.Mounts?.map((m) => omitEmpty({ Type: m.Type, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly || undefined })),
    StopGracePeriod: c.StopGracePeriod,
    Healthcheck: dockerHealthcheck(c.Healthcheck),
    Secrets: c.Secrets?.map((r) => ({ File: { ...r.File }, SecretID: r.SecretID, SecretName: r.SecretName })),
    Configs: c.Configs?.map((r) => ({ File: { ...r.File }, ConfigID: r.ConfigID, ConfigName: r.ConfigName })),
    Isolation: "default",
  });
}

export function dockerTaskSpec(t: TaskSpec) {
  const lim = t.Resources?.Limits ?? {};
  const res = t.Resources?.Reservations ?? {};
  return omitEmpty({
    ContainerSpec: dockerContainerSpec(t.ContainerSpec),
    Resources: { Limits: omitEmpty({ NanoCPUs: lim.NanoCPUs || undefined, MemoryBytes: lim.MemoryBytes || undefined }), Reservations: omitEmpty({ NanoCPUs: res.NanoCPUs || undefined, MemoryBytes: res.MemoryBytes || undefined }) },
    RestartPolicy: omitEmpty({ Condition: t.RestartPolicy.Condition, Delay: t.RestartPolicy.Delay, MaxAttempts: t.RestartPolicy.MaxAttempts, Window: t.RestartPolicy.Window }),
    Placement: omitEmpty({ Constraints: t.Placement?.Constraints }),
    Networks: t.Networks?.map((n) => ({ Target: n.Target })),
    ForceUpdate: t.ForceUpdate,
    Runtime: "container",
  });
}

/** Docker's ServiceMode: the same four shapes as ours. */
function dockerMode(m: ServiceSpec["Mode"]) {
  if ("Global" in m) return { Global: {} };
  if ("GlobalJob" in m) return { GlobalJob: {} };
  if ("ReplicatedJob" in m) return { ReplicatedJob: { MaxConcurrent: m.ReplicatedJob.MaxConcurrent, TotalCompletions: m.ReplicatedJob.TotalCompletions } };
  return { Replicated: { Replicas: m.Replicated.Replicas } };
}

export function dockerServiceSpec(s: ServiceSpec) {
  return {
    Name: s.Name,
    Labels: s.Labels,
    TaskTemplate: dockerTaskSpec(s.TaskTemplate),
    Mode: dockerMode(s.Mode),
    ...(isJob(s) ? {} : { UpdateConfig: dockerUpdateConfig(s.UpdateConfig), RollbackConfig: dockerUpdateConfig(s.RollbackConfig) }),
    EndpointSpec: omitEmpty({ Mode: "vip", Ports: dockerPorts(s.EndpointSpec.Ports) }),
  };
}

export type DockerServiceSpec = ReturnType<typeof dockerServiceSpec>;

/** Running and desired tasks as Docker's ServiceStatus counts them (`docker service ls` REPLICAS). */
export function serviceStatus(st: ClusterState, s: Service): { RunningTasks: number; DesiredTasks: number; CompletedTasks: number } {
  let running = 0;
  let desiredGlobal = 0;
  let completed = 0;
  for (const t of Object.values(st.tasks)) {
    if (t.ServiceID !== s.ID) continue;
    if (t.DesiredState === "running" && t.Status.State === "running") running++;
    if (t.DesiredState === "running" && !isTerminal(t.Status.State)) desiredGlobal++;
    if (t.Status.State === "complete") completed++;
  }
  const desired = "Replicated" in s.Spec.Mode ? s.Spec.Mode.Replicated.Replicas : desiredGlobal;
  return { RunningTasks: running, DesiredTasks: desired, CompletedTasks: completed };
}

/** Docker's UpdateStatus (`docker service inspect --pretty` "UpdateStatus", `--detach=false` "update paused"). */
export function dockerUpdateStatus(u: UpdateStatus) {
  return omitEmpty({ State: u.State, StartedAt: u.StartedAt, CompletedAt: u.CompletedAt, Message: u.Message });
}

export function dockerService(s: Service, status?: ReturnType<typeof serviceStatus>) {
  return {
    ID: s.ID,
    Version: { Index: s.Version.Index },
    CreatedAt: s.CreatedAt,
    UpdatedAt: s.UpdatedAt,
    Spec: dockerServiceSpec(s.Spec),
    ...(s.PreviousSpec ? { PreviousSpec: dockerServiceSpec(s.PreviousSpec) } : {}),
    ...(s.UpdateStatus ? { UpdateStatus: dockerUpdateStatus(s.UpdateStatus) } : {}),
    ...(s.JobStatus ? { JobStatus: { JobIteration: { Index: s.JobStatus.JobIteration.Index }, LastExecution: s.JobStatus.LastExecution } } : {}),
    Endpoint: omitEmpty({ Spec: omitEmpty({ Mode: "vip", Ports: dockerPorts(s.Endpoint.Spec.Ports) }), Ports: dockerPorts(s.Endpoint.Ports) }),
    ...(status ? { ServiceStatus: status } : {}),
  };
}

export function dockerTask(t: Task) {
  const cs = t.Status.ContainerStatus;
  return {
    ID: t.ID,
    Version: { Index: t.Version.Index },
    CreatedAt: t.CreatedAt,
    UpdatedAt: t.UpdatedAt,
    Labels: {},
    Spec: dockerTaskSpec(t.Spec),
    ServiceID: t.ServiceID,
    ...(t.Slot !== undefined ? { Slot: t.Slot } : {}),
    ...(t.NodeID ? { NodeID: dockerNodeId(t.NodeID) } : {}),
    ...(t.JobIteration ? { JobIteration: { Index: t.JobIteration.Index } } : {}),
    Status: omitEmpty({
      Timestamp: t.Status.Timestamp,
      State: t.Status.State,
      Message: t.Status.Message,
      Err: t.Status.Err,
      ContainerStatus: cs ? { ContainerID: cs.ContainerID ?? "", PID: cs.PID ?? 0, ExitCode: cs.ExitCode ?? 0 } : undefined,
      PortStatus: { ...(t.Status.PortStatus?.Ports.length ? { Ports: dockerPorts(t.Status.PortStatus.Ports) } : {}) },
    }),
    DesiredState: t.DesiredState,
  };
}

/**
 * A node with its ManagerStatus as the answering manager sees it (api `nodeView`). `trustRoot` (the
 * cluster's public key) is the node's TLSInfo while its certificate is valid, so Docker's `node ls`
 * TLS STATUS reads Ready (and Needs Rotation once it has expired).
 */
export function dockerNode(n: Node, trustRoot?: string, nowMs = Date.now()) {
  const ms = n.ManagerStatus;
  return {
    ID: dockerNodeId(n.ID),
    Version: { Index: n.Version.Index },
    CreatedAt: n.CreatedAt,
    UpdatedAt: n.UpdatedAt,
    Spec: { Labels: n.Spec.Labels, Role: n.Spec.Role, Availability: n.Spec.Availability },
    Description: {
      Hostname: n.Description.Hostname,
      Platform: n.Description.Platform,
      Resources: n.Description.Resources,
      Engine: { EngineVersion: n.Description.Engine.EngineVersion },
      ...(trustRoot && n.Certificate ? { TLSInfo: { TrustRoot: n.Certificate.NotAfterMs > nowMs ? trustRoot : `${trustRoot} (expired)` } } : {}),
    },
    Status: omitEmpty({ State: n.Status.State, Message: n.Status.Message, Addr: n.Status.Addr }),
    ...(ms ? { ManagerStatus: omitEmpty({ Leader: ms.Leader || undefined, Reachability: ms.Reachability, Addr: ms.Addr }) } : {}),
  };
}
