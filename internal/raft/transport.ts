// How Raft messages travel between nodes. The runner only needs send + onMessage; the in-memory network
// here is for tests and the benchmark (the Hyperswarm transport implements the same interface later).
import type { Message, NodeId } from "./types.ts";

/** Contract: send() is best effort and never throws (a message may be lost, duplicated or reordered;
 * Raft copes). Messages must arrive intact (the transport frames and authenticates them). onMessage
 * registers the single handler for messages addressed to this node; handlers are called one at a time. */
export interface Transport {
  send(to: NodeId, msg: Message): void;
  onMessage(handler: (msg: Message) => void): void;
  close(): void;
}

/** An in-process network connecting MemoryTransports, with link cuts for tests. Delivery is
 * asynchronous (a later macrotask, after `delayMs`), never inside send(). */
export class MemoryNetwork {
  private readonly handlers = new Map<NodeId, (m: Message) => void>();
  private readonly cut = new Set<string>();

  constructor(private readonly delayMs = 0) {}

  /** The transport of node `id` (replacing an earlier one, e.g. after a restart). */
  connect(id: NodeId): Transport {
    let closed = false;
    return {
      send: (to, msg) => {
        if (closed || this.cut.has(`${id}>${to}`)) return;
        const deliver = () => {
          if (this.cut.has(`${id}>${to}`)) return;
          this.handlers.get(to)?.(msg);
        };
        if (this.delayMs > 0) setTimeout(deliver, this.delayMs);
        else setImmediate(deliver);
      },
      onMessage: (h) => {
        if (!closed) this.handlers.set(id, h);
      },
      close: () => {
        closed = true;
        this.handlers.delete(id);
      },
    };
  }

  /** Cut every link to and from `id`. */
  isolate(id: NodeId): void {
    for (const other of this.handlers.keys()) {
      if (other !== id) this.cut.add(`${id}>${other}`).add(`${other}>${id}`);
    }
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  heal(): void {
    this.cut.clear();
  }
}
