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
import { compareTs, parseSince, tsSeconds } from "./since.ts";
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
  const key = all.map((l, i) => ({ l, i }));
  key.sort((a, b) => compareTs(a.l.ts, b.l.ts) || a.i - b.i);
  return key.map((k) => k.l);
}

/**
 * A follow-mode fan-in that accepts streams while it runs (tasks that start later): yields lines from
 * every added stream as they arrive. Ends once `end()` was called and every added stream has ended;
 * `close()` ends it at once and stops the streams (their `return()` runs).
 */
export class LogMerger<T> implements AsyncIterable<T> {
  private its = new Map<number, AsyncIterator<T>>();
  private pending = new Map<number, Promise<{ k: number; r: IteratorResult<T> }>>();
  private seq = 0;
  private ended = false;
  private closed = false;
  private wake: (() => void) | undefined;

  add(stream: AsyncIterable<T>): void {
    if (this.closed || this.ended) throw new Error("LogMerger: add() after end() or close()");
    const k = this.seq++;
    const it = stream[Symbol.asyncIterator]();
    this.its.set(k, it);
    this.pull(k, it);
    this.wake?.();
  }

  /** No more streams will be added. */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    const its = [...this.its.values()];
    this.its.clear();
    this.pending.clear();
    await Promise.all(its.map((it) => it.return?.().catch(() => undefined)));
  }

  private pull(k: number, it: AsyncIterator<T>): void {
    this.pending.set(k, it.next().then((r) => ({ k, r })));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      while (!this.closed) {
        if (this.pending.size === 0) {
          if (this.ended) return;
          await new Promise<void>((r) => (this.wake = r));
          this.wake = undefined;
          continue;
        }
        const changed = new Promise<"wake">((r) => (this.wake = () => r("wake")));
        const first = await Promise.race([...this.pending.values(), changed]);
        this.wake = undefined;
        if (first === "wake" || this.closed) continue;
        const it = this.its.get(first.k);
        if (!it) continue;
        if (first.r.done) {
          this.pending.delete(first.k);
          this.its.delete(first.k);
          continue;
        }
        this.pull(first.k, it);
        yield first.r.value;
      }
    } finally {
      if (!this.closed) await this.close();
    }
  }
}

/** Follow merge of a fixed set of streams: lines as they arrive; ends when every stream has ended. */
export function interleave<T>(streams: AsyncIterable<T>[]): AsyncIterable<T> {
  const m = new LogMerger<T>();
  for (const s of streams) m.add(s);
  m.end();
  return m;
}
