/**
 * The shapes of the API's request bodies and query parameters, checked before any handler runs: a
 * wrong type is a 400 naming the field, never a 500 with a JavaScript message. Service specs are
 * checked by the shared spec schema (internal/spec `parseServiceSpec`) inside the Api methods.
 */
import { z } from "zod";
import { SwarmError } from "../api/index.ts";
import { parseSince } from "../logs/index.ts";
import { zodError } from "../spec/index.ts";

/** Bodies larger than this are refused (413) before they are read: a spec is a few KiB. */
export const MAX_BODY_BYTES = 1 << 20;

const ref = z.string().min(1, { error: "must not be empty" }).max(256, { error: "must be at most 256 characters" });
const refs = z.array(ref).max(1000, { error: "at most 1000 references" });

export const bodies = {
  empty: z.object({}),
  join: z.object({ token: z.string().max(512), remote: z.string().max(512) }),
  leave: z.object({ force: z.boolean().optional() }),
  shutdown: z.object({ removeState: z.boolean().optional() }),
  createService: z.object({ spec: z.unknown() }),
  updateService: z.object({ spec: z.unknown(), version: z.int().min(0).max(Number.MAX_SAFE_INTEGER).optional() }),
  refs: z.object({ refs }),
  removeNodes: z.object({ refs, force: z.boolean().optional() }),
  updateNode: z.strictObject({
    availability: z.enum(["active", "pause", "drain"], { error: "must be active, pause or drain" }).optional(),
    labelAdd: z.record(z.string().min(1).max(1024), z.string().max(8192)).optional(),
    labelRm: z.array(z.string().max(1024)).max(256).optional(),
    role: z.enum(["manager", "worker"], { error: "must be manager or worker" }).optional(),
  }),
};

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

/** Parses a JSON body (empty means `{}`) and checks it against `schema`: 400 naming the field. */
export function parseBody<S extends z.ZodType>(text: string, schema: S, what: string): z.output<S> {
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
  return r.data;
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
