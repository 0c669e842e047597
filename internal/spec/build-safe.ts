/**
 * The flags of issue 14 on `service create` / `service update`: health checks, rolling-update and
 * rollback configs, secrets and configs, and job modes. Pure, like build.ts: a bad value throws
 * INVALID_ARGUMENT naming the flag. Secret and config references carry names only (SecretID ""): the
 * manager resolves them to IDs when the spec arrives.
 */
import {
  SwarmError, UPDATE_DEFAULTS, type ConfigReference, type ContainerSpec, type HealthConfig, type SecretReference, type ServiceSpec, type UpdateConfig,
} from "../api/index.ts";
import { all, bool, has, one, type Parsed } from "../cli/index.ts";
import { parseDuration, parseReplicas } from "./parse.ts";

const bad = (msg: string) => SwarmError.invalid(msg);

const HEALTH_FLAGS = ["health-cmd", "health-interval", "health-timeout", "health-start-period", "health-retries"];

/** `--health-*` and `--no-healthcheck` over `base` (the current one on update). Undefined: untouched. */
export function healthcheck(p: Parsed, base: HealthConfig | undefined): HealthConfig | undefined {
  const any = HEALTH_FLAGS.some((f) => has(p, f));
  if (bool(p, "no-healthcheck")) {
    if (any) throw bad("--no-healthcheck conflicts with --health-* options");
    return { Test: ["NONE"] };
  }
  if (!any) return base;
  const out: HealthConfig = { ...(base?.Test?.[0] === "NONE" ? {} : base) };
  const cmd = one(p, "health-cmd");
  if (cmd !== undefined) out.Test = cmd === "" ? [] : ["CMD-SHELL", cmd];
  for (const [flag, field] of [["health-interval", "Interval"], ["health-timeout", "Timeout"], ["health-start-period", "StartPeriod"]] as const) {
    const v = one(p, flag);
    if (v === undefined) continue;
    const ns = parseDuration(`--${flag}`, v);
    if (ns !== 0 && ns < 1e6) throw bad(`invalid argument "${v}" for "--${flag}" flag: must be at least 1ms (or 0 for the image's)`);
    out[field] = ns;
  }
  const retries = one(p, "health-retries");
  if (retries !== undefined) {
    if (!/^\d+$/.test(retries)) throw bad(`invalid argument "${retries}" for "--health-retries" flag: expected a non-negative integer`);
    out.Retries = Number(retries);
  }
  return out;
}

/** `--update-*` (prefix "update") or `--rollback-*` (prefix "rollback") over `base`. Undefined: untouched. */
export function updateConfig(p: Parsed, prefix: "update" | "rollback", base: UpdateConfig | undefined): UpdateConfig | undefined {
  const f = (n: string) => `${prefix}-${n}`;
  if (!["parallelism", "delay", "failure-action", "monitor", "max-failure-ratio", "order"].some((n) => has(p, f(n)))) return base;
  const out: UpdateConfig = { ...UPDATE_DEFAULTS, ...base };
  const par = one(p, f("parallelism"));
  if (par !== undefined) {
    if (!/^\d+$/.test(par)) throw bad(`invalid argument "${par}" for "--${f("parallelism")}" flag: expected a non-negative integer (0 updates all at once)`);
    out.Parallelism = Number(par);
  }
  const delay = one(p, f("delay"));
  if (delay !== undefined) out.Delay = parseDuration(`--${f("delay")}`, delay);
  const monitor = one(p, f("monitor"));
  if (monitor !== undefined) out.Monitor = parseDuration(`--${f("monitor")}`, monitor);
  const action = one(p, f("failure-action"));
  if (action !== undefined) {
    const allowed = prefix === "update" ? ["pause", "continue", "rollback"] : ["pause", "continue"];
    if (!allowed.includes(action)) throw bad(`invalid argument "${action}" for "--${f("failure-action")}" flag: use ${allowed.join(", ")}`);
    out.FailureAction = action as UpdateConfig["FailureAction"];
  }
  const ratio = one(p, f("max-failure-ratio"));
  if (ratio !== undefined) {
    const n = Number(ratio);
    if (!/^\d*\.?\d+$/.test(ratio) || !(n >= 0 && n <= 1)) throw bad(`invalid argument "${ratio}" for "--${f("max-failure-ratio")}" flag: expected a number from 0 to 1`);
    out.MaxFailureRatio = n;
  }
  const order = one(p, f("order"));
  if (order !== undefined) {
    if (order !== "stop-first" && order !== "start-first") throw bad(`invalid argument "${order}" for "--${f("order")}" flag: use stop-first or start-first`);
    out.Order = order;
  }
  return out;
}

