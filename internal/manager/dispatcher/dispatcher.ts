/**
 * The dispatcher (leader only; swarmkit's shape, docs/cluster.md "Dispatcher and node sessions").
 * Every node holds one session: the dispatcher writes it the node's assignments (full set, then
 * changes), certificates and cluster facts; the node reports task statuses and heartbeats. Liveness
 * verdicts (`livenessPlan`) are proposed through Raft so every manager agrees.
 *
 * Contract: `serve` runs one session until the node goes away, a newer session of the same node
 * replaces it, or `stop()`; it never throws for a node's misbehaviour (it ends the session instead).
 * `report` and `heartbeat` refuse calls quoting a session that is not the node's current one
 * (NOT_FOUND: the node reopens). `report` resolves once the statuses are committed.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import {
  assertPlain, SwarmError, type ClusterState, type Id, type NodeRole, type SessionMessage, type SessionOpen, type StatusReport,
} from "../../api/index.ts";
import type { Store } from "../../store/index.ts";
import { assignmentDelta, type Sent } from "./assignments.ts";
import { filesFor } from "../files.ts";
import { EndpointTracker, type TableSent } from "./endpoints.ts";
import { livenessPlan, type SessionSeen } from "./liveness.ts";
import { reportCommands } from "./reports.ts";

export interface SessionSink {
  /** Resolves once the message is queued within the reader's credit. */
  write(msg: SessionMessage): Promise<void>;
  end(): void;
  readonly signal: AbortSignal;
}

export interface DispatcherTimings {
  /** How often nodes heartbeat. */
  heartbeatMs: number;
  /** A node silent this long is recorded down. */
  nodeDownMs: number;
  /** How often liveness is judged. */
  livenessTickMs: number;
  /**
   * Longest a task that left the endpoint table keeps running while some node has not acknowledged a
   * table without it (default: nodeDownMs, the time in which a silent node is recorded down anyway).
   */
  endpointHoldMs?: number;
}

export const DEFAULT_DISPATCHER_TIMINGS: DispatcherTimings = { heartbeatMs: 500, nodeDownMs: 1800, livenessTickMs: 200 };

interface Session {
  id: string;
  nodeId: Id;
  sink: SessionSink;
  sent: Sent | null;
  /** Endpoint table entries sent, and the version the node's mesh acknowledged holding. */
  table: TableSent | null;
  acked: number;
  facts: string;
  dirty: boolean;
  pumping: boolean;
  ended: () => void;
}

