/**
 * The agent's HTTP API on its unix socket (the CLI's only door): maps requests onto `Api` methods and
 * typed errors onto statuses in one place (http.ts). See docs/one-node.md and docs/cluster.md.
 */
import { SwarmError, serviceView, tasksOf, type NodeRole, type ServiceSpec } from "../api/index.ts";
import { findService } from "../lookup/index.ts";
import type { NodeChanges } from "../manager/index.ts";
import type { Api } from "./api.ts";
import { errorResponse, json, ndjson, readJson } from "./http.ts";
import { streamServiceLogs } from "./logs.ts";

type Handler = (req: Request, url: URL, params: string[]) => Promise<Response> | Response;

export function makeRouter(api: Api, shutdown: (removeState: boolean) => void): (req: Request) => Promise<Response> {
  const ref = (p: string | undefined) => decodeURIComponent(p ?? "");
  const routes: [string, RegExp, Handler][] = [
    ["GET", /^\/_ping$/, () => new Response("OK")],
    ["GET", /^\/info$/, () => json(api.info())],
    ["POST", /^\/init$/, async () => json(await api.init())],
    ["POST", /^\/join$/, async (req) => {
      const b = await readJson<{ token?: string; remote?: string }>(req);
      if (typeof b.token !== "string" || typeof b.remote !== "string") throw SwarmError.invalid("join needs a token and the manager's address");
      return json(await api.join(b.token, b.remote));
    }],
    ["POST", /^\/leave$/, async (req) => {
      const b = await readJson<{ force?: boolean }>(req);
      await api.agent.leave(b.force === true);
      queueMicrotask(() => shutdown(true));
      return json({ ok: true });
    }],
    ["POST", /^\/shutdown$/, async (req) => {
      const body = await readJson<{ removeState?: boolean }>(req);
      queueMicrotask(() => shutdown(body.removeState === true));
      return json({ ok: true });
    }],
    ["GET", /^\/join-token$/, async (_r, url) =>
      json(await api.joinToken((url.searchParams.get("role") ?? "") as NodeRole, url.searchParams.get("rotate") === "1"))],
    ["GET", /^\/services$/, async () => json(await api.services())],
    ["GET", /^\/services\/([^/]+)$/, async (_r, _u, [r]) => json(await api.service(ref(r)))],
    ["POST", /^\/services$/, async (req) => {
      const { spec } = await readJson<{ spec: ServiceSpec }>(req);
      return json(await api.createService(spec), 201);
    }],
    ["POST", /^\/services\/([^/]+)\/update$/, async (req, _u, [r]) => {
      const { spec, version } = await readJson<{ spec: ServiceSpec; version?: number }>(req);
      return json(await api.updateService(ref(r), spec, typeof version === "number" ? version : undefined));
    }],
    ["POST", /^\/services\/remove$/, async (req) => {
      const { refs } = await readJson<{ refs: string[] }>(req);
      return json(await api.removeServices(refs));
    }],
    ["GET", /^\/tasks$/, async (_r, url) => json(await api.tasks(url.searchParams.getAll("service"), url.searchParams.getAll("node")))],
    ["GET", /^\/watch$/, async (req, url) => {
      const st = await api.agent.read();
      const id = findService(st, url.searchParams.get("service") ?? "").ID;
      return ndjson(req, (write, signal) => api.watch(signal, (s) => {
        const svc = s.services[id];
        write(svc ? { index: s.index, service: serviceView(s, svc), tasks: tasksOf(s, id, svc.Spec.Name) } : { index: s.index, removed: true });
      }));
    }],
    ["GET", /^\/logs$/, async (req, url) => {
      const st = await api.agent.read();
      const svc = findService(st, url.searchParams.get("service") ?? "");
      const opts = {
        follow: url.searchParams.get("follow") === "1",
        tail: url.searchParams.has("tail") ? Number(url.searchParams.get("tail")) : undefined,
        since: url.searchParams.get("since") ?? undefined,
        timestamps: true,
      };
      return ndjson(req, (write, signal) => streamServiceLogs(api, svc.ID, opts, write, signal));
    }],
    ["GET", /^\/nodes$/, async () => json(await api.nodes())],
    ["GET", /^\/nodes\/([^/]+)$/, async (_r, _u, [r]) => json(await api.node(ref(r)))],
    ["POST", /^\/nodes\/([^/]+)\/update$/, async (req, _u, [r]) => json(await api.updateNode(ref(r), await readJson<NodeChanges>(req)))],
    ["POST", /^\/nodes\/promote$/, async (req) => json(await api.promote((await readJson<{ refs: string[] }>(req)).refs ?? []))],
    ["POST", /^\/nodes\/demote$/, async (req) => json(await api.demote((await readJson<{ refs: string[] }>(req)).refs ?? []))],
    ["POST", /^\/nodes\/remove$/, async (req) => {
      const b = await readJson<{ refs: string[]; force?: boolean }>(req);
      return json(await api.removeNodes(b.refs ?? [], b.force === true));
    }],
  ];

  return async (req: Request) => {
    const url = new URL(req.url);
    try {
      for (const [method, re, handler] of routes) {
        const m = re.exec(url.pathname);
        if (m && req.method === method) return await handler(req, url, m.slice(1));
      }
      throw new SwarmError("NOT_FOUND", `no such API endpoint: ${req.method} ${url.pathname} (is the CLI newer than the agent?)`);
    } catch (err) {
      return errorResponse(err);
    }
  };
}
