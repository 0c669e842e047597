/**
 * Turns `service create` / `service update` flags into a ServiceSpec. Pure: validation errors throw
 * SwarmError INVALID_ARGUMENT before anything is sent to the agent. Cluster-level checks (unique
 * name, published port free, constraint keys) happen again on the manager.
 */
import { SwarmError, type ServiceSpec, type TaskSpec } from "../api/index.ts";
import { all, bool, has, one, type Parsed } from "../cli/index.ts";
import { normalizeImage } from "../imageref/index.ts";
import { parseConstraint } from "../scheduler/index.ts";
import {
  parseBytes, parseCpus, parseDuration, parseKeyValue, parseMount, parsePublish,
  validateServiceName,
} from "./parse.ts";
import { parseServiceSpec, SPEC_LIMITS } from "./schema.ts";
import { filesOnCreate, filesOnUpdate, healthcheck, modeOnCreate, modeOnUpdate, updateConfig } from "./build-safe.ts";

export const DEFAULT_RESTART_DELAY_NS = 5e9;
export const DEFAULT_STOP_GRACE_NS = 10e9;

function labels(values: string[], flag: string): Record<string, string> {
  return Object.fromEntries(values.map((v) => parseKeyValue(flag, v)));
}

/** Validates the reference and adds `:latest` when it has no tag, as Docker's CLI does. */
function checkImage(image: string): string {
  return normalizeImage(image);
}

function restartPolicy(p: Parsed, base: TaskSpec["RestartPolicy"]): TaskSpec["RestartPolicy"] {
  const out = { ...base };
  const cond = one(p, "restart-condition");
  if (cond !== undefined) {
    if (cond !== "none" && cond !== "on-failure" && cond !== "any") {
      throw SwarmError.invalid(`invalid restart condition "${cond}": use none, on-failure or any`);
    }
    out.Condition = cond;
  }
  const delay = one(p, "restart-delay");
  if (delay !== undefined) out.Delay = parseDuration("--restart-delay", delay);
  const max = one(p, "restart-max-attempts");
  if (max !== undefined) {
    if (!/^\d+$/.test(max)) throw SwarmError.invalid(`invalid argument "${max}" for "--restart-max-attempts": expected a non-negative integer`);
    out.MaxAttempts = Number(max);
  }
  const win = one(p, "restart-window");
  if (win !== undefined) out.Window = parseDuration("--restart-window", win);
  return out;
}

function resources(p: Parsed, base: TaskSpec["Resources"]): TaskSpec["Resources"] {
  const out = { Limits: { ...base?.Limits }, Reservations: { ...base?.Reservations } };
  const lc = one(p, "limit-cpu");
  if (lc !== undefined) out.Limits.NanoCPUs = parseCpus("--limit-cpu", lc);
  const lm = one(p, "limit-memory");
  if (lm !== undefined) {
    out.Limits.MemoryBytes = parseBytes("--limit-memory", lm);
    if (out.Limits.MemoryBytes < SPEC_LIMITS.minMemoryLimitBytes) {
      throw SwarmError.invalid(`invalid argument "${lm}" for "--limit-memory" flag: the minimum memory limit is 6 MiB (6m), as Docker's`);
    }
  }
  const rc = one(p, "reserve-cpu");
  if (rc !== undefined) out.Reservations.NanoCPUs = parseCpus("--reserve-cpu", rc);
  const rm = one(p, "reserve-memory");
  if (rm !== undefined) out.Reservations.MemoryBytes = parseBytes("--reserve-memory", rm);
  return out;
}

function commonContainer(p: Parsed, cs: TaskSpec["ContainerSpec"]): void {
  const ep = one(p, "entrypoint");
  if (ep !== undefined) cs.Command = ep.trim() === "" ? [] : ep.trim().split(/\s+/);
  const wd = one(p, "workdir");
  if (wd !== undefined) cs.Dir = wd;
  const user = one(p, "user");
  if (user !== undefined) cs.User = user;
  const hn = one(p, "hostname");
  if (hn !== undefined) cs.Hostname = hn;
  if (p.bools.has("init")) cs.Init = bool(p, "init");
  const sg = one(p, "stop-grace-period");
  if (sg !== undefined) cs.StopGracePeriod = parseDuration("--stop-grace-period", sg);
}

