/**
 * The routes `docker stack deploy/ls/services/ps/rm` need beyond services and tasks: the stack's
 * networks (names with no effect, networks.ts), and secrets and configs. Docker's CLI lists a stack's
 * secrets and configs on every `stack rm` and looks a file-based secret up before creating it: lists
 * and look-ups answer the cluster's secrets and configs (created with `swarm secret create`; a
 * secret's data is never shown); creating, changing or removing one through this API is refused,
 * naming it and saying what to do, which stops a deploy before any service is created (neither
 * stack deploy takes a stack's `secrets:` yet).
 */
import { configsOf, secretsOf, type ClusterState } from "../api/index.ts";
import { checkFilterKeys, filtersFromQuery, findConfig, findSecret, type Filters } from "../lookup/index.ts";
import type { DockerBackend } from "./backend.ts";
import { bodyJson, dockerError, empty, json, ref, type Route } from "./http.ts";
import { dockerNetwork, networkNote, type StackNetworks } from "./networks.ts";
import { labelsMatch } from "./values.ts";

const SECRET_FILTERS = ["id", "label", "name", "names"] as const;

type Kind = "secret" | "config";

/** `what` the CLI asked (create, update, remove) of the `kind` named `name`. */
function refused(kind: Kind, what: string, name: string): Response {
  return dockerError(
    `${kind} ${name} cannot be ${what}d through swarm's Docker API: it does not write ${kind}s yet (\`swarm ${kind} create|rm\` on a manager does); ` +
      `neither stack deploy takes a stack's ${kind}s: yet, so leave them out of the compose file for now`,
    501,
  );
}

/** Docker's filters on secrets and configs: id and name by prefix, names exactly, labels. */
function matches(o: { ID: string; Spec: { Name: string; Labels: Record<string, string> } }, f: Filters): boolean {
  const any = (k: string, t: (v: string) => boolean) => (f.get(k) ?? []).length === 0 || f.get(k)!.some(t);
  return any("id", (v) => o.ID.startsWith(v)) && any("name", (v) => o.Spec.Name.startsWith(v)) && any("names", (v) => o.Spec.Name === v) &&
    labelsMatch(o.Spec.Labels, f.get("label"));
}

function fileRoutes(b: DockerBackend, kind: Kind): Route[] {
  const plural = `${kind}s`;
  /** Docker's Secret (no data) or Config (data, base64) JSON. */
  const shown = (st: ClusterState) =>
    kind === "secret"
      ? Object.values(secretsOf(st)).map((x) => ({ ID: x.ID, Version: x.Version, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt, Spec: { Name: x.Spec.Name, Labels: x.Spec.Labels } }))
      : Object.values(configsOf(st)).map((x) => ({ ID: x.ID, Version: x.Version, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt, Spec: { ...x.Spec } }));
  return [
    ["GET", new RegExp(`^/${plural}$`), async ({ url }) => {
      const st = await b.read();
      const f = filtersFromQuery(url.searchParams.get("filters"));
      checkFilterKeys(f, SECRET_FILTERS);
      return json(shown(st).filter((x) => matches(x, f)).sort((x, y) => x.Spec.Name.localeCompare(y.Spec.Name)));
    }],
    ["POST", new RegExp(`^/${plural}/create$`), async ({ req }) => {
      await b.read();
      const body = await bodyJson(req);
      const name = (body as { Name?: unknown }).Name;
      return refused(kind, "create", typeof name === "string" && name !== "" ? name : "(unnamed)");
    }],
    ["GET", new RegExp(`^/${plural}/([^/]+)$`), async ({ params: [id] }) => {
      const st = await b.read();
      const found = kind === "secret" ? findSecret(st, ref(id)) : findConfig(st, ref(id));
      return json(shown(st).find((x) => x.ID === found.ID));
    }],
    ["POST", new RegExp(`^/${plural}/([^/]+)/update$`), async ({ params: [id] }) => {
      const st = await b.read();
      return refused(kind, "update", (kind === "secret" ? findSecret(st, ref(id)) : findConfig(st, ref(id))).Spec.Name);
    }],
    ["DELETE", new RegExp(`^/${plural}/([^/]+)$`), async ({ params: [id] }) => {
      const st = await b.read();
      return refused(kind, "remove", (kind === "secret" ? findSecret(st, ref(id)) : findConfig(st, ref(id))).Spec.Name);
    }],
  ];
}

export function stackRoutes(b: DockerBackend, networks: StackNetworks, note: (msg: string) => void): Route[] {
  return [
    ["GET", /^\/networks$/, async ({ url }) => {
      await b.read();
      return json(networks.list(filtersFromQuery(url.searchParams.get("filters"))).map(dockerNetwork));
    }],
    ["POST", /^\/networks\/create$/, async ({ req }) => {
      await b.read();
      const n = networks.create(await bodyJson(req));
      note(networkNote(n.Name));
      return json({ Id: n.Id, Warning: networkNote(n.Name) }, 201);
    }],
    ["GET", /^\/networks\/([^/]+)$/, async ({ params: [id] }) => {
      await b.read();
      return json(dockerNetwork(networks.find(ref(id))));
    }],
    ["DELETE", /^\/networks\/([^/]+)$/, async ({ params: [id] }) => {
      await b.read();
      networks.remove(ref(id));
      return empty(204);
    }],
    ["POST", /^\/networks\/([^/]+)\/(connect|disconnect)$/, ({ params: [, what] }) =>
      dockerError(`network ${what} is not served: swarm has no networks to ${what} containers to; point the client at the node's Docker engine for its own networks`, 501)],
    ["POST", /^\/networks\/prune$/, () => dockerError("network prune is not served: swarm keeps only the names of stacks' networks; docker stack rm removes them", 501)],
    ...fileRoutes(b, "secret"),
    ...fileRoutes(b, "config"),
  ];
}
