/**
 * The swarm part of the Docker Engine API (API 1.41): the routes the Docker CLI, the Swarm visualizer
 * and Portainer's swarm views call, mapped onto a DockerBackend. Errors come back as Docker's error
 * JSON (`{"message": …}`) with Docker's statuses, so the CLI prints "Error response from daemon: …";
 * an endpoint not served here (containers, images, volumes…) answers 501 naming itself.
 *
 * Contract: `handle(req)` never throws; internal errors are reported through `onInternalError` and
 * answered 500. Streams (logs) end when the client goes away.
 */
import { isOutdated, isSwarmError, SwarmError, type LogRecord, type Service } from "../api/index.ts";
import {
  checkFilterKeys, filtersFromQuery, findNode, findService, nodeMatches, NODE_FILTERS, serviceMatches, SERVICE_FILTERS, taskMatches, TASK_FILTERS, tryFind,
} from "../lookup/index.ts";
import type { DockerBackend } from "./backend.ts";
import { fileRoutes } from "./files.ts";
import { fromDockerServiceSpec, nodeChangesFrom } from "./from-docker.ts";
import { bodyJson, bool, dockerError, empty, errorResponse, headers, json, ref as refParam, type Handler, type Route } from "./http.ts";
import { frame, linePayload } from "./log-frames.ts";
import { StackNetworks } from "./networks.ts";
import { labelsMatch } from "./values.ts";
import { stackRoutes } from "./stack-routes.ts";
import { dockerInfo, dockerSwarm, dockerVersion, swarmVersion } from "./system.ts";
import { dockerNode, dockerNodeId, dockerService, dockerTask, serviceStatus } from "./to-docker.ts";
import { splitVersion, versionAtLeast } from "./version.ts";

export interface DockerApiOptions {
  /** Called with errors that are not SwarmErrors (bugs); the answer is a 500 either way. */
  onInternalError?: (err: unknown, method: string, path: string) => void;
  /** The runtime's name for `GoVersion` in `docker version` (e.g. "bun 1.3.0"). */
  runtime?: string;
  /**
   * Called with what a request asked for that swarm accepted without effect (a stack's networks, a
   * stack service's attachments to them), for the agent's log; the answer's Warnings say it too.
   */
  onNote?: (note: string, method: string, path: string) => void;
  /** The stack networks this handler keeps (default: its own, empty). */
  networks?: StackNetworks;
}

function versionQuery(url: URL): number | undefined {
  const v = url.searchParams.get("version");
  if (v === null) return undefined;
  if (!/^\d{1,15}$/.test(v)) throw SwarmError.invalid(`invalid version "${v.slice(0, 20)}": expected the object's Version.Index`);
  return Number(v);
}

/** Docker's words for a stale `version` (the CLI's update retried on a newer read would pass). */
function outOfSequence(kind: string, id: string, have: number, sent: number): SwarmError {
  return SwarmError.conflict(`update out of sequence: ${kind} ${id} is at version ${have}, the update was based on version ${sent}; read it again and retry`);
}

const NOT_SERVED_HINT =
  "swarm serves the swarm part of the Docker Engine API (info, version, swarm join tokens, nodes, services, tasks and their logs, secrets, configs, and the names of stacks' networks); " +
  "containers, images, networks and volumes belong to each node's own Docker engine: point the client at that engine (DOCKER_HOST) for them";

