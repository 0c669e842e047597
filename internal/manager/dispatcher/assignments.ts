/**
 * What the dispatcher sends a node: its tasks, as a full set and then changes. Pure.
 *
 * A node's assignments are every task with its NodeID, whatever their state (a terminal task whose
 * container still exists must be stopped and removed by the node); a task disappears from them when
 * the store forgets it or moves it.
 */
import type { ClusterState, Id, ServiceRef, SessionMessage, Task, TaskFile } from "../../api/index.ts";

/** The version of each task last sent to the node. */
export type Sent = Map<Id, number>;

export function tasksOfNode(state: ClusterState, nodeId: Id): Task[] {
  const out: Task[] = [];
  for (const t of Object.values(state.tasks)) if (t.NodeID === nodeId) out.push(t);
  return out;
}

function refs(state: ClusterState, tasks: readonly Task[]): ServiceRef[] {
  const seen = new Set<Id>();
  const out: ServiceRef[] = [];
  for (const t of tasks) {
    if (seen.has(t.ServiceID)) continue;
    seen.add(t.ServiceID);
    const s = state.services[t.ServiceID];
    if (s) out.push({ ID: s.ID, Name: s.Spec.Name, Ports: s.Endpoint.Ports });
  }
  return out;
}

/**
 * The message that brings a node from `sent` to `state` (and updates `sent`), or null when nothing
 * changed. `sent === null` asks for the full set. A change of a task for which `hold` is true is not
 * sent yet (the node keeps the version it has; a later call sends it): the dispatcher holds back
 * stopping a task until every node's routing mesh stopped sending it new connections. `files` gives the
 * secrets and configs the message's tasks use (sent along with them: a node gets a secret only with a
 * live task that uses it).
 */
export function assignmentDelta(
  state: ClusterState,
  nodeId: Id,
  sent: Sent | null,
  hold: (taskId: Id) => boolean = () => false,
  files: (tasks: Task[]) => TaskFile[] = () => [],
): { msg: SessionMessage | null; sent: Sent } {
  const mine = tasksOfNode(state, nodeId);
  const next: Sent = new Map(mine.map((t) => [t.ID, t.Version.Index]));
  const withFiles = (msg: Extract<SessionMessage, { t: "assignments" }>) => {
    const f = files(msg.tasks);
    if (f.length > 0) msg.files = f;
    return msg;
  };
  if (sent === null) {
    return { msg: withFiles({ t: "assignments", full: true, tasks: mine, removed: [], services: refs(state, mine) }), sent: next };
  }
  const changed: Task[] = [];
  for (const t of mine) {
    const was = sent.get(t.ID);
    if (was === t.Version.Index) continue;
    if (was !== undefined && hold(t.ID)) next.set(t.ID, was);
    else changed.push(t);
  }
  const removed: Id[] = [];
  for (const [id, v] of sent) {
    if (next.has(id)) continue;
    if (hold(id)) next.set(id, v);
    else removed.push(id);
  }
  if (changed.length === 0 && removed.length === 0) return { msg: null, sent: next };
  return { msg: withFiles({ t: "assignments", full: false, tasks: changed, removed, services: refs(state, changed) }), sent: next };
}
