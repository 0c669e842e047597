/**
 * ContainerRuntime over the Docker Engine API (dockerode). Thin: translates calls and errors only.
 */
import type Dockerode from "dockerode";
import { isValidImageRef } from "../imageref/index.ts";
import { linesFromBuffer } from "../logs/index.ts";
import {
  RuntimeError,
  type BoundPort,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerStatusName,
  type ContainerSummary,
  type CreateSpec,
  type PortBinding,
  type RawLogLine,
  type RuntimeEvent,
  type RuntimeEventAction,
  type Subscription,
} from "./runtime.ts";

interface DockerodeError {
  statusCode?: number;
  json?: { message?: string } | null;
  reason?: string;
  message?: string;
}

/** The engine's own message ("No such image: x:latest"), not dockerode's "(HTTP code 404) …" wrapper. */
export function toRuntimeError(e: unknown): RuntimeError {
  if (e instanceof RuntimeError) return e;
  const err = (e ?? {}) as DockerodeError;
  const status = typeof err.statusCode === "number" ? err.statusCode : undefined;
  const json = err.json as unknown;
  const fromJson =
    typeof json === "string" ? json : json && typeof (json as { message?: unknown }).message === "string" ? (json as { message: string }).message : undefined;
  const raw = fromJson ?? err.message ?? String(e);
  // dockerode's wrapper: "(HTTP code 500) server error - <engine message>"
  const msg = raw.replace(/^\(HTTP code \d+\) [^-]*- /, "");
  return new RuntimeError(msg.trim(), status);
}

async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw toRuntimeError(e);
  }
}

