/**
 * Secrets and configs as the Docker Engine API serves them (`/secrets`, `/configs`: list with filters,
 * inspect, create, remove), for `docker secret|config create/ls/inspect/rm` and for the names the CLI
 * resolves on `docker service create --secret s`. Pure translation plus routes over a DockerBackend.
 *
 * Contract: a secret's data never leaves: not in a list, not in an inspect (Docker shows no Data for
 * secrets either); configs show their Data (base64), as Docker does. Docker sends Data base64 on
 * create. Secret drivers and templating are not implemented: a create that asks for them is refused.
 */
import { configsOf, secretsOf, SwarmError, type ClusterState, type Config, type Secret } from "../api/index.ts";
import { checkFilterKeys, filtersFromQuery, findConfig, findSecret, type Filters } from "../lookup/index.ts";
import type { DockerBackend } from "./backend.ts";
import { bodyJson, empty, json, ref, type Route } from "./http.ts";
import { labelsMatch } from "./values.ts";

export type FileKind = "secret" | "config";

/** Docker's filters for `GET /secrets` and `GET /configs` (moby daemon/cluster/filters.go). */
export const FILE_FILTERS = ["id", "name", "names", "label"] as const;

/** Docker's Secret (no Data, ever). */
export function dockerSecret(s: Secret) {
  return { ID: s.ID, Version: { Index: s.Version.Index }, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, Spec: { Name: s.Spec.Name, Labels: s.Spec.Labels } };
}

/** Docker's Config (Data base64, as stored). */
export function dockerConfig(c: Config) {
  return { ID: c.ID, Version: { Index: c.Version.Index }, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Spec: { Name: c.Spec.Name, Labels: c.Spec.Labels, Data: c.Spec.Data } };
}

/** `id` and `name` match by prefix, `names` exactly, `label` all of them (swarmkit's list filters). */
export function fileMatches(x: { ID: string; Spec: { Name: string; Labels: Record<string, string> } }, f: Filters): boolean {
  const any = (k: string, test: (v: string) => boolean) => {
    const vs = f.get(k);
    return vs === undefined || vs.length === 0 || vs.some(test);
  };
  return (
    any("id", (v) => x.ID.startsWith(v)) &&
    any("name", (v) => x.Spec.Name.startsWith(v)) &&
    any("names", (v) => x.Spec.Name === v) &&
    labelsMatch(x.Spec.Labels, f.get("label"))
  );
}

export interface FileCreate {
  name: string;
  labels: Record<string, string>;
  data: Uint8Array;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** `POST /secrets/create` and `/configs/create` bodies: `{Name, Labels, Data}` with Data base64. */
export function fileCreateFrom(kind: FileKind, body: unknown): FileCreate {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw SwarmError.invalid(`the ${kind} spec must be a JSON object such as {"Name":"db_password","Data":"c2VjcmV0"}`);
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (["Name", "Labels", "Data"].includes(k)) continue;
    const v = b[k];
    const empty = v === null || v === undefined || v === "" || (typeof v === "object" && Object.values(v as object).every((x) => x === null || x === "" || x === undefined));
    if (!empty) {
      const what = k === "Driver" ? `secret drivers (--driver)` : k === "Templating" ? `templating (--template-driver)` : k;
      throw SwarmError.invalid(`${kind} ${what} is not supported: swarm stores the data itself and does not template it; leave it out`);
    }
  }
  if (typeof b.Name !== "string" || b.Name === "") throw SwarmError.invalid(`a ${kind} needs a Name`);
  const labels = b.Labels ?? {};
  if (typeof labels !== "object" || labels === null || Array.isArray(labels) || Object.values(labels).some((v) => typeof v !== "string")) {
    throw SwarmError.invalid(`${kind} Labels must be an object of strings`);
  }
  const data = b.Data ?? "";
  if (typeof data !== "string" || !BASE64.test(data.replace(/\s/g, ""))) throw SwarmError.invalid(`${kind} Data must be base64 (as the Docker CLI sends it)`);
  return { name: b.Name, labels: labels as Record<string, string>, data: new Uint8Array(Buffer.from(data, "base64")) };
}

function list(kind: FileKind, st: ClusterState, filters: string | null) {
  const f = filtersFromQuery(filters);
  checkFilterKeys(f, FILE_FILTERS);
  const all = kind === "secret" ? Object.values(secretsOf(st)) : Object.values(configsOf(st));
  return all
    .filter((x) => fileMatches(x, f))
    .sort((a, c) => a.Spec.Name.localeCompare(c.Spec.Name))
    .map((x) => (kind === "secret" ? dockerSecret(x as Secret) : dockerConfig(x as Config)));
}

/**
 * The `/secrets` and `/configs` routes. `docker stack deploy` looks each of a stack's file-based
 * secrets up, creates the missing ones (`<stack>_<key>`, labelled) and sends the existing ones back
 * unchanged (update); `docker stack rm` lists them by the stack's label and removes them.
 */
export function fileRoutes(b: DockerBackend): Route[] {
  return (["secret", "config"] as const).flatMap((kind): Route[] => {
    const find = (st: ClusterState, r: string) => (kind === "secret" ? dockerSecret(findSecret(st, r)) : dockerConfig(findConfig(st, r)));
    return [
      ["GET", new RegExp(`^/${kind}s$`), async ({ url }) => json(list(kind, await b.read(), url.searchParams.get("filters")))],
      ["POST", new RegExp(`^/${kind}s/create$`), async ({ req }) => {
        await b.read(); // a worker answers NOT_A_MANAGER before the body is judged
        const f = fileCreateFrom(kind, await bodyJson(req));
        return json({ ID: await b.createFile(kind, f) }, 201);
      }],
      ["GET", new RegExp(`^/${kind}s/([^/]+)$`), async ({ params: [id] }) => json(find(await b.read(), ref(id)))],
      ["DELETE", new RegExp(`^/${kind}s/([^/]+)$`), async ({ params: [id] }) => {
        const st = await b.read();
        await b.removeFile(kind, find(st, ref(id)).ID);
        return empty(204);
      }],
      // The same spec sent back is accepted (nothing changes); a change is refused, as swarmkit
      // refuses a change of Name or Data.
      ["POST", new RegExp(`^/${kind}s/([^/]+)/update$`), async ({ req, params: [id] }) => {
        const st = await b.read();
        const cur = kind === "secret" ? findSecret(st, ref(id)) : findConfig(st, ref(id));
        const body = await bodyJson(req);
        const hasData = typeof body === "object" && body !== null && typeof (body as { Data?: unknown }).Data === "string" && (body as { Data: string }).Data !== "";
        const next = fileCreateFrom(kind, hasData ? body : { ...(body as object), Data: "" });
        const sameLabels = JSON.stringify(Object.entries(next.labels).sort()) === JSON.stringify(Object.entries(cur.Spec.Labels).sort());
        if (next.name !== cur.Spec.Name || (hasData && !(await b.sameFileData(kind, cur.ID, next.data)))) {
          throw SwarmError.invalid(`only updates to Labels are allowed: swarm never changes a ${kind}'s name or data; create a new ${kind} under another name`);
        }
        if (!sameLabels) throw SwarmError.invalid(`swarm does not change a ${kind}'s labels: create a new ${kind} with the labels you want`);
        return empty(200);
      }],
    ];
  });
}