/** `service create [OPTIONS] IMAGE [COMMAND] [ARG...]` → spec. */
export function buildCreateSpec(p: Parsed): ServiceSpec {
  const [image, ...args] = p.args;
  if (!image) throw SwarmError.invalid(`"swarm service create" requires at least 1 argument: IMAGE (see --help)`);
  const ref = checkImage(image);
  const name = one(p, "name") ?? "";
  if (name === "") throw SwarmError.invalid(`a service needs a name: add --name NAME`);
  validateServiceName(name);
  const mode = modeOnCreate(p);
  const networks = all(p, "network");
  for (const n of networks) {
    if (n !== "host") throw SwarmError.invalid(`network "${n}" not found: only --network host is supported on this cluster`);
  }
  const constraints = all(p, "constraint");
  constraints.forEach(parseConstraint);
  const ContainerSpec: TaskSpec["ContainerSpec"] = {
    Image: ref,
    StopGracePeriod: DEFAULT_STOP_GRACE_NS,
    Init: true,
  };
  if (args.length) ContainerSpec.Args = args;
  const env = all(p, "env");
  env.forEach((e) => parseKeyValue("--env", e));
  if (env.length) ContainerSpec.Env = env;
  const cl = labels(all(p, "container-label"), "--container-label");
  if (Object.keys(cl).length) ContainerSpec.Labels = cl;
  const mounts = all(p, "mount").map(parseMount);
  if (mounts.length) ContainerSpec.Mounts = mounts;
  commonContainer(p, ContainerSpec);
  filesOnCreate(p, ContainerSpec);
  const hc = healthcheck(p, undefined);
  if (hc !== undefined) ContainerSpec.Healthcheck = hc;
  const spec: ServiceSpec = {
    Name: name,
    Labels: labels(all(p, "label"), "--label"),
    TaskTemplate: {
      ContainerSpec,
      Resources: resources(p, undefined),
      RestartPolicy: restartPolicy(p, { Condition: "any", Delay: DEFAULT_RESTART_DELAY_NS, MaxAttempts: 0 }),
      ForceUpdate: 0,
    },
    Mode: mode,
    EndpointSpec: { Ports: all(p, "publish").map(parsePublish) },
  };
  rolloutConfigs(p, spec);
  if (constraints.length) spec.TaskTemplate.Placement = { Constraints: constraints };
  if (networks.length) spec.TaskTemplate.Networks = [{ Target: "host" }];
  checkPortsUnique(spec);
  return parseServiceSpec(spec); // the API's own schema: what the CLI sends, the agent accepts
}

/** `--update-*` and `--rollback-*` over the spec's own configs (unset: left as they are). */
function rolloutConfigs(p: Parsed, spec: ServiceSpec): void {
  const u = updateConfig(p, "update", spec.UpdateConfig);
  if (u !== undefined) spec.UpdateConfig = u;
  const r = updateConfig(p, "rollback", spec.RollbackConfig);
  if (r !== undefined) spec.RollbackConfig = r;
}

function checkPortsUnique(spec: ServiceSpec): void {
  const seen = new Set<string>();
  for (const port of spec.EndpointSpec.Ports) {
    if (port.PublishedPort === 0) continue;
    const key = `${port.PublishedPort}/${port.Protocol}`;
    if (seen.has(key)) throw SwarmError.invalid(`published port ${key} is listed twice`);
    seen.add(key);
  }
}

function editList(list: string[] | undefined, add: string[], rmKeys: string[], keyOf: (s: string) => string): string[] {
  const rm = new Set(rmKeys);
  const addKeys = new Set(add.map(keyOf));
  return [...(list ?? []).filter((e) => !rm.has(keyOf(e)) && !addKeys.has(keyOf(e))), ...add];
}

