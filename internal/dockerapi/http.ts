/**
 * The HTTP side shared by the Docker API's routes: Docker's headers, JSON and error answers (the CLI
 * prints `{"message": …}` as "Error response from daemon: …"), request bodies and query values.
 */
import { httpStatusFor, isSwarmError, SwarmError } from "../api/index.ts";
import { API_VERSION } from "./version.ts";

export type Ctx = { req: Request; url: URL; version: string; params: string[] };
export type Handler = (c: Ctx) => Promise<Response> | Response;
/** A route: method, path (after the `/vX.Y` prefix), handler with the path's groups as `params`. */
export type Route = [string, RegExp, Handler];

export function headers(extra: Record<string, string> = {}): Headers {
  return new Headers({ "Api-Version": API_VERSION, "Docker-Experimental": "false", Ostype: "linux", Server: "swarm (linux)", ...extra });
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: headers({ "Content-Type": "application/json" }) });
}

export function empty(status = 200): Response {
  return new Response(null, { status, headers: headers() });
}

export function dockerError(message: string, status: number): Response {
  return json({ message }, status);
}

export function errorResponse(err: unknown): Response {
  if (isSwarmError(err)) return dockerError(err.message, httpStatusFor(err.code));
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === "ENOSPC" || code === "SQLITE_FULL") return dockerError("the agent's data disk is full: free space in the data directory, then retry", 503);
  return dockerError(`internal error: ${err instanceof Error ? err.message : String(err)} (a bug: the agent log has the details)`, 500);
}

export const bool = (v: string | null) => v === "1" || v === "true" || v === "True";

/** A path parameter, URL-decoded. */
export const ref = (p: string | undefined) => decodeURIComponent(p ?? "");

export async function bodyJson(req: Request, maxBytes = 1 << 20): Promise<unknown> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw new SwarmError("TOO_LARGE", `the request body is larger than ${maxBytes} bytes`);
  const text = await req.text();
  if (text.length > maxBytes) throw new SwarmError("TOO_LARGE", `the request body is larger than ${maxBytes} bytes`);
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw SwarmError.invalid("the request body is not valid JSON");
  }
}
