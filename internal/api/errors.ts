/**
 * Typed errors with stable codes. Callers branch on `code`, never on message text. Only the HTTP API
 * layer maps codes to statuses (see `httpStatusFor`). Every message tells the user what to do next.
 */
export type ErrorCode =
  | "INVALID_ARGUMENT" // bad flag value, bad spec: nothing was changed
  | "NOT_FOUND" // unknown service, task or node
  | "AMBIGUOUS" // an ID prefix matches more than one object
  | "CONFLICT" // duplicate name, published port already used
  | "UNAVAILABLE" // Docker unreachable, agent not running
  | "NOT_LEADER" // a write reached a manager that is not the leader
  | "NO_LEADER" // no leader within the wait: the cluster has lost quorum
  | "NOT_A_MANAGER" // cluster state asked of a worker node
  | "FORBIDDEN" // the peer may not use that channel or act on that object
  | "NOT_INITIALIZED" // no cluster yet: run `swarm init`
  | "TOO_LARGE" // a request body over the API's limit
  | "INTERNAL";

export class SwarmError extends Error {
  override readonly name = "SwarmError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  static invalid(message: string): SwarmError {
    return new SwarmError("INVALID_ARGUMENT", message);
  }
  static notFound(kind: string, ref: string): SwarmError {
    return new SwarmError("NOT_FOUND", `${kind} ${ref} not found`);
  }
  static ambiguous(kind: string, ref: string): SwarmError {
    return new SwarmError(
      "AMBIGUOUS",
      `${kind} ${ref} is ambiguous: more than one ${kind} matches; use more characters of the ID or the full name`,
    );
  }
  static conflict(message: string): SwarmError {
    return new SwarmError("CONFLICT", message);
  }
  static unavailable(message: string): SwarmError {
    return new SwarmError("UNAVAILABLE", message);
  }
  /** Docker's words, so scripts that grep for them keep working. */
  static notAManager(): SwarmError {
    return new SwarmError(
      "NOT_A_MANAGER",
      "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.",
    );
  }
  static noLeader(waitedMs: number): SwarmError {
    return new SwarmError(
      "NO_LEADER",
      `no leader: the cluster has lost quorum (no manager became leader within ${(waitedMs / 1000).toFixed(1)} s); nothing was changed — bring a majority of managers back online, then retry`,
    );
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isSwarmError(e: unknown): e is SwarmError {
  return e instanceof SwarmError;
}

export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case "INVALID_ARGUMENT":
      return 400;
    case "NOT_FOUND":
      return 404;
    case "AMBIGUOUS":
    case "CONFLICT":
      return 409;
    case "FORBIDDEN":
      return 403;
    case "TOO_LARGE":
      return 413;
    case "NOT_INITIALIZED":
    case "NOT_LEADER":
    case "NO_LEADER":
    case "NOT_A_MANAGER":
    case "UNAVAILABLE":
      return 503;
    default:
      return 500;
  }
}
