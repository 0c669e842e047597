/**
 * One task's log lines: live from its container when Docker still has it, else from the archive
 * (the bounded copy the worker saves before removing a container). `tail` applies per task; `since`
 * takes unix seconds, an RFC 3339 time, or a duration ago ("10m"); lines always carry Docker's
 * timestamp so that several tasks can be merged by time.
 */
import type Docker from "dockerode";
import type { Task } from "../api/index.ts";
import { FrameDecoder, LineAssembler, linesFromBuffer, type LogArchive, type StampedLine } from "../logs/index.ts";
import { parseDuration } from "../spec/index.ts";

export interface TaskLogOptions {
  follow: boolean;
  tail?: number;
  since?: string;
  signal?: AbortSignal;
}

/** `since` → unix seconds (what Docker's API takes). */
export function sinceSeconds(since: string | undefined, nowMs = Date.now()): number | undefined {
  if (!since) return undefined;
  if (/^\d+(\.\d+)?$/.test(since)) return Number(since);
  const t = Date.parse(since);
  if (!Number.isNaN(t)) return t / 1000;
  return (nowMs - parseDuration("--since", since) / 1e6) / 1000;
}

function fromArchive(lines: StampedLine[], o: TaskLogOptions): StampedLine[] {
  const since = sinceSeconds(o.since);
  const kept = since === undefined ? lines : lines.filter((l) => Date.parse(l.ts) / 1000 >= since);
  return o.tail === undefined ? kept : o.tail === 0 ? [] : kept.slice(-o.tail);
}

export async function* readTaskLogs(docker: Docker, archive: LogArchive, task: Task, o: TaskLogOptions): AsyncGenerator<StampedLine> {
  const id = task.Status.ContainerStatus?.ContainerID;
  const base = { stdout: true, stderr: true, timestamps: true, tail: o.tail ?? "all", since: sinceSeconds(o.since) ?? 0 } as const;
  if (id) {
    const c = docker.getContainer(id);
    try {
      if (!o.follow) {
        const buf = (await c.logs({ ...base, follow: false } as any)) as unknown as Buffer;
        yield* linesFromBuffer(buf);
        return;
      }
      const stream = (await c.logs({ ...base, follow: true } as any)) as unknown as NodeJS.ReadableStream & { destroy(): void };
      o.signal?.addEventListener("abort", () => stream.destroy(), { once: true });
      const frames = new FrameDecoder();
      const lines = new LineAssembler();
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        for (const f of frames.push(chunk)) yield* lines.push(f);
      }
      yield* lines.flush();
      return;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      // The container is gone: fall through to the archived copy.
    }
  }
  const archived = await archive.read(task.ID);
  if (archived) yield* fromArchive(archived, o);
}
