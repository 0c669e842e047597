/**
 * The last check of a converted service: the API's own schema (internal/spec `serviceSpecSchema`, what
 * the agent runs on every spec it receives). Each problem it finds is reported at the compose key the
 * field came from (`TaskTemplate.ContainerSpec.Dir` → `working_dir:`), or at the service.
 */
import { z } from "zod";
import type { ServiceSpec } from "../api/index.ts";
import { serviceSpecSchema, zodError } from "../spec/index.ts";
import type { Pos } from "./issues.ts";
import type { StackIssues } from "./issues.ts";
import type { MapNode, Node } from "./tree.ts";

/** Spec field path prefix → compose key path inside the service (first match wins). */
const ORIGIN: [string, string[]][] = [
  ["TaskTemplate.ContainerSpec.Image", ["image"]],
  ["TaskTemplate.ContainerSpec.Command", ["entrypoint"]],
  ["TaskTemplate.ContainerSpec.Args", ["command"]],
  ["TaskTemplate.ContainerSpec.Hostname", ["hostname"]],
  ["TaskTemplate.ContainerSpec.Env", ["environment"]],
  ["TaskTemplate.ContainerSpec.Dir", ["working_dir"]],
  ["TaskTemplate.ContainerSpec.User", ["user"]],
  ["TaskTemplate.ContainerSpec.Mounts", ["volumes"]],
  ["TaskTemplate.ContainerSpec.StopGracePeriod", ["stop_grace_period"]],
  ["TaskTemplate.ContainerSpec.Labels", ["labels"]],
  ["TaskTemplate.Resources.Limits.NanoCPUs", ["deploy", "resources", "limits", "cpus"]],
  ["TaskTemplate.Resources.Limits.MemoryBytes", ["deploy", "resources", "limits", "memory"]],
  ["TaskTemplate.Resources.Reservations.NanoCPUs", ["deploy", "resources", "reservations", "cpus"]],
  ["TaskTemplate.Resources.Reservations.MemoryBytes", ["deploy", "resources", "reservations", "memory"]],
  ["TaskTemplate.Resources", ["deploy", "resources"]],
  ["TaskTemplate.RestartPolicy", ["deploy", "restart_policy"]],
  ["TaskTemplate.Placement", ["deploy", "placement", "constraints"]],
  ["Mode", ["deploy", "replicas"]],
  ["Labels", ["deploy", "labels"]],
  ["EndpointSpec.Ports", ["ports"]],
];

function pathText(path: readonly PropertyKey[]): string {
  return path.filter((p) => typeof p !== "number").map(String).join(".");
}

/** The position of the deepest compose node along `keys` that exists (the service itself at worst). */
function locate(service: MapNode, keys: string[], fallback: Pos): Pos {
  let node: Node = service;
  let pos = fallback;
  for (const k of keys) {
    if (node.kind !== "map") break;
    const e = node.entries.get(k);
    if (!e) break;
    pos = e.value.pos;
    node = e.value;
  }
  return pos;
}

export function checkSpec(raw: unknown, name: string, service: MapNode, at: Pos, issues: StackIssues): ServiceSpec | undefined {
  const r = serviceSpecSchema.safeParse(raw, { reportInput: true });
  if (r.success) return r.data;
  for (const issue of r.error.issues) {
    const field = pathText(issue.path);
    const origin = ORIGIN.find(([prefix]) => field === prefix || field.startsWith(prefix + "."));
    const pos = origin ? locate(service, origin[1], at) : at;
    const text = zodError(new z.ZodError([issue]), "service spec").message.replace(/^invalid service spec: /, "");
    if (!origin) {
      issues.error(pos, `services.${name}: ${text}`);
      continue;
    }
    const i = text.indexOf(": ");
    const [specField, msg] = i < 0 ? [field, text] : [text.slice(0, i), text.slice(i + 2)];
    issues.error(pos, `services.${name}.${origin[1].join(".")}: ${msg} (${specField})`);
  }
  return undefined;
}
