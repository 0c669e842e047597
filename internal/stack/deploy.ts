/**
 * A service's `deploy:` → mode (replicated, global, replicated-job, global-job), placement, resources,
 * restart policy, update and rollback settings, and service labels. Keys swarm cannot carry (placement
 * preferences, pids limits, devices…) are warned about by name.
 */
import { UPDATE_DEFAULTS, type ServiceSpec, type TaskSpec, type UpdateConfig } from "../api/index.ts";
import { MAX_REPLICAS } from "../spec/index.ts";
import { asKeyedMap } from "./merge.ts";
import type { Reader } from "./read.ts";
import type { Node } from "./tree.ts";

export const DEPLOY_KEYS = ["mode", "replicas", "placement", "resources", "restart_policy", "labels", "update_config", "rollback_config", "endpoint_mode"] as const;

export interface DeployResult {
  mode: ServiceSpec["Mode"];
  labels: Record<string, string>;
  constraints?: string[];
  resources?: TaskSpec["Resources"];
  restart?: Partial<TaskSpec["RestartPolicy"]>;
  update?: UpdateConfig;
  rollback?: UpdateConfig;
}

export function convertDeploy(r: Reader, n: Node | undefined, service: string, unsupported: string[]): DeployResult {
  const out: DeployResult = { mode: { Replicated: { Replicas: 1 } }, labels: {} };
  if (!n) return out;
  const path = `services.${service}.deploy`;
  const d = r.map(n, path);
  if (!d) return out;
  r.known(d, path, DEPLOY_KEYS);
  const get = (k: string) => d.entries.get(k)?.value;
  if (d.entries.has("endpoint_mode")) unsupported.push("deploy.endpoint_mode");

  const modeNode = get("mode");
  const mode = modeNode ? r.str(modeNode, `${path}.mode`) : "replicated";
  const replicasNode = get("replicas");
  const replicas = replicasNode ? r.int(replicasNode, `${path}.replicas`, 0, MAX_REPLICAS) : undefined;
  if (mode === "global") {
    if (replicasNode) r.fail(replicasNode, `${path}.replicas`, "replicas can only be used with replicated mode");
    out.mode = { Global: {} };
  } else if (mode === "replicated") {
    out.mode = { Replicated: { Replicas: replicas ?? 1 } };
  } else if (mode === "replicated-job") {
    // Docker's convert: as many completions as replicas, all at once.
    const n = replicas ?? 1;
    out.mode = { ReplicatedJob: { TotalCompletions: n, MaxConcurrent: Math.max(1, n) } };
  } else if (mode === "global-job") {
    if (replicasNode) r.fail(replicasNode, `${path}.replicas`, "replicas can only be used with replicated or replicated-job mode");
    out.mode = { GlobalJob: {} };
  } else if (mode !== undefined) {
    r.fail(modeNode!, `${path}.mode`, `must be replicated, global, replicated-job or global-job, not "${mode}"`);
  }

  for (const [key, field] of [["update_config", "update"], ["rollback_config", "rollback"]] as const) {
    const u = get(key);
    if (u) out[field] = updateConfig(r, u, `${path}.${key}`, key === "rollback_config");
  }

  const labelsNode = get("labels");
  if (labelsNode) out.labels = labelMap(r, labelsNode, `${path}.labels`);

  const placement = get("placement");
  if (placement) {
    const p = r.map(placement, `${path}.placement`);
    if (p) {
      r.known(p, `${path}.placement`, ["constraints", "preferences", "max_replicas_per_node"]);
      const c = p.entries.get("constraints")?.value;
      if (c) out.constraints = r.strings(c, `${path}.placement.constraints`);
      for (const k of ["preferences", "max_replicas_per_node"]) if (p.entries.has(k)) unsupported.push(`deploy.placement.${k}`);
    }
  }

  const res = get("resources");
  if (res) out.resources = resources(r, res, `${path}.resources`, unsupported);

  const rp = get("restart_policy");
  if (rp) {
    const m = r.map(rp, `${path}.restart_policy`);
    if (m) {
      r.known(m, `${path}.restart_policy`, ["condition", "delay", "max_attempts", "window"]);
      const restart: Partial<TaskSpec["RestartPolicy"]> = {};
      const cond = m.entries.get("condition")?.value;
      if (cond) {
        const c = r.str(cond, `${path}.restart_policy.condition`);
        if (c === "none" || c === "on-failure" || c === "any") restart.Condition = c;
        else if (c !== undefined) r.fail(cond, `${path}.restart_policy.condition`, `must be none, on-failure or any, not "${c}"`);
      }
      const delay = m.entries.get("delay")?.value;
      if (delay) restart.Delay = r.duration(delay, `${path}.restart_policy.delay`);
      const max = m.entries.get("max_attempts")?.value;
      if (max) restart.MaxAttempts = r.int(max, `${path}.restart_policy.max_attempts`, 0, 1e9);
      const win = m.entries.get("window")?.value;
      if (win) restart.Window = r.duration(win, `${path}.restart_policy.window`);
      out.restart = restart;
    }
  }
  return out;
}

