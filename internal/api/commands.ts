/**
 * Every change to the cluster state is one of these commands, appended to the log and applied by the
 * store's deterministic state machine (internal/store). Commands carry everything that is not a pure
 * function of the state: IDs and timestamps are chosen by the proposer, never by the state machine.
 *
 * A command that cannot apply (unknown service, duplicate name, a task state moving backwards) is a
 * no-op in the state machine, so that replaying a log is always deterministic. The proposer validates
 * beforehand to give the user a clear error.
 */
import type { Cluster, DesiredState, Id, Node, ServiceSpec, Task, TaskStatus } from "./types.ts";

export type Command =
  | { kind: "cluster.init"; cluster: Cluster }
  | { kind: "node.upsert"; node: Node }
  | { kind: "node.remove"; id: Id }
  | { kind: "service.create"; id: Id; spec: ServiceSpec; at: string }
  /** Replaces the spec; bumps the service's Version.Index; keeps PreviousSpec. */
  | { kind: "service.update"; id: Id; spec: ServiceSpec; at: string }
  /** Removes the service and marks all its tasks desired `remove`. */
  | { kind: "service.remove"; id: Id; at: string }
  | { kind: "task.create"; task: Task }
  /** Observed state; ignored unless `canAdvance(current, next)`. */
  | { kind: "task.status"; id: Id; status: TaskStatus; at: string }
  | { kind: "task.desired"; id: Id; desired: DesiredState; at: string }
  | { kind: "task.assign"; id: Id; nodeId: Id; at: string }
  /** Scheduler could not place a task: keeps it pending with a reason `service ps` shows. */
  | { kind: "task.unschedulable"; id: Id; message: string; at: string }
  /** Forgets tasks (history trimming, removed services whose containers are gone). */
  | { kind: "task.delete"; ids: Id[] };

export type CommandKind = Command["kind"];
