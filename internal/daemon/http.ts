/** Small HTTP helpers for the agent's API: JSON replies, typed error mapping, NDJSON streams. */
import { httpStatusFor, isSwarmError } from "../api/index.ts";

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

export function errorResponse(err: unknown): Response {
  if (isSwarmError(err)) return json({ code: err.code, message: err.message }, httpStatusFor(err.code));
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === "ENOSPC" || code === "SQLITE_FULL") {
    return json({ code: "UNAVAILABLE", message: "the agent's data disk is full: the change may not have been recorded; free space in the data directory, then retry" }, 503);
  }
  const message = err instanceof Error ? err.message : String(err);
  return json({ code: "INTERNAL", message: `internal error: ${message} (a bug: the agent log has the details)` }, 500);
}


/**
 * An NDJSON response fed by `produce`, which writes objects until it returns or the client goes
 * away (`signal` aborts). Errors thrown by `produce` become a final `{error}` line.
 */
export function ndjson(req: Request, produce: (write: (obj: unknown) => void, signal: AbortSignal) => Promise<void>): Response {
  const enc = new TextEncoder();
  const ac = new AbortController();
  req.signal.addEventListener("abort", () => ac.abort());
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const write = (obj: unknown) => {
        if (ac.signal.aborted) return;
        try {
          controller.enqueue(enc.encode(JSON.stringify(obj) + "\n"));
        } catch {
          ac.abort();
        }
      };
      try {
        await produce(write, ac.signal);
      } catch (err) {
        write({ error: isSwarmError(err) ? err.toJSON() : { code: "INTERNAL", message: String(err) } });
      }
      try {
        controller.close();
      } catch {
        // already closed by a client that went away
      }
    },
    cancel() {
      ac.abort();
    },
  });
  return new Response(stream, { headers: { "content-type": "application/x-ndjson" } });
}
