/**
 * A service's `deploy:` → mode, placement, resources, restart policy and service labels. Keys that
 * need the updates issue (`update_config`, `rollback_config`) are warned about as unsupported (yet);
 * the others swarm cannot carry (placement preferences, pids limits, devices…) are warned about by name.
 */
import type { ServiceSpec, TaskSpec } from "../api/index.ts";
import { MAX_REPLICAS } from "../spec/index.ts";
import { asKeyedMap } from "./merge.ts";
import type { Reader } from "./read.ts";
import type { Node } from "./tree.ts";

export const DEPLOY_KEYS = ["mode", "replicas", "placement", "resources", "restart_policy", "labels", "update_config", "rollback_config", "endpoint_mode"] as const;
/** Keys whose support the updates issue (14) brings. */
export const DEPLOY_NOT_YET = ["update_config", "rollback_config"] as const;

export interface DeployResult {
  mode: ServiceSpec["Mode"];
  labels: Record<string, string>;
  constraints?: string[];
  resources?: TaskSpec["Resources"];
  restart?: Partial<TaskSpec["RestartPolicy"]>;
}

export function convertDeploy(r: Reader, n: Node | undefined, service: string, unsupported: string[], notYet: string[]): DeployResult {
  const out: DeployResult = { mode: { Replicated: { Replicas: 1 } }, labels: {} };
  if (!n) return out;
  const path = `services.${service}.deploy`;
  const d = r.map(n, path);
  if (!d) return out;
  r.known(d, path, DEPLOY_KEYS);
  const get = (k: string) => d.entries.get(k)?.value;
  for (const k of DEPLOY_NOT_YET) if (d.entries.has(k)) notYet.push(`deploy.${k}`);
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
  } else if (mode === "replicated-job" || mode === "global-job") {
    r.fail(modeNode!, `${path}.mode`, `"${mode}" is not supported (yet): jobs come with a later release; use replicated or global`);
  } else if (mode !== undefined) {
    r.fail(modeNode!, `${path}.mode`, `must be replicated or global, not "${mode}"`);
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

