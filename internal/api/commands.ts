/**
 * Every change to the cluster state is one of these commands, appended to the log and applied by the
 * store's deterministic state machine (internal/store). Commands carry everything that is not a pure
 * function of the state: IDs and timestamps are chosen by the proposer, never by the state machine.
 *
 * A command that cannot apply (unknown service, duplicate name, a task state moving backwards) is a
 * no-op in the state machine, so that replaying a log is always deterministic; its `Outcome` says
 * why. Conflicts between concurrent writers (a name, a published port, a stale version) are decided
 * here, in apply, never by a plan computed before proposing.
 */
import type { ErrorCode } from "./errors.ts";
import type {
  Cluster, Config, DesiredState, Id, Node, NodeDescription, NodeRole, NodeSpec, NodeStateName, Secret, ServiceSpec, Task, TaskStatus,
  UpdateStatus,
} from "./types.ts";

export type Command =
  | { kind: "cluster.init"; cluster: Cluster }
  /** `join-token --rotate ROLE`: the role's join secret changes; the old one admits nobody new. */
  | { kind: "cluster.rotate-token"; role: NodeRole }
  /** Adds a node (join). Refused (CONFLICT) if the ID exists or is revoked. */
  | { kind: "node.add"; node: Node }
  /** Inserts or replaces a node as given (tests, and a node's own first record on `init`). */
  | { kind: "node.upsert"; node: Node }
  /**
   * Leader's liveness verdict, and the addresses it observed on the node's connection: `addr` (host)
   * and, for a manager, `managerAddr` (host:port of its DHT, where other nodes bootstrap). Sets
   * Status.Timestamp when State changes.
   */
  | { kind: "node.status"; id: Id; state: NodeStateName; addr?: string; managerAddr?: string; message?: string; at: string }
  /** What the node's engine reports on each session (hostname, resources, engine version). */
  | { kind: "node.describe"; id: Id; description: NodeDescription; at: string }
  /** `node update / promote / demote`. With `version`, refused (CONFLICT) unless it is the node's Version.Index. */
  | { kind: "node.update"; id: Id; spec: NodeSpec; version?: number; at: string }
  /** Records a certificate issued to the node; its serial is this entry's index (the outcome's value). */
  | { kind: "node.certificate"; id: Id; role: NodeRole; notAfterMs: number }
  /** Forgets a node and revokes its ID. Its tasks stay; the orchestrator orphans them. */
  | { kind: "node.remove"; id: Id }
  /** Refused (CONFLICT) if the name is taken; PublishedPort 0 is allocated here, a taken port refused. */
  | { kind: "service.create"; id: Id; spec: ServiceSpec; at: string }
  /**
   * Replaces the spec; bumps the service's Version.Index; keeps PreviousSpec. With `version`, refused
   * (CONFLICT) unless it is the service's current Version.Index (an update based on a stale read).
   */
  | { kind: "service.update"; id: Id; spec: ServiceSpec; version?: number; at: string }
  /** Removes the service and marks all its tasks desired `remove`. */
  | { kind: "service.remove"; id: Id; at: string }
  /**
   * Back to PreviousSpec (which becomes the spec it replaces), UpdateStatus `rollback_started` with
   * `message`. Refused (CONFLICT) without a PreviousSpec, or with a `version` that is not current: by
   * `service rollback` / `update --rollback`, and by the orchestrator when a failed update rolls back.
   */
  | { kind: "service.rollback"; id: Id; message: string; version?: number; at: string }
  /**
   * The orchestrator moves an update on (paused, completed, …). Applied only while the service's
   * UpdateStatus is still the one it judged (same StartedAt and State): a newer update wins.
   */
  | { kind: "service.update-status"; id: Id; from: { State: UpdateStatus["State"]; StartedAt: string }; status: UpdateStatus }
  /** Refused (CONFLICT) if the name is taken. `Sealed` is already encrypted by the proposing manager. */
  | { kind: "secret.create"; secret: Secret }
  /** Refused (CONFLICT) while a service uses it. */
  | { kind: "secret.remove"; id: Id }
  | { kind: "config.create"; config: Config }
  | { kind: "config.remove"; id: Id }
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

/**
 * What applying one command did. Commands that only record facts (task status, scheduling) are
 * `ok` even when they change nothing; commands a user asked for (`service.create`, `node.update`, …)
 * say why they were refused, so the API can answer with a conflict instead of a silent no-op.
 */
export type Outcome = { ok: true; value?: unknown } | { ok: false; code: ErrorCode; message: string };

export const OK: Outcome = { ok: true };
