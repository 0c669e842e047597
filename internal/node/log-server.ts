/**
 * The node's log server (docs/cluster.md "Logs from every node"): a manager asks for the lines of some
 * of this node's tasks (`node.logs`); the node reads each from its live container or, once the
 * container is gone, from its log archive, and streams them back in batches, in time order across
 * those tasks. With `follow`, the lines that existed when the request came are sent first (merged in
 * time order), then `caughtUp`, then live lines as they come, until every task's container stops or
 * the manager cancels. Memory: one line per task is held for the merge, one batch in flight beyond
 * the stream's credit; a slow manager slows the reading down (backpressure), it never buffers more.
 *
 * Contract: `serveLogs` never throws for a task that cannot be read (that task just yields nothing);
 * it rejects (INVALID_ARGUMENT) a malformed request before reading anything.
 */
import { assertPlain, MAX_LOG_TASKS, SwarmError, type LogsMessage, type LogsRequest } from "../api/index.ts";
import type { ContainerRuntime } from "../executor/index.ts";
import {
  batches, compareTs, LogMerger, mergeOrdered, readTaskLogs, tsSeconds, type LogArchive, type LogSource, type TaskLogLine,
} from "../logs/index.ts";

export interface LogServerDeps {
  source: LogSource;
  archive: LogArchive;
  /** Warnings about a task whose stream broke (the others go on). */
  warn?: (obj: object, msg: string) => void;
}

type WireLine = Extract<LogsMessage, { t: "lines" }>["lines"][number];

/** Checks a request from the wire; returns it normalised. */
export function checkLogsRequest(req: unknown): LogsRequest {
  assertPlain(req, "logs request");
  const r = req as Partial<LogsRequest> | undefined;
  if (!r || !Array.isArray(r.tasks) || r.tasks.length > MAX_LOG_TASKS) throw SwarmError.invalid(`a logs request names 0 to ${MAX_LOG_TASKS} tasks`);
  const tasks: LogsRequest["tasks"] = [];
  for (const t of r.tasks) {
    if (!t || typeof t.id !== "string" || t.id.length === 0 || t.id.length > 128) throw SwarmError.invalid("a logs request names tasks by ID");
    if (t.container !== undefined && (typeof t.container !== "string" || !/^[0-9a-zA-Z_.-]{1,128}$/.test(t.container))) {
      throw SwarmError.invalid("a logs request names containers by ID");
    }
    tasks.push(t.container ? { id: t.id, container: t.container } : { id: t.id });
  }
  const out: LogsRequest = { tasks, follow: r.follow === true };
  if (r.tail !== undefined) {
    if (!Number.isSafeInteger(r.tail) || r.tail < 0) throw SwarmError.invalid("tail must be a whole number of lines");
    out.tail = r.tail;
  }
  if (r.since !== undefined) {
    if (typeof r.since !== "number" || !Number.isFinite(r.since)) throw SwarmError.invalid("since must be unix seconds");
    out.since = r.since;
  }
  return out;
}

const wire = (l: TaskLogLine): WireLine => ({ task: l.taskId, stream: l.stream, ts: l.ts, line: l.line });
const bytesOf = (l: WireLine) => l.line.length + l.ts.length + l.task.length + 16;
const byTs = (a: TaskLogLine, b: TaskLogLine) => compareTs(a.ts, b.ts);

