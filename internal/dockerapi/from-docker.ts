/**
 * Docker's ServiceSpec and NodeSpec (what the Docker CLI sends) → ours. Pure.
 *
 * Faithful, never lossy in silence: every field swarm implements is carried over; a field swarm does
 * not implement is accepted only when it is empty (the CLI sends `"DNSConfig":{}`, `"Init":false`,
 * `"Reservations":{}` and the like on every create) or holds Docker's default (`EndpointSpec.Mode`
 * "vip", `Isolation` "default"). Anything else is refused with INVALID_ARGUMENT naming the Docker
 * flag, so `docker service create --dns 1.1.1.1 …` fails loudly instead of running a service without
 * its DNS settings. The result then goes through the one spec schema
 * (internal/spec `parseServiceSpec`), exactly like a spec from swarm's own CLI.
 */
import { SwarmError, UPDATE_DEFAULTS, type NodeSpec, type UpdateConfig } from "../api/index.ts";
import type { NodeChanges } from "./backend.ts";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** null, false, 0, "", [] and objects of only empty values. */
export function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.values(v).every(isEmpty);
  return false;
}

/** The Docker CLI flag behind each field swarm does not implement (for the error message). */
const FLAG_OF: Record<string, string> = {
  "TaskTemplate.ContainerSpec.Healthcheck.StartInterval": "--health-start-interval",
  "TaskTemplate.ContainerSpec.Configs.Runtime": "--credential-spec config://",
  "TaskTemplate.ContainerSpec.TTY": "--tty",
  "TaskTemplate.ContainerSpec.OpenStdin": "--interactive",
  "TaskTemplate.ContainerSpec.ReadOnly": "--read-only",
  "TaskTemplate.ContainerSpec.Groups": "--group",
  "TaskTemplate.ContainerSpec.StopSignal": "--stop-signal",
  "TaskTemplate.ContainerSpec.DNSConfig": "--dns/--dns-search/--dns-option",
  "TaskTemplate.ContainerSpec.Hosts": "--host",
  "TaskTemplate.ContainerSpec.Privileges": "--credential-spec",
  "TaskTemplate.ContainerSpec.Sysctls": "--sysctl",
  "TaskTemplate.ContainerSpec.CapabilityAdd": "--cap-add",
  "TaskTemplate.ContainerSpec.CapabilityDrop": "--cap-drop",
  "TaskTemplate.ContainerSpec.Ulimits": "--ulimit",
  "TaskTemplate.ContainerSpec.Isolation": "--isolation",
  "TaskTemplate.LogDriver": "--log-driver/--log-opt",
  "TaskTemplate.Placement.Preferences": "--placement-pref",
  "TaskTemplate.Placement.MaxReplicas": "--replicas-max-per-node",
  "TaskTemplate.Placement.Platforms": "platform constraints",
  "TaskTemplate.Resources.Limits.Pids": "--limit-pids",
  "TaskTemplate.Resources.Reservations.GenericResources": "--generic-resource",
  "TaskTemplate.PluginSpec": "plugin services",
  "EndpointSpec.Mode": "--endpoint-mode dnsrr",
  Networks: "--network",
};

function unsupported(path: string, value: unknown): SwarmError {
  const flag = FLAG_OF[path] ?? FLAG_OF[path.replace(/\[\d+\]/g, "")];
  const shown = JSON.stringify(value)?.slice(0, 60) ?? String(value);
  return SwarmError.invalid(`${path} = ${shown}${flag ? ` (${flag})` : ""} is not supported: swarm does not implement it; leave it out`);
}

/**
 * Copies the keys of `src` that `keep` names (through their mapper) and checks that every other key is
 * empty or one of `defaults`' values. `path` names `src` in messages.
 */
function pick(src: unknown, path: string, keep: Record<string, (v: unknown, p: string) => unknown>, defaults: Record<string, unknown[]> = {}): Obj {
  if (src === undefined || src === null) return {};
  if (!isObj(src)) throw SwarmError.invalid(`${path || "the service spec"} must be an object`);
  const out: Obj = {};
  for (const [k, v] of Object.entries(src)) {
    const p = path ? `${path}.${k}` : k;
    const map = keep[k];
    if (map) {
      const mapped = map(v, p);
      if (mapped !== undefined) out[k] = mapped;
    } else if (!isEmpty(v) && !(defaults[k] ?? []).some((d) => d === v)) {
      throw unsupported(p, v);
    }
  }
  return out;
}

