/**
 * The agent's HTTP API on its unix socket (the CLI's only door): maps requests onto `Api` methods and
 * typed errors onto statuses in one place (http.ts). See docs/one-node.md and docs/cluster.md.
 */
import { SwarmError, serviceView, tasksOf, type NodeRole } from "../api/index.ts";
import { findService } from "../lookup/index.ts";
import type { Api } from "./api.ts";
import { errorResponse, json, ndjson } from "./http.ts";
import { parseSince } from "../logs/index.ts";
import { streamServiceLogs } from "./logs.ts";
import { parseBody, readBodyText, sinceQuery, tailQuery } from "./requests.ts";

type Handler = (req: Request, url: URL, params: string[], body: string) => Promise<Response> | Response;

/** What the router needs of Bun's server: lifting the idle timeout of a request it is answering. */
export interface RequestTimeouts {
  timeout(req: Request, seconds: number): void;
}

/**
 * Connections are closed after the server's idle timeout while a request is incomplete (a client that
 * connects and stays silent, or stops mid-body). Once the whole request is read the timeout is lifted:
 * handlers bound their own time (a join waits at most its deadlines), and streams (`logs -f`, a
 * `--detach=false` watch) stay open as long as the client reads them.
 */
export function makeRouter(api: Api, shutdown: (removeState: boolean) => void): (req: Request, server?: RequestTimeouts) => Promise<Response> {
  const ref = (p: string | undefined) => decodeURIComponent(p ?? "");
  const routes: [string, RegExp, Handler][] = [
    ["GET", /^\/_ping$/, () => new Response("OK")],
    ["GET", /^\/info$/, async () => json(await api.info())],
    ["POST", /^\/init$/, async (_r, _u, _p, body) => {
      await parseBody(body, "empty", "init");
      return json(await api.init());
    }],
    ["POST", /^\/join$/, async (_r, _u, _p, body) => {
      const b = await parseBody(body, "join", "join");
      return json(await api.join(b.token, b.remote));
    }],
    ["POST", /^\/leave$/, async (_r, _u, _p, body) => {
      const b = await parseBody(body, "leave", "leave");
      await api.agent.leave(b.force === true);
      queueMicrotask(() => shutdown(true));
      return json({ ok: true });
    }],
    ["POST", /^\/shutdown$/, async (_r, _u, _p, body) => {
      const b = await parseBody(body, "shutdown", "shutdown");
      queueMicrotask(() => shutdown(b.removeState === true));
      return json({ ok: true });
    }],
    ["GET", /^\/join-token$/, async (_r, url) =>
      json(await api.joinToken((url.searchParams.get("role") ?? "") as NodeRole, url.searchParams.get("rotate") === "1"))],
    ["GET", /^\/services$/, async () => json(await api.services())],
    ["GET", /^\/services\/([^/]+)$/, async (_r, _u, [r]) => json(await api.service(ref(r)))],
    ["POST", /^\/services$/, async (_r, _u, _p, body) => {
      const { spec } = await parseBody(body, "createService", "create service");
      return json(await api.createService(spec), 201);
    }],
    ["POST", /^\/services\/([^/]+)\/update$/, async (_q, _u, [r], body) => {
      const { spec, version } = await parseBody(body, "updateService", "update service");
      return json(await api.updateService(ref(r), spec, version));
    }],
    ["POST", /^\/services\/([^/]+)\/rollback$/, async (_q, _u, [r], body) => {
      const { version } = await parseBody(body, "rollbackService", "roll back service");
      return json(await api.rollbackService(ref(r), version));
    }],
    ["POST", /^\/services\/remove$/, async (_r, _u, _p, body) => {
      const { refs } = await parseBody(body, "refs", "remove services");
      return json(await api.removeServices(refs));
    }],
    ...(["secret", "config"] as const).flatMap((kind): [string, RegExp, Handler][] => [
      ["GET", new RegExp(`^/${kind}s$`), async () => json(await api.files(kind))],
      ["GET", new RegExp(`^/${kind}s/([^/]+)$`), async (_r, _u, [r]) => json(await api.file(kind, ref(r)))],
      ["POST", new RegExp(`^/${kind}s$`), async (_r, _u, _p, body) => {
        const b = await parseBody(body, "createFile", `create ${kind}`);
        return json(await api.createFile(kind, b.name, new Uint8Array(Buffer.from(b.data, "base64")), b.labels ?? {}), 201);
      }],
      ["POST", new RegExp(`^/${kind}s/remove$`), async (_r, _u, _p, body) => json(await api.removeFiles(kind, (await parseBody(body, "refs", `remove ${kind}s`)).refs))],
    ]),
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
      const since = sinceQuery(url.searchParams.get("since"));
      const opts = {
        follow: url.searchParams.get("follow") === "1",
        tail: tailQuery(url.searchParams.get("tail")),
        since: since === undefined ? undefined : parseSince(since, Date.now()),
        timestamps: true,
      };
      return ndjson(req, (write, signal) => streamServiceLogs(api, svc.ID, opts, write, signal));
    }],
    ["GET", /^\/nodes$/, async () => json(await api.nodes())],
    ["GET", /^\/nodes\/([^/]+)$/, async (_r, _u, [r]) => json(await api.node(ref(r)))],
    ["POST", /^\/nodes\/([^/]+)\/update$/, async (_q, _u, [r], body) => json(await api.updateNode(ref(r), await parseBody(body, "updateNode", "update node")))],
    ["POST", /^\/nodes\/promote$/, async (_r, _u, _p, body) => json(await api.promote((await parseBody(body, "refs", "promote")).refs))],
    ["POST", /^\/nodes\/demote$/, async (_r, _u, _p, body) => json(await api.demote((await parseBody(body, "refs", "demote")).refs))],
    ["POST", /^\/nodes\/remove$/, async (_r, _u, _p, body) => {
      const b = await parseBody(body, "removeNodes", "remove nodes");
      return json(await api.removeNodes(b.refs, b.force === true));
    }],
  ];

  return async (req: Request, server?: RequestTimeouts) => {
    const url = new URL(req.url);
    try {
      for (const [method, re, handler] of routes) {
        const m = re.exec(url.pathname);
        if (!m || req.method !== method) continue;
        const body = method === "GET" ? "" : await readBodyText(req);
        server?.timeout(req, 0);
        return await handler(req, url, m.slice(1), body);
      }
      throw new SwarmError("NOT_FOUND", `no such API endpoint: ${req.method} ${url.pathname} (is the CLI newer than the agent?)`);
    } catch (err) {
      if (!(err instanceof SwarmError)) api.log.error({ err, method: req.method, path: url.pathname }, "internal error answering a request");
      return errorResponse(err);
    }
  };
}