export class Dispatcher {
  private readonly sessions = new Map<Id, Session>();
  private readonly seen = new Map<Id, SessionSeen>();
  private readonly since: number;
  private readonly t: DispatcherTimings;
  private readonly now: () => number;
  private unsubscribe: (() => void) | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private judging = false;
  private stopped = false;
  private readonly endpoints: EndpointTracker;
  private holdTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    timings: Partial<DispatcherTimings> = {},
    now: () => number = Date.now,
  ) {
    this.t = { ...DEFAULT_DISPATCHER_TIMINGS, ...timings };
    this.now = now;
    this.since = now();
    this.endpoints = new EndpointTracker(this.t.endpointHoldMs ?? this.t.nodeDownMs);
    this.unsubscribe = store.subscribe(() => this.pumpAll());
    this.timer = setInterval(() => void this.judge(), this.t.livenessTickMs);
  }

  hasSession(nodeId: Id): boolean {
    return this.sessions.has(nodeId);
  }

  /** Nodes with an open session. */
  sessionNodes(): Id[] {
    return [...this.sessions.keys()];
  }

  /**
   * Runs a node's session. `addr` is the host the leader observed (or, for its own node, its advertise
   * address); `managerAddr` the node's DHT host:port when it is a manager.
   */
  async serve(nodeId: Id, addr: string, managerAddr: string | undefined, open: SessionOpen, sink: SessionSink): Promise<void> {
    if (this.stopped) return void sink.end();
    try {
      assertPlain(open, "session open");
      const d = open?.description;
      if (!d || typeof d.Hostname !== "string" || d.Hostname.length > 253) throw SwarmError.invalid("a session needs a node description with a hostname");
    } catch (err) {
      this.log.warn({ node: nodeId.slice(0, 12), err: (err as Error).message }, "refused a malformed session");
      return void sink.end();
    }
    const node = this.store.state.nodes[nodeId];
    if (!node) {
      this.log.warn({ node: nodeId.slice(0, 12) }, "a node that is not a member opened a session; ending it");
      return void sink.end();
    }
    const previous = this.sessions.get(nodeId);
    if (previous) this.close(previous);
    let ended!: () => void;
    const done = new Promise<void>((r) => (ended = r));
    const s: Session = { id: randomBytes(12).toString("hex"), nodeId, sink, sent: null, table: null, acked: 0, facts: "", dirty: true, pumping: false, ended };
    this.sessions.set(nodeId, s);
    this.seen.set(nodeId, { lastSeenMs: this.now(), addr, managerAddr });
    sink.signal.addEventListener("abort", () => this.close(s), { once: true });
    this.log.info({ node: nodeId.slice(0, 12), addr }, "node session opened");
    const at = new Date(this.now()).toISOString();
    void this.store.propose([{ kind: "node.describe", id: nodeId, description: open.description, at }]).catch((err) => {
      this.log.warn({ err: (err as Error).message }, "recording a node's description failed; it is retried on its next session");
    });
    void this.judge();
    try {
      await sink.write({ t: "welcome", session: s.id, heartbeatMs: this.t.heartbeatMs, nodeId, addr });
    } catch {
      this.close(s);
    }
    this.pump(s);
    await done;
  }

  async report(nodeId: Id, req: StatusReport): Promise<void> {
    const s = this.sessionOf(nodeId, req?.session);
    const mesh = req.mesh;
    if (typeof mesh === "number" && Number.isSafeInteger(mesh) && mesh > s.acked && mesh <= this.endpoints.version) {
      s.acked = mesh;
      if (this.endpoints.holding) this.pumpAll();
    }
    const { commands, dropped } = reportCommands(this.store.state, nodeId, req.statuses);
    if (dropped > 0) this.log.debug({ node: nodeId.slice(0, 12), dropped }, "dropped statuses of unknown tasks or malformed ones");
    if (commands.length > 0) await this.store.propose(commands);
  }

  heartbeat(nodeId: Id, req: { session?: unknown }): { periodMs: number } {
    this.sessionOf(nodeId, req?.session);
    const seen = this.seen.get(nodeId);
    if (seen) seen.lastSeenMs = this.now();
    return { periodMs: this.t.heartbeatMs };
  }

  /** Hands a node its new certificate; false if it has no session now (retry later). */
  pushCertificate(nodeId: Id, cert: Uint8Array, sig: Uint8Array, role: NodeRole): boolean {
    const s = this.sessions.get(nodeId);
    if (!s) return false;
    s.sink.write({ t: "certificate", cert, sig, role }).catch(() => this.close(s));
    return true;
  }

  /** Ends every session (leadership lost, or shutting down). Nodes then look for the new leader. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    clearInterval(this.timer);
    clearTimeout(this.holdTimer);
    for (const s of [...this.sessions.values()]) this.close(s);
  }

  private sessionOf(nodeId: Id, session: unknown): Session {
    const s = this.sessions.get(nodeId);
    if (!s || s.id !== session) throw new SwarmError("NOT_FOUND", "no such session: open a new one");
    return s;
  }

  private close(s: Session): void {
    if (this.sessions.get(s.nodeId) === s) this.sessions.delete(s.nodeId);
    s.sink.end();
    s.ended();
  }

  /** The endpoint table version each session's mesh holds. */
  meshVersions(): Map<Id, number> {
    return new Map([...this.sessions.values()].map((s) => [s.nodeId, s.acked]));
  }

  private pumpAll(): void {
    for (const s of this.sessions.values()) this.pump(s);
  }

  /** Whether stopping this task waits for some node's mesh (see EndpointTracker.held). */
  private held = (taskId: Id): boolean => {
    const acked = [...this.sessions.values()].map((s) => s.acked);
    const held = this.endpoints.held(taskId, acked, this.now());
    if (held) this.armHoldTimer();
    return held;
  };

  /** Re-pumps when the oldest hold expires (an acknowledgement re-pumps sooner). */
  private armHoldTimer(): void {
    if (this.holdTimer || this.stopped) return;
    const at = this.endpoints.nextExpiryMs();
    if (at === undefined) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      this.pumpAll();
    }, Math.max(1, at - this.now() + 1));
  }

  /** Writes what changed for this node (coalesced: at most one write in flight per session). */
  private pump(s: Session): void {
    s.dirty = true;
    if (s.pumping || this.sessions.get(s.nodeId) !== s) return;
    s.pumping = true;
    void (async () => {
      try {
        while (s.dirty && this.sessions.get(s.nodeId) === s) {
          s.dirty = false;
          const st = this.store.state;
          const facts = clusterFacts(st);
          const factsText = JSON.stringify(facts);
          if (factsText !== s.facts) {
            await s.sink.write(facts);
            s.facts = factsText;
          }
          // The table first: a node learns that a task left it before it may be told to stop it.
          this.endpoints.observe(st, this.now());
          const table = this.endpoints.delta(s.table);
          if (table.msg) await s.sink.write(table.msg);
          s.table = table.sent;
          const { msg, sent } = assignmentDelta(st, s.nodeId, s.sent, this.held, (tasks) => filesFor(st, tasks));
          if (msg) {
            this.log.debug({ node: s.nodeId.slice(0, 12), index: st.index, tasks: msg.t === "assignments" ? msg.tasks.length : 0 }, "sending assignments");
            await s.sink.write(msg);
          }
          s.sent = sent;
        }
      } catch {
        this.close(s); // the node went away: it reopens a session and gets a full set
      } finally {
        s.pumping = false;
      }
    })();
  }

  private async judge(): Promise<void> {
    if (this.judging || this.stopped) return;
    this.judging = true;
    try {
      const plan = livenessPlan(this.store.state, this.seen, this.since, this.now(), { nodeDownMs: this.t.nodeDownMs });
      if (plan.length > 0) await this.store.propose(plan);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "recording node liveness failed; retrying");
    } finally {
      this.judging = false;
    }
  }
}

/** Facts every node keeps: who is revoked, and where the managers are. */
export function clusterFacts(st: ClusterState): SessionMessage {
  const managers = Object.values(st.nodes)
    .filter((n) => n.ManagerStatus?.Addr)
    .map((n) => n.ManagerStatus!.Addr)
    .sort();
  return { t: "cluster", revoked: [...(st.cluster?.Revoked ?? [])].sort(), managers };
}
