/**
 * The implementation-independent half of a ClusterTransport: channel registry (with each channel's
 * access rules), admitted-peer table (one session per peer), events, revocation and the handshake
 * caps. Adapters (Hyperswarm, in-memory) feed it links with `accept(link)` and stop their discovery
 * in `onClose`.
 */
import { nodeIdOf, type PeerClass, type SignedCertificate } from "./admission.ts";
import { checkOwnCertificate, resolveOptions, validatePolicy, type ResolvedOptions, type TransportOptions } from "./config.ts";
import { TransportError, short } from "./errors.ts";
import { LogLimiter, clip } from "./log-limit.ts";
import { Session, type Channel, type SessionHost } from "./session.ts";
import { StreamReader } from "./stream.ts";
import type {
  AdmissionPatch, ChannelOptions, ClusterTransport, Handler, Link, Logger, MessageStream, NodeId, PeerDownListener, PeerInfo, RefusedListener,
  PeerUpListener, RequestOptions, StreamHandler, StreamOptions,
} from "./types.ts";

/** Channel names with this prefix belong to the transport itself (peer exchange). */
export const RESERVED = "_transport.";
const MEMBERS: readonly PeerClass[] = ["manager", "worker"];
const CLASSES: readonly PeerClass[] = ["manager", "worker", "joiner"];

export class TransportCore implements ClusterTransport, SessionHost {
  readonly self: NodeId;
  readonly limited: LogLimiter;
  private readonly o: ResolvedOptions;
  private readonly sessions = new Map<NodeId, Session>();
  private readonly handshaking = new Set<Session>();
  /** Handshaking sessions per remote host (issue 10 finding 3). */
  private readonly handshakesByHost = new Map<string, number>();
  private readonly hostOf = new Map<Session, string>();
  private readonly channels = new Map<string, Channel<Handler>>();
  private readonly streamChannels = new Map<string, Channel<StreamHandler>>();
  private readonly upListeners = new Set<PeerUpListener>();
  private readonly downListeners = new Set<PeerDownListener>();
  private readonly refusedListeners = new Set<RefusedListener>();
  private closed = false;
  /** Set by the adapter: starts discovery (links may arrive from then on). */
  onStart: () => Promise<void> = async () => {};
  /** Set by the adapter: stop dialing a revoked node. */
  onRevoke: (id: NodeId) => void = () => {};
  /** Set by the adapter: a node left the revoked set (setRevoked). */
  onUnrevoke: (id: NodeId) => void = () => {};
  /** Set by the adapter: dial `id` at once (after `reconnect` closed our connection to it). */
  onRedial: (id: NodeId) => void = () => {};
  private readonly redial = new Set<NodeId>();
  /** Set by the adapter: stops discovery and releases sockets. */
  onClose: () => Promise<void> = async () => {};
  private starting: Promise<void> | undefined;

  constructor(private readonly publicKey: Uint8Array, options: TransportOptions) {
    this.self = nodeIdOf(publicKey);
    this.o = resolveOptions(options);
    this.limited = new LogLimiter(this.o.log);
    checkOwnCertificate(this.o.policy, publicKey, this.o.log);
  }

  get policy() { return this.o.policy; }
  get log(): Logger { return this.o.log; }
  get handshakeTimeoutMs() { return this.o.handshakeTimeoutMs; }
  get preAdmissionFrameBytes() { return this.o.preAdmissionFrameBytes; }
  get deadPeerTimeoutMs() { return this.o.deadPeerTimeoutMs; }
  get isClosed() { return this.closed; }

  frameLimitFor(cls: PeerClass): number {
    return cls === "joiner" ? this.o.preAdmissionFrameBytes : this.o.maxFrameBytes;
  }

  /** Adapters call this for every new link (either direction). Beyond maxHandshakes connections
   * still handshaking, or maxHandshakesPerHost from one host, the link is closed at once (not
   * banned): a stranger can hold only so many slots, each for at most handshakeTimeoutMs. */
  accept(link: Link): void {
    if (this.closed) return link.close("transport closed");
    const host = hostPart(link.remoteAddress);
    const fromHost = this.handshakesByHost.get(host) ?? 0;
    if (this.handshaking.size >= this.o.maxHandshakes || fromHost >= this.o.maxHandshakesPerHost) {
      this.limited.warn(
        { host: clip(host, 64), handshaking: this.handshaking.size, fromHost },
        "refusing connection: too many admission handshakes in progress",
      );
      return link.close("too many handshakes in progress");
    }
    const s = new Session(link, this);
    this.handshaking.add(s);
    this.hostOf.set(s, host);
    this.handshakesByHost.set(host, fromHost + 1);
    s.start();
  }