export function createDockerApiHandler(b: DockerBackend, o: DockerApiOptions = {}): (req: Request) => Promise<Response> {
  const ref = refParam;
  const networks = o.networks ?? new StackNetworks();
  const runtime = o.runtime ?? `bun ${typeof Bun !== "undefined" ? Bun.version : "?"}`;

  const ping: Handler = async ({ req }) => {
    const f = await b.local();
    const swarm = f.active ? (f.isManager ? "active/manager" : "active/worker") : "inactive";
    const h = headers({ "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache, no-store, must-revalidate", Pragma: "no-cache", Swarm: swarm });
    return new Response(req.method === "HEAD" ? null : "OK", { headers: h });
  };

  const notServed = (what: string): Handler => ({ req }) =>
    dockerError(`${req.method} ${what} is not served by swarm's Docker API: ${NOT_SERVED_HINT}`, 501);

  const swarmCommand = (cmd: string): Handler => () =>
    dockerError(`use \`swarm ${cmd}\` on the node itself: swarm's Docker API does not ${cmd} (it serves the cluster that the agent already runs)`, 501);

  /** Services with the filters of `GET /services`. */
  const listServices: Handler = async ({ url, version }) => {
    const st = await b.read();
    const f = filtersFromQuery(url.searchParams.get("filters"));
    checkFilterKeys(f, SERVICE_FILTERS);
    const withStatus = versionAtLeast(version, "1.41") && bool(url.searchParams.get("status"));
    const out = Object.values(st.services)
      .filter((s) => serviceMatches(s, f))
      .sort((a, c) => a.CreatedAt.localeCompare(c.CreatedAt))
      .map((s) => dockerService(s, withStatus ? serviceStatus(st, s) : undefined));
    return json(out);
  };

  const listTasks: Handler = async ({ url }) => {
    const st = await b.read();
    const f = filtersFromQuery(url.searchParams.get("filters"));
    checkFilterKeys(f, TASK_FILTERS);
    // Services and nodes by name, ID or prefix, as the daemon resolves them; unknown ones match nothing.
    if (f.has("service")) f.set("service", f.get("service")!.map((r) => tryFind(() => findService(st, r))?.ID ?? `\0${r}`));
    if (f.has("node")) f.set("node", f.get("node")!.map((r) => tryFind(() => findNode(st, r, { selfId: b.nodeId }))?.ID ?? `\0${r}`));
    // A task's labels, to Docker's filter, are its service's (swarmkit's ServiceAnnotations): how
    // `docker stack ps` finds a stack's tasks. A task that outlives its service (stopping after a
    // `service rm`) is matched by its container's labels, which carry the stack's name too, so
    // `docker stack rm --detach=false` and scripts looping on `docker stack ps` wait for it.
    const labels = f.get("label") ?? [];
    f.delete("label");
    const upToDate = (f.get("_up-to-date") ?? []).length > 0;
    const out = Object.values(st.tasks)
      .filter((t) => {
        const svc = st.services[t.ServiceID];
        if (!taskMatches(t, svc?.Spec.Name ?? t.ServiceID, f)) return false;
        if (!labelsMatch(svc ? svc.Spec.Labels : t.Spec.ContainerSpec.Labels, labels)) return false;
        return !upToDate || (svc !== undefined && !isOutdated(t, svc));
      })
      .sort((a, c) => a.CreatedAt.localeCompare(c.CreatedAt))
      .map(dockerTask);
    return json(out);
  };

  const inspectTask: Handler = async ({ params: [id] }) => {
    const st = await b.read();
    const t = st.tasks[ref(id)] ?? b.forgottenTask(ref(id)) ?? Object.values(st.tasks).find((x) => x.ID.startsWith(ref(id)) && ref(id) !== "");
    if (!t) throw SwarmError.notFound("task", ref(id));
    return json(dockerTask(t));
  };

  /** Notes to the log and to the answer's Warnings (null when none, as Docker answers). */
  const warnings = (notes: string[], req: Request, url: URL) => {
    for (const n of notes) o.onNote?.(n, req.method, url.pathname);
    return notes.length ? notes : null;
  };

  const createService: Handler = async ({ req, url }) => {
    await b.read(); // a worker answers NOT_A_MANAGER before the body is judged, as Docker does
    const notes: string[] = [];
    const spec = await b.parseSpec(fromDockerServiceSpec(await bodyJson(req), notes));
    const id = await b.createService(spec);
    return json({ ID: id, Warnings: warnings(notes, req, url) }, 201);
  };

  const updateService: Handler = async ({ req, url, params: [id] }) => {
    const st = await b.read();
    const svc = findService(st, ref(id));
    const version = versionQuery(url);
    const notes: string[] = [];
    if (url.searchParams.get("rollback") === "previous") {
      // `docker service rollback` / `update --rollback` (the body is the current spec: ignored).
      if (!svc.PreviousSpec) throw SwarmError.invalid(`service ${svc.Spec.Name} does not have a previous spec: there is nothing to roll back to`);
      await b.rollbackService(svc.ID, version);
      return json({ Warnings: null });
    }
    const spec = await b.parseSpec(fromDockerServiceSpec(await bodyJson(req), notes));
    await b.updateService(svc.ID, spec, version);
    return json({ Warnings: warnings(notes, req, url) });
  };

  const serviceLogs = (byTask: boolean): Handler => async ({ req, url, params: [id] }) => {
    const st = await b.read();
    let svc: Service;
    let onlyTask: string | undefined;
    if (byTask) {
      const t = st.tasks[ref(id)] ?? b.forgottenTask(ref(id));
      if (!t) throw SwarmError.notFound("task", ref(id));
      const s = st.services[t.ServiceID];
      if (!s) throw SwarmError.notFound("service", t.ServiceID);
      svc = s;
      onlyTask = t.ID;
    } else {
      svc = findService(st, ref(id));
    }
    const q = url.searchParams;
    const stdout = bool(q.get("stdout"));
    const stderr = bool(q.get("stderr"));
    if (!stdout && !stderr) throw SwarmError.invalid("Bad parameters: you must choose at least one stream");
    const tailText = q.get("tail");
    if (tailText !== null && tailText !== "all" && tailText !== "" && !/^\d{1,9}$/.test(tailText)) {
      throw SwarmError.invalid(`invalid tail "${tailText.slice(0, 20)}": expected a number of lines or "all"`);
    }
    const since = q.get("since");
    const opts = {
      follow: bool(q.get("follow")),
      tail: tailText === null || tailText === "all" || tailText === "" ? undefined : Number(tailText),
      since: since === null || since === "" || since === "0" ? undefined : since,
    };
    const shape = { timestamps: bool(q.get("timestamps")), details: bool(q.get("details")) };
    const nodeOf = (r: LogRecord): string => {
      const t = b.forgottenTask(r.task) ?? st.tasks[r.task];
      const nodeId = t?.NodeID ?? Object.values(st.nodes).find((n) => n.Description.Hostname === r.node)?.ID ?? r.node;
      return dockerNodeId(nodeId);
    };
    return byteStream(req, async (write, signal) => {
      await b.serviceLogs(svc.ID, opts, (r) => {
        if ("warning" in r) {
          // A node that could not be read: said on stderr, in the context of one of its tasks (the
          // CLI prints it as that task's line), as Docker has no warnings in a log stream.
          const task = r.tasks.find((t) => onlyTask === undefined || t === onlyTask);
          if (task === undefined || !stderr) return;
          const line = { task, name: "", node: r.node, stream: "stderr", ts: new Date().toISOString(), line: `(swarm) ${r.warning}` };
          return write(frame("stderr", linePayload(line, { nodeId: nodeOf(line), serviceId: svc.ID, taskId: task }, shape)));
        }
        if (onlyTask !== undefined && r.task !== onlyTask) return;
        if (r.stream === "stderr" ? !stderr : !stdout) return;
        return write(frame(r.stream, linePayload(r, { nodeId: nodeOf(r), serviceId: svc.ID, taskId: r.task }, shape)));
      }, signal);
    });
  };

  const listNodes: Handler = async ({ url }) => {
    const st = await b.read();
    const f = filtersFromQuery(url.searchParams.get("filters"));
    checkFilterKeys(f, NODE_FILTERS);
    return json(Object.values(st.nodes).filter((n) => nodeMatches(n, f)).map((n) => dockerNode(b.nodeView(n), st.cluster?.PublicKey)));
  };

  const inspectNode: Handler = async ({ params: [id] }) => {
    const st = await b.read();
    const n = findNode(st, ref(id), { selfId: b.nodeId });
    return json(dockerNode(b.nodeView(n), st.cluster?.PublicKey));
  };

  const updateNode: Handler = async ({ req, url, params: [id] }) => {
    const st = await b.read();
    const n = findNode(st, ref(id), { selfId: b.nodeId });
    const version = versionQuery(url);
    if (version !== undefined && version !== n.Version.Index) throw outOfSequence("node", dockerNodeId(n.ID), n.Version.Index, version);
    const changes = nodeChangesFrom(n.Spec, await bodyJson(req));
    if (Object.keys(changes).length) await b.updateNode(n.ID, changes);
    return empty();
  };

  const removeNode: Handler = async ({ url, params: [id] }) => {
    const st = await b.read();
    const n = findNode(st, ref(id), { selfId: b.nodeId });
    await b.removeNode(n.ID, bool(url.searchParams.get("force")));
    return empty();
  };

  const swarmInspect: Handler = async () => {
    const st = await b.read();
    return json(dockerSwarm(await b.local(), st, await b.joinTokens()));
  };

  const swarmUpdate: Handler = async ({ req, url }) => {
    const st = await b.read();
    const version = versionQuery(url);
    const have = swarmVersion(st);
    if (version !== undefined && version !== have) throw outOfSequence("swarm", st.cluster?.ID ?? "", have, version);
    await bodyJson(req); // the spec: swarm's cluster settings are fixed; only token rotation is served
    const q = url.searchParams;
    if (bool(q.get("rotateManagerUnlockKey"))) throw SwarmError.invalid("swarm has no autolock: there is no unlock key to rotate");
    if (bool(q.get("rotateWorkerToken"))) await b.rotateToken("worker");
    if (bool(q.get("rotateManagerToken"))) await b.rotateToken("manager");
    return empty();
  };

  const routes: Route[] = [
    ["GET", /^\/_ping$/, ping],
    ["HEAD", /^\/_ping$/, ping],
    ["GET", /^\/version$/, async () => json(dockerVersion(await b.local(), runtime))],
    ["GET", /^\/info$/, async () => {
      const f = await b.local();
      if (!f.isManager) return json(dockerInfo(f, undefined));
      try {
        return json(dockerInfo(f, await b.read()));
      } catch (err) {
        // No quorum: `docker info` still answers, with the reason in Swarm.Error (as Docker does).
        return json(dockerInfo(f, undefined, err instanceof Error ? err.message : String(err)));
      }
    }],
    ["GET", /^\/swarm$/, swarmInspect],
    ["POST", /^\/swarm\/update$/, swarmUpdate],
    ["POST", /^\/swarm\/init$/, swarmCommand("init")],
    ["POST", /^\/swarm\/join$/, swarmCommand("join")],
    ["POST", /^\/swarm\/leave$/, swarmCommand("leave")],
    ["GET", /^\/services$/, listServices],
    ["POST", /^\/services\/create$/, createService],
    ["GET", /^\/services\/([^/]+)$/, async ({ params: [id] }) => {
      const st = await b.read();
      return json(dockerService(findService(st, ref(id))));
    }],
    ["POST", /^\/services\/([^/]+)\/update$/, updateService],
    ["DELETE", /^\/services\/([^/]+)$/, async ({ params: [id] }) => {
      const st = await b.read();
      await b.removeService(findService(st, ref(id)).ID);
      return empty();
    }],
    ["GET", /^\/services\/([^/]+)\/logs$/, serviceLogs(false)],
    ["GET", /^\/tasks$/, listTasks],
    ["GET", /^\/tasks\/([^/]+)$/, inspectTask],
    ["GET", /^\/tasks\/([^/]+)\/logs$/, serviceLogs(true)],
    ["GET", /^\/nodes$/, listNodes],
    ["GET", /^\/nodes\/([^/]+)$/, inspectNode],
    ["POST", /^\/nodes\/([^/]+)\/update$/, updateNode],
    ["DELETE", /^\/nodes\/([^/]+)$/, removeNode],
    ...stackRoutes(b, networks, (note) => o.onNote?.(note, "POST", "/networks/create")),
    ...fileRoutes(b),
  ];

  return async (req: Request) => {
    const url = new URL(req.url);
    let path = url.pathname;
    try {
      const v = splitVersion(url.pathname);
      path = v.path;
      let methodMismatch = false;
      for (const [method, re, handler] of routes) {
        const m = re.exec(path);
        if (!m) continue;
        if (req.method !== method) {
          methodMismatch = true;
          continue;
        }
        return await handler({ req, url, version: v.version, params: m.slice(1) });
      }
      if (methodMismatch) return dockerError(`${req.method} ${path} is not allowed here`, 405);
      return await notServed(path)({ req, url, version: v.version, params: [] });
    } catch (err) {
      if (!isSwarmError(err)) o.onInternalError?.(err, req.method, path);
      return errorResponse(err);
    }
  };
}

