/**
 * Where live logs come from: a container's output through the engine. The Docker implementation asks
 * for timestamps always (lines from several tasks are merged by time) and decodes Docker's multiplexed
 * frames itself, for whole responses and for follow streams alike.
 */
import type Dockerode from "dockerode";
import { FrameDecoder, LineAssembler, type StampedLine } from "./demux.ts";
import { sinceParam } from "./since.ts";

export interface ContainerLogOptions {
  follow?: boolean;
  /** Last N lines; undefined for all. */
  tail?: number;
  /** Unix seconds (fractional). */
  since?: number;
  signal?: AbortSignal;
}

export interface LogSource {
  /**
   * The container's lines, oldest first. With `follow`, keeps yielding until the container stops or the
   * signal aborts. Throws an error with `statusCode` 404 when the container does not exist.
   */
  containerLogs(idOrName: string, opts: ContainerLogOptions): AsyncIterable<StampedLine>;
}

export function isLogSource(x: unknown): x is LogSource {
  return typeof (x as LogSource | undefined)?.containerLogs === "function";
}

/**
 * Both follow and one-shot reads stream the engine's response and decode it as it comes (dockerode
 * buffers a whole non-follow response: a task with a large log would be held in memory at once).
 */
export function dockerLogSource(docker: Dockerode): LogSource {
  return {
    async *containerLogs(idOrName, opts) {
      const query = {
        stdout: true,
        stderr: true,
        timestamps: true,
        follow: opts.follow === true,
        ...(opts.tail !== undefined ? { tail: Math.max(0, Math.floor(opts.tail)) } : {}),
        ...(opts.since !== undefined ? { since: sinceParam(opts.since) as unknown as number } : {}),
      };
      const stream = await new Promise<NodeJS.ReadableStream & { destroy(): void }>((resolve, reject) => {
        docker.modem.dial(
          {
            path: `/containers/${encodeURIComponent(idOrName)}/logs?`,
            method: "GET",
            isStream: true,
            statusCodes: { 200: true, 404: "no such container", 500: "server error" },
            options: query,
          },
          (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as NodeJS.ReadableStream & { destroy(): void })),
        );
      });
      const abort = () => stream.destroy();
      if (opts.signal?.aborted) return abort();
      opts.signal?.addEventListener("abort", abort, { once: true });
      const frames = new FrameDecoder();
      const lines = new LineAssembler();
      try {
        for await (const chunk of stream as AsyncIterable<Buffer | string>) {
          const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : new Uint8Array(chunk);
          for (const f of frames.push(bytes)) yield* lines.push(f);
        }
      } catch (e) {
        if (!opts.signal?.aborted) throw e;
      } finally {
        opts.signal?.removeEventListener("abort", abort);
        stream.destroy();
      }
      yield* lines.flush();
    },
  };
}
