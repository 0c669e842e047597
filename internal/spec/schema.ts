/**
 * The one schema of a ServiceSpec, shared by the CLI (after it builds a spec from flags), the agent's
 * API (every spec a client sends) and, later, the Docker-compatible API. `parseServiceSpec` takes any
 * JSON value and returns a complete, normalized ServiceSpec (defaults filled in, the image tagged), or
 * throws SwarmError INVALID_ARGUMENT naming the first bad field: `TaskTemplate.ContainerSpec.Image: …`.
 *
 * What it guarantees to everything downstream (orchestrator, scheduler, worker, routing mesh): every
 * field has its declared type, numbers are integers within the ranges Docker accepts at run time
 * (a memory limit of at least 6 MiB, a CPU limit of at least 0.01 CPU, ports 1-65535, tcp or udp), a
 * bind source and every mount target are clean absolute paths, no two mounts share a target and no two
 * ports a published port, exactly one mode is set, and no string holds a NUL byte. Unknown fields are
 * refused rather than silently dropped (a typo such as `Replica` would otherwise change nothing).
 *
 * Checks that depend on the cluster (a CPU limit larger than any node, a taken name or port) are made
 * where the state is known: the API and the state machine.
 */
import { posix } from "node:path";
import { z } from "zod";
import { SwarmError, UPDATE_DEFAULTS, type ServiceSpec } from "../api/index.ts";
import { normalizeImage } from "../imageref/index.ts";
import { parseConstraint } from "../scheduler/index.ts";
import { MAX_REPLICAS, validateServiceName } from "./parse.ts";

/** Bounds on a spec (far above real use; they keep one spec from costing the cluster much). */
export const SPEC_LIMITS = {
  /** Replicas of one service: each is a task in the replicated state (see parse.ts MAX_REPLICAS). */
  maxReplicas: MAX_REPLICAS,
  maxLabels: 256,
  maxLabelKey: 1024,
  maxLabelValue: 8192,
  maxListItems: 1024,
  maxArgLength: 128 * 1024,
  maxMounts: 64,
  maxPorts: 128,
  maxConstraints: 64,
  maxPathLength: 4096,
  /** Durations (restart delay and window, stop grace period): 30 days in nanoseconds. */
  maxDurationNs: 30 * 24 * 3600e9,
  /** Docker refuses a memory limit below 6 MiB ("Minimum memory limit allowed is 6MB"). */
  minMemoryLimitBytes: 6 * 1024 * 1024,
  /** Docker refuses a CPU limit below 0.01 CPU; 0 means no limit. */
  minNanoCpus: 1e7,
  maxNanoCpus: 4096e9,
  maxMemoryBytes: 2 ** 50,
} as const;

const L = SPEC_LIMITS;

/** Any string we store: no NUL byte (Docker and the kernel cut or refuse them). */
const str = (max: number) =>
  z.string().max(max, { error: `must be at most ${max} characters` }).refine((s) => !s.includes("\0"), { error: "must not contain a NUL character" });

