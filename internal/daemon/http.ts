/** Small HTTP helpers for the agent's API: the server, JSON replies, typed error mapping, NDJSON streams. */
import { httpStatusFor, isSwarmError } from "../api/index.ts";
import { toRuntimeError } from "../executor/index.ts";
import { MAX_BODY_BYTES } from "./requests.ts";
import type { RequestTimeouts } from "./routes.ts";

/** A connection with an incomplete request is closed after this long without a byte (see routes.ts). */
export const API_IDLE_TIMEOUT_S = 10;

/**
 * Serves the API on a unix socket. Requests are bounded: bodies over MAX_BODY_BYTES are refused by Bun
 * itself too (a backstop to the router's 413), and an incomplete request idles out after
 * `idleTimeoutS` (Bun has no separate header timeout: a client trickling a byte at a time is only
 * bounded by the body limit).
 */
export function serveApi(
  socketPath: string,
  route: (req: Request, server: RequestTimeouts) => Promise<Response>,
  idleTimeoutS = API_IDLE_TIMEOUT_S,
): ReturnType<typeof Bun.serve> {
  return Bun.serve({
    unix: socketPath,
    fetch: (req: Request, server: RequestTimeouts) => route(req, server),
    idleTimeout: idleTimeoutS,
    maxRequestBodySize: MAX_BODY_BYTES * 4, // the router answers 413 with a message up to here
  } as unknown as Parameters<typeof Bun.serve>[0]);
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

export function errorResponse(err: unknown): Response {
  if (isSwarmError(err)) return json({ code: err.code, message: err.message }, httpStatusFor(err.code));
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === "ENOSPC" || code === "SQLITE_FULL") {
    return json({ code: "UNAVAILABLE", message: "the agent's data disk is full: the change may not have been recorded; free space in the data directory, then retry" }, 503);
  }
  return json({ code: "INTERNAL", message: `internal error: ${plainMessage(err)} (a bug: the agent log has the details)` }, 500);
}

/** An error's own words: no `Error: ` prefix, no dockerode `(HTTP code 500) server error - ` wrapper. */
export function plainMessage(err: unknown): string {
  return toRuntimeError(err).message.replace(/^(?:Error: )+/, "");
}


/**
 * An NDJSON response fed by `produce`, which writes objects until it returns or the client goes
 * away (`signal` aborts). Errors thrown by `produce` become a final `{error}` line.
 */
/** Chunks (lines) a streamed response holds for a slow client before its producer waits. */
const HIGH_WATER = 64;

export function ndjson(req: Request, produce: (write: (obj: unknown) => Promise<void>, signal: AbortSignal) => Promise<void>): Response {
  const enc = new TextEncoder();
  const ac = new AbortController();
  req.signal.addEventListener("abort", () => ac.abort());
  let wake: (() => void) | undefined;
  const wakeUp = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  ac.signal.addEventListener("abort", wakeUp, { once: true });
  // Backpressure: `write` resolves once the response's queue (HIGH_WATER chunks) has room, so a slow
  // client slows the producer down instead of growing this process's memory.
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const write = async (obj: unknown) => {
          if (ac.signal.aborted) return;
          try {
            controller.enqueue(enc.encode(JSON.stringify(obj) + "\n"));
          } catch {
            ac.abort();
            return;
          }
          while ((controller.desiredSize ?? 1) <= 0 && !ac.signal.aborted) await new Promise<void>((r) => (wake = r));
        };
        // Not awaited: `pull` (which wakes a waiting writer) is only called once `start` returned.
        void (async () => {
          try {
            await produce(write, ac.signal);
          } catch (err) {
            await write({ error: isSwarmError(err) ? err.toJSON() : { code: "INTERNAL", message: plainMessage(err) } });
          }
          try {
            controller.close();
          } catch {
            // already closed by a client that went away
          }
        })();
      },
      pull() {
        wakeUp();
      },
      cancel() {
        ac.abort();
      },
    },
    { highWaterMark: HIGH_WATER },
  );
  return new Response(stream, { headers: { "content-type": "application/x-ndjson" } });
}