function labelFilter(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

/**
 * Every image reference and container ID or name goes into a URL path (`/images/<ref>/json`). One that
 * is empty or holds `//`, `..`, `?` or spaces makes the engine answer with a redirect or another
 * endpoint entirely, and dockerode follows a redirect to a host named after the path (`images`),
 * whose DNS failure is an unhandled error event: the whole agent died of an empty image. So nothing
 * that is not a well-formed reference or name reaches dockerode; it is a RuntimeError with status 400
 * (the task is rejected, the agent carries on).
 */
function imageRef(ref: string): string {
  if (typeof ref !== "string" || !isValidImageRef(ref)) throw new RuntimeError(`invalid image reference "${String(ref).slice(0, 80)}"`, 400);
  return ref;
}

const CONTAINER_REF = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/;
function containerRef(idOrName: string): string {
  if (typeof idOrName !== "string" || !CONTAINER_REF.test(idOrName) || idOrName.includes("..")) {
    throw new RuntimeError(`invalid container ID or name "${String(idOrName).slice(0, 80)}"`, 400);
  }
  return idOrName;
}

const ACTIONS = new Set<RuntimeEventAction>(["create", "start", "die", "stop", "kill", "oom", "destroy", "health_status"]);

export function dockerRuntime(docker: Dockerode): ContainerRuntime {
  return {
    async hasImage(ref) {
      try {
        await docker.getImage(imageRef(ref)).inspect();
        return true;
      } catch (e) {
        const err = toRuntimeError(e);
        if (err.status === 404) return false;
        throw err;
      }
    },

    async pullImage(ref) {
      const stream = await call(() => docker.pull(imageRef(ref)) as Promise<NodeJS.ReadableStream>);
      await new Promise<void>((resolve, reject) => {
        docker.modem.followProgress(stream, (err: Error | null, out: { error?: string; errorDetail?: { message?: string } }[]) => {
          const failed = out?.find((o) => o.error !== undefined);
          if (err) reject(toRuntimeError(err));
          else if (failed) reject(new RuntimeError(failed.errorDetail?.message ?? failed.error ?? "pull failed", 500));
          else resolve();
        });
      });
    },

    async create(spec: CreateSpec) {
      const c = await call(() =>
        docker.createContainer({
          name: containerRef(spec.name),
          Image: imageRef(spec.image),
          Labels: spec.labels,
          Env: spec.env,
          Entrypoint: spec.entrypoint,
          Cmd: spec.cmd,
          WorkingDir: spec.workingDir,
          User: spec.user,
          Hostname: spec.hostname,
          StopTimeout: spec.stopTimeoutSec,
          ...(spec.healthcheck ? { Healthcheck: spec.healthcheck } : {}),
          ...(spec.ports?.length ? { ExposedPorts: Object.fromEntries(spec.ports.map((p) => [`${p.targetPort}/${p.protocol}`, {}])) } : {}),
          HostConfig: {
            ...(spec.ports?.length ? { PortBindings: dockerPortBindings(spec.ports) } : {}),
            Mounts: spec.mounts?.map((m) => ({ Type: m.Type, Source: m.Source ?? "", Target: m.Target, ReadOnly: m.ReadOnly ?? false })),
            NanoCpus: spec.nanoCpus,
            Memory: spec.memoryBytes,
            NetworkMode: spec.networkMode,
            ...(spec.init ? { Init: true } : {}),
          },
        }),
      );
      return c.id;
    },

    async start(id) {
      await call(() => docker.getContainer(containerRef(id)).start());
    },

    async inspect(idOrName) {
      try {
        const c = await docker.getContainer(containerRef(idOrName)).inspect();
        const info: ContainerInfo = {
          id: c.Id,
          name: c.Name.replace(/^\//, ""),
          labels: c.Config.Labels ?? {},
          status: c.State.Status as ContainerStatusName,
          running: c.State.Running,
          pid: c.State.Pid,
          exitCode: c.State.ExitCode,
          error: c.State.Error ?? "",
        };
        const health = (c.State as { Health?: { Status?: string; Log?: { Output?: string; ExitCode?: number }[] } }).Health;
        if (health?.Status === "starting" || health?.Status === "healthy" || health?.Status === "unhealthy") {
          info.health = health.Status;
          const last = health.Log?.at(-1);
          if (last) info.healthLog = `${(last.Output ?? "").trim().slice(0, 200)}${last.ExitCode !== undefined ? ` (exit ${last.ExitCode})` : ""}`.trim();
        }
        const ports = boundPorts(c.NetworkSettings?.Ports);
        if (ports.length) info.ports = ports;
        const ip = c.NetworkSettings?.IPAddress;
        if (c.State.Running && ip) info.ip = ip;
        return info;
      } catch (e) {
        const err = toRuntimeError(e);
        if (err.status === 404) return undefined;
        throw err;
      }
    },

    async stop(id, timeoutSec) {
      try {
        await docker.getContainer(containerRef(id)).stop(timeoutSec === undefined ? {} : { t: timeoutSec });
      } catch (e) {
        const err = toRuntimeError(e);
        if (err.status === 304 || err.status === 404) return;
        throw err;
      }
    },

    async remove(id) {
      try {
        await docker.getContainer(containerRef(id)).remove({ force: true, v: false });
      } catch (e) {
        const err = toRuntimeError(e);
        if (err.status === 404) return;
        // 409 "removal already in progress": the container is going away, which is what we want.
        if (err.status === 409 && /already in progress/.test(err.message)) return;
        throw err;
      }
    },

    async list(labels) {
      const all = await call(() => docker.listContainers({ all: true, filters: JSON.stringify({ label: labelFilter(labels) }) }));
      return all.map((c): ContainerSummary => ({ id: c.Id, name: (c.Names[0] ?? "").replace(/^\//, ""), labels: c.Labels ?? {} }));
    },

    async logs(id, tail): Promise<RawLogLine[]> {
      const opts = { follow: false as const, stdout: true, stderr: true, timestamps: true, ...(tail !== undefined ? { tail } : {}) };
      const buf = await call(
        () => docker.getContainer(containerRef(id)).logs(opts) as unknown as Promise<Buffer>,
      );
      return linesFromBuffer(new Uint8Array(buf));
    },

    subscribe(labels, onEvent, onError, onReady): Subscription {
      let closed = false;
      let stream: NodeJS.ReadableStream | undefined;
      let failedOnce = false;
      const fail = (e: unknown) => {
        if (closed || failedOnce) return;
        failedOnce = true;
        onError(toRuntimeError(e));
      };
      docker
        .getEvents({ filters: JSON.stringify({ type: ["container"], label: labelFilter(labels) }) as never })
        .then((s) => {
          stream = s;
          if (closed) {
            (s as unknown as { destroy?: () => void }).destroy?.();
            return;
          }
          let pending = "";
          s.on("data", (chunk: Buffer) => {
            pending += chunk.toString("utf8");
            let nl: number;
            while ((nl = pending.indexOf("\n")) >= 0) {
              const line = pending.slice(0, nl).trim();
              pending = pending.slice(nl + 1);
              if (line === "") continue;
              let ev: { Action?: string; status?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
              try {
                ev = JSON.parse(line);
              } catch {
                continue;
              }
              const action = (ev.Action ?? ev.status ?? "").split(":")[0] as RuntimeEventAction;
              if (!ACTIONS.has(action)) continue;
              const attrs = ev.Actor?.Attributes ?? {};
              const out: RuntimeEvent = { action, containerId: ev.Actor?.ID ?? ev.id ?? "", labels: attrs };
              if (action === "die" && attrs.exitCode !== undefined) out.exitCode = Number(attrs.exitCode);
              onEvent(out);
            }
          });
          s.on("error", fail);
          s.on("end", () => fail(new RuntimeError("docker event stream ended")));
          s.on("close", () => fail(new RuntimeError("docker event stream closed")));
          onReady?.();
        })
        .catch(fail);
      return {
        close() {
          closed = true;
          (stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
        },
      };
    },
  };
}

/** Docker's HostConfig.PortBindings: HostPort "" asks for an ephemeral port. */
function dockerPortBindings(ports: PortBinding[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of ports) {
    const key = `${p.targetPort}/${p.protocol}`;
    (out[key] ??= []).push({ HostIp: "", HostPort: p.hostPort ? String(p.hostPort) : "" });
  }
  return out;
}

/** NetworkSettings.Ports → one entry per (port, host port); IPv4 and IPv6 bindings of a port collapse. */
function boundPorts(ports: Record<string, { HostIp?: string; HostPort?: string }[] | null> | undefined): BoundPort[] {
  const out: BoundPort[] = [];
  for (const [key, list] of Object.entries(ports ?? {})) {
    const m = /^(\d+)\/(tcp|udp)$/.exec(key);
    if (!m || !list) continue;
    for (const b of list) {
      const hostPort = Number(b.HostPort);
      if (!Number.isInteger(hostPort) || hostPort <= 0) continue;
      if (out.some((o) => o.protocol === m[2] && o.targetPort === Number(m[1]) && o.hostPort === hostPort)) continue;
      out.push({ protocol: m[2] as BoundPort["protocol"], targetPort: Number(m[1]), hostPort });
    }
  }
  return out;
}
