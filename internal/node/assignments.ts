/**
 * The node side: hands this node's assignments (tasks with NodeID = this node, from the replicated
 * state) to the worker whenever the state changes. The worker reports task status back as commands.
 * It never imports manager code: on a multi-node cluster the state arrives from the dispatcher instead.
 */
import type { ClusterState, Id } from "../api/index.ts";
import type { Assignment } from "../executor/index.ts";

/** One task for this node's worker: the executor's own input type. */
export type { Assignment };

export interface AssignmentSink {
  /** Idempotent: the full set of this node's tasks. May run asynchronously. */
  sync(assignments: Assignment[]): unknown;
}

/** This node's assignments in `state`. Tasks of removed services keep their name from the container. */
export function assignmentsFor(state: ClusterState, nodeId: Id, names: Map<Id, string>): Assignment[] {
  const out: Assignment[] = [];
  for (const s of Object.values(state.services)) names.set(s.ID, s.Spec.Name);
  for (const task of Object.values(state.tasks)) {
    if (task.NodeID !== nodeId) continue;
    out.push({ task, serviceName: names.get(task.ServiceID) ?? task.ServiceID });
  }
  return out;
}

export interface StateSource {
  readonly state: ClusterState;
  subscribe(fn: (state: ClusterState) => void): () => void;
}

/** Keeps `sink` in step with `source` for `nodeId`. Returns a stop function. */
export function startNodeAgent(source: StateSource, sink: AssignmentSink, nodeId: Id, onError: (err: unknown) => void = () => {}): () => void {
  const names = new Map<Id, string>();
  let last = -1;
  const push = (state: ClusterState) => {
    if (state.index === last) return;
    last = state.index;
    Promise.resolve(sink.sync(assignmentsFor(state, nodeId, names))).catch(onError);
  };
  const unsubscribe = source.subscribe(push);
  push(source.state);
  return unsubscribe;
}
