/**
 * The routes `docker stack deploy/ls/services/ps/rm` need beyond services, tasks, secrets and configs
 * (files.ts): the stack's networks (names with no effect, networks.ts).
 */
import { filtersFromQuery } from "../lookup/index.ts";
import type { DockerBackend } from "./backend.ts";
import { bodyJson, dockerError, empty, json, ref, type Route } from "./http.ts";
import { dockerNetwork, networkNote, type StackNetworks } from "./networks.ts";

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
  ];
}
