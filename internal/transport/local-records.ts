/**
 * Topic records held by our own DHT node, handed to Hyperswarm as a lookup would hand them.
 *
 * Why: dht-rpc never sends a query to itself, so a topic lookup sees every node's records except
 * our own node's. With k = 20, a record announced in a network of up to 20 nodes is stored on every
 * node but its announcer; a lookup by B then finds A's record only if some third node holds it. In a
 * DHT of two nodes — a manager (the bootstrap node) and the first worker to join, or the last two
 * nodes of a cluster after the others died — each node's announcement lives only on the other, both
 * lookups come back empty, and the two never connect (tests never saw it: they always ran 3+ DHT
 * nodes). Reading our own store for the cluster topic closes that gap for any network size.
 *
 * Contract: `fresh()` hands over records whose key has not been handed over since the last `all()`
 * (cheap; called on a short timer so a node that just announced to us is dialed at once); `all()`
 * hands over every record (called after each discovery refresh, the cadence at which Hyperswarm
 * re-handles peers its lookups find — a record of a dead node is retried no more often than that).
 * Records that do not decode are skipped. Our own key is Hyperswarm's to ignore.
 */

/** A peer as hyperdht's lookup replies carry it (hyperdht lib/messages `peer`). */
export interface TopicPeer {
  publicKey: Uint8Array;
  relayAddresses: { host: string; port: number }[];
}

export class LocalRecords {
  private handed = new Set<string>();

  constructor(
    /** The encoded records our node holds for the topic (empty while it stores nothing). */
    private readonly read: () => Uint8Array[],
    private readonly decode: (record: Uint8Array) => TopicPeer | null,
    private readonly onPeer: (peer: TopicPeer) => void,
  ) {}

  /** Hands over records with a key not handed over since the last `all()`. */
  fresh(): number {
    return this.handOver(false);
  }

  /** Hands over every record. */
  all(): number {
    this.handed.clear();
    return this.handOver(true);
  }

  private handOver(every: boolean): number {
    let n = 0;
    for (const record of this.read()) {
      const peer = this.decode(record);
      if (!peer) continue;
      const id = Buffer.from(peer.publicKey).toString("hex");
      if (!every && this.handed.has(id)) continue;
      this.handed.add(id);
      this.onPeer(peer);
      n++;
    }
    return n;
  }
}

interface CompactEncoding<T> {
  decode(state: { start: number; end: number; buffer: Uint8Array }): T;
}
const messages: { peer: CompactEncoding<TopicPeer> } = require("hyperdht/lib/messages");

/** Decodes one stored record (hyperdht's `peer` encoding: public key, relay addresses). */
export function decodeTopicRecord(record: Uint8Array): TopicPeer | null {
  try {
    const peer = messages.peer.decode({ start: 0, end: record.byteLength, buffer: record });
    return peer.publicKey?.byteLength === 32 ? peer : null;
  } catch {
    return null;
  }
}

/** Up to `max` records (a random choice when there are more) that a hyperdht node stores for
 * `topic`: its persistent store, absent while the node is ephemeral. Reads hyperdht internals
 * (`_persistent.records`, a record-cache; hyperdht 6.x). */
export function storedTopicRecords(dht: unknown, topic: Uint8Array, max: number): Uint8Array[] {
  const store = (dht as { _persistent?: { records?: { get(k: string, n?: number): Uint8Array[] } } | null } | undefined)?._persistent?.records;
  return store ? store.get(Buffer.from(topic).toString("hex"), max) : [];
}
