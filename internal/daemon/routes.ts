/**
 * The agent's HTTP API on its unix socket (the CLI's only door). Handlers validate, propose commands
 * through the cluster, and map typed errors to statuses in one place (http.ts).
 */
import { SwarmError, type ServiceSpec } from "../api/index.ts";
import { findNode, findService } from "../lookup/index.ts";
import { planCreateService, planRemoveServices, planUpdateService } from "../manager/index.ts";
import type { Cluster } from "./cluster.ts";
import { errorResponse, json, ndjson, readJson } from "./http.ts";
import { streamServiceLogs } from "./logs.ts";
import { serviceView, tasksOf } from "./views.ts";

type Handler = (req: Request, url: URL, params: string[]) => Promise<Response> | Response;

export function makeRouter(c: Cluster): (req: Request) => Promise<Response> {
  const routes: [string, RegExp, Handler][] = [
    ["GET", /^\/_ping$/, () => new Response("OK")],
    ["GET", /^\/info$/, () => json(c.info())],
    ["POST", /^\/init$/, async (req) => json(await c.init(await readJson<{ advertiseAddr?: string }>(req)))],
    ["POST", /^\/shutdown$/, async (req) => {
      const body = await readJson<{ removeState?: boolean }>(req);
      queueMicrotask(() => void c.shutdown(body.removeState === true));
      return json({ ok: true });
    }],
    ["GET", /^\/services$/, () => {
      const st = c.requireState();
      return json(Object.values(st.services).map((s) => serviceView(st, s)));
    }],
    ["GET", /^\/services\/([^/]+)$/, (_r, _u, [ref]) => {
      const st = c.requireState();
      return json(serviceView(st, findService(st, decodeURIComponent(ref!))));
    }],
    ["POST", /^\/services$/, async (req) => {
      const { spec } = await readJson<{ spec: ServiceSpec }>(req);
      const plan = planCreateService(c.requireState(), spec, new Date().toISOString());
      await c.propose(plan.commands);
      return json({ ID: plan.id }, 201);
    }],
    ["POST", /^\/services\/([^/]+)\/update$/, async (req, _u, [ref]) => {
      const { spec } = await readJson<{ spec: ServiceSpec }>(req);
      const plan = planUpdateService(c.requireState(), decodeURIComponent(ref!), spec, new Date().toISOString());
      await c.propose(plan.commands);
      return json({ ID: plan.id });
    }],
    ["POST", /^\/services\/remove$/, async (req) => {
      const { refs } = await readJson<{ refs: string[] }>(req);
      const plan = planRemoveServices(c.requireState(), refs, new Date().toISOString());
      await c.propose(plan.commands);
      return json({ IDs: plan.ids });
    }],
    ["GET", /^\/tasks$/, (_r, url) => {
      const st = c.requireState();
      const refs = url.searchParams.getAll("service");
      const services = refs.length ? refs.map((r) => findService(st, r)) : Object.values(st.services);
      return json(services.flatMap((s) => tasksOf(st, s.ID, s.Spec.Name)));
    }],
    ["GET", /^\/watch$/, (req, url) => {
      const ref = url.searchParams.get("service") ?? "";
      const id = findService(c.requireState(), ref).ID;
      return ndjson(req, (write, signal) => c.watch(signal, (st) => {
        const svc = st.services[id];
        write(svc ? { index: st.index, service: serviceView(st, svc), tasks: tasksOf(st, id, svc.Spec.Name) } : { index: st.index, removed: true });
      }));
    }],
    ["GET", /^\/logs$/, (req, url) => {
      const st = c.requireState();
      const svc = findService(st, url.searchParams.get("service") ?? "");
      const opts = {
        follow: url.searchParams.get("follow") === "1",
        tail: url.searchParams.has("tail") ? Number(url.searchParams.get("tail")) : undefined,
        since: url.searchParams.get("since") ?? undefined,
        timestamps: true,
      };
      return ndjson(req, (write, signal) => streamServiceLogs(c, svc.ID, opts, write, signal));
    }],
    ["GET", /^\/nodes$/, () => json(Object.values(c.requireState().nodes))],
    ["GET", /^\/nodes\/([^/]+)$/, (_r, _u, [ref]) => json(findNode(c.requireState(), decodeURIComponent(ref!)))],
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
