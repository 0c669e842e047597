/**
 * Wires the routing mesh (internal/mesh) to the cluster state: every published ingress port of every
 * service answers on this node and is spread over the running tasks of the service, at the host port
 * each task's port is bound to on its node (TaskStatus.PortStatus) and that node's address.
 *
 * `meshInputs` is the pure part. `MeshLink` creates the mesh, recomputes on every store change (the
 * mesh coalesces and skips unchanged states) and removes every rule on close.
 */
import type { Logger } from "pino";
import type { ClusterState } from "../api/index.ts";
import type { Assignment, AssignmentSink } from "./assignments.ts";
import type { MeshBackendChoice } from "../config/index.ts";
import { createMesh, type Endpoint, type Mesh, type MeshConfig, type PublishedService } from "../mesh/index.ts";

export interface MeshInputs {
  services: PublishedService[];
  endpoints: Endpoint[];
}

/**
 * The mesh keys each published port separately (`<service>/<proto>/<published>`), so a service that
 * publishes several ports forwards each only to the matching container port. A task is an endpoint while
 * it runs and is desired running (a task being stopped gets no new connections), on a node with an
 * address, with its ingress port bound (`--network host` tasks: at their target port on their node).
 */
export function meshInputs(state: ClusterState): MeshInputs {
  const services: PublishedService[] = [];
  const endpoints: Endpoint[] = [];
  const ingress = new Map<string, { key: string; targetPort: number; protocol: "tcp" | "udp" }[]>();
  for (const svc of Object.values(state.services)) {
    for (const p of svc.Endpoint.Ports) {
      if (p.PublishMode !== "ingress") continue;
      const key = `${svc.ID}/${p.Protocol}/${p.PublishedPort}`;
      services.push({ serviceId: key, publishedPort: p.PublishedPort, protocol: p.Protocol });
      const list = ingress.get(svc.ID) ?? [];
      list.push({ key, targetPort: p.TargetPort, protocol: p.Protocol });
      ingress.set(svc.ID, list);
    }
  }
  for (const task of Object.values(state.tasks)) {
    const ports = ingress.get(task.ServiceID);
    if (!ports || task.Status.State !== "running" || task.DesiredState !== "running" || !task.NodeID) continue;
    const nodeIp = state.nodes[task.NodeID]?.Status.Addr;
    const bound = task.Status.PortStatus?.Ports ?? [];
    if (!nodeIp) continue;
    // `--network host`: the container listens on the node itself, on its target port.
    const hostNet = task.Spec.Networks?.some((n) => n.Target === "host") ?? false;
    for (const want of ports) {
      const b = bound.find((x) => x.PublishMode === "ingress" && x.Protocol === want.protocol && x.TargetPort === want.targetPort);
      const hostPort = hostNet ? want.targetPort : b?.PublishedPort;
      if (hostPort) endpoints.push({ serviceId: want.key, nodeIp, hostPort, targetPort: want.targetPort });
    }
  }
  services.sort((a, b) => (a.serviceId < b.serviceId ? -1 : a.serviceId > b.serviceId ? 1 : 0));
  endpoints.sort((a, b) => (a.serviceId < b.serviceId ? -1 : a.serviceId > b.serviceId ? 1 : a.nodeIp < b.nodeIp ? -1 : a.nodeIp > b.nodeIp ? 1 : a.hostPort - b.hostPort));
  return { services, endpoints };
}

/** After a failed apply, the mesh is re-applied this soon even if nothing changes. */
export const RETRY_MS = 1000;

export interface StateFeed {
  readonly state: ClusterState;
  subscribe(fn: (state: ClusterState) => void): () => void;
}

export class MeshLink {
  private mesh?: Mesh;
  private unsubscribe?: () => void;
  private last = "";
  /** The newest update in flight (or applied): callers that must act after the mesh wait on it. */
  private latest: Promise<void> = Promise.resolve();
  private closed = false;
  private retry?: ReturnType<typeof setTimeout>;
  /** An update was sent to the mesh in this run (so close() has rules to remove). */
  private touched = false;
  /** Resolves once the mesh exists (or failed to); never rejects. */
  readonly ready: Promise<void>;
  backend: string | null = null;
  error: string | null = null;

  constructor(
    private readonly feed: StateFeed,
    choice: MeshBackendChoice,
    private readonly log: Logger,
    meshConfig: Partial<MeshConfig> = {},
  ) {
    this.ready = createMesh({ backend: choice, logger: log, ...meshConfig }).then(
      (mesh) => {
        if (this.closed) return void mesh.close().catch(() => undefined);
        this.mesh = mesh;
        this.backend = mesh.backendName;
        this.unsubscribe = feed.subscribe((st) => this.observe(st));
        this.observe(feed.state);
      },
      (err: Error) => {
        this.error = err.message;
        log.error({ err }, "routing mesh unavailable: published ports will not answer; choose another --mesh-backend");
      },
    );
  }

  /** Resolves when the mesh holds the newest state computed so far (failures are logged, not thrown). */
  settled(): Promise<void> {
    return this.latest;
  }

  /**
   * A sink that hands assignments to `sink` only once the mesh holds the state they come from: a task
   * being stopped is out of the mesh before its container stops, so no new connection reaches it.
   * Assignments are full sets: only the newest waiting one is handed on, in order.
   */
  gate(feed: StateFeed, sink: AssignmentSink): AssignmentSink {
    let pending: Assignment[] | null = null;
    let draining = false;
    const drain = async () => {
      draining = true;
      try {
        while (pending) {
          await this.ready;
          await this.settled();
          const next = pending;
          pending = null;
          await sink.sync(next);
        }
      } finally {
        draining = false;
      }
    };
    return {
      sync: (assignments) => {
        this.observe(feed.state);
        pending = assignments;
        if (!draining) return drain();
        return undefined;
      },
    };
  }

  /** Recomputes the mesh's input from `state`; a no-op when it did not change. */
  observe(state: ClusterState): void {
    if (!this.mesh || this.closed) return;
    const inputs = meshInputs(state);
    // Nothing published yet in this run: leave the node's firewall alone (no table, sysctl or rule).
    // Rules a crashed agent left belong to services that are still in the store, so they get replaced.
    if (!this.touched && inputs.services.length === 0) return;
    const text = JSON.stringify(inputs);
    if (text === this.last) return;
    this.last = text;
    this.touched = true;
    this.latest = this.mesh.update(inputs.services, inputs.endpoints).catch((err: Error) => {
      this.last = ""; // re-apply: on the next change, or after RETRY_MS
      this.log.error({ err }, `routing mesh update failed; retrying in ${RETRY_MS} ms or on the next change`);
      if (this.retry || this.closed) return;
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.observe(this.feed.state);
      }, RETRY_MS);
      this.retry.unref?.();
    });
  }

  /** Removes every rule and listener of the mesh. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.ready;
    const mesh = this.mesh;
    this.mesh = undefined;
    if (!this.touched) return;
    await mesh?.close().catch((err: Error) => this.log.error({ err }, "routing mesh: removing rules failed"));
  }
}