/**
 * A streamed body fed by `produce` until it returns or the client goes away. `write` returns a promise
 * while the client is behind (more than 64 frames queued): the producer waits for it.
 */
function byteStream(req: Request, produce: (write: (chunk: Uint8Array) => Promise<void> | undefined, signal: AbortSignal) => Promise<void>): Response {
  const ac = new AbortController();
  req.signal.addEventListener("abort", () => ac.abort(), { once: true });
  let drained: (() => void) | undefined;
  ac.signal.addEventListener("abort", () => drained?.(), { once: true });
  const stream = new ReadableStream<Uint8Array>({
    // Not awaited in start(): the stream calls pull() (which releases a waiting producer) only once
    // start() has returned.
    start(controller) {
      const write = (chunk: Uint8Array): Promise<void> | undefined => {
        if (ac.signal.aborted) return;
        try {
          controller.enqueue(chunk);
        } catch {
          ac.abort();
          return;
        }
        if ((controller.desiredSize ?? 1) > 0) return;
        return new Promise<void>((resolve) => (drained = resolve));
      };
      void (async () => {
        try {
          await produce(write, ac.signal);
        } catch (err) {
          // Headers are gone: the error becomes a last stderr line, as the CLI prints it.
          write(frame("stderr", `Error: ${err instanceof Error ? err.message : String(err)}\n`));
        }
        try {
          controller.close();
        } catch {
          // the client went away first
        }
      })();
    },
    pull() {
      const d = drained;
      drained = undefined;
      d?.();
    },
    cancel() {
      ac.abort();
    },
  }, { highWaterMark: 64 });
  return new Response(stream, { headers: headers({ "Content-Type": "application/vnd.docker.raw-stream" }) });
}
