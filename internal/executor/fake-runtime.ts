/**
 * In-memory ContainerRuntime twin. It passes the same suite as the Docker runtime
 * (test/executor/runtime-suite.ts), so tests of the worker can run without an engine.
 *
 * Programs: the container's entrypoint+cmd is interpreted just enough for tests. `sh -c "<script>"`
 * runs `;`-separated statements: `echo WORDS` (`>&2` sends to stderr), `exit N`, `sleep N`/anything else
 * (blocks until stopped). Bare `echo …`, `true`, `false` behave as in a shell; any other command runs
 * until stopped (`sleep 1000`, `ping 127.0.0.1`, `httpd -f`). Stopping a running container makes it
 * exit 137 (PID 1 ignores SIGTERM, as in Docker).
 *
 * Test hooks: `addImage`, `pullable` (refs `pullImage` can fetch), `crash(id, code)`, `print(id, line)`, `removeExternally(id)`,
 * `delayMs` (artificial latency per call), `unreachable` (every call fails like a dead engine), `stats` (call counts and peak concurrency).
 */
import {
  RuntimeError,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerSummary,
  type CreateSpec,
  type RawLogLine,
  type RuntimeEvent,
} from "./runtime.ts";

interface FakeContainer {
  info: ContainerInfo;
  spec: CreateSpec;
  logs: RawLogLine[];
}

export interface FakeRuntime extends ContainerRuntime {
  addImage(ref: string): void;
  pullable: Set<string>;
  crash(id: string, exitCode: number): void;
  /** The container's program prints a line (stamped now). */
  print(id: string, line: string, stream?: "stdout" | "stderr"): void;
  removeExternally(id: string): void;
  /** Breaks every event subscription (their onError runs), like an engine restart. */
  breakEvents(): void;
  containers(): ContainerInfo[];
  specOf(id: string): CreateSpec | undefined;
  delayMs: number;
  /** While true every call fails as if the engine could not be reached. */
  unreachable: boolean;
  stats: {
    pulls: number;
    creates: number;
    starts: number;
    stops: number;
    removes: number;
    /** All calls in flight, and the peak. */
    inFlight: number;
    peakInFlight: number;
    /** create/start/remove calls in flight, and the peak (what the worker bounds). */
    mutating: number;
    peakMutating: number;
  };
}

const withTag = (ref: string) => (/:[^/]*$/.test(ref) || ref.includes("@") ? ref : `${ref}:latest`);

