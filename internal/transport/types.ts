/**
 * The public shapes of the cluster transport. Both implementations (Hyperswarm and in-memory) expose
 * exactly `ClusterTransport`; the cluster code (membership, Raft, leader requests, log streams)
 * depends only on this interface.
 */
import type { JoinSecret, NodeCertificate, NodeId, PeerClass, SignedCertificate } from "./admission.ts";

export type { NodeId, PeerClass };

/** A change of admission settings; `undefined` keeps a field, `null` clears it. */
export interface AdmissionPatch {
  joinSecrets?: JoinSecret[] | null;
  proveSecret?: Uint8Array | null;
  clusterPublicKey?: Uint8Array | null;
  certificate?: SignedCertificate | null;
}

export interface PeerInfo {
  id: NodeId;
  /** What the peer is on this connection: its certificate's role, or "joiner" (admitted by a join
   * secret: it may use only channels that accept "joiner"). */
  class: PeerClass;
  /** How the peer proved itself ("secret" exactly when class is "joiner"). */
  via: "secret" | "certificate";
  /** For a joiner: the role of the join secret it proved (the role it asks to join as). */
  joinRole?: "manager" | "worker";
  /** The peer's verified certificate (managers and workers). */
  certificate?: NodeCertificate;
  /** The cluster key the peer's certificate verified under: for a joining node, the key to pin
   * once joined (its fingerprint is the cluster id of the token). */
  clusterPublicKey?: Uint8Array;
  /** host:port of the remote end as observed on the connection (never what the peer claims). */
  address?: string;
  connectedAtMs: number;
}

/** Who may use a channel and how big its messages may be; the transport enforces both before the
 * handler runs. */
export interface ChannelOptions {
  /** Peer classes allowed; default ["manager", "worker"]. Others get FORBIDDEN (requests, streams)
   * or are dropped (sends), with a rate-limited log line. */
  accept?: PeerClass[];
  /** Largest encoded message accepted on this channel (default: the transport's frame limit).
   * Larger ones get TOO_LARGE (requests, streams) or are dropped (sends). */
  maxBytes?: number;
}

/** Handles one-way messages (`send`) and requests (`request`) on a channel. For a request, the
 * returned value (or resolved promise) is the response; a throw becomes REMOTE_ERROR at the caller,
 * carrying the thrown error's string `code` as `remoteCode`. For `send` the result is ignored.
 * `peer` is what the transport verified about the sender (its class, certificate, address). */
export type Handler = (msg: unknown, from: NodeId, peer: PeerInfo) => unknown;

/** The writing end of a stream, given to the acceptor's stream handler. */
export interface StreamSink {
  readonly from: NodeId;
  /** Aborted when the reader cancels or the connection is lost. */
  readonly signal: AbortSignal;
  /** Resolves once the message is queued within the reader's credit (backpressure). Rejects with
   * STREAM_CANCELLED or PEER_GONE once the stream cannot be written any more. */
  write(msg: unknown): Promise<void>;
  /** Ends the stream normally. Idempotent; later writes reject. */
  end(): void;
  /** Ends the stream with an error the reader sees as REMOTE_ERROR with this remoteCode. */
  fail(code: string, message: string): void;
}

/** Accepts a stream opened by a peer. The stream ends when the returned promise settles (a rejection
 * fails it), unless the handler already ended it. */
export type StreamHandler = (msg: unknown, sink: StreamSink, peer: PeerInfo) => Promise<void> | void;

/** The reading end of a stream, returned by `openStream`. Iterate it; breaking out cancels. */
export interface MessageStream extends AsyncIterable<unknown> {
  readonly peer: NodeId;
  /** Tells the writer to stop and ends iteration. Idempotent. */
  cancel(): void;
}

export interface RequestOptions {
  timeoutMs?: number;
}

export interface StreamOptions {
  /** How many messages the writer may send ahead of the reader (bounded buffer). */
  credit?: number;
}

