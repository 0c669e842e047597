/**
 * `service logs` on any manager (docs/cluster.md "Logs from every node"): the lines of every task of a
 * service, read on the node that holds each task (its live container, or its log archive once the
 * container is gone) and streamed back over the transport (`node.logs`), merged in time order.
 *
 * - Without --follow: one ordered stream per node, merged by timestamp as they arrive (one line per
 *   node is held: memory stays bounded whatever the logs' size).
 * - With --follow: what exists is sent first, merged in time order; then live lines as they come, and
 *   tasks that start later on any node join. The follow ends when the client goes away, or once the
 *   service is removed and its tasks' streams have ended.
 * - A node that is down or unreachable: the other nodes' lines still come, and a warning names the node
 *   and its tasks not shown (Docker fails the whole command).
 * - A slow reader slows everything down to its pace: `write` waits, nodes wait for credit.
 */
import type { Logger } from "pino";
import {
  stateRank, type ClusterState, type Id, type LogRecord, type LogsMessage, type LogsRequest, type LogWarning, type Task,
} from "../api/index.ts";
import { compareTs, LogMerger, mergeOrdered } from "../logs/index.ts";
import type { ForgottenTasks } from "./log-index.ts";

/** What `service logs` needs from the agent. */
export interface LogsHost {
  /** This manager's state as it is now. */
  readonly state: ClusterState;
  readonly forgotten: ForgottenTasks;
  readonly log: Logger;
  watch(signal: AbortSignal, fn: (st: ClusterState) => void): Promise<void>;
  /** A node's log server: in process for this node, over the transport for the others. */
  readLogs(nodeId: Id, req: LogsRequest): AsyncIterable<LogsMessage>;
  /** Whether this node can reach `nodeId` now. */
  reaches(nodeId: Id): boolean;
}

export interface LogOptions {
  follow: boolean;
  tail?: number;
  /** Unix seconds. */
  since?: number;
  timestamps: boolean;
}

export type LogOutput = LogRecord | LogWarning;

interface Line {
  task: Id;
  stream: string;
  ts: string;
  line: string;
}

const byTs = (a: Line, b: Line) => compareTs(a.ts, b.ts);

/** Tasks of the service that have (or had) a container, live or forgotten, on any node. */
function tasksWithLogs(st: ClusterState, forgotten: ForgottenTasks, serviceId: Id): Task[] {
  const live = Object.values(st.tasks).filter((t) => t.ServiceID === serviceId);
  const gone = forgotten.ofService(serviceId).filter((t) => !st.tasks[t.ID]);
  return [...live, ...gone]
    .filter((t) => t.NodeID && t.Status.ContainerStatus?.ContainerID)
    .sort((a, b) => (a.Slot ?? 0) - (b.Slot ?? 0) || a.CreatedAt.localeCompare(b.CreatedAt));
}

function byNode(tasks: Task[]): Map<Id, Task[]> {
  const out = new Map<Id, Task[]>();
  for (const t of tasks) {
    const list = out.get(t.NodeID!) ?? [];
    list.push(t);
    out.set(t.NodeID!, list);
  }
  return out;
}

/**
 * One node's log stream, split at `caughtUp`: `history()` yields the lines that existed, `live()` the
 * rest. A stream that fails reports it once through `onError` and ends.
 */
class NodeStream {
  private readonly it: AsyncIterator<LogsMessage>;
  private pending: Line[] = [];
  private ended = false;

  constructor(
    src: AsyncIterable<LogsMessage>,
    private readonly onError: (err: unknown) => void,
  ) {
    this.it = src[Symbol.asyncIterator]();
  }

  /** Lines until `caughtUp` (or the end). */
  history(): AsyncIterable<Line> {
    return this.read(true);
  }

  /** Every line from where `history()` stopped. */
  live(): AsyncIterable<Line> {
    return this.read(false);
  }

  async close(): Promise<void> {
    this.ended = true;
    await this.it.return?.().catch(() => undefined);
  }

  private async *read(untilCaughtUp: boolean): AsyncIterable<Line> {
    for (;;) {
      while (this.pending.length > 0) yield this.pending.shift()!;
      if (this.ended) return;
      let r: IteratorResult<LogsMessage>;
      try {
        r = await this.it.next();
      } catch (err) {
        this.ended = true;
        this.onError(err);
        return;
      }
      if (r.done) {
        this.ended = true;
        return;
      }
      const m = r.value;
      if (m?.t === "caughtUp") {
        if (untilCaughtUp) return;
        continue;
      }
      if (m?.t === "lines" && Array.isArray(m.lines)) this.pending.push(...m.lines);
    }
  }
}

