/**
 * Typed transport errors. Callers branch on `code`, never on message text; every message says what
 * to do next. A handler that throws a TransportError (or any error with a string `code`) has that
 * code carried back to the requester inside a REMOTE_ERROR (`remoteCode`).
 */
export type TransportErrorCode =
  | "TIMEOUT" // no response within timeoutMs: the peer may be slow or partitioned
  | "PEER_GONE" // not connected to that peer, or the connection closed before the answer
  | "NO_HANDLER" // the peer has no handler for the channel (version skew or wrong channel name)
  | "REMOTE_ERROR" // the peer's handler threw; see remoteCode/message
  | "MALFORMED" // a frame that does not decode or does not fit the protocol
  | "ADMISSION_REFUSED" // the peer refused our proof (wrong join secret, bad certificate, revoked)
  | "FORBIDDEN" // the peer's class (manager, worker, joiner) may not use that channel
  | "TOO_LARGE" // the message is larger than the channel accepts
  | "STREAM_CANCELLED" // the stream was cancelled by the reader
  | "CLOSED" // this transport was closed
  | "UNREACHABLE" // no DHT bootstrap node answered a joining node (which has no cluster to wait for)
  | "INVALID_ARGUMENT"; // bad configuration or call arguments

export class TransportError extends Error {
  override readonly name = "TransportError";
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    /** For REMOTE_ERROR: the `code` the remote handler's error carried, if any. */
    readonly remoteCode?: string,
  ) {
    super(message);
  }

  static timeout(what: string, ms: number): TransportError {
    return new TransportError(
      "TIMEOUT",
      `${what} got no answer within ${ms} ms; check that the peer is up and reachable, or raise timeoutMs`,
    );
  }
  static peerGone(peer: string, what = "connection"): TransportError {
    return new TransportError(
      "PEER_GONE",
      `${what}: no connection to peer ${short(peer)}; wait for a 'peer-up' event or pick another peer`,
    );
  }
  static noHandler(channel: string): TransportError {
    return new TransportError(
      "NO_HANDLER",
      `the peer has no handler for channel "${channel}"; check that both nodes run the same version`,
    );
  }
  static remote(message: string, remoteCode?: string): TransportError {
    return new TransportError("REMOTE_ERROR", `the peer's handler failed: ${message}`, remoteCode);
  }
  static forbidden(channel: string, peerClass: string): TransportError {
    return new TransportError(
      "FORBIDDEN",
      `channel "${channel}" does not accept ${peerClass} peers; a joining node may only join, and roles come from certificates`,
    );
  }
  static tooLarge(channel: string, bytes: number, max: number): TransportError {
    return new TransportError(
      "TOO_LARGE",
      `a ${bytes}-byte message exceeds the ${max}-byte limit of channel "${channel}"; send less per message`,
    );
  }
  /** `reason` may quote what a peer sent: it is cut to 300 characters. */
  static malformed(reason: string): TransportError {
    const r = reason.length <= 300 ? reason : `${reason.slice(0, 300)}…`;
    return new TransportError(
      "MALFORMED",
      `malformed frame (${r}); the connection was closed — check the peer's version`,
    );
  }
  static closed(): TransportError {
    return new TransportError("CLOSED", "the transport is closed; create a new one to talk again");
  }
  static unreachable(message: string): TransportError {
    return new TransportError("UNREACHABLE", message);
  }

  static invalid(message: string): TransportError {
    return new TransportError("INVALID_ARGUMENT", message);
  }
}

export function isTransportError(e: unknown): e is TransportError {
  return e instanceof TransportError;
}

/** First 8 hex characters of a node id: enough for log lines. */
export function short(id: string): string {
  return id.slice(0, 8);
}