export type PeerUpListener = (peer: PeerInfo) => void;
export type PeerDownListener = (id: NodeId, reason: string) => void;
/** A peer refused our admission proof (wrong or rotated join token, revoked certificate). */
export type RefusedListener = (id: NodeId, reason: string) => void;

export interface ClusterTransport {
  /** This node's id: hex of its Noise public key. */
  readonly self: NodeId;
  /** Admitted peers with an open connection (one per peer). */
  peers(): PeerInfo[];
  isConnected(id: NodeId): boolean;
  /** One-way message (Raft, gossip). False when there is no connection to `to`: the message is dropped. */
  send(to: NodeId, channel: string, msg: unknown): boolean;
  /** Rejects with a TransportError: TIMEOUT, PEER_GONE, NO_HANDLER, REMOTE_ERROR or CLOSED. */
  request(to: NodeId, channel: string, msg: unknown, opts?: RequestOptions): Promise<unknown>;
  /** Registers the handler of a channel (replaces any previous one); returns an unregister function.
   * Only peers whose class is in `opts.accept` (default managers and workers) reach it. */
  handle(channel: string, handler: Handler, opts?: ChannelOptions): () => void;
  /** Opens a stream to `to`; errors (PEER_GONE, NO_HANDLER, REMOTE_ERROR) surface while iterating. */
  openStream(to: NodeId, channel: string, msg: unknown, opts?: StreamOptions): MessageStream;
  /** Registers the acceptor of streams on a channel; access as for `handle`. */
  onStream(channel: string, handler: StreamHandler, opts?: ChannelOptions): () => void;
  /** Also called again when an open connection's peer is re-admitted under a new proof (`reprove`). */
  on(event: "peer-up", fn: PeerUpListener): () => void;
  on(event: "peer-down", fn: PeerDownListener): () => void;
  on(event: "refused", fn: RefusedListener): () => void;
  /** Changes what we prove and accept from now on (join-token rotation, a certificate received
   * after joining). Existing connections stay, except joiners admitted by a secret we no longer
   * accept (a rotated token), which are closed. `undefined` fields keep their value, `null` clears. */
  updateAdmission(patch: AdmissionPatch): void;
  /** Refuses this node from now on and closes its connection. Idempotent. */
  revoke(id: NodeId): void;
  /** Replaces the revoked set (the cluster's revocation list); closes connections of nodes in it. */
  setRevoked(ids: Iterable<NodeId>): void;
  /** Closes our connection to `id` (e.g. a joiner once it has its certificate); it may reconnect and
   * is admitted again by whatever it then proves. No-op when not connected. */
  disconnect(id: NodeId, reason: string): void;
  /**
   * Presents our current proof again on every open connection, after `updateAdmission` gave us a
   * certificate (joined) or a new one (promoted, demoted, renewed): each peer re-admits us under it
   * — a "peer-up" with the new class on its side — without a new connection, or refuses and closes.
   */
  reprove(): void;
  /** Closes our connection to `id` and dials it again at once (our certificate changed: the peer
   * must see the new one), instead of waiting for discovery to find it again. */
  reconnect(id: NodeId, reason: string): void;
  /** Starts discovery and admitting peers. Register handlers and listeners before. Idempotent;
   * resolves when the node is reachable (for Hyperswarm: the DHT is bootstrapped). */
  start(): Promise<void>;
  /** Closes every connection and stops discovery. Idempotent. */
  close(): Promise<void>;
}

/** Minimal pino-compatible logger. */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * One byte connection between two nodes, as the adapters provide it (a secret-stream, or an
 * in-memory pipe). The session writes frames and reads chunks; it never assumes chunk boundaries.
 */
export interface Link {
  readonly localKey: Uint8Array;
  readonly remoteKey: Uint8Array;
  readonly remoteAddress?: string;
  /** Called once by the session, before any data is delivered. */
  attach(events: { data(chunk: Uint8Array): void; close(reason: string): void }): void;
  write(bytes: Uint8Array): void;
  /** Idempotent; triggers the close event. With `flush`, bytes already written are delivered first
   * (used after a REJECT frame); otherwise the connection is torn down at once. */
  close(reason: string, flush?: boolean): void;
}
