/**
 * Redeploying a stack: what to create, update and remove so that the cluster holds the desired
 * services. Pure: (namespace, desired specs, every current service, prune) → a plan the CLI prints and
 * applies. A service is updated only when its spec changed (specEqual, the orchestrator's own notion of
 * "the same spec"), through the normal update path; `ForceUpdate` is carried over from the current
 * spec so a redeploy never undoes `service update --force`. Services of the stack that the files no
 * longer name are removed only with `prune`, as Docker's `--prune`.
 *
 * Conflicts the plan can see before anything changes are errors here: a published port held by a
 * service outside the stack, a name taken by a service outside the stack.
 */
import { SwarmError, type PortConfig, type Service, type ServiceSpec } from "../api/index.ts";
import { specEqual } from "../orchestrator/index.ts";
import { STACK_LABEL } from "./labels.ts";

export interface StackPlan {
  create: ServiceSpec[];
  update: { id: string; version: number; spec: ServiceSpec }[];
  unchanged: Service[];
  /** Only with prune: services of the stack that the files no longer name. */
  remove: Service[];
  /** Without prune: services of the stack that the files no longer name (left running). */
  orphaned: Service[];
}

export function stackServices(namespace: string, services: readonly Service[]): Service[] {
  return services.filter((s) => s.Spec.Labels[STACK_LABEL.namespace] === namespace);
}

export function planDeploy(namespace: string, desired: readonly ServiceSpec[], current: readonly Service[], prune: boolean): StackPlan {
  const mine = stackServices(namespace, current);
  const byName = new Map(mine.map((s) => [s.Spec.Name, s]));
  const plan: StackPlan = { create: [], update: [], unchanged: [], remove: [], orphaned: [] };
  const others = current.filter((s) => !mine.includes(s));
  const problems: string[] = [];
  for (const spec of desired) {
    const taken = others.find((s) => s.Spec.Name === spec.Name);
    if (taken) problems.push(`service name ${spec.Name} is taken by a service that is not part of stack ${namespace} (ID ${taken.ID.slice(0, 12)}): remove or rename it`);
    for (const p of spec.EndpointSpec.Ports) {
      if (p.PublishedPort === 0) continue;
      const holder = others.find((s) => s.Endpoint.Ports.some((q) => q.PublishedPort === p.PublishedPort && q.Protocol === p.Protocol));
      if (holder) problems.push(`${spec.Name}: published port ${p.PublishedPort}/${p.Protocol} is already used by service ${holder.Spec.Name}`);
    }
    const cur = byName.get(spec.Name);
    if (!cur) {
      plan.create.push(spec);
      continue;
    }
    const next: ServiceSpec = {
      ...spec,
      TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: cur.Spec.TaskTemplate.ForceUpdate },
      EndpointSpec: { Ports: keepAllocatedPorts(spec.EndpointSpec.Ports, cur) },
    };
    if (specEqual(next, cur.Spec)) plan.unchanged.push(cur);
    else plan.update.push({ id: cur.ID, version: cur.Version.Index, spec: next });
  }
  if (problems.length) throw SwarmError.conflict(`cannot deploy stack ${namespace}; nothing was changed:\n  ${problems.join("\n  ")}`);
  const wanted = new Set(desired.map((s) => s.Name));
  for (const s of mine) if (!wanted.has(s.Spec.Name)) (prune ? plan.remove : plan.orphaned).push(s);
  const byN = (a: { Spec: ServiceSpec } | ServiceSpec, b: { Spec: ServiceSpec } | ServiceSpec) =>
    ("Spec" in a ? a.Spec.Name : a.Name).localeCompare("Spec" in b ? b.Spec.Name : b.Name);
  plan.create.sort(byN);
  plan.update.sort((a, b) => a.spec.Name.localeCompare(b.spec.Name));
  plan.remove.sort(byN);
  plan.orphaned.sort(byN);
  return plan;
}

/**
 * An ingress port the file leaves to the cluster (`ports: ["80"]`, PublishedPort 0) keeps the port the
 * cluster allocated to the current service for the same target and protocol: the stored spec holds the
 * allocated port (internal/store allocatePorts), so without this every redeploy would look like a change.
 */
function keepAllocatedPorts(ports: readonly PortConfig[], cur: Service): PortConfig[] {
  const taken = new Set<number>();
  return ports.map((p) => {
    if (p.PublishedPort !== 0 || p.PublishMode !== "ingress") return p;
    const had = cur.Endpoint.Ports.find((q) => q.PublishMode === "ingress" && q.TargetPort === p.TargetPort && q.Protocol === p.Protocol && !taken.has(q.PublishedPort));
    if (!had) return p;
    taken.add(had.PublishedPort);
    return { ...p, PublishedPort: had.PublishedPort };
  });
}

/** `stack ls`: every stack (by the namespace label) and how many services it has, sorted by name. */
export function listStacks(services: readonly Service[]): { name: string; services: number }[] {
  const counts = new Map<string, number>();
  for (const s of services) {
    const ns = s.Spec.Labels[STACK_LABEL.namespace];
    if (ns !== undefined) counts.set(ns, (counts.get(ns) ?? 0) + 1);
  }
  return [...counts].map(([name, n]) => ({ name, services: n })).sort((a, b) => a.name.localeCompare(b.name));
}