export async function streamServiceLogs(
  c: LogsHost,
  serviceId: Id,
  opts: LogOptions,
  write: (r: LogOutput) => unknown,
  signal: AbortSignal,
): Promise<void> {
  const serviceName = c.state.services[serviceId]!.Spec.Name;
  const known = new Map<Id, Task>();
  const hostname = (nodeId: Id) => c.state.nodes[nodeId]?.Description.Hostname || nodeId.slice(0, 12);
  const record = (l: Line): LogRecord | undefined => {
    const t = known.get(l.task);
    if (!t) return undefined; // a node sent a line of a task it was not asked for
    return { task: t.ID, name: `${serviceName}.${t.Slot ?? t.NodeID}`, node: hostname(t.NodeID!), stream: l.stream, ts: l.ts, line: l.line };
  };
  const emit = async (l: Line) => {
    const r = record(l);
    if (r) await write(r);
  };
  const warnings: Promise<unknown>[] = [];
  const warn = (nodeId: Id, tasks: Task[], why: string) => {
    const node = hostname(nodeId);
    const names = tasks.map((t) => `${serviceName}.${t.Slot ?? t.NodeID}.${t.ID.slice(0, 12)}`);
    warnings.push(Promise.resolve(write({ warning: `node ${node} ${why}: not showing the logs of ${names.join(", ")}`, node, tasks: tasks.map((t) => t.ID) })));
  };
  /** Opens the node's stream for `tasks`, or warns when the node cannot be reached. */
  const open = (nodeId: Id, tasks: Task[], follow: boolean, tail: number | undefined): NodeStream | undefined => {
    for (const t of tasks) known.set(t.ID, t);
    if (!c.reaches(nodeId)) {
      warn(nodeId, tasks, c.state.nodes[nodeId]?.Status.State === "down" ? "is down" : "is unreachable");
      return undefined;
    }
    const req: LogsRequest = { tasks: tasks.map((t) => ({ id: t.ID, container: t.Status.ContainerStatus?.ContainerID })), follow };
    if (tail !== undefined) req.tail = tail;
    if (opts.since !== undefined) req.since = opts.since;
    let src: AsyncIterable<LogsMessage>;
    try {
      src = c.readLogs(nodeId, req);
    } catch (err) {
      warn(nodeId, tasks, `could not be asked (${(err as Error).message})`);
      return undefined;
    }
    return new NodeStream(src, (err) => {
      if (!signal.aborted) warn(nodeId, tasks, `stopped answering (${(err as Error).message})`);
    });
  };

  const streams: NodeStream[] = [];
  const closeAll = () => Promise.all(streams.map((s) => s.close()));
  signal.addEventListener("abort", () => void closeAll(), { once: true });
  try {
    // Followed tasks must have started: Docker ends a follow at once for a container not started yet.
    const initial = tasksWithLogs(c.state, c.forgotten, serviceId).filter((t) => !opts.follow || stateRank(t.Status.State) >= stateRank("running"));
    for (const [nodeId, tasks] of byNode(initial)) {
      const s = open(nodeId, tasks, opts.follow, opts.tail);
      if (s) streams.push(s);
    }
    for await (const l of mergeOrdered(streams.map((s) => s.history()), byTs)) {
      if (signal.aborted) return;
      await emit(l);
    }
    if (!opts.follow || signal.aborted) return;

    const merger = new LogMerger<Line>();
    for (const s of streams) merger.add(s.live());
    const stopWatching = new AbortController();
    const onAbort = () => stopWatching.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    signal.addEventListener("abort", () => void merger.close(), { once: true });
    const watching = c.watch(stopWatching.signal, (st) => {
      if (stopWatching.signal.aborted) return;
      if (!st.services[serviceId]) {
        merger.end();
        stopWatching.abort();
        return;
      }
      // Tasks that started since: all their lines, as they come.
      const fresh = tasksWithLogs(st, c.forgotten, serviceId).filter((t) => !known.has(t.ID) && stateRank(t.Status.State) >= stateRank("running"));
      for (const [nodeId, tasks] of byNode(fresh)) {
        const s = open(nodeId, tasks, true, undefined);
        if (!s) continue;
        streams.push(s);
        merger.add(s.live());
      }
    });
    try {
      for await (const l of merger) {
        if (signal.aborted) break;
        await emit(l);
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      stopWatching.abort();
      await watching;
    }
  } finally {
    await Promise.all(warnings);
    await closeAll();
  }
}
