/**
 * What every node runs (docs/cluster.md): the session with the leader, the worker that drives this
 * node's tasks on the container engine, and the routing mesh for the ports its tasks publish. It never
 * imports manager code: on the leader, the agent composition hands it an in-process link instead.
 *
 * Contract: `start()` adopts the node's existing containers, then opens the session; the worker is
 * first synced when the first full assignment set arrives (containers keep running until then, and
 * whenever there is no session). `stop()` leaves containers running (a restarted agent adopts them);
 * `leave()` stops and removes them.
 */
import {
  LOGS_CHANNEL, type Command, type Id, type LogsMessage, type LogsRequest, type NodeDescription, type SessionMessage, type TaskStatus,
} from "../api/index.ts";
import type { MeshBackendChoice } from "../config/index.ts";
import { createRuntimeWorker, type ContainerRuntime, type Worker } from "../executor/index.ts";
import { Channel, type LogArchive, type LogSource } from "../logs/index.ts";
import type { MeshConfig } from "../mesh/index.ts";
import type { ClusterTransport } from "../transport/index.ts";
import { assignmentsFor, type AssignmentSink } from "./assignments.ts";
import { EndpointView, tableInputs } from "./endpoints.ts";
import type { LeaderLink } from "./link.ts";
import { checkLogsRequest, runtimeLogSource, serveLogs, type LogServerDeps } from "./log-server.ts";
import { MeshLink, type MeshFeed } from "./mesh-link.ts";
import { NodeSession } from "./session.ts";
import { NodeView } from "./view.ts";
import { defaultFilesDir, tmpfsTaskFiles } from "./task-files.ts";

export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  child(bindings: object): Logger;
}

export interface NodeAgentOptions {
  nodeId: Id;
  clusterId: string;
  /** This node's address until the leader tells the one it observed. */
  addr: string;
  dhtPort: number;
  transport: ClusterTransport;
  runtime: ContainerRuntime;
  archive: LogArchive;
  /** Where live task logs come from (default: the runtime's logs call, polled for follow). */
  logSource?: LogSource;
  /** `none`: no routing mesh (tests without a kernel to program). */
  meshBackend: MeshBackendChoice | "none";
  /** Mesh options (tests: an in-memory backend). */
  meshConfig?: Partial<MeshConfig>;
  describe: () => Promise<NodeDescription>;
  /** The in-process link when this node's own manager is the ready leader. */
  local: () => LeaderLink | undefined;
  /** A certificate or cluster facts from the leader: the agent composition persists and applies them. */
  onLeaderMessage: (m: Extract<SessionMessage, { t: "certificate" | "cluster" }>) => void;
  log: Logger;
  /** Where task secrets and configs are written: must be on a tmpfs (default /dev/shm/swarm-files-<node>). */
  filesDir?: string;
}

export class NodeAgent {
  readonly view: NodeView;
  readonly endpoints = new EndpointView();
  readonly session: NodeSession;
  readonly worker: Worker;
  private mesh: MeshLink | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly names = new Map<Id, string>();
  /** This node's endpoint tasks → their container's address (see tableInputs). */
  private readonly containerIps = new Map<Id, string>();
  private readonly resolving = new Set<Id>();
  private readonly logDeps: LogServerDeps;
  private unhandleLogs: (() => void) | undefined;

  constructor(private readonly o: NodeAgentOptions) {
    this.view = new NodeView(o.nodeId, o.addr);
    this.logDeps = { source: o.logSource ?? runtimeLogSource(o.runtime), archive: o.archive, warn: (obj, msg) => o.log.warn(obj, msg) };
    this.session = new NodeSession({
      transport: o.transport,
      local: o.local,
      describe: o.describe,
      dhtPort: o.dhtPort,
      log: o.log.child({ component: "session" }),
      onMessage: (m) => this.onMessage(m),
    });
    this.worker = createRuntimeWorker({
      runtime: o.runtime,
      clusterId: o.clusterId,
      nodeId: o.nodeId,
      report: (cmds) => this.session.report(statusesOf(cmds)),
      logs: o.archive,
      logger: o.log.child({ component: "worker" }),
      init: true, // ContainerSpec.Init unset means on (see internal/api/types.ts)
      maxConcurrent: 16,
      files: tmpfsTaskFiles(o.filesDir ?? defaultFilesDir(o.nodeId), (kind, id) => this.view.file(kind, id)),
      // The engine went away or came back: reopen the session, which describes this node again
      // (Engine.Unreachable), so the leader records it and `node ls` shows it.
      onEngine: (reachable) => {
        o.log.warn({ reachable }, reachable ? "the container engine answers again" : "the container engine does not answer");
        this.session.poke();
      },
    });
  }

  /** The routing mesh backend in use (or why there is none). */
  get meshStatus(): { Backend: string | null; Error: string | null } | null {
    return this.mesh ? { Backend: this.mesh.backend, Error: this.mesh.error } : null;
  }

  /** The routing mesh's current inputs (what it holds once applied), for diagnostics and tests. */
  get meshApplied() {
    return this.mesh?.applied ?? null;
  }