/** Streams the lines of `req`'s tasks to `write` (which applies backpressure). */
export async function serveLogs(deps: LogServerDeps, req: LogsRequest, write: (m: LogsMessage) => Promise<void>, signal: AbortSignal): Promise<void> {
  const startedSec = Date.now() / 1000;
  const refs = req.tasks.map((t) => ({ ID: t.id, Status: { ContainerStatus: { ContainerID: t.container } } }));
  const quiet = (id: string, lines: AsyncIterable<TaskLogLine>) => guard(id, lines, signal, deps.warn);
  // What each task sent before the live part: its last timestamp, and how many lines carried it.
  const last = new Map<string, { ts: string; n: number }>();
  const history = mergeOrdered(
    refs.map((t) => quiet(t.ID, readTaskLogs(deps.source, deps.archive, t, { tail: req.tail, since: req.since, signal }))),
    byTs,
  );
  async function* noted(): AsyncIterable<WireLine> {
    for await (const l of history) {
      const seen = last.get(l.taskId);
      if (seen && seen.ts === l.ts) seen.n++;
      else last.set(l.taskId, { ts: l.ts, n: 1 });
      yield wire(l);
    }
  }
  for await (const b of batches(noted(), bytesOf)) {
    if (signal.aborted) return;
    await write({ t: "lines", lines: b });
  }
  if (!req.follow || signal.aborted) return;
  await write({ t: "caughtUp" });

  // Live: each task from where its history ended (lines with the same timestamp as its last one are
  // told apart by count), or from when the request came when it had none.
  const merger = new LogMerger<TaskLogLine>();
  for (const t of refs) {
    const seen = last.get(t.ID);
    const since = seen ? tsSeconds(seen.ts) - 0.001 : Math.max(req.since ?? 0, startedSec);
    merger.add(quiet(t.ID, after(seen, readTaskLogs(deps.source, deps.archive, t, { follow: true, since, signal }))));
  }
  merger.end();
  const stop = () => void merger.close();
  signal.addEventListener("abort", stop, { once: true });
  try {
    async function* lines(): AsyncIterable<WireLine> {
      for await (const l of merger) yield wire(l);
    }
    for await (const b of batches(lines(), bytesOf)) {
      if (signal.aborted) return;
      await write({ t: "lines", lines: b });
    }
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

/** Skips what the history part already sent: lines older than `seen.ts`, and the first `seen.n` at it. */
async function* after(seen: { ts: string; n: number } | undefined, lines: AsyncIterable<TaskLogLine>): AsyncIterable<TaskLogLine> {
  let skipAtLast = seen?.n ?? 0;
  for await (const l of lines) {
    if (seen) {
      const c = compareTs(l.ts, seen.ts);
      if (c < 0) continue;
      if (c === 0 && skipAtLast > 0) {
        skipAtLast--;
        continue;
      }
    }
    yield l;
  }
}

/** One task's stream failing ends that stream only. */
async function* guard(id: string, lines: AsyncIterable<TaskLogLine>, signal: AbortSignal, warn?: LogServerDeps["warn"]): AsyncIterable<TaskLogLine> {
  try {
    yield* lines;
  } catch (err) {
    if (!signal.aborted) warn?.({ task: id, err: (err as Error).message }, "reading a task's logs failed");
  }
}

/**
 * A LogSource over the executor's runtime (engines without a streaming logs call, and the one-process
 * cluster tests): lines so far, and with `follow` new ones every `pollMs` until the container stops.
 */
export function runtimeLogSource(runtime: ContainerRuntime, pollMs = 50): LogSource {
  return {
    async *containerLogs(id, opts) {
      let sent = 0;
      const read = async () => {
        const all = await runtime.logs(id, undefined).catch((e: { status?: number }) => {
          if (e?.status === 404) throw Object.assign(new Error(`No such container: ${id}`), { statusCode: 404 });
          throw e;
        });
        const fresh = all.slice(sent);
        sent = all.length;
        return opts.since === undefined ? fresh : fresh.filter((l) => tsSeconds(l.ts) >= opts.since!);
      };
      let first = await read();
      if (opts.tail !== undefined) first = opts.tail <= 0 ? [] : first.slice(-opts.tail);
      yield* first;
      if (!opts.follow) return;
      while (!opts.signal?.aborted) {
        const info = await runtime.inspect(id).catch(() => undefined);
        yield* await read().catch(() => []);
        if (!info?.running) return;
        await new Promise<void>((r) => {
          const t = setTimeout(r, pollMs);
          opts.signal?.addEventListener("abort", () => (clearTimeout(t), r()), { once: true });
        });
      }
    },
  };
}
