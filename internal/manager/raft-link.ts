/**
 * Raft between managers rides the cluster transport (docs/cluster.md "Channels"): one-way messages on
 * the `raft` channel, which the transport only accepts from peers holding a manager certificate. On
 * top of that, a message is dropped unless it parses as a Raft message, names its authenticated sender
 * as `from` and this node as `to`, and comes from a member of the current configuration.
 */
import { parseMessage, type Message, type NodeId, type Transport } from "../raft/index.ts";
import type { ClusterTransport } from "../transport/index.ts";

export const RAFT_CHANNEL = "raft";
/** Snapshot chunks are ~1 MiB; everything else is far smaller. */
const RAFT_MAX_BYTES = 4 * 1024 * 1024;

export function raftLink(transport: ClusterTransport, isMember: (id: NodeId) => boolean): Transport {
  let unregister: (() => void) | undefined;
  return {
    send(to: NodeId, msg: Message): void {
      transport.send(to, RAFT_CHANNEL, msg);
    },
    onMessage(handler: (m: Message) => void): void {
      unregister?.();
      unregister = transport.handle(
        RAFT_CHANNEL,
        (body: unknown, from: NodeId) => {
          const m = parseMessage(body);
          if (!m || m.from !== from || m.to !== transport.self || !isMember(from)) return;
          handler(m);
        },
        { accept: ["manager"], maxBytes: RAFT_MAX_BYTES },
      );
    },
    close(): void {
      unregister?.();
      unregister = undefined;
    },
  };
}