/** `service update [OPTIONS] SERVICE` → the new spec (a fresh object; `old` is untouched). */
export function buildUpdateSpec(old: ServiceSpec, p: Parsed): ServiceSpec {
  const spec: ServiceSpec = structuredClone(old);
  const t = spec.TaskTemplate;
  const image = one(p, "image");
  if (image !== undefined) {
    t.ContainerSpec.Image = checkImage(image);
  }
  spec.Mode = modeOnUpdate(p, spec.Mode);
  const args = one(p, "args");
  if (args !== undefined) t.ContainerSpec.Args = args.trim() === "" ? undefined : args.trim().split(/\s+/);
  all(p, "env-add").forEach((e) => parseKeyValue("--env-add", e));
  const envKey = (e: string) => e.split("=")[0]!;
  if (has(p, "env-add") || has(p, "env-rm")) {
    t.ContainerSpec.Env = editList(t.ContainerSpec.Env, all(p, "env-add"), all(p, "env-rm").map(envKey), envKey);
  }
  for (const v of all(p, "label-rm")) delete spec.Labels[v];
  Object.assign(spec.Labels, labels(all(p, "label-add"), "--label-add"));
  if (has(p, "container-label-add") || has(p, "container-label-rm")) {
    const cl = { ...t.ContainerSpec.Labels };
    for (const v of all(p, "container-label-rm")) delete cl[v];
    Object.assign(cl, labels(all(p, "container-label-add"), "--container-label-add"));
    t.ContainerSpec.Labels = cl;
  }
  const cAdd = all(p, "constraint-add");
  cAdd.forEach(parseConstraint);
  if (cAdd.length || has(p, "constraint-rm")) {
    const rm = new Set(all(p, "constraint-rm"));
    const cur = (t.Placement?.Constraints ?? []).filter((c) => !rm.has(c));
    t.Placement = { Constraints: [...cur, ...cAdd.filter((c) => !cur.includes(c))] };
  }
  if (has(p, "mount-add") || has(p, "mount-rm")) {
    const rm = new Set(all(p, "mount-rm"));
    const add = all(p, "mount-add").map(parseMount);
    const addT = new Set(add.map((m) => m.Target));
    t.ContainerSpec.Mounts = [...(t.ContainerSpec.Mounts ?? []).filter((m) => !rm.has(m.Target) && !addT.has(m.Target)), ...add];
  }
  if (has(p, "publish-add") || has(p, "publish-rm")) {
    const rm = all(p, "publish-rm").map((v) => {
      const m = /^(?:\d+:)?(\d+)(?:\/(tcp|udp))?$/.exec(v) ?? /target=(\d+)/.exec(v);
      if (!m) throw SwarmError.invalid(`invalid --publish-rm "${v}": give the target port, e.g. 80 or 80/udp`);
      return { target: Number(m[1]), proto: m[2] };
    });
    const add = all(p, "publish-add").map(parsePublish);
    const keep = spec.EndpointSpec.Ports.filter(
      (port) =>
        !rm.some((r) => (r.target === port.TargetPort || r.target === port.PublishedPort) && (!r.proto || r.proto === port.Protocol)) &&
        // Like Docker: an added port joins the existing ones (8080:80 and 9090:80 may coexist); one
        // with the same published port and protocol replaces (updates) it.
        !add.some((a) => a.PublishedPort !== 0 && a.PublishedPort === port.PublishedPort && a.Protocol === port.Protocol),
    );
    spec.EndpointSpec = { Ports: [...keep, ...add] };
  }
  commonContainer(p, t.ContainerSpec);
  filesOnUpdate(p, t.ContainerSpec);
  const hc = healthcheck(p, t.ContainerSpec.Healthcheck);
  if (hc !== undefined) t.ContainerSpec.Healthcheck = hc;
  rolloutConfigs(p, spec);
  t.RestartPolicy = restartPolicy(p, t.RestartPolicy);
  t.Resources = resources(p, t.Resources);
  if (bool(p, "force")) t.ForceUpdate = (t.ForceUpdate ?? 0) + 1;
  checkPortsUnique(spec);
  return parseServiceSpec(spec);
}
