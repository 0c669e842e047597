/**
 * Read models the API serves and the CLI renders: services with replica counts, tasks with names and
 * node hostnames, nodes with their live manager status, log records. Pure functions of the state.
 */
import { isTerminal } from "./states.ts";
import { isDesiredLive, isGlobal, isJob, type ClusterState, type Node, type Secret, type Service, type Task } from "./types.ts";

export interface ServiceView {
  Service: Service;
  Running: number;
  Desired: number;
  /** Jobs: tasks of the current iteration that completed, out of the completions wanted. */
  Completed?: { Done: number; Total: number };
  /** Set when the stored spec is not well formed: why, and what to do (the Spec shown is a stand-in). */
  Invalid?: string;
}

export function serviceView(state: ClusterState, s: Service): ServiceView {
  if (isJob(s.Spec)) return jobView(state, s);
  let running = 0;
  let desired = 0;
  for (const t of Object.values(state.tasks)) {
    if (t.ServiceID !== s.ID) continue;
    if (t.DesiredState === "running" && !isTerminal(t.Status.State)) desired += isGlobal(s.Spec) ? 1 : 0;
    if (t.DesiredState === "running" && t.Status.State === "running") running++;
  }
  if (!isGlobal(s.Spec) && "Replicated" in s.Spec.Mode) desired = s.Spec.Mode.Replicated.Replicas;
  return { Service: s, Running: running, Desired: desired };
}

/**
 * A job as Docker's `service ls` shows it: running / live tasks, and "(done/total completed)" for the
 * current iteration (total: TotalCompletions, or the iteration's tasks for a global job).
 */
function jobView(state: ClusterState, s: Service): ServiceView {
  const iteration = s.JobStatus?.JobIteration.Index;
  let running = 0;
  let live = 0;
  let done = 0;
  let tasks = 0;
  for (const t of Object.values(state.tasks)) {
    if (t.ServiceID !== s.ID || (iteration !== undefined && t.JobIteration?.Index !== iteration)) continue;
    tasks += 1;
    if (t.Status.State === "complete") done += 1;
    else if (isDesiredLive(t.DesiredState) && !isTerminal(t.Status.State)) {
      live += 1;
      if (t.Status.State === "running") running += 1;
    }
  }
  const total = "ReplicatedJob" in s.Spec.Mode ? s.Spec.Mode.ReplicatedJob.TotalCompletions : Math.max(tasks, done);
  return { Service: s, Running: running, Desired: live, Completed: { Done: done, Total: total } };
}

export interface TaskView {
  Task: Task;
  /** `<service>.<slot>` or `<service>.<node id>` as Docker shows it. */
  Name: string;
  ServiceName: string;
  NodeHostname: string;
}

export function taskView(state: ClusterState, t: Task, serviceName: string): TaskView {
  const node = t.NodeID ? state.nodes[t.NodeID] : undefined;
  return {
    Task: t,
    Name: `${serviceName}.${t.Slot ?? t.NodeID}`,
    ServiceName: serviceName,
    NodeHostname: node?.Description.Hostname ?? "",
  };
}

export function tasksOf(state: ClusterState, serviceId: string, serviceName: string): TaskView[] {
  return Object.values(state.tasks)
    .filter((t) => t.ServiceID === serviceId)
    .map((t) => taskView(state, t, serviceName));
}

export interface LogRecord {
  task: string;
  name: string;
  node: string;
  stream: string;
  ts: string;
  line: string;
}

/** In a `service logs` stream: lines of some tasks cannot be shown (their node is down or unreachable). */
export interface LogWarning {
  warning: string;
  /** The node's hostname. */
  node: string;
  /** IDs of the tasks not shown. */
  tasks: string[];
}

/** A node as `node ls` / `node inspect` show it: ManagerStatus filled in by the answering manager. */
export type NodeView = Node;

/**
 * `ManagerStatus` as the answering manager sees it: Leader from its Raft, Reachability from its
 * transport (the leader itself is always reachable).
 */
export function nodeView(n: Node, live: { leaderId: string | null; self: string; connected: (id: string) => boolean }): NodeView {
  if (!n.ManagerStatus) return n;
  const leader = n.ID === live.leaderId;
  const reachable = n.ID === live.self || live.connected(n.ID);
  return { ...n, ManagerStatus: { ...n.ManagerStatus, Leader: leader, Reachability: reachable ? "reachable" : "unreachable" } };
}

/** A secret as the API shows it: never its payload (sealed or not). */
export type SecretView = Omit<Secret, "Sealed">;

export function secretView(s: Secret): SecretView {
  const { Sealed: _sealed, ...rest } = s;
  return rest;
}
