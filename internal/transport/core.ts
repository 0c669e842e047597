/**
 * The implementation-independent half of a ClusterTransport: handler registry, admitted-peer table
 * (one session per peer), events and revocation. Adapters (Hyperswarm, in-memory) feed it links
 * with `accept(link)` and stop their discovery in `onClose`.
 */
import { nodeIdOf } from "./admission.ts";
import { resolveOptions, type ResolvedOptions, type TransportOptions } from "./config.ts";
import { TransportError, short } from "./errors.ts";
import { Session, type SessionHost } from "./session.ts";
import { StreamReader } from "./stream.ts";
import type {
  AdmissionPatch, ClusterTransport, Handler, Link, Logger, MessageStream, NodeId, PeerDownListener, PeerInfo, PeerUpListener,
  RequestOptions, StreamHandler, StreamOptions,
} from "./types.ts";

/** Channel names with this prefix belong to the transport itself (peer exchange). */
export const RESERVED = "_transport.";

export class TransportCore implements ClusterTransport, SessionHost {
  readonly self: NodeId;
  private readonly o: ResolvedOptions;
  private readonly sessions = new Map<NodeId, Session>();
  private readonly handshaking = new Set<Session>();
  private readonly handlers = new Map<string, Handler>();
  private readonly streamHandlers = new Map<string, StreamHandler>();
  private readonly upListeners = new Set<PeerUpListener>();
  private readonly downListeners = new Set<PeerDownListener>();
  private closed = false;
  /** Set by the adapter: starts discovery (links may arrive from then on). */
  onStart: () => Promise<void> = async () => {};
  /** Set by the adapter: stop dialing a revoked node. */
  onRevoke: (id: NodeId) => void = () => {};
  /** Set by the adapter: stops discovery and releases sockets. */
  onClose: () => Promise<void> = async () => {};
  private starting: Promise<void> | undefined;

  constructor(publicKey: Uint8Array, options: TransportOptions) {
    this.self = nodeIdOf(publicKey);
    this.o = resolveOptions(options);
  }

  get policy() { return this.o.policy; }
  get log(): Logger { return this.o.log; }
  get handshakeTimeoutMs() { return this.o.handshakeTimeoutMs; }
  get maxFrameBytes() { return this.o.maxFrameBytes; }
  get isClosed() { return this.closed; }

  /** Adapters call this for every new link (either direction). */
  accept(link: Link): void {
    if (this.closed) return link.close("transport closed");
    const s = new Session(link, this);
    this.handshaking.add(s);
    s.start();
  }

  isRevoked(id: NodeId): boolean { return this.o.revoked.has(id); }
  handler(channel: string) { return this.handlers.get(channel); }
  streamHandler(channel: string) { return this.streamHandlers.get(channel); }

  sessionOpened(s: Session): void {
    this.handshaking.delete(s);
    // A newer admitted connection replaces the old one (the peer restarted, or reconnected before we
    // noticed the old one die). Listeners see peer-down then peer-up: whatever was in flight on the
    // old connection is lost, and a restarted peer has lost its state.
    this.sessions.get(s.peer)?.close("replaced by a newer connection");
    this.sessions.set(s.peer, s);
    this.log.info({ peer: short(s.peer), via: s.info!.via }, "peer up");
    for (const fn of this.upListeners) safe(() => fn(s.info!), this.log);
  }

  sessionClosed(s: Session, reason: string): void {
    this.handshaking.delete(s);
    if (this.sessions.get(s.peer) !== s) return;
    this.sessions.delete(s.peer);
    this.log.info({ peer: short(s.peer), reason }, "peer down");
    for (const fn of this.downListeners) safe(() => fn(s.peer, reason), this.log);
  }

  peers(): PeerInfo[] {
    return [...this.sessions.values()].map((s) => s.info!);
  }

  isConnected(id: NodeId): boolean {
    return this.sessions.has(id);
  }

  send(to: NodeId, channel: string, msg: unknown): boolean {
    return this.sessions.get(to)?.send(channel, msg) ?? false;
  }

  request(to: NodeId, channel: string, msg: unknown, opts: RequestOptions = {}): Promise<unknown> {
    if (this.closed) return Promise.reject(TransportError.closed());
    const s = this.sessions.get(to);
    if (!s) return Promise.reject(TransportError.peerGone(to, `request "${channel}"`));
    return s.request(channel, msg, opts.timeoutMs ?? this.o.requestTimeoutMs);
  }

  handle(channel: string, handler: Handler): () => void {
    if (channel.startsWith(RESERVED)) throw TransportError.invalid(`channel names starting with "${RESERVED}" are reserved for the transport`);
    return this.handleReserved(channel, handler);
  }

  /** For adapters: registers a handler on a reserved "_transport." channel. */
  handleReserved(channel: string, handler: Handler): () => void {
    this.handlers.set(channel, handler);
    return () => { if (this.handlers.get(channel) === handler) this.handlers.delete(channel); };
  }

  openStream(to: NodeId, channel: string, msg: unknown, opts: StreamOptions = {}): MessageStream {
    const credit = opts.credit ?? this.o.streamCredit;
    const s = this.sessions.get(to);
    if (s) return s.openStream(channel, msg, credit);
    const r = new StreamReader(to, 0, credit, () => {}, () => {});
    r.finish(this.closed ? TransportError.closed() : TransportError.peerGone(to, `stream "${channel}"`));
    return r;
  }

  onStream(channel: string, handler: StreamHandler): () => void {
    this.streamHandlers.set(channel, handler);
    return () => { if (this.streamHandlers.get(channel) === handler) this.streamHandlers.delete(channel); };
  }

  on(event: "peer-up", fn: PeerUpListener): () => void;
  on(event: "peer-down", fn: PeerDownListener): () => void;
  on(event: "peer-up" | "peer-down", fn: PeerUpListener | PeerDownListener): () => void {
    const set = (event === "peer-up" ? this.upListeners : this.downListeners) as Set<typeof fn>;
    set.add(fn);
    return () => set.delete(fn);
  }

  updateAdmission(patch: AdmissionPatch): void {
    const next = { ...this.o.policy };
    for (const k of ["joinSecret", "clusterPublicKey", "certificate"] as const) {
      const v = patch[k];
      if (v === null) delete next[k];
      else if (v !== undefined) (next as Record<string, unknown>)[k] = v;
    }
    if (next.joinSecret && next.joinSecret.length < 16) throw TransportError.invalid("joinSecret must be at least 16 bytes");
    if (next.clusterPublicKey && next.clusterPublicKey.length !== 32) throw TransportError.invalid("clusterPublicKey must be 32 bytes (raw ed25519)");
    if (!next.joinSecret && !next.certificate) {
      throw TransportError.invalid("a node needs a join secret or a certificate to be admitted; keep one of them");
    }
    this.o.policy = next; // sessions read the policy when they start: new connections only
  }

  revoke(id: NodeId): void {
    this.o.revoked.add(id);
    this.onRevoke(id);
    this.sessions.get(id)?.close("revoked");
    for (const s of [...this.handshaking]) if (s.peer === id) s.close("revoked");
  }

  start(): Promise<void> {
    if (this.closed) return Promise.reject(TransportError.closed());
    this.starting ??= this.onStart();
    return this.starting;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.handshaking, ...this.sessions.values()]) s.close("transport closed");
    await this.onClose();
  }
}

function safe(fn: () => void, log: Logger): void {
  try {
    fn();
  } catch (e) {
    log.error({ err: (e as Error).message }, "peer event listener threw");
  }
}
