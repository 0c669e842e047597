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
 *
 * A stack's service (labelled `com.docker.stack.namespace`, as `docker stack deploy` builds it
 * client-side) is translated to what `swarm stack deploy` makes of the same compose file, so the two
 * deploys give the same service: its attachments to the stack's networks (names only, networks.ts)
 * and its volumes' labels are dropped, and so are the fields swarm's stack deploy ignores with a
 * warning (stack-ignored.ts: tty, logging, …). Each drop is a note: the answer's Warnings (which
 * `docker stack deploy` prints for updates, not for creates) and the agent's log. Health checks,
 * update and rollback settings, secrets, configs and jobs are translated, for a stack's service as
 * for any other (both stack deploys map them).
 */
import { SwarmError, UPDATE_DEFAULTS, type NodeSpec, type UpdateConfig } from "../api/index.ts";
import { STACK_NAMESPACE_LABEL } from "./stack-label.ts";
import type { NodeChanges } from "./backend.ts";
import { dropIgnoredInStack } from "./stack-ignored.ts";
import { isEmpty, isObj, type Obj } from "./values.ts";

export { isEmpty };

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

function mounts(v: unknown, p: string, cx: Cx): unknown {
  if (v === null || v === undefined) return undefined;
  if (!Array.isArray(v)) throw SwarmError.invalid(`${p} must be a list`);
  return v.map((m, i) => pick(
    m, `${p}[${i}]`,
    { Type: same, Source: same, Target: same, ReadOnly: same, BindOptions: bindOptions, VolumeOptions: (o, op) => volumeOptions(o, op, cx) },
    { Consistency: ["default"] },
  ));
}

/**
 * What the translation of one spec knows besides the field at hand: the stack the service belongs to
 * (its `com.docker.stack.namespace` label, as Docker's `stack deploy` sets it) and the notes it makes.
 */
interface Cx {
  service: string;
  stack: string | undefined;
  notes: string[];
}

function volumeOptions(v: unknown, p: string, cx: Cx): undefined {
  if (v === undefined || v === null) return undefined;
  pick(v, p, {
    // `docker stack deploy` labels the volumes it names with the stack; swarm's own stack deploy
    // leaves them unlabelled (volumes are each engine's local volumes): the labels are dropped.
    Labels: (labels, lp) => {
      if (isEmpty(labels)) return undefined;
      if (cx.stack === undefined) throw unsupported(lp, labels);
      const others = isObj(labels) ? Object.keys(labels).filter((k) => k !== STACK_NAMESPACE_LABEL) : [];
      if (others.length) cx.notes.push(`service ${cx.service}: ignoring the labels of volume mount ${p.replace(/\.VolumeOptions$/, "")} (${others.join(", ")}): volumes are the engine's local volumes, created unlabelled`);
      return undefined;
    },
  });
  return undefined;
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

function containerSpec(v: unknown, p: string, cx: Cx): unknown {
  return pick(
    v, p,
    {
      Image: same, Labels: same, Command: same, Args: same, Hostname: same, Env: same, Dir: same, User: same, Init: same, Mounts: (m, mp) => mounts(m, mp, cx), StopGracePeriod: same,
      Healthcheck: healthcheck, Secrets: fileRefs("Secret"), Configs: fileRefs("Config"),
    },
    { Isolation: ["default"] },
  );
}

/**
 * Network attachments. `host` is kept (swarm's host networking). A stack's service comes attached to
 * the stack's networks (`NAME_default`, …), which swarm has only as names (networks.ts): those
 * attachments are dropped, with a note naming those the compose file named. Any other service keeps
 * its targets for the schema to judge (it accepts only `host`), as `docker service create --network`
 * did before.
 */
function networks(v: unknown, p: string, cx: Cx): unknown {
  if (isEmpty(v)) return undefined;
  if (!Array.isArray(v)) throw SwarmError.invalid(`${p} must be a list such as [{"Target":"host"}]`);
  const dropped: string[] = [];
  const kept = v.flatMap((x, i) => {
    const xp = `${p}[${i}]`;
    if (!isObj(x)) throw SwarmError.invalid(`${xp} must be an object such as {"Target":"host"}`);
    if (x.Target === "host") return [{ Target: "host" }]; // aliases mean nothing on the host's network
    if (cx.stack === undefined) return [pick(x, xp, { Target: same })];
    dropped.push(String(pick(x, xp, { Target: same, Aliases: same, DriverOpts: same }).Target));
    return [];
  });
  // Every stack service is attached to `NAME_default`, which the file does not name: dropped quietly
  // (swarm's own stack deploy says nothing either); networks the file names are said.
  const named = dropped.filter((t) => t !== `${cx.stack}_default`);
  if (named.length) {
    cx.notes.push(`service ${cx.service}: not attached to network ${named.join(", ")}: swarm has no overlay networks; the stack's services reach each other through their published ports`);
  }
  return kept.length ? kept : undefined;
}

function limits(v: unknown, p: string): unknown {
  const x = pick(v, p, { NanoCPUs: same, MemoryBytes: same });
  return isEmpty(x) ? undefined : x;
}

function taskSpec(v: unknown, p: string, cx: Cx): unknown {
  return pick(
    v, p,
    {
      ContainerSpec: (c, cp) => containerSpec(c, cp, cx),
      Resources: (r, rp) => {
        const x = pick(r, rp, { Limits: limits, Reservations: limits });
        return isEmpty(x) ? undefined : x;
      },
      RestartPolicy: (r, rp) => pick(r, rp, { Condition: same, Delay: same, MaxAttempts: same, Window: same }),
      Placement: (r, rp) => {
        const x = pick(r, rp, { Constraints: same });
        return isEmpty(x) ? undefined : x;
      },
      Networks: (n, np) => networks(n, np, cx),
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

/**
 * Docker's ServiceSpec JSON → a spec for `parseServiceSpec` (which then checks every value). What a
 * stack's service brings that swarm drops on purpose (its attachments to the stack's networks, the
 * labels of its volumes) is said in `notes`, one line per service and kind, for the answer's Warnings
 * and the agent's log.
 */
export function fromDockerServiceSpec(spec: unknown, notes: string[] = []): unknown {
  if (!isObj(spec)) throw SwarmError.invalid(`the service spec must be a JSON object such as {"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"nginx"}}}`);
  const stack = isObj(spec.Labels) && typeof spec.Labels[STACK_NAMESPACE_LABEL] === "string" ? spec.Labels[STACK_NAMESPACE_LABEL] as string : undefined;
  const cx: Cx = { service: typeof spec.Name === "string" ? spec.Name : "", stack, notes };
  if (stack !== undefined) {
    const d = dropIgnoredInStack(spec, cx.service);
    spec = d.spec;
    if (d.note) notes.push(d.note);
  }
  return pick(spec, "", {
    Name: same,
    Labels: same,
    TaskTemplate: (t, tp) => taskSpec(t, tp, cx),
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