const int = (min: number, max: number) =>
  z.int({ error: "must be an integer" }).min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` });

const duration = int(0, L.maxDurationNs);

const labels = z
  .record(str(L.maxLabelKey).min(1, { error: "a label key must not be empty" }), str(L.maxLabelValue))
  .refine((r) => Object.keys(r).length <= L.maxLabels, { error: `at most ${L.maxLabels} labels` });

const list = (item: z.ZodType<string>) => z.array(item).max(L.maxListItems, { error: `at most ${L.maxListItems} entries` });

/** A clean absolute path: starts with /, no `.`/`..`/empty segments, no trailing slash (but `/` itself). */
function isCleanAbsolute(p: string): boolean {
  return p.startsWith("/") && posix.normalize(p) === p && (p === "/" || !p.endsWith("/"));
}
const absPath = str(L.maxPathLength).refine(isCleanAbsolute, { error: "must be a clean absolute path such as /data (no . or .. segments, no trailing /)" });

/** Guarded by the catch: a function that throws SwarmError becomes an issue with its message. */
function check<T>(fn: (v: T) => unknown) {
  return (v: T, ctx: z.core.$RefinementCtx<T>) => {
    try {
      fn(v);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: e instanceof Error ? e.message : String(e), input: v });
    }
  };
}

const image = z
  .string()
  .max(L.maxPathLength)
  .transform((v, ctx) => {
    try {
      return normalizeImage(v);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message, input: v });
      return z.NEVER;
    }
  });

const envEntry = str(L.maxArgLength).superRefine(
  check((e: string) => {
    const i = e.indexOf("=");
    const k = i < 0 ? e : e.slice(0, i);
    if (k === "" || /\s/.test(k)) throw new Error(`"${e.slice(0, 64)}" is not KEY=VALUE (a KEY without spaces)`);
  }),
);

const mount = z
  .strictObject({
    Type: z.enum(["bind", "volume", "tmpfs"], { error: "must be bind, volume or tmpfs" }),
    Source: str(L.maxPathLength).optional(),
    Target: absPath.refine((p) => p !== "/", { error: "must not be / (a mount cannot replace the container's root)" }),
    ReadOnly: z.boolean().optional(),
  })
  .superRefine((m, ctx) => {
    const at = (message: string) => ctx.addIssue({ code: "custom", message, path: ["Source"], input: m.Source });
    if (m.Type === "bind") {
      if (!m.Source) at("a bind mount needs a Source (an absolute path on the host)");
      else if (!isCleanAbsolute(m.Source)) at("a bind mount's Source must be a clean absolute host path such as /srv/data");
    } else if (m.Type === "volume") {
      if (m.Source !== undefined && m.Source !== "" && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(m.Source)) at(`"${m.Source}" is not a valid volume name`);
    } else if (m.Source) at("a tmpfs mount takes no Source");
  });

/** Docker refuses a health interval, timeout or start period between 0 (inherit) and 1 ms. */
const healthDuration = duration.refine((n) => n === 0 || n >= 1e6, { error: "must be 0 (the image's) or at least 1ms" });

/** Docker's secret/config names. */
const objectName = str(64).regex(/^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9])?$/, {
  error: "must be 1-64 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
});

/** A file mode 0-0777 and a numeric owner, as Docker stores them. */
const fileTarget = (target: z.ZodType<string>) =>
  z.strictObject({
    Name: target,
    UID: str(10).regex(/^\d+$/, { error: "must be a numeric user ID" }).default("0"),
    GID: str(10).regex(/^\d+$/, { error: "must be a numeric group ID" }).default("0"),
    Mode: int(0, 0o777).default(0o444),
  });

/** A secret's target: a file name in /run/secrets, or a path there (no `..`). */
const secretTarget = str(L.maxPathLength).refine(
  (n) => n !== "" && !n.includes("\0") && (n.startsWith("/") ? isCleanAbsolute(n) && n.startsWith("/run/secrets/") : posix.normalize(n) === n && !n.startsWith("..") && !n.endsWith("/")),
  { error: "must be a file name (or a path) under /run/secrets, such as db_password" },
);
const configTarget = str(L.maxPathLength).refine((n) => (n.startsWith("/") ? isCleanAbsolute(n) && n !== "/" : posix.normalize(n) === n && !n.startsWith("..") && n !== ""), {
  error: "must be a clean path such as /etc/app.conf (relative names go under /)",
});

/** An empty ID names the object by its name only: the manager resolves it before anything is stored. */
const secretRef = z.strictObject({ File: fileTarget(secretTarget), SecretID: str(128), SecretName: objectName });
const configRef = z.strictObject({ File: fileTarget(configTarget), ConfigID: str(128), ConfigName: objectName });

function uniqueTargets(refs: { File: { Name: string } }[], ctx: z.core.$RefinementCtx<{ File: { Name: string } }[]>): void {
  const seen = new Set<string>();
  refs.forEach((r, i) => {
    if (seen.has(r.File.Name)) ctx.addIssue({ code: "custom", message: `two files have the target ${r.File.Name}`, path: [i, "File", "Name"], input: r.File.Name });
    seen.add(r.File.Name);
  });
}

const containerSpec = z.strictObject({
  Image: image,
  Labels: labels.optional(),
  Command: list(str(L.maxArgLength)).optional(),
  Args: list(str(L.maxArgLength)).optional(),
  Hostname: str(253)
    .regex(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/, { error: "must be a valid host name" })
    .optional(),
  Env: list(envEntry).optional(),
  Dir: absPath.optional(),
  User: str(256).regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/, { error: "must be NAME|UID[:GROUP|GID]" }).optional(),
  Mounts: z
    .array(mount)
    .max(L.maxMounts, { error: `at most ${L.maxMounts} mounts` })
    .superRefine((ms, ctx) => {
      const seen = new Set<string>();
      ms.forEach((m, i) => {
        if (seen.has(m.Target)) ctx.addIssue({ code: "custom", message: `two mounts have the target ${m.Target}`, path: [i, "Target"], input: m.Target });
        seen.add(m.Target);
      });
    })
    .optional(),
  StopGracePeriod: duration.optional(),
  Init: z.boolean().optional(),
  Healthcheck: z
    .strictObject({
      Test: z
        .array(str(L.maxArgLength))
        .max(L.maxListItems)
        .superRefine((t, ctx) => {
          if (t.length === 0) return;
          const k = t[0];
          if (k === "NONE" && t.length === 1) return;
          if ((k === "CMD" && t.length >= 2) || (k === "CMD-SHELL" && t.length === 2)) return;
          ctx.addIssue({ code: "custom", message: 'must be [] (the image\'s), ["NONE"], ["CMD", ARG...] or ["CMD-SHELL", COMMAND]', input: t });
        })
        .optional(),
      Interval: healthDuration.optional(),
      Timeout: healthDuration.optional(),
      StartPeriod: healthDuration.optional(),
      Retries: int(0, 1_000_000).optional(),
    })
    .optional(),
  Secrets: z.array(secretRef).max(L.maxMounts, { error: `at most ${L.maxMounts} secrets` }).superRefine(uniqueTargets).optional(),
  Configs: z.array(configRef).max(L.maxMounts, { error: `at most ${L.maxMounts} configs` }).superRefine(uniqueTargets).optional(),
});

const nanoCpus = int(0, L.maxNanoCpus).refine((n) => n === 0 || n >= L.minNanoCpus, {
  error: `must be 0 (no limit) or at least ${L.minNanoCpus} (0.01 CPU)`,
});

const resources = z.strictObject({
  Limits: z
    .strictObject({
      NanoCPUs: nanoCpus.optional(),
      MemoryBytes: int(0, L.maxMemoryBytes)
        .refine((n) => n === 0 || n >= L.minMemoryLimitBytes, { error: `must be 0 (no limit) or at least ${L.minMemoryLimitBytes} bytes (6 MiB)` })
        .optional(),
    })
    .optional(),
  Reservations: z.strictObject({ NanoCPUs: nanoCpus.optional(), MemoryBytes: int(0, L.maxMemoryBytes).optional() }).optional(),
});

export const DEFAULT_RESTART_POLICY = { Condition: "any", Delay: 5e9, MaxAttempts: 0 } as const;

const restartPolicy = z.strictObject({
  Condition: z.enum(["none", "on-failure", "any"], { error: "must be none, on-failure or any" }).default(DEFAULT_RESTART_POLICY.Condition),
  Delay: duration.default(DEFAULT_RESTART_POLICY.Delay),
  MaxAttempts: int(0, 1e9).default(0),
  Window: duration.optional(),
});

const taskSpec = z.strictObject({
  ContainerSpec: containerSpec,
  Resources: resources.optional(),
  RestartPolicy: restartPolicy.default({ ...DEFAULT_RESTART_POLICY }),
  Placement: z
    .strictObject({
      Constraints: z
        .array(str(1024).superRefine(check(parseConstraint)))
        .max(L.maxConstraints, { error: `at most ${L.maxConstraints} constraints` })
        .optional(),
    })
    .optional(),
  Networks: z
    .array(z.strictObject({ Target: z.literal("host", { error: 'only the "host" network is supported on this cluster' }) }))
    .max(1, { error: "at most one network (host)" })
    .optional(),
  ForceUpdate: int(0, Number.MAX_SAFE_INTEGER).default(0),
});

const port = z.strictObject({
  Protocol: z.enum(["tcp", "udp"], { error: "must be tcp or udp" }).default("tcp"),
  TargetPort: int(1, 65535),
  /** 0: the manager allocates one (ingress), or the engine picks one (host mode). */
  PublishedPort: int(0, 65535).default(0),
  PublishMode: z.enum(["ingress", "host"], { error: "must be ingress or host" }).default("ingress"),
});

const endpointSpec = z.strictObject({
  Ports: z
    .array(port)
    .max(L.maxPorts, { error: `at most ${L.maxPorts} ports` })
    .superRefine((ps, ctx) => {
      const seen = new Set<string>();
      ps.forEach((p, i) => {
        if (p.PublishedPort === 0) return;
        const key = `${p.PublishedPort}/${p.Protocol}`;
        if (seen.has(key)) ctx.addIssue({ code: "custom", message: `published port ${key} is listed twice`, path: [i, "PublishedPort"], input: p.PublishedPort });
        seen.add(key);
      });
    })
    .default([]),
});

const updateConfig = (rollback: boolean) =>
  z.strictObject({
    Parallelism: int(0, L.maxReplicas).default(UPDATE_DEFAULTS.Parallelism),
    Delay: duration.default(UPDATE_DEFAULTS.Delay),
    FailureAction: (rollback
      ? z.enum(["pause", "continue"], { error: "must be pause or continue" })
      : z.enum(["pause", "continue", "rollback"], { error: "must be pause, continue or rollback" })
    ).default("pause"),
    Monitor: duration.default(UPDATE_DEFAULTS.Monitor),
    MaxFailureRatio: z.number({ error: "must be a number" }).min(0, { error: "must be at least 0" }).max(1, { error: "must be at most 1" }).default(0),
    Order: z.enum(["stop-first", "start-first"], { error: "must be stop-first or start-first" }).default(UPDATE_DEFAULTS.Order),
  });

const mode = z
  .strictObject({
    Replicated: z
      .strictObject({
        Replicas: z
          .int({ error: "must be an integer" })
          .min(0, { error: "must be at least 0" })
          .max(L.maxReplicas, { error: `must be at most ${L.maxReplicas} (every replica is a task the managers keep, placed or not)` })
          .default(1),
      })
      .optional(),
    Global: z.strictObject({}, { error: "must be an empty object {}" }).optional(),
    ReplicatedJob: z
      .strictObject({
        TotalCompletions: int(0, L.maxReplicas).default(1),
        /** 0: as many as TotalCompletions (Docker's default). */
        MaxConcurrent: int(0, L.maxReplicas).default(0),
      })
      .optional(),
    GlobalJob: z.strictObject({}, { error: "must be an empty object {}" }).optional(),
  })
  .superRefine((m, ctx) => {
    const n = (m.Replicated ? 1 : 0) + (m.Global ? 1 : 0) + (m.ReplicatedJob ? 1 : 0) + (m.GlobalJob ? 1 : 0);
    if (n !== 1) ctx.addIssue({ code: "custom", message: 'set exactly one of {"Replicated":{"Replicas":N}}, {"Global":{}}, {"ReplicatedJob":{…}} or {"GlobalJob":{}}', input: m });
  })
  .transform((m): ServiceSpec["Mode"] => {
    if (m.Global) return { Global: {} };
    if (m.GlobalJob) return { GlobalJob: {} };
    if (m.ReplicatedJob) {
      const total = m.ReplicatedJob.TotalCompletions;
      return { ReplicatedJob: { TotalCompletions: total, MaxConcurrent: m.ReplicatedJob.MaxConcurrent || Math.max(1, total) } };
    }
    return { Replicated: { Replicas: m.Replicated!.Replicas } };
  });

export const serviceSpecSchema = z
  .strictObject({
    Name: z.string().superRefine(check(validateServiceName)),
    Labels: labels.default({}),
    TaskTemplate: taskSpec,
    Mode: mode.default({ Replicated: { Replicas: 1 } }),
    EndpointSpec: endpointSpec.default({ Ports: [] }),
    UpdateConfig: updateConfig(false).optional(),
    RollbackConfig: updateConfig(true).optional(),
  })
  .superRefine((s, ctx) => {
    // A start-first task cannot bind the host port its predecessor still holds on the same node.
    const host = s.EndpointSpec.Ports.some((p) => p.PublishMode === "host" && p.PublishedPort !== 0);
    for (const k of ["UpdateConfig", "RollbackConfig"] as const) {
      if (host && s[k]?.Order === "start-first") {
        ctx.addIssue({ code: "custom", message: "start-first cannot be used with host-mode published ports (the new task could not bind the port the old one holds): use stop-first or ingress ports", path: [k, "Order"], input: "start-first" });
      }
    }
    const jobs = "ReplicatedJob" in s.Mode || "GlobalJob" in s.Mode;
    if (jobs && (s.UpdateConfig || s.RollbackConfig)) {
      ctx.addIssue({ code: "custom", message: "jobs have no rolling updates: --update-* and --rollback-* cannot be used with replicated-job or global-job", path: ["UpdateConfig"], input: s.UpdateConfig });
    }
  });

function pathText(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out;
}

function issueText(i: z.core.$ZodIssue, what: string): string {
  const at = pathText(i.path);
  if (i.code === "unrecognized_keys") {
    return `${at === "" ? "" : `${at}: `}unknown field${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => `"${k}"`).join(", ")} (check the spelling; is the client newer than the agent?)`;
  }
  let msg = i.message;
  if (i.code === "invalid_type") msg = i.input === undefined ? "is required" : `must be ${EXPECTED[i.expected] ?? `a ${i.expected}`}, not ${describe(i.input)}`;
  return at === "" ? msg : `${at}: ${msg}`;
}

const EXPECTED: Record<string, string> = { int: "an integer", array: "a list", object: "an object", record: "an object", string: "a string", number: "a number", boolean: "a boolean" };

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return `the string "${v.slice(0, 40)}"`;
  if (typeof v === "number") return `the number ${v}`;
  return `a${typeof v === "object" ? "n" : ""} ${typeof v}`;
}

/** INVALID_ARGUMENT for the first issues of a failed parse, each naming its field. */
export function zodError(err: z.ZodError, what: string): SwarmError {
  const issues = err.issues;
  const shown = issues.slice(0, 3).map((i) => issueText(i, what));
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : "";
  return SwarmError.invalid(`invalid ${what}: ${shown.join("; ")}${more}`);
}

/** Validates and normalizes any JSON value into a ServiceSpec; throws INVALID_ARGUMENT naming the field. */
export function parseServiceSpec(input: unknown): ServiceSpec {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw SwarmError.invalid(`invalid service spec: expected an object such as {"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"nginx"}}}`);
  }
  const r = serviceSpecSchema.safeParse(input, { reportInput: true });
  if (!r.success) throw zodError(r.error, "service spec");
  const spec: ServiceSpec = r.data;
  return spec;
}
