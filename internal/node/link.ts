/**
 * How a node reaches the leader's dispatcher: over the transport (`remoteLink`), or in-process when
 * this node's own manager leads (the agent composes a local link from its dispatcher). The session
 * (session.ts) only sees `LeaderLink`.
 */
import {
  HEARTBEAT_CHANNEL, REPORT_CHANNEL, SESSION_CHANNEL, type HeartbeatRequest, type Id, type SessionMessage, type SessionOpen,
  type StatusReport,
} from "../api/index.ts";
import type { ClusterTransport } from "../transport/index.ts";

export interface SessionStream extends AsyncIterable<SessionMessage> {
  cancel(): void;
}

export interface LeaderLink {
  /** The manager this link reaches. */
  readonly target: Id;
  open(req: SessionOpen): SessionStream;
  report(r: StatusReport): Promise<void>;
  heartbeat(h: HeartbeatRequest): Promise<void>;
}

/** Session messages are small; the leader may write this many ahead of the node. */
const SESSION_CREDIT = 16;

export function remoteLink(transport: ClusterTransport, target: Id, timeoutMs = 3000): LeaderLink {
  return {
    target,
    open(req) {
      const s = transport.openStream(target, SESSION_CHANNEL, req, { credit: SESSION_CREDIT });
      return {
        [Symbol.asyncIterator]: () => (s as AsyncIterable<SessionMessage>)[Symbol.asyncIterator](),
        cancel: () => s.cancel(),
      };
    },
    async report(r) {
      await transport.request(target, REPORT_CHANNEL, r, { timeoutMs: Math.max(timeoutMs, 5000) });
    },
    async heartbeat(h) {
      await transport.request(target, HEARTBEAT_CHANNEL, h, { timeoutMs });
    },
  };
}