/** Values swarm's schema checks itself: copied as they are (null means absent). */
const same = (v: unknown) => (v === null ? undefined : v);

function bindOptions(b: unknown, p: string): undefined {
  if (!isObj(b)) return undefined;
  if (b.Propagation !== undefined && b.Propagation !== "rprivate" && b.Propagation !== "") throw unsupported(`${p}.Propagation`, b.Propagation);
  if (b.NonRecursive) throw unsupported(`${p}.NonRecursive`, b.NonRecursive);
  return undefined;
}

function mounts(v: unknown, p: string): unknown {
  if (v === null || v === undefined) return undefined;
  if (!Array.isArray(v)) throw SwarmError.invalid(`${p} must be a list`);
  return v.map((m, i) => pick(m, `${p}[${i}]`, { Type: same, Source: same, Target: same, ReadOnly: same, BindOptions: bindOptions }, { Consistency: ["default"] }));
}

/** Docker's HealthConfig: the same fields (all omitempty on the wire). */
function healthcheck(v: unknown, p: string): unknown {
  if (v === null || v === undefined) return undefined;
  return pick(v, p, { Test: same, Interval: same, Timeout: same, StartPeriod: same, Retries: same });
}

/** File{Name,UID,GID,Mode}: Docker's os.FileMode is the plain number (0o444 = 292). */
function fileTarget(v: unknown, p: string): unknown {
  return pick(v, p, { Name: same, UID: same, GID: same, Mode: same });
}

/**
 * Secret and config references: the CLI resolves names to IDs (GET /secrets?filters=name) and sends
 * both; the manager checks that they still name the same object.
 */
function fileRefs(kind: "Secret" | "Config") {
  return (v: unknown, p: string): unknown => {
    if (v === null || v === undefined) return undefined;
    if (!Array.isArray(v)) throw SwarmError.invalid(`${p} must be a list`);
    return v.map((r, i) => pick(r, `${p}[${i}]`, { File: fileTarget, [`${kind}ID`]: (x) => x ?? "", [`${kind}Name`]: same }));
  };
}

function containerSpec(v: unknown, p: string): unknown {
  return pick(
    v, p,
    {
      Image: same, Labels: same, Command: same, Args: same, Hostname: same, Env: same, Dir: same, User: same, Init: same, Mounts: mounts, StopGracePeriod: same,
      Healthcheck: healthcheck, Secrets: fileRefs("Secret"), Configs: fileRefs("Config"),
    },
    { Isolation: ["default"] },
  );
}

function limits(v: unknown, p: string): unknown {
  const x = pick(v, p, { NanoCPUs: same, MemoryBytes: same });
  return isEmpty(x) ? undefined : x;
}

function taskSpec(v: unknown, p: string): unknown {
  return pick(
    v, p,
    {
      ContainerSpec: containerSpec,
      Resources: (r, rp) => {
        const x = pick(r, rp, { Limits: limits, Reservations: limits });
        return isEmpty(x) ? undefined : x;
      },
      RestartPolicy: (r, rp) => pick(r, rp, { Condition: same, Delay: same, MaxAttempts: same, Window: same }),
      Placement: (r, rp) => {
        const x = pick(r, rp, { Constraints: same });
        return isEmpty(x) ? undefined : x;
      },
      Networks: (n) => (isEmpty(n) ? undefined : Array.isArray(n) ? n.map((x) => (isObj(x) ? pick(x, `${p}.Networks`, { Target: same }) : x)) : n),
      ForceUpdate: same,
    },
    { Runtime: ["container"] },
  );
}

/**
 * Docker's UpdateConfig/RollbackConfig → ours. On the wire Delay, FailureAction and Monitor are
 * omitempty (Parallelism, MaxFailureRatio and Order are always sent): a missing Delay is 0, an empty
 * FailureAction is pause, a zero Monitor is the default (5 s) and an empty Order is stop-first, as
 * swarmkit reads them. The defaults alone (what inspect shows for a service without settings, sent
 * back by `docker service update`) mean no settings, so a round trip changes nothing.
 */
