/**
 * The shapes of the API's request bodies and query parameters, checked before any handler runs: a
 * wrong type is a 400 naming the field, never a 500 with a JavaScript message. Service specs are
 * checked by the shared spec schema (internal/spec `parseServiceSpec`) inside the Api methods.
 */
import type { z } from "zod";
import { SwarmError } from "../api/index.ts";
import { parseSince } from "../logs/index.ts";

/** The body schemas (zod), loaded with the first request that has a body: an idle agent (a worker
 * answering `info`) does not pay for the schema library in memory. */
type Bodies = typeof import("./bodies.ts").bodies;

/** Bodies larger than this are refused (413) before they are read: a spec is a few KiB. */
export const MAX_BODY_BYTES = 1 << 20;

/** Reads a request's whole body as UTF-8 text, refusing more than MAX_BODY_BYTES (413). */
export async function readBodyText(req: Request): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  try {
    const buf = await req.arrayBuffer();
    if (buf.byteLength > MAX_BODY_BYTES) throw tooLarge();
    return new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch (e) {
    if (e instanceof SwarmError) throw e;
    throw SwarmError.invalid("the request body could not be read as UTF-8 text");
  }
}

/** Parses a JSON body (empty means `{}`) and checks it against the `kind` schema: 400 naming the field. */
export async function parseBody<K extends keyof Bodies>(text: string, kind: K, what: string): Promise<z.output<Bodies[K]>> {
  const { bodies, zodError } = await import("./bodies.ts");
  const schema = bodies[kind] as Bodies[K];
  let value: unknown = {};
  if (text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      throw SwarmError.invalid("the request body is not valid JSON");
    }
  }
  const r = schema.safeParse(value, { reportInput: true });
  if (!r.success) throw zodError(r.error, `${what} request`);
  return r.data as z.output<Bodies[K]>;
}

function tooLarge(): SwarmError {
  return new SwarmError("TOO_LARGE", `the request body is larger than ${MAX_BODY_BYTES} bytes: a service spec is a few KiB; send less`);
}

/** `tail`: absent, "all", or a non-negative integer. */
export function tailQuery(v: string | null): number | undefined {
  if (v === null || v === "all") return undefined;
  if (!/^\d{1,9}$/.test(v)) throw SwarmError.invalid(`invalid tail "${v.slice(0, 32)}": expected a number of lines (0 or more) or "all"`);
  return Number(v);
}

/** `since`: absent, or what `service logs --since` accepts. */
export function sinceQuery(v: string | null): string | undefined {
  if (v === null) return undefined;
  parseSince(v, Date.now());
  return v;
}
