/** The API's request body schemas (zod); loaded lazily by requests.ts `parseBody`. */
import { z } from "zod";
export { zodError } from "../spec/index.ts";

const ref = z.string().min(1, { error: "must not be empty" }).max(256, { error: "must be at most 256 characters" });
const refs = z.array(ref).max(1000, { error: "at most 1000 references" });

export const bodies = {
  empty: z.object({}),
  join: z.object({ token: z.string().max(512), remote: z.string().max(512) }),
  leave: z.object({ force: z.boolean().optional() }),
  shutdown: z.object({ removeState: z.boolean().optional() }),
  createService: z.object({ spec: z.unknown() }),
  updateService: z.object({ spec: z.unknown(), version: z.int().min(0).max(Number.MAX_SAFE_INTEGER).optional() }),
  rollbackService: z.object({ version: z.int().min(0).max(Number.MAX_SAFE_INTEGER).optional() }),
  createFile: z.strictObject({
    name: z.string().max(64),
    /** base64 of the payload: at most 500 KiB decoded (checked again by the manager). */
    data: z.base64({ error: "must be base64" }).max(700_000, { error: "at most 500 KiB of data" }),
    labels: z.record(z.string().min(1).max(1024), z.string().max(8192)).optional(),
  }),
  refs: z.object({ refs }),
  removeNodes: z.object({ refs, force: z.boolean().optional() }),
  updateNode: z.strictObject({
    availability: z.enum(["active", "pause", "drain"], { error: "must be active, pause or drain" }).optional(),
    labelAdd: z.record(z.string().min(1).max(1024), z.string().max(8192)).optional(),
    labelRm: z.array(z.string().max(1024)).max(256).optional(),
    role: z.enum(["manager", "worker"], { error: "must be manager or worker" }).optional(),
  }),
};