/**
 * `update_config:` / `rollback_config:` → a full UpdateConfig, Docker's defaults for what is left out
 * (parallelism 1, delay 0, failure_action pause, monitor 5s, max_failure_ratio 0, order stop-first).
 */
function updateConfig(r: Reader, n: Node, path: string, rollback: boolean): UpdateConfig | undefined {
  const m = r.map(n, path);
  if (!m) return undefined;
  r.known(m, path, ["parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order"]);
  const get = (k: string) => m.entries.get(k)?.value;
  const out: UpdateConfig = { ...UPDATE_DEFAULTS };
  const par = get("parallelism");
  if (par) out.Parallelism = r.int(par, `${path}.parallelism`, 0, MAX_REPLICAS) ?? out.Parallelism;
  const delay = get("delay");
  if (delay) out.Delay = r.duration(delay, `${path}.delay`) ?? out.Delay;
  const monitor = get("monitor");
  if (monitor) out.Monitor = r.duration(monitor, `${path}.monitor`) ?? out.Monitor;
  const fa = get("failure_action");
  if (fa) {
    const v = r.str(fa, `${path}.failure_action`);
    const allowed = rollback ? ["pause", "continue"] : ["pause", "continue", "rollback"];
    if (v !== undefined && allowed.includes(v)) out.FailureAction = v as UpdateConfig["FailureAction"];
    else if (v !== undefined) r.fail(fa, `${path}.failure_action`, `must be ${allowed.join(", ").replace(/, ([^,]*)$/, " or $1")}, not "${v}"`);
  }
  const ratio = get("max_failure_ratio");
  if (ratio) {
    const v = r.str(ratio, `${path}.max_failure_ratio`);
    const x = v === undefined ? NaN : Number(v);
    if (v !== undefined && v.trim() !== "" && x >= 0 && x <= 1) out.MaxFailureRatio = x;
    else if (v !== undefined) r.fail(ratio, `${path}.max_failure_ratio`, `must be a number between 0 and 1, not "${v}"`);
  }
  const order = get("order");
  if (order) {
    const v = r.str(order, `${path}.order`);
    if (v === "stop-first" || v === "start-first") out.Order = v;
    else if (v !== undefined) r.fail(order, `${path}.order`, `must be stop-first or start-first, not "${v}"`);
  }
  return out;
}

function resources(r: Reader, n: Node, path: string, unsupported: string[]): TaskSpec["Resources"] | undefined {
  const m = r.map(n, path);
  if (!m) return undefined;
  r.known(m, path, ["limits", "reservations"]);
  const out: NonNullable<TaskSpec["Resources"]> = {};
  for (const [key, field] of [["limits", "Limits"], ["reservations", "Reservations"]] as const) {
    const sub = m.entries.get(key)?.value;
    if (!sub) continue;
    const s = r.map(sub, `${path}.${key}`);
    if (!s) continue;
    r.known(s, `${path}.${key}`, ["cpus", "memory", "pids", "generic_resources", "devices"]);
    const spec: { NanoCPUs?: number; MemoryBytes?: number } = {};
    const cpus = s.entries.get("cpus")?.value;
    if (cpus) spec.NanoCPUs = r.cpus(cpus, `${path}.${key}.cpus`);
    const mem = s.entries.get("memory")?.value;
    if (mem) spec.MemoryBytes = r.bytes(mem, `${path}.${key}.memory`);
    for (const k of ["pids", "generic_resources", "devices"]) if (s.entries.has(k)) unsupported.push(`deploy.resources.${key}.${k}`);
    out[field] = spec;
  }
  return out;
}

/** `labels:` as a list (`- a=b`) or a mapping; every value a string (an empty label is ""). */
export function labelMap(r: Reader, n: Node, path: string): Record<string, string> {
  const m = asKeyedMap(n);
  if (!m) return r.fail(n, path, "must be a mapping (key: value) or a list of key=value") ?? {};
  const out: Record<string, string> = {};
  for (const [k, e] of m.entries) {
    const v = e.value;
    if (v.kind !== "scalar") {
      r.fail(v, `${path}.${k}`, "a label value must be a string");
      continue;
    }
    out[k] = v.value === null ? "" : v.text;
  }
  return out;
}

