/**
 * A node's session with the leader's dispatcher (docs/cluster.md "Dispatcher and node sessions"):
 * finds the leader, keeps one session open, heartbeats, sends status reports, and hands every message
 * to the node agent. When the leader changes or goes away the session is reopened on the new one; in
 * between the node keeps its containers running.
 *
 * Finding the leader: this node's own manager when it leads (in-process link), else the manager a
 * redirect named, else each connected manager in turn (a follower answers with a redirect).
 */
import { isSwarmError, SwarmError, type Id, type NodeDescription, type SessionMessage, type TaskStatus } from "../api/index.ts";
import { isTransportError, type ClusterTransport } from "../transport/index.ts";
import { remoteLink, type LeaderLink, type SessionStream } from "./link.ts";

export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface NodeSessionOptions {
  transport: ClusterTransport;
  /** The in-process link when this node's own manager is the ready leader. */
  local: () => LeaderLink | undefined;
  describe: () => Promise<NodeDescription>;
  dhtPort: number;
  onMessage: (m: SessionMessage) => void;
  log: Logger;
  /** Reconnect backoff bounds (ms). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

const KINDS = new Set(["welcome", "assignments", "endpoints", "certificate", "cluster", "redirect"]);

export class NodeSession {
  private stopped = false;
  private session: { id: string; link: LeaderLink; stream: SessionStream; acked: number } | undefined;
  private hint: Id | null = null;
  private rotate = 0;
  private wake: (() => void) | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private readonly unsubscribe: () => void;
  private loop: Promise<void> | undefined;
  /** Resolves when the next session is welcomed (for callers that must wait for one). */
  private welcomed: { promise: Promise<void>; resolve: () => void };

  constructor(private readonly o: NodeSessionOptions) {
    this.welcomed = deferred();
    this.unsubscribe = o.transport.on("peer-up", () => this.wake?.());
  }

  start(): void {
    this.loop ??= this.run();
  }

  get connected(): boolean {
    return this.session !== undefined;
  }

  /** The manager the current session is with. */
  get leader(): Id | undefined {
    return this.session?.link.target;
  }

  /** Resolves once a session is open (now or later). */
  whenConnected(): Promise<void> {
    return this.session ? Promise.resolve() : this.welcomed.promise;
  }

  /** Something changed (leadership here, a redirect): look for the leader again now. */
  poke(): void {
    this.session?.stream.cancel();
    this.wake?.();
  }

  /** Sends task statuses; rejects (UNAVAILABLE) without a session — the worker re-sends later. */
  async report(statuses: { id: Id; status: TaskStatus }[]): Promise<void> {
    const s = this.session;
    if (!s) throw SwarmError.unavailable("no session with the leader; statuses are sent again once it is back");
    try {
      await s.link.report({ session: s.id, statuses });
    } catch (err) {
      if (sessionGone(err)) this.drop(s);
      throw err;
    }
  }

  /**
   * Tells the leader which endpoint table version this node's mesh holds. Best effort: without a
   * session the next session's full table is acknowledged instead.
   */
  ackMesh(version: number): void {
    const s = this.session;
    if (!s || version <= s.acked) return;
    s.acked = version;
    s.link.report({ session: s.id, statuses: [], mesh: version }).catch((err) => {
      if (sessionGone(err)) this.drop(s);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    this.session?.stream.cancel();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let delay = this.o.retryMinMs ?? 50;
    while (!this.stopped) {
      const link = this.pick();
      if (link) {
        const opened = await this.serve(link);
        if (opened) delay = this.o.retryMinMs ?? 50;
      }
      if (this.stopped) break;
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.wake = undefined;
      delay = Math.min(this.o.retryMaxMs ?? 1000, delay * 2);
    }
  }

  private pick(): LeaderLink | undefined {
    const local = this.o.local();
    if (local) return local;
    const t = this.o.transport;
    const managers = t.peers().filter((p) => p.class === "manager").map((p) => p.id).sort();
    if (this.hint && this.hint !== t.self && managers.includes(this.hint)) {
      const h = this.hint;
      this.hint = null;
      return remoteLink(t, h);
    }
    if (managers.length === 0) return undefined;
    return remoteLink(t, managers[this.rotate++ % managers.length]!);
  }

  /** One session on `link`, until it ends. True if it was welcomed. */
  private async serve(link: LeaderLink): Promise<boolean> {
    let welcomed = false;
    let stream: SessionStream | undefined;
    try {
      const description = await this.o.describe();
      stream = link.open({ description, dhtPort: this.o.dhtPort });
      for await (const m of stream) {
        if (this.stopped) break;
        if (!m || typeof m !== "object" || !KINDS.has((m as SessionMessage).t)) {
          this.o.log.warn({ leader: link.target.slice(0, 12) }, "ignored a malformed session message");
          continue;
        }
        if (m.t === "redirect") {
          this.hint = typeof m.leader === "string" ? m.leader : null;
          break;
        }
        if (m.t === "welcome") {
          welcomed = true;
          this.session = { id: m.session, link, stream, acked: 0 };
          this.startHeartbeats(m.heartbeatMs);
          this.o.log.info({ leader: link.target.slice(0, 12) }, "session with the leader opened");
          const w = this.welcomed;
          this.welcomed = deferred();
          w.resolve();
        }
        this.o.onMessage(m);
      }
    } catch (err) {
      this.o.log.debug({ leader: link.target.slice(0, 12), err: (err as Error).message }, "session ended with an error");
    } finally {
      stream?.cancel();
      if (this.session?.link === link) {
        this.session = undefined;
        this.stopHeartbeats();
        if (welcomed) this.o.log.info({ leader: link.target.slice(0, 12) }, "session with the leader closed; looking for the leader");
      }
    }
    return welcomed;
  }

  private startHeartbeats(periodMs: number): void {
    this.stopHeartbeats();
    const ms = Number.isFinite(periodMs) && periodMs >= 50 && periodMs <= 60_000 ? periodMs : 500;
    let failures = 0;
    this.heartbeatTimer = setInterval(() => {
      const s = this.session;
      if (!s) return;
      s.link.heartbeat({ session: s.id }).then(
        () => void (failures = 0),
        (err) => {
          // The leader forgot the session (it restarted or lost leadership), or stopped answering.
          if (sessionGone(err) || ++failures >= 3) this.drop(s);
        },
      );
    }, ms);
  }

  private stopHeartbeats(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private drop(s: { stream: SessionStream }): void {
    if (this.session?.stream === s.stream) s.stream.cancel();
  }
}

function sessionGone(err: unknown): boolean {
  if (isTransportError(err)) return err.code === "PEER_GONE" || (err.code === "REMOTE_ERROR" && (err.remoteCode === "NOT_FOUND" || err.remoteCode === "NOT_LEADER"));
  return isSwarmError(err) && (err.code === "NOT_FOUND" || err.code === "NOT_LEADER");
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