  /** Handshaking sessions in all and per host (tests and diagnostics). */
  handshakeCounts(): { total: number; byHost: Record<string, number> } {
    return { total: this.handshaking.size, byHost: Object.fromEntries(this.handshakesByHost) };
  }

  private handshakeDone(s: Session): void {
    if (!this.handshaking.delete(s)) return;
    const host = this.hostOf.get(s)!;
    this.hostOf.delete(s);
    const n = (this.handshakesByHost.get(host) ?? 1) - 1;
    if (n <= 0) this.handshakesByHost.delete(host);
    else this.handshakesByHost.set(host, n);
  }

  isRevoked(id: NodeId): boolean { return this.o.revoked.has(id); }
  channel(name: string) { return this.channels.get(name); }
  streamChannel(name: string) { return this.streamChannels.get(name); }

  sessionOpened(s: Session): void {
    this.handshakeDone(s);
    // A newer admitted connection replaces the old one (the peer restarted, or reconnected before we
    // noticed the old one die). Listeners see peer-down then peer-up: whatever was in flight on the
    // old connection is lost, and a restarted peer has lost its state.
    this.sessions.get(s.peer)?.close("replaced by a newer connection");
    this.sessions.set(s.peer, s);
    this.log.info({ peer: short(s.peer), class: s.info!.class }, "peer up");
    for (const fn of this.upListeners) safe(() => fn(s.info!), this.log);
  }

  sessionReadmitted(s: Session): void {
    if (this.sessions.get(s.peer) !== s) return;
    this.log.info({ peer: short(s.peer), class: s.info!.class }, "peer re-admitted with a new proof");
    for (const fn of this.upListeners) safe(() => fn(s.info!), this.log);
  }

  /** Presents our current proof again on every open connection (see ClusterTransport.reprove). */
  reprove(): void {
    for (const s of this.sessions.values()) s.reprove();
  }

  refusedBy(peer: NodeId, reason: string): void {
    for (const fn of this.refusedListeners) safe(() => fn(peer, reason), this.log);
  }

  sessionClosed(s: Session, reason: string): void {
    this.handshakeDone(s);
    if (this.sessions.get(s.peer) !== s) return;
    this.sessions.delete(s.peer);
    this.log.info({ peer: short(s.peer), reason }, "peer down");
    for (const fn of this.downListeners) safe(() => fn(s.peer, reason), this.log);
    if (this.redial.delete(s.peer) && !this.closed) this.onRedial(s.peer);
  }

  peers(): PeerInfo[] {
    return [...this.sessions.values()].map((s) => s.info!);
  }

  isConnected(id: NodeId): boolean {
    return this.sessions.has(id);
  }

