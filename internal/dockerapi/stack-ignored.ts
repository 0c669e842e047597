/**
 * A stack's service, as Docker's `docker stack deploy` sends it, carries fields that swarm's own
 * `swarm stack deploy` ignores with a warning (internal/stack: tty, logging, …). For the two deploys of one compose file to give the same service, those fields
 * are dropped from a stack's service (one labelled `com.docker.stack.namespace`) and named in a note,
 * instead of being refused as they are for `docker service create` (from-docker.ts). Pure.
 */
import { isEmpty, isObj, type Obj } from "./values.ts";

/** A Docker field (path from the ServiceSpec), the compose key it comes from, and its harmless values. */
interface Ignored {
  path: string[];
  key: string;
  /** Values kept for from-docker.ts to judge (Docker's defaults, which it accepts). */
  keep?: (v: unknown) => boolean;
}

const cs = (f: string) => ["TaskTemplate", "ContainerSpec", f];

export const IGNORED_IN_STACKS: readonly Ignored[] = [
  { path: cs("TTY"), key: "tty" },
  { path: cs("OpenStdin"), key: "stdin_open" },
  { path: cs("ReadOnly"), key: "read_only" },
  { path: cs("Groups"), key: "group_add" },
  { path: cs("StopSignal"), key: "stop_signal" },
  { path: cs("DNSConfig"), key: "dns/dns_search/dns_opt" },
  { path: cs("Hosts"), key: "extra_hosts" },
  { path: cs("Privileges"), key: "credential_spec" },
  { path: cs("Sysctls"), key: "sysctls" },
  { path: cs("CapabilityAdd"), key: "cap_add" },
  { path: cs("CapabilityDrop"), key: "cap_drop" },
  { path: cs("Ulimits"), key: "ulimits" },
  { path: cs("Isolation"), key: "isolation", keep: (v) => v === "default" },
  { path: ["TaskTemplate", "LogDriver"], key: "logging" },
  { path: ["TaskTemplate", "Placement", "Preferences"], key: "deploy.placement.preferences" },
  { path: ["TaskTemplate", "Placement", "MaxReplicas"], key: "deploy.placement.max_replicas_per_node" },
  { path: ["TaskTemplate", "Resources", "Limits", "Pids"], key: "deploy.resources.limits.pids" },
  { path: ["TaskTemplate", "Resources", "Reservations", "GenericResources"], key: "deploy.resources.reservations.generic_resources" },
  { path: ["EndpointSpec", "Mode"], key: "deploy.endpoint_mode", keep: (v) => v === "vip" },
];

/** Mount fields swarm's stack deploy warns about (volume and tmpfs options). */
const MOUNT_IGNORED: readonly Ignored[] = [
  { path: ["VolumeOptions", "NoCopy"], key: "volume nocopy" },
  { path: ["VolumeOptions", "DriverConfig"], key: "volume driver" },
  { path: ["TmpfsOptions"], key: "tmpfs options" },
  { path: ["BindOptions", "Propagation"], key: "bind propagation", keep: (v) => v === "rprivate" },
  { path: ["BindOptions", "CreateMountpoint"], key: "bind create_host_path" },
];

/** Deletes `path` in `o` when set to something from-docker.ts would refuse; says whether it did. */
function drop(o: Obj, { path, keep }: Ignored): boolean {
  let at: unknown = o;
  for (const k of path.slice(0, -1)) {
    if (!isObj(at)) return false;
    at = at[k];
  }
  const last = path[path.length - 1]!;
  if (!isObj(at) || isEmpty(at[last]) || keep?.(at[last])) return false;
  delete at[last];
  return true;
}

/**
 * A copy of `spec` without the fields a stack's deploy ignores, and the note naming them (undefined
 * when nothing was dropped). `spec` is left as it is.
 */
export function dropIgnoredInStack(spec: Obj, service: string): { spec: Obj; note?: string } {
  const out = structuredClone(spec);
  const keys = IGNORED_IN_STACKS.filter((i) => drop(out, i)).map((i) => i.key);
  const mounts = isObj(out.TaskTemplate) && isObj(out.TaskTemplate.ContainerSpec) ? out.TaskTemplate.ContainerSpec.Mounts : undefined;
  if (Array.isArray(mounts)) {
    for (const m of mounts) if (isObj(m)) for (const i of MOUNT_IGNORED) if (drop(m, i) && !keys.includes(i.key)) keys.push(i.key);
  }
  if (keys.length === 0) return { spec: out };
  return { spec: out, note: `Ignoring unsupported options for service ${service}: ${keys.join(", ")} (swarm's own stack deploy ignores them too)` };
}
