/**
 * The routes `docker stack deploy/ls/services/ps/rm` need beyond services and tasks: the stack's
 * networks (names with no effect, networks.ts), and secrets and configs, which swarm does not have
 * yet. Docker's CLI lists a stack's secrets and configs on every `stack rm` and looks a file-based
 * secret up before creating it, so lists answer the truth (none) and a look-up answers "not found";
 * creating one is refused naming it, which stops the deploy before any service is created.
 */
import { SwarmError } from "../api/index.ts";
import { checkFilterKeys, filtersFromQuery } from "../lookup/index.ts";
import type { DockerBackend } from "./backend.ts";
import { bodyJson, dockerError, empty, json, ref, type Route } from "./http.ts";
import { dockerNetwork, networkNote, type StackNetworks } from "./networks.ts";

const SECRET_FILTERS = ["id", "label", "name", "names"] as const;

/** `kind`: "secret" or "config". */
function notYet(kind: "secret" | "config", name: string): Response {
  return dockerError(
    `${kind}s are not supported by swarm yet: ${kind} ${name} cannot be created; ` +
      `leave ${kind}s: out of the compose file (and --${kind} out of \`docker service create\`) for now`,
    501,
  );
}

function secretOrConfigRoutes(b: DockerBackend, kind: "secret" | "config"): Route[] {
  const plural = `${kind}s`;
  const notFound = (id: string) => SwarmError.notFound(kind, id);
  return [
    ["GET", new RegExp(`^/${plural}$`), async ({ url }) => {
      await b.read();
      checkFilterKeys(filtersFromQuery(url.searchParams.get("filters")), SECRET_FILTERS);
      return json([]);
    }],
    ["POST", new RegExp(`^/${plural}/create$`), async ({ req }) => {
      await b.read();
      const body = await bodyJson(req);
      const name = typeof (body as { Name?: unknown }).Name === "string" ? (body as { Name: string }).Name : "(unnamed)";
      return notYet(kind, name);
    }],
    ["GET", new RegExp(`^/${plural}/([^/]+)$`), async ({ params: [id] }) => {
      await b.read();
      throw notFound(ref(id));
    }],
    ["POST", new RegExp(`^/${plural}/([^/]+)/update$`), async ({ params: [id] }) => {
      await b.read();
      throw notFound(ref(id));
    }],
    ["DELETE", new RegExp(`^/${plural}/([^/]+)$`), async ({ params: [id] }) => {
      await b.read();
      throw notFound(ref(id));
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
    ...secretOrConfigRoutes(b, "secret"),
    ...secretOrConfigRoutes(b, "config"),
  ];
}
