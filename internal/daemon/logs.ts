/**
 * `service logs`: the lines of every task of a service, live from Docker or from the archive once a
 * container is gone. Without --follow, lines of all tasks are merged by timestamp (`mergeSorted`).
 * With --follow, each task streams as its lines arrive (like Docker), and tasks that start later are
 * added to the fan-in (`LogMerger`) as they reach running.
 */
import type Docker from "dockerode";
import type { Logger } from "pino";
import { stateRank, type ClusterState, type LogRecord, type Task } from "../api/index.ts";
import { LogMerger, mergeSorted, readTaskLogs, type LogArchive, type TaskLogLine as LogLine } from "../logs/index.ts";
import type { ForgottenTasks } from "./log-index.ts";

/**
 * What `service logs` needs from the agent. Only tasks of this node are read (its engine, its
 * archive); logs from other nodes arrive with the cross-node log streams (issue 12).
 */
export interface LogsHost {
  readonly state: ClusterState;
  readonly nodeId: string;
  readonly docker: Docker;
  readonly archive: LogArchive;
  readonly forgotten: ForgottenTasks;
  readonly log: Logger;
  watch(signal: AbortSignal, fn: (st: ClusterState) => void): Promise<void>;
}

type Cluster = LogsHost;

export interface LogOptions {
  follow: boolean;
  tail?: number;
  since?: string;
  timestamps: boolean;
}

function record(c: Cluster, serviceName: string, t: Task, l: LogLine): LogRecord {
  const node = t.NodeID ? c.state.nodes[t.NodeID]?.Description.Hostname ?? t.NodeID : "";
  return { task: t.ID, name: `${serviceName}.${t.Slot ?? t.NodeID}`, node, stream: l.stream, ts: l.ts, line: l.line };
}

function tasksOfService(c: Cluster, serviceId: string, archived: Set<string>): Task[] {
  const live = Object.values(c.state.tasks);
  const forgotten = c.forgotten.ofService(serviceId).filter((t) => !c.state.tasks[t.ID]);
  return [...live, ...forgotten]
    .filter((t) => t.ServiceID === serviceId && t.NodeID === c.nodeId && (t.Status.ContainerStatus?.ContainerID || archived.has(t.ID)))
    .sort((a, b) => (a.Slot ?? 0) - (b.Slot ?? 0) || a.CreatedAt.localeCompare(b.CreatedAt));
}

export async function streamServiceLogs(
  c: Cluster,
  serviceId: string,
  opts: LogOptions,
  write: (r: LogRecord) => void,
  signal: AbortSignal,
): Promise<void> {
  const serviceName = c.state.services[serviceId]!.Spec.Name;
  const readOpts = { follow: false, tail: opts.tail, since: opts.since, signal };
  const archived = new Set(await c.archive.list());
  const byId = new Map<string, Task>();
  const emit = (l: LogLine) => write(record(c, serviceName, byId.get(l.taskId)!, l));
  if (!opts.follow) {
    const tasks = tasksOfService(c, serviceId, archived);
    for (const t of tasks) byId.set(t.ID, t);
    for (const l of await mergeSorted(tasks.map((t) => readTaskLogs(c.docker, c.archive, t, readOpts)))) emit(l);
    return;
  }
  const merger = new LogMerger<LogLine>();
  // One task's stream failing ends that stream only, not the whole follow.
  async function* quiet(t: Task, lines: AsyncIterable<LogLine>): AsyncIterable<LogLine> {
    try {
      yield* lines;
    } catch (err) {
      if (!signal.aborted) c.log.warn({ err, task: t.ID }, "log stream of a task ended with an error");
    }
  }
  const startTask = (t: Task, isNew: boolean) => {
    // Docker ends a follow stream at once for a container that has not started yet: wait for it.
    if (byId.has(t.ID) || stateRank(t.Status.State) < stateRank("running")) return;
    byId.set(t.ID, t);
    const o = { ...readOpts, follow: true, tail: isNew ? undefined : opts.tail };
    merger.add(quiet(t, readTaskLogs(c.docker, c.archive, t, o)));
  };
  for (const t of tasksOfService(c, serviceId, archived)) startTask(t, false);
  // The follow ends when the client goes away, or once the service is removed and the streams of its
  // tasks have ended (their containers stop and go): `logs -f` of a removed service must not hang.
  const stopWatching = new AbortController();
  const onAbort = () => stopWatching.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  const watching = c.watch(stopWatching.signal, () => {
    if (stopWatching.signal.aborted) return;
    if (!c.state.services[serviceId]) {
      merger.end();
      stopWatching.abort();
      return;
    }
    for (const t of tasksOfService(c, serviceId, archived)) startTask(t, true);
  });
  signal.addEventListener("abort", () => void merger.close(), { once: true });
  try {
    for await (const l of merger) emit(l);
  } finally {
    signal.removeEventListener("abort", onAbort);
    stopWatching.abort();
    await watching;
  }
}
