/**
 * Reading one task's logs: from its live container when it exists, else from the LogArchive (its
 * container was removed). `tail` applies per task; `since` filters by Docker's timestamps, which are
 * always fetched so callers can merge tasks by time (`mergeSorted`, `interleave`).
 *
 * Contract: yields lines oldest first; with `follow` and a live container it keeps yielding until the
 * container stops or `signal` aborts (an archived task has nothing more to follow). A task with neither
 * a container nor an archived copy yields nothing.
 */
import type Dockerode from "dockerode";
import type { LogArchive } from "./archive.ts";
import type { StampedLine, StreamName } from "./demux.ts";
import { parseSince, tsSeconds } from "./since.ts";
import { dockerLogSource, isLogSource, type LogSource } from "./source.ts";

export interface TaskLogLine {
  taskId: string;
  stream: StreamName;
  /** RFC3339Nano, from Docker. */
  ts: string;
  line: string;
}

export interface TaskLogRef {
  ID: string;
  Status?: { ContainerStatus?: { ContainerID?: string } };
}

export interface ReadLogsOptions {
  follow?: boolean;
  /** Last N lines of this task; undefined for all. */
  tail?: number;
  /** Unix seconds, or a string as `--since` takes (unix seconds, RFC3339, Go duration). */
  since?: number | string;
  /** Display concern for the caller: every line carries `ts` regardless. */
  timestamps?: boolean;
  /** Container name to try when the task has no ContainerID yet (e.g. `containerName(...)`). */
  containerName?: string;
  signal?: AbortSignal;
  /** For relative `since` values. Default Date.now(). */
  nowMs?: number;
}

function notFound(e: unknown): boolean {
  const s = (e as { statusCode?: number; status?: number } | undefined) ?? {};
  return s.statusCode === 404 || s.status === 404;
}

/** Pure: `since` then `tail` over archived lines. */
export function selectLines(lines: readonly StampedLine[], since: number | undefined, tail: number | undefined): StampedLine[] {
  let out = since === undefined ? [...lines] : lines.filter((l) => l.ts === "" || tsSeconds(l.ts) >= since);
  if (tail !== undefined) out = tail <= 0 ? [] : out.slice(-Math.floor(tail));
  return out;
}

export async function* readTaskLogs(
  source: Dockerode | LogSource,
  archive: LogArchive,
  task: TaskLogRef,
  opts: ReadLogsOptions = {},
): AsyncIterable<TaskLogLine> {
  const src = isLogSource(source) ? source : dockerLogSource(source);
  const since = typeof opts.since === "string" ? parseSince(opts.since, opts.nowMs ?? Date.now()) : opts.since;
  const refs = [task.Status?.ContainerStatus?.ContainerID, opts.containerName].filter((r): r is string => !!r);
  for (const ref of refs) {
    let yielded = false;
    try {
      const it = src.containerLogs(ref, {
        ...(opts.follow ? { follow: true } : {}),
        ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
        ...(since !== undefined ? { since } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      for await (const l of it) {
        yielded = true;
        yield { taskId: task.ID, ...l };
      }
      return;
    } catch (e) {
      if (yielded || !notFound(e)) throw e;
    }
  }
  const archived = await archive.read(task.ID);
  if (!archived) return;
  for (const l of selectLines(archived, since, opts.tail)) yield { taskId: task.ID, ...l };
}

/** Non-follow merge: all lines of all streams, ordered by timestamp (stable within a stream). */
export async function mergeSorted(streams: AsyncIterable<TaskLogLine>[]): Promise<TaskLogLine[]> {
  const all = (await Promise.all(streams.map(async (s) => {
    const out: TaskLogLine[] = [];
    for await (const l of s) out.push(l);
    return out;
  }))).flat();
  const key = all.map((l, i) => ({ l, i, t: tsSeconds(l.ts) }));
  key.sort((a, b) => (a.t === b.t || Number.isNaN(a.t) || Number.isNaN(b.t) ? a.i - b.i : a.t - b.t));
  return key.map((k) => k.l);
}

/** Follow merge: yields lines from all streams as they arrive; ends when every stream has ended. */
export async function* interleave<T>(streams: AsyncIterable<T>[]): AsyncIterable<T> {
  const its = streams.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<T> }>>();
  const pull = (i: number) => pending.set(i, its[i]!.next().then((r) => ({ i, r })));
  its.forEach((_, i) => pull(i));
  try {
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) {
        pending.delete(i);
        continue;
      }
      pull(i);
      yield r.value;
    }
  } finally {
    await Promise.all(its.map((it) => it.return?.()));
  }
}
