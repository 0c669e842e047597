/**
 * `--filter` as Docker Swarm applies it (moby daemon/cluster/filters.go, swarmkit's list filters), for
 * nodes, services and tasks: shared by the CLI (`--filter k=v`) and the Docker-compatible API
 * (`?filters={"k":{"v":true}}`). Values of one key are alternatives (any may match); keys must all
 * match; `label` / `node.label` values must all match. Names and IDs match by prefix, names without
 * regard to case. Pure.
 */
import { modeName, SwarmError, type Node, type Service, type Task } from "../api/index.ts";

/** key → values. */
export type Filters = Map<string, string[]>;

export const NODE_FILTERS = ["id", "name", "label", "node.label", "role", "membership"] as const;
export const SERVICE_FILTERS = ["id", "name", "label", "mode"] as const;
export const TASK_FILTERS = ["id", "name", "label", "service", "node", "desired-state", "_up-to-date"] as const;

/** `["role=manager", "name=h"]` (the CLI's repeated --filter) → Filters; INVALID_ARGUMENT on `k` alone. */
export function filtersFromFlags(list: readonly string[]): Filters {
  const f: Filters = new Map();
  for (const item of list) {
    const i = item.indexOf("=");
    if (i <= 0) throw SwarmError.invalid(`bad format of filter "${item}" (expected name=value)`);
    const k = item.slice(0, i);
    f.set(k, [...(f.get(k) ?? []), item.slice(i + 1)]);
  }
  return f;
}

/** Docker's `filters` query: `{"k":{"v":true}}`, or the old `{"k":["v"]}`. */
export function filtersFromQuery(json: string | null): Filters {
  const f: Filters = new Map();
  if (json === null || json === "") return f;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw SwarmError.invalid(`invalid filters: not JSON (expected {"name":{"web":true}})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw SwarmError.invalid(`invalid filters: expected an object such as {"name":{"web":true}}`);
  for (const [k, v] of Object.entries(raw)) {
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) f.set(k, v);
    else if (typeof v === "object" && v !== null) f.set(k, Object.entries(v).filter(([, on]) => on === true).map(([x]) => x));
    else throw SwarmError.invalid(`invalid filters: the value of "${k}" must be an object such as {"web":true}`);
  }
  return f;
}

/** INVALID_ARGUMENT for a key outside `accepted`, in Docker's words. */
export function checkFilterKeys(f: Filters, accepted: readonly string[]): void {
  for (const k of f.keys()) {
    if (!accepted.includes(k)) throw SwarmError.invalid(`invalid filter '${k}': use ${accepted.filter((a) => !a.startsWith("_")).join(", ")}`);
  }
}

function anyOf(f: Filters, key: string, test: (v: string) => boolean): boolean {
  const vs = f.get(key);
  return vs === undefined || vs.length === 0 || vs.some(test);
}

/** `k=v` requires label k with value v; `k` requires label k. All given must match. */
function labelsMatch(labels: Record<string, string> | undefined, wanted: string[] | undefined): boolean {
  for (const w of wanted ?? []) {
    const i = w.indexOf("=");
    const k = i < 0 ? w : w.slice(0, i);
    if (!labels || !(k in labels)) return false;
    if (i >= 0 && labels[k] !== w.slice(i + 1)) return false;
  }
  return true;
}

const prefixCi = (s: string, p: string) => s.toLowerCase().startsWith(p.toLowerCase());

/**
 * Nodes: `id` (prefix, of the full or the short ID), `name` (hostname prefix), `role`, `membership`
 * (every member node is `accepted`), `node.label` (the node's labels), `label` (engine labels: swarm
 * reports none, so it matches nothing, as on a Docker engine without labels).
 */
export function nodeMatches(n: Node, f: Filters): boolean {
  for (const r of f.get("role") ?? []) if (r !== "" && r !== "manager" && r !== "worker") throw SwarmError.invalid(`Invalid role filter: '${r}'`);
  for (const m of f.get("membership") ?? []) if (m !== "" && m !== "accepted" && m !== "pending") throw SwarmError.invalid(`Invalid membership filter: '${m}'`);
  return (
    anyOf(f, "id", (v) => n.ID.startsWith(v.toLowerCase())) &&
    anyOf(f, "name", (v) => prefixCi(n.Description.Hostname, v)) &&
    anyOf(f, "role", (v) => v === "" || n.Spec.Role === v) &&
    anyOf(f, "membership", (v) => v === "" || v === "accepted") &&
    labelsMatch(n.Spec.Labels, f.get("node.label")) &&
    labelsMatch({}, f.get("label"))
  );
}

/** Services: `id` (prefix), `name` (prefix), `label`, `mode` (replicated, global, replicated-job or global-job). */
export function serviceMatches(s: Service, f: Filters): boolean {
  for (const m of f.get("mode") ?? []) {
    if (!["replicated", "global", "replicated-job", "global-job"].includes(m)) throw SwarmError.invalid(`Invalid filter: 'mode'='${m}'`);
  }
  return (
    anyOf(f, "id", (v) => s.ID.startsWith(v)) &&
    anyOf(f, "name", (v) => prefixCi(s.Spec.Name, v)) &&
    anyOf(f, "mode", (v) => v === modeName(s.Spec)) &&
    labelsMatch(s.Spec.Labels, f.get("label"))
  );
}

/**
 * Tasks: `id` (prefix), `name` (prefix of `<service>.<slot|node>.<task id>`), `service` and `node`
 * (IDs, already resolved by the caller), `desired-state`, `label` (tasks carry none). `_up-to-date`
 * is decided by the caller (it needs the service).
 */
export function taskMatches(t: Task, serviceName: string, f: Filters): boolean {
  const name = `${serviceName}.${t.Slot ?? t.NodeID}.${t.ID}`;
  return (
    anyOf(f, "id", (v) => t.ID.startsWith(v)) &&
    anyOf(f, "name", (v) => prefixCi(name, v)) &&
    anyOf(f, "service", (v) => t.ServiceID === v) &&
    anyOf(f, "node", (v) => t.NodeID !== undefined && t.NodeID === v) &&
    anyOf(f, "desired-state", (v) => t.DesiredState === v) &&
    labelsMatch({}, f.get("label"))
  );
}