function updateConfig(v: unknown, p: string): unknown {
  if (v === undefined || v === null) return undefined;
  const x = pick(v, p, { Parallelism: same, Delay: same, FailureAction: same, Monitor: same, MaxFailureRatio: same, Order: same });
  const out = {
    Parallelism: x.Parallelism ?? 0,
    Delay: x.Delay ?? 0,
    FailureAction: x.FailureAction === undefined || x.FailureAction === "" ? UPDATE_DEFAULTS.FailureAction : x.FailureAction,
    Monitor: x.Monitor === undefined || x.Monitor === 0 ? UPDATE_DEFAULTS.Monitor : x.Monitor,
    MaxFailureRatio: x.MaxFailureRatio ?? 0,
    Order: x.Order === undefined || x.Order === "" ? UPDATE_DEFAULTS.Order : x.Order,
  };
  const isDefault = (Object.keys(UPDATE_DEFAULTS) as (keyof UpdateConfig)[]).every((k) => out[k] === UPDATE_DEFAULTS[k]);
  return isDefault ? undefined : out;
}

function mode(v: unknown, p: string): unknown {
  return pick(v, p, {
    // `{"Replicated":{}}` (no --replicas) means 1, as in Docker: the schema's default.
    Replicated: (r, rp) => pick(r, rp, { Replicas: same }),
    Global: (g, gp) => pick(g, gp, {}),
    // Go's omitempty drops MaxConcurrent/TotalCompletions 0: the schema's defaults (1, then as many
    // as TotalCompletions) are Docker's.
    ReplicatedJob: (j, jp) => (j === null || j === undefined ? undefined : pick(j, jp, { MaxConcurrent: same, TotalCompletions: same })),
    GlobalJob: (g, gp) => (g === null || g === undefined ? undefined : pick(g, gp, {})),
  });
}

function endpointSpec(v: unknown, p: string): unknown {
  return pick(
    v, p,
    { Ports: (ports, pp) => (ports === null ? undefined : Array.isArray(ports) ? ports.map((x, i) => pick(x, `${pp}[${i}]`, { Protocol: same, TargetPort: same, PublishedPort: same, PublishMode: same })) : ports) },
    { Mode: ["vip"] },
  );
}

/** Docker's ServiceSpec JSON → a spec for `parseServiceSpec` (which then checks every value). */
export function fromDockerServiceSpec(spec: unknown): unknown {
  if (!isObj(spec)) throw SwarmError.invalid(`the service spec must be a JSON object such as {"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"nginx"}}}`);
  return pick(spec, "", {
    Name: same,
    Labels: same,
    TaskTemplate: taskSpec,
    Mode: mode,
    UpdateConfig: updateConfig,
    RollbackConfig: updateConfig,
    EndpointSpec: endpointSpec,
  });
}

/**
 * `POST /nodes/{id}/update` sends the whole NodeSpec (the CLI read it, changed a field, sent it back):
 * the difference from the node's current spec, as the node planner takes it.
 */
export function nodeChangesFrom(current: NodeSpec, body: unknown): NodeChanges {
  const next = pick(body, "NodeSpec", { Name: same, Labels: (v) => (v === null ? {} : v), Role: same, Availability: same });
  if (next.Name !== undefined && next.Name !== "") throw SwarmError.invalid(`NodeSpec.Name is not supported: swarm names nodes by their hostname; leave it out`);
  const ch: NodeChanges = {};
  if (next.Availability !== undefined && next.Availability !== current.Availability) ch.availability = next.Availability as NodeChanges["availability"];
  if (next.Role !== undefined && next.Role !== current.Role) ch.role = next.Role as NodeChanges["role"];
  const labels = next.Labels === undefined ? current.Labels : (next.Labels ?? {});
  if (!isObj(labels)) throw SwarmError.invalid("NodeSpec.Labels must be an object of strings");
  const add: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    if (typeof v !== "string") throw SwarmError.invalid(`NodeSpec.Labels.${k} must be a string`);
    if (current.Labels[k] !== v) add[k] = v;
  }
  const rm = Object.keys(current.Labels).filter((k) => !(k in labels));
  if (Object.keys(add).length) ch.labelAdd = add;
  if (rm.length) ch.labelRm = rm;
  return ch;
}
