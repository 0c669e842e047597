/**
 * Wires the routing mesh (internal/mesh) to the endpoint table: every published ingress port of every
 * service answers on this node and is spread over the running tasks of the service on every node.
 *
 * `MeshLink` creates the mesh and re-applies whenever its feed changes (the mesh coalesces and skips
 * unchanged states); each version of the feed is reported through `onApplied` once the mesh holds it
 * (the leader waits for every node's report before a task that left the table is stopped). Until the
 * feed has its first table, the kernel keeps what a previous agent left (published ports keep
 * answering while the agent restarts); the first table replaces it, or clears it when nothing is
 * published. `close()` removes every rule; `release()` (the agent stopping) leaves kernel rules in
 * place.
 */
import type { Logger } from "pino";
import type { ClusterState } from "../api/index.ts";
import type { Assignment, AssignmentSink } from "./assignments.ts";
import type { MeshBackendChoice } from "../config/index.ts";
import { createMesh, type Mesh, type MeshConfig } from "../mesh/index.ts";
import { meshInputs, type MeshInputs } from "./endpoints.ts";

export { meshInputs, type MeshInputs };

/** What the mesh is programmed from: the current inputs and their version (null: no table yet). */
export interface MeshFeed {
  current(): { version: number; inputs: MeshInputs } | null;
  subscribe(fn: () => void): () => void;
}

export interface StateFeed {
  readonly state: ClusterState;
  subscribe(fn: (state: ClusterState) => void): () => void;
}

/** A feed over a whole cluster state (tests; the version is the state's index). */
export function stateFeed(feed: StateFeed): MeshFeed {
  return {
    current: () => ({ version: feed.state.index, inputs: meshInputs(feed.state) }),
    subscribe: (fn) => feed.subscribe(() => fn()),
  };
}

/** An apply slower than this is logged (it delays the worker: see `gate`). */
const SLOW_APPLY_MS = 500;

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
  /** A table was applied in this run (so close() has rules to remove). */
  private touched = false;
  /** Resolves once the mesh exists (or failed to); never rejects. */
  readonly ready: Promise<void>;
  backend: string | null = null;
  error: string | null = null;
  /** The inputs the mesh holds (after the last successful apply). */
  applied: MeshInputs | null = null;

  constructor(
    private readonly feed: MeshFeed,
    choice: MeshBackendChoice,
    private readonly log: Logger,
    meshConfig: Partial<MeshConfig> = {},
    private readonly onApplied: (version: number) => void = () => undefined,
  ) {
    this.unsubscribe = feed.subscribe(() => this.observe());
    this.ready = createMesh({ backend: choice, logger: log, ...meshConfig }).then(
      (mesh) => {
        if (this.closed) return void mesh.release().catch(() => undefined);
        this.mesh = mesh;
        this.backend = mesh.backendName;
        this.observe();
      },
      (err: Error) => {
        this.error = err.message;
        log.error({ err }, "routing mesh unavailable: published ports will not answer; choose another --mesh-backend");
        this.observe();
      },
    );
  }

  /** Resolves when the mesh holds the newest state computed so far (failures are logged, not thrown). */
  settled(): Promise<void> {
    return this.latest;
  }

  /**
   * A sink that hands assignments to `sink` only once the mesh holds the newest table: a task being
   * stopped is out of the mesh before its container stops, so no new connection reaches it.
   * Assignments are full sets: only the newest waiting one is handed on, in order.
   */
  gate(sink: AssignmentSink): AssignmentSink {
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
        this.observe();
        pending = assignments;
        if (!draining) return drain();
        return undefined;
      },
    };
  }

  /** Re-reads the feed; applies what changed; reports the version once the mesh holds it. */
  observe(): void {
    if (this.closed) return;
    const cur = this.feed.current();
    if (!cur) return; // no table yet in this run: the kernel keeps what the previous agent left
    if (!this.mesh) {
      // No mesh (it failed to start): nothing here routes anywhere, so no table is stale.
      if (this.error !== null) this.report(cur.version);
      return;
    }
    const mesh = this.mesh;
    const text = JSON.stringify(cur.inputs);
    if (text === this.last) {
      const v = cur.version;
      this.latest = this.latest.then(() => {
        if (this.last === text) this.report(v);
      });
      return;
    }
    this.last = text;
    const first = !this.touched;
    this.touched = true;
    const { services, endpoints } = cur.inputs;
    // The first table of this run replaces what a previous agent left; with nothing published, that
    // means removing it.
    const t0 = Date.now();
    if (first && services.length === 0) {
      // Removing what a previous agent left: no endpoint of this run is involved, so the worker need
      // not wait for it (with iptables' lock held by busy engines this can take seconds).
      void mesh.clear().then(
        () => {
          if (this.last !== text) return;
          this.applied = cur.inputs;
          this.report(cur.version);
        },
        (err: Error) => {
          if (this.last === text) this.last = "";
          this.log.error({ err }, "routing mesh: removing the rules a previous agent left failed; retrying on the next change");
        },
      );
      return;
    }
    const op = mesh.update(services, endpoints);
    this.latest = op.then(
      () => {
        const ms = Date.now() - t0;
        if (ms > SLOW_APPLY_MS) this.log.warn({ ms, first }, "routing mesh: applying the endpoint table was slow");
        if (this.last !== text) return;
        this.applied = cur.inputs;
        this.report(cur.version);
      },
      (err: Error) => {
        if (this.last === text) this.last = ""; // re-apply: on the next change, or after RETRY_MS
        this.log.error({ err }, `routing mesh update failed; retrying in ${RETRY_MS} ms or on the next change`);
        if (this.retry || this.closed) return;
        this.retry = setTimeout(() => {
          this.retry = undefined;
          this.observe();
        }, RETRY_MS);
        this.retry.unref?.();
      },
    );
  }

  /** Every observe reports (a new session must hear it even when the table did not change). */
  private report(version: number): void {
    this.onApplied(version);
  }

  /** Removes every rule and listener of the mesh (`swarm leave`). Idempotent. */
  async close(): Promise<void> {
    await this.shut(false);
  }

  /** Stops this process's listeners and leaves the kernel rules serving (the agent stopping). */
  async release(): Promise<void> {
    await this.shut(true);
  }

  private async shut(keepRules: boolean): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.ready;
    const mesh = this.mesh;
    this.mesh = undefined;
    if (!mesh) return;
    if (keepRules) return void (await mesh.release().catch((err: Error) => this.log.error({ err }, "routing mesh: stopping listeners failed")));
    await mesh.close().catch((err: Error) => this.log.error({ err }, "routing mesh: removing rules failed"));
  }
}
