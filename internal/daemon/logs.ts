/**
 * `service logs`: the lines of every task of a service, live from Docker or from the archive once a
 * container is gone. Without --follow, lines of all tasks are merged by timestamp. With --follow, each
 * task streams as its lines arrive (like Docker), and tasks that start later are picked up.
 */
import { stateRank, type Task } from "../api/index.ts";
import { compareTs, readTaskLogs, type TaskLogLine as LogLine } from "../logs/index.ts";
import type { Cluster } from "./cluster.ts";

export interface LogOptions {
  follow: boolean;
  tail?: number;
  since?: string;
  timestamps: boolean;
}

export interface LogRecord {
  task: string;
  name: string;
  node: string;
  stream: string;
  ts: string;
  line: string;
}

function record(c: Cluster, serviceName: string, t: Task, l: LogLine): LogRecord {
  const node = t.NodeID ? c.state.nodes[t.NodeID]?.Description.Hostname ?? t.NodeID : "";
  return { task: t.ID, name: `${serviceName}.${t.Slot ?? t.NodeID}`, node, stream: l.stream, ts: l.ts, line: l.line };
}

function tasksOfService(c: Cluster, serviceId: string, archived: Set<string>): Task[] {
  const live = Object.values(c.state.tasks);
  const forgotten = c.forgotten.ofService(serviceId).filter((t) => !c.state.tasks[t.ID]);
  return [...live, ...forgotten]
    .filter((t) => t.ServiceID === serviceId && (t.Status.ContainerStatus?.ContainerID || archived.has(t.ID)))
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
  if (!opts.follow) {
    const all: LogRecord[] = [];
    await Promise.all(
      tasksOfService(c, serviceId, archived).map(async (t) => {
        for await (const l of readTaskLogs(c.docker, c.archive, t, readOpts)) all.push(record(c, serviceName, t, l));
      }),
    );
    all.sort((a, b) => compareTs(a.ts, b.ts));
    for (const r of all) write(r);
    return;
  }
  const started = new Set<string>();
  const followers: Promise<void>[] = [];
  const startTask = (t: Task, isNew: boolean) => {
    // Docker ends a follow stream at once for a container that has not started yet: wait for it.
    if (started.has(t.ID) || stateRank(t.Status.State) < stateRank("running")) return;
    started.add(t.ID);
    const o = { ...readOpts, follow: true, tail: isNew ? undefined : opts.tail };
    followers.push(
      (async () => {
        try {
          for await (const l of readTaskLogs(c.docker, c.archive, t, o)) {
            if (signal.aborted) return;
            write(record(c, serviceName, t, l));
          }
        } catch (err) {
          if (!signal.aborted) c.log.warn({ err, task: t.ID }, "log stream of a task ended with an error");
        }
      })(),
    );
  };
  for (const t of tasksOfService(c, serviceId, archived)) startTask(t, false);
  await c.watch(signal, () => {
    if (!c.state.services[serviceId]) return;
    for (const t of tasksOfService(c, serviceId, archived)) startTask(t, true);
  });
  await Promise.allSettled(followers);
}