  /** The certificate a connected member presented (for peer exchange). */
  signedCertificateOf(id: NodeId): SignedCertificate | undefined {
    return this.sessions.get(id)?.signedCertificate;
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

  handle(channel: string, handler: Handler, opts?: ChannelOptions): () => void {
    if (channel.startsWith(RESERVED)) throw TransportError.invalid(`channel names starting with "${RESERVED}" are reserved for the transport`);
    return this.handleReserved(channel, handler, opts);
  }

  /** For adapters: registers a handler on a reserved "_transport." channel. */
  handleReserved(channel: string, handler: Handler, opts?: ChannelOptions): () => void {
    return register(this.channels, channel, { handler, ...this.access(opts) });
  }

  openStream(to: NodeId, channel: string, msg: unknown, opts: StreamOptions = {}): MessageStream {
    const credit = opts.credit ?? this.o.streamCredit;
    const s = this.sessions.get(to);
    if (s) return s.openStream(channel, msg, credit);
    const r = new StreamReader(to, 0, credit, () => {}, () => {});
    r.finish(this.closed ? TransportError.closed() : TransportError.peerGone(to, `stream "${channel}"`));
    return r;
  }

  onStream(channel: string, handler: StreamHandler, opts?: ChannelOptions): () => void {
    if (channel.startsWith(RESERVED)) throw TransportError.invalid(`channel names starting with "${RESERVED}" are reserved for the transport`);
    return register(this.streamChannels, channel, { handler, ...this.access(opts) });
  }

  on(event: "peer-up", fn: PeerUpListener): () => void;
  on(event: "peer-down", fn: PeerDownListener): () => void;
  on(event: "refused", fn: RefusedListener): () => void;
  on(event: "peer-up" | "peer-down" | "refused", fn: PeerUpListener | PeerDownListener | RefusedListener): () => void {
    const set = (event === "peer-up" ? this.upListeners : event === "peer-down" ? this.downListeners : this.refusedListeners) as Set<typeof fn>;
    set.add(fn);
    return () => set.delete(fn);
  }

  updateAdmission(patch: AdmissionPatch): void {
    const next = { ...this.o.policy };
    for (const k of ["joinSecrets", "proveSecret", "clusterPublicKey", "certificate"] as const) {
      const v = patch[k];
      if (v === null) k === "joinSecrets" ? (next.joinSecrets = []) : delete next[k];
      else if (v !== undefined) (next as Record<string, unknown>)[k] = k === "joinSecrets" ? [...(v as [])] : v;
    }
    validatePolicy(next);
    checkOwnCertificate(next, this.publicKey, this.log);
    this.o.policy = next; // sessions read the policy when they start: new connections only
    // A rotated join token: joiners admitted by a secret we no longer accept are closed.
    const accepted = (secret: Uint8Array) => next.joinSecrets.some((j) => Buffer.compare(j.secret, secret) === 0);
    for (const s of [...this.sessions.values()]) {
      const js = s.joinSecret;
      if (js && !accepted(js.secret)) s.close("join secret rotated");
    }
  }

  revoke(id: NodeId): void {
    this.o.revoked.add(id);
    this.closeRevoked([id]);
  }

  setRevoked(ids: Iterable<NodeId>): void {
    const next = new Set(ids);
    const added = [...next].filter((id) => !this.o.revoked.has(id));
    const removed = [...this.o.revoked].filter((id) => !next.has(id));
    this.o.revoked = next;
    for (const id of removed) this.onUnrevoke(id);
    this.closeRevoked(added);
  }

  disconnect(id: NodeId, reason: string): void {
    this.sessions.get(id)?.close(reason, true);
  }

  reconnect(id: NodeId, reason: string): void {
    if (!this.sessions.has(id)) return;
    this.redial.add(id);
    this.disconnect(id, reason);
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

  private closeRevoked(ids: NodeId[]): void {
    for (const id of ids) {
      this.onRevoke(id);
      this.sessions.get(id)?.close("revoked");
      for (const s of [...this.handshaking]) if (s.peer === id) s.close("revoked");
    }
  }

  private access(opts: ChannelOptions = {}): { accept: ReadonlySet<PeerClass>; maxBytes: number } {
    const accept = opts.accept ?? MEMBERS;
    for (const c of accept) if (!CLASSES.includes(c)) throw TransportError.invalid(`unknown peer class "${String(c)}" in accept`);
    const maxBytes = opts.maxBytes ?? this.o.maxFrameBytes;
    if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw TransportError.invalid("maxBytes must be a positive integer");
    return { accept: new Set(accept), maxBytes };
  }
}

/** The host of "host:port" (IPv6 "[::1]:port" or bare "::1:port" alike); "unknown" without one. */
function hostPart(address: string | undefined): string {
  if (!address) return "unknown";
  const i = address.lastIndexOf(":");
  const h = i > 0 ? address.slice(0, i) : address;
  return h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h;
}

function register<H>(map: Map<string, Channel<H>>, name: string, ch: Channel<H>): () => void {
  map.set(name, ch);
  return () => { if (map.get(name) === ch) map.delete(name); };
}

function safe(fn: () => void, log: Logger): void {
  try {
    fn();
  } catch (e) {
    log.error({ err: (e as Error).message }, "peer event listener threw");
  }
}