export function createFakeRuntime(opts: { images?: string[]; clock?: () => number } = {}): FakeRuntime {
  const images = new Set((opts.images ?? []).map(withTag));
  const byId = new Map<string, FakeContainer>();
  const subs = new Set<{ labels: Record<string, string>; onEvent: (e: RuntimeEvent) => void; onError: (err: Error) => void }>();
  let seq = 0;
  let pid = 1000;
  let hostPort = 32767;
  const now = opts.clock ?? (() => Date.now());

  const find = (idOrName: string): FakeContainer | undefined => {
    const direct = byId.get(idOrName);
    if (direct) return direct;
    for (const c of byId.values()) if (c.info.name === idOrName || (idOrName.length >= 12 && c.info.id.startsWith(idOrName))) return c;
    return undefined;
  };
  const matches = (labels: Record<string, string>, want: Record<string, string>) =>
    Object.entries(want).every(([k, v]) => labels[k] === v);
  const emit = (c: FakeContainer, action: RuntimeEvent["action"], exitCode?: number) => {
    const e: RuntimeEvent = { action, containerId: c.info.id, labels: { ...c.info.labels } };
    if (exitCode !== undefined) e.exitCode = exitCode;
    for (const s of [...subs]) if (matches(c.info.labels, s.labels)) queueMicrotask(() => s.onEvent(e));
  };
  const exit = (c: FakeContainer, code: number) => {
    if (!c.info.running) return;
    Object.assign(c.info, { running: false, status: "exited", pid: 0, exitCode: code });
    delete c.info.ports;
    delete c.info.ip;
    emit(c, "die", code);
  };
  const stamp = () => new Date(now()).toISOString().replace("Z", "000000Z");
  const run = (c: FakeContainer) => {
    const argv = [...(c.spec.entrypoint ?? []), ...(c.spec.cmd ?? ["sh"])];
    const out = (text: string, stream: RawLogLine["stream"]) => c.logs.push({ stream, ts: stamp(), line: text });
    let statements: string[];
    if ((argv[0] === "sh" || argv[0] === "/bin/sh") && argv[1] === "-c") statements = (argv[2] ?? "").split(";").map((s) => s.trim());
    else statements = [argv.join(" ")];
    for (const st of statements) {
      if (st === "" || st === "true") continue;
      if (st === "false") return exit(c, 1);
      const ex = /^exit\s+(\d+)$/.exec(st);
      if (ex) return exit(c, Number(ex[1]));
      const echo = /^echo\s*(.*?)(\s*>&2)?$/.exec(st);
      if (echo) {
        out(echo[1]!.replace(/^["']|["']$/g, ""), echo[2] ? "stderr" : "stdout");
        continue;
      }
      return; // a long-running command: stays running until stopped
    }
    exit(c, 0);
  };

  const stats = { pulls: 0, creates: 0, starts: 0, stops: 0, removes: 0, inFlight: 0, peakInFlight: 0, mutating: 0, peakMutating: 0 };
  const op = async <T>(f: () => T, mutating = false): Promise<T> => {
    stats.inFlight++;
    stats.peakInFlight = Math.max(stats.peakInFlight, stats.inFlight);
    if (mutating) {
      stats.mutating++;
      stats.peakMutating = Math.max(stats.peakMutating, stats.mutating);
    }
    try {
      if (fake.delayMs > 0) await Bun.sleep(fake.delayMs);
      else await Promise.resolve();
      if (fake.unreachable) throw new RuntimeError("connect ENOENT /fake/docker.sock");
      return f();
    } finally {
      stats.inFlight--;
      if (mutating) stats.mutating--;
    }
  };
  const mustFind = (id: string): FakeContainer => {
    const c = find(id);
    if (!c) throw new RuntimeError(`No such container: ${id}`, 404);
    return c;
  };

  const fake: FakeRuntime = {
    delayMs: 0,
    unreachable: false,
    stats,
    pullable: new Set(),
    addImage: (ref) => void images.add(withTag(ref)),
    crash(id, code) {
      exit(mustFind(id), code);
    },
    print(id, line, stream = "stdout") {
      mustFind(id).logs.push({ stream, ts: stamp(), line });
    },
    removeExternally(id) {
      const c = mustFind(id);
      exit(c, 137);
      byId.delete(c.info.id);
      emit(c, "destroy");
    },
    breakEvents() {
      const all = [...subs];
      subs.clear();
      for (const s of all) queueMicrotask(() => s.onError(new RuntimeError("event stream closed (test)")));
    },
    containers: () => [...byId.values()].map((c) => ({ ...c.info })),
    specOf: (id) => find(id)?.spec,

    hasImage: (ref) => op(() => images.has(withTag(ref))),
    pullImage: (ref) =>
      op(() => {
        stats.pulls++;
        if (!fake.pullable.has(withTag(ref))) {
          throw new RuntimeError(`pull access denied for ${ref.replace(/:[^/]*$/, "")}, repository does not exist or may require 'docker login'`, 404);
        }
        images.add(withTag(ref));
      }),
    create: (spec) =>
      op(() => {
        stats.creates++;
        if (!images.has(withTag(spec.image))) throw new RuntimeError(`No such image: ${withTag(spec.image)}`, 404);
        const clash = find(spec.name);
        if (clash && clash.info.name === spec.name) {
          throw new RuntimeError(
            `Conflict. The container name "/${spec.name}" is already in use by container "${clash.info.id}". You have to remove (or rename) that container to be able to reuse that name.`,
            409,
          );
        }
        const id = (++seq).toString(16).padStart(64, "f");
        const c: FakeContainer = {
          info: { id, name: spec.name, labels: { ...spec.labels }, status: "created", running: false, pid: 0, exitCode: 0, error: "" },
          spec: structuredClone(spec),
          logs: [],
        };
        byId.set(id, c);
        emit(c, "create");
        return id;
      }, true),
    start: (id) =>
      op(() => {
        stats.starts++;
        const c = mustFind(id);
        if (c.info.running) return;
        Object.assign(c.info, { running: true, status: "running", pid: ++pid, exitCode: 0 });
        // Like Docker: ephemeral host ports (hostPort 0) get a fresh port at each start.
        if (c.spec.ports?.length) c.info.ports = c.spec.ports.map((p) => ({ protocol: p.protocol, targetPort: p.targetPort, hostPort: p.hostPort || ++hostPort }));
        // A bridge address, like Docker's default network (none on the host network).
        if (c.spec.networkMode !== "host") c.info.ip = `172.17.${(pid >> 8) & 255}.${pid & 255}`;
        emit(c, "start");
        run(c);
      }, true),
    inspect: (idOrName) => op(() => {
      const c = find(idOrName);
      if (!c) return undefined;
      const info = { ...c.info };
      if (info.ports) info.ports = info.ports.map((p) => ({ ...p }));
      return info;
    }),
    stop: (id, _timeoutSec) =>
      op(() => {
        stats.stops++;
        const c = find(id);
        if (c?.info.running) exit(c, 137);
      }),
    remove: (id) =>
      op(() => {
        stats.removes++;
        const c = find(id);
        if (!c) return;
        exit(c, 137);
        byId.delete(c.info.id);
        emit(c, "destroy");
      }, true),
    list: (labels) =>
      op(() =>
        [...byId.values()]
          .filter((c) => matches(c.info.labels, labels))
          .map((c): ContainerSummary => ({ id: c.info.id, name: c.info.name, labels: { ...c.info.labels } })),
      ),
    logs: (id, tail) => op(() => mustFind(id).logs.slice(tail === undefined ? 0 : -Math.max(tail, 0) || Infinity).map((l) => ({ ...l }))),
    subscribe(labels, onEvent, onError, onReady) {
      const s = { labels, onEvent, onError };
      subs.add(s);
      if (onReady) queueMicrotask(onReady);
      return { close: () => void subs.delete(s) };
    },
  };
  return fake;
}