/** `--secret` / `--config` values: `NAME` or `source=NAME,target=T,uid=0,gid=0,mode=0444`. */
function fileRef(flag: string, value: string, defaultTarget: (name: string) => string): { name: string; File: SecretReference["File"] } {
  const kv: Record<string, string> = {};
  if (!value.includes("=")) kv.source = value;
  else {
    for (const part of value.split(",")) {
      const i = part.indexOf("=");
      if (i < 0) throw bad(`invalid argument "${value}" for "${flag}" flag: expected source=NAME[,target=PATH][,uid=N][,gid=N][,mode=0444]`);
      const k = part.slice(0, i).trim().toLowerCase();
      if (!["source", "src", "target", "uid", "gid", "mode"].includes(k)) throw bad(`invalid argument "${value}" for "${flag}" flag: unknown field "${k}"`);
      kv[k === "src" ? "source" : k] = part.slice(i + 1);
    }
  }
  const name = kv.source ?? "";
  if (name === "") throw bad(`invalid argument "${value}" for "${flag}" flag: source (the ${flag.includes("secret") ? "secret" : "config"} name) is required`);
  const mode = kv.mode ?? "0444";
  if (!/^[0-7]{1,4}$/.test(mode) || parseInt(mode, 8) > 0o777) throw bad(`invalid argument "${value}" for "${flag}" flag: mode must be an octal file mode such as 0400`);
  for (const k of ["uid", "gid"]) if (kv[k] !== undefined && !/^\d+$/.test(kv[k]!)) throw bad(`invalid argument "${value}" for "${flag}" flag: ${k} must be numeric`);
  const target = kv.target;
  if (target !== undefined && (target === "" || target.split("/").some((seg) => seg === ".." || seg === "."))) {
    throw bad(`invalid argument "${value}" for "${flag}" flag: target must be a clean path without . or .. segments`);
  }
  if (target !== undefined && flag.includes("secret") && target.startsWith("/") && !target.startsWith("/run/secrets/")) {
    throw bad(`invalid argument "${value}" for "${flag}" flag: a secret's target is a file name, or a path under /run/secrets/`);
  }
  return { name, File: { Name: kv.target ?? defaultTarget(name), UID: kv.uid ?? "0", GID: kv.gid ?? "0", Mode: parseInt(mode, 8) } };
}

export function secretRef(flag: string, value: string): SecretReference {
  const r = fileRef(flag, value, (n) => n);
  return { File: r.File, SecretID: "", SecretName: r.name };
}

export function configRef(flag: string, value: string): ConfigReference {
  const r = fileRef(flag, value, (n) => `/${n}`);
  return { File: r.File, ConfigID: "", ConfigName: r.name };
}

/** `--secret` / `--config` on create; `--secret-add/-rm`, `--config-add/-rm` on update. */
export function filesOnCreate(p: Parsed, cs: ContainerSpec): void {
  const secrets = all(p, "secret").map((v) => secretRef("--secret", v));
  if (secrets.length) cs.Secrets = secrets;
  const configs = all(p, "config").map((v) => configRef("--config", v));
  if (configs.length) cs.Configs = configs;
}

export function filesOnUpdate(p: Parsed, cs: ContainerSpec): void {
  if (has(p, "secret-add") || has(p, "secret-rm")) {
    const rm = new Set(all(p, "secret-rm"));
    const add = all(p, "secret-add").map((v) => secretRef("--secret-add", v));
    const targets = new Set(add.map((r) => r.File.Name));
    cs.Secrets = [...(cs.Secrets ?? []).filter((r) => !rm.has(r.SecretName) && !targets.has(r.File.Name)), ...add];
    if (cs.Secrets.length === 0) delete cs.Secrets;
  }
  if (has(p, "config-add") || has(p, "config-rm")) {
    const rm = new Set(all(p, "config-rm"));
    const add = all(p, "config-add").map((v) => configRef("--config-add", v));
    const targets = new Set(add.map((r) => r.File.Name));
    cs.Configs = [...(cs.Configs ?? []).filter((r) => !rm.has(r.ConfigName) && !targets.has(r.File.Name)), ...add];
    if (cs.Configs.length === 0) delete cs.Configs;
  }
}

/** `--mode` on create, with `--replicas` (completions for a replicated job) and `--max-concurrent`. */
export function modeOnCreate(p: Parsed): ServiceSpec["Mode"] {
  const mode = one(p, "mode") ?? "replicated";
  const replicasFlag = one(p, "replicas");
  const maxFlag = one(p, "max-concurrent");
  if (!["replicated", "global", "replicated-job", "global-job"].includes(mode)) {
    throw bad(`invalid mode "${mode}": use replicated, global, replicated-job or global-job`);
  }
  if ((mode === "global" || mode === "global-job") && replicasFlag !== undefined) throw bad(`--replicas can only be used with replicated or replicated-job mode`);
  if (mode !== "replicated-job" && maxFlag !== undefined) throw bad(`--max-concurrent can only be used with replicated-job mode`);
  const replicas = replicasFlag === undefined ? 1 : parseReplicas(replicasFlag);
  if (mode === "global") return { Global: {} };
  if (mode === "global-job") return { GlobalJob: {} };
  if (mode === "replicated-job") {
    const max = maxFlag === undefined ? replicas : parseReplicas(maxFlag);
    if (max > replicas) throw bad(`--max-concurrent (${max}) cannot be larger than --replicas (${replicas}), the number of completions`);
    return { ReplicatedJob: { TotalCompletions: replicas, MaxConcurrent: Math.max(1, max) } };
  }
  return { Replicated: { Replicas: replicas } };
}

/** `--replicas` and `--max-concurrent` on update. */
export function modeOnUpdate(p: Parsed, mode: ServiceSpec["Mode"]): ServiceSpec["Mode"] {
  const replicas = one(p, "replicas");
  const max = one(p, "max-concurrent");
  if ("ReplicatedJob" in mode) {
    const total = replicas === undefined ? mode.ReplicatedJob.TotalCompletions : parseReplicas(replicas);
    const mc = max === undefined ? Math.min(mode.ReplicatedJob.MaxConcurrent, Math.max(1, total)) : parseReplicas(max);
    return { ReplicatedJob: { TotalCompletions: total, MaxConcurrent: Math.max(1, mc) } };
  }
  if (max !== undefined) throw bad(`--max-concurrent can only be used with replicated-job mode`);
  if (replicas === undefined) return mode;
  if (!("Replicated" in mode)) throw bad(`--replicas can only be used with replicated or replicated-job mode`);
  return { Replicated: { Replicas: parseReplicas(replicas) } };
}