  /** The feed of the routing mesh: the endpoint table, with this node's containers reached directly. */
  private meshFeed(): MeshFeed {
    return {
      current: () => {
        if (!this.endpoints.received) return null;
        const table = this.endpoints.table();
        this.resolveLocal(table);
        return { version: this.endpoints.version, inputs: tableInputs(table, { self: this.o.nodeId, containers: this.containerIps }) };
      },
      subscribe: (fn) => this.endpoints.subscribe(fn),
    };
  }

  /**
   * Looks up the container address of this node's endpoints not known yet (then re-applies the mesh);
   * forgets those no longer endpoints. Until it is known, the endpoint is reached at its host port.
   */
  private resolveLocal(table: ReturnType<EndpointView["table"]>): void {
    const mine = new Set<Id>();
    for (const s of table) for (const e of s.endpoints) if (e.node === this.o.nodeId) mine.add(e.task);
    for (const id of [...this.containerIps.keys()]) if (!mine.has(id)) this.containerIps.delete(id);
    for (const id of mine) {
      if (this.containerIps.has(id) || this.resolving.has(id)) continue;
      const container = this.view.state.tasks[id]?.Status.ContainerStatus?.ContainerID;
      if (!container) continue;
      this.resolving.add(id);
      this.o.runtime.inspect(container).then(
        (info) => {
          this.resolving.delete(id);
          if (!info?.running || !info.ip || !/^\d+\.\d+\.\d+\.\d+$/.test(info.ip)) return;
          this.containerIps.set(id, info.ip);
          this.mesh?.observe();
        },
        () => void this.resolving.delete(id),
      );
    }
  }

  async start(): Promise<void> {
    if (this.o.meshBackend !== "none") {
      this.mesh = new MeshLink(this.meshFeed(), this.o.meshBackend, this.o.log.child({ component: "mesh" }) as never, this.o.meshConfig, (v) =>
        this.session.ackMesh(v),
      );
    }
    try {
      await this.worker.adopt();
    } catch (err) {
      this.o.log.error({ err }, "adopting this node's containers failed (is Docker up?); continuing");
    }
    const sink: AssignmentSink = this.mesh ? this.mesh.gate(this.worker) : this.worker;
    const push = () => {
      if (!this.view.ready) return;
      Promise.resolve(sink.sync(assignmentsFor(this.view.state, this.o.nodeId, this.names))).catch((err) =>
        this.o.log.error({ err }, "worker sync failed"),
      );
    };
    this.unsubscribe = this.view.subscribe(push);
    // Managers read the logs of this node's tasks (docs/cluster.md "Logs from every node").
    this.unhandleLogs = this.o.transport.onStream(
      LOGS_CHANNEL,
      async (body, sink) => serveLogs(this.logDeps, checkLogsRequest(body), (m) => sink.write(m), sink.signal),
      { accept: ["manager"], maxBytes: 256 * 1024 },
    );
    this.session.start();
  }

  /**
   * This node's log server, in process (the manager on this node reads its own tasks without the
   * transport). At most `credit` messages wait for the reader; breaking out of the iteration stops it.
   */
  readLogs(req: LogsRequest, credit = 4): AsyncIterable<LogsMessage> {
    const ch = new Channel<LogsMessage>(credit);
    let checked: LogsRequest;
    try {
      checked = checkLogsRequest(structuredClone(req));
    } catch (err) {
      ch.end(err);
      return ch;
    }
    serveLogs(this.logDeps, checked, (m) => ch.write(m), ch.signal).then(
      () => ch.end(),
      (err) => ch.end(ch.signal.aborted ? undefined : err),
    );
    return ch;
  }

  /** Leadership moved here or away: reopen the session where the leader now is. */
  leaderChanged(): void {
    this.session.poke();
  }

  /** Stops the session and the worker; containers keep running, and so do the mesh's kernel rules. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unhandleLogs?.();
    await this.session.stop();
    await this.worker.close();
    const m = this.mesh;
    this.mesh = undefined;
    await m?.release();
  }

  /** Stops and removes this node's containers (leave), then stops. */
  async leave(): Promise<void> {
    this.unsubscribe?.();
    this.unhandleLogs?.();
    await this.session.stop();
    await this.worker.sync([]);
    await this.worker.whenIdle();
    await this.worker.close();
    await this.closeMesh();
  }

  private async closeMesh(): Promise<void> {
    const m = this.mesh;
    this.mesh = undefined;
    await m?.close();
  }

  private onMessage(m: SessionMessage): void {
    switch (m.t) {
      case "welcome":
        this.view.setAddress(m.addr);
        return;
      case "assignments":
        this.o.log.debug({ full: m.full, tasks: m.tasks.length, removed: m.removed.length }, "assignments received");
        this.view.apply(m);
        return;
      case "endpoints":
        this.endpoints.apply(m);
        // Without a mesh nothing here routes: the table is held as soon as it arrives.
        if (!this.mesh) this.session.ackMesh(this.endpoints.version);
        return;
      case "certificate":
      case "cluster":
        this.o.onLeaderMessage(m);
        return;
    }
  }
}

function statusesOf(cmds: Command[]): { id: Id; status: TaskStatus }[] {
  const out: { id: Id; status: TaskStatus }[] = [];
  for (const c of cmds) if (c.kind === "task.status") out.push({ id: c.id, status: c.status });
  return out;
}
