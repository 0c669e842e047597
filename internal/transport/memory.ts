/**
 * The in-memory twin of the Hyperswarm transport: a MemoryNetwork connects every transport created
 * on it to every other one (as discovery on one topic would), with cut (a reset), partition (silence,
 * then a dead-peer close), heal, and `rawConnect` to act as an arbitrary (possibly hostile) peer. Delivery is asynchronous and
 * ordered (microtasks), like a stream. The same TransportCore runs on top, so admission, framing,
 * requests and streams are the real code.
 */
import { keyPairFromSeed, nodeIdOf } from "./admission.ts";
import type { TransportOptions } from "./config.ts";
import { TransportCore } from "./core.ts";
import { TransportError } from "./errors.ts";
import { topicOf } from "./keys.ts";
import type { ClusterTransport, Link, NodeId } from "./types.ts";

type Events = { data(chunk: Uint8Array): void; close(reason: string): void };

class MemoryLink implements Link {
  other!: MemoryLink;
  private events: Events | undefined;
  private early: Uint8Array[] = [];
  private done = false;
  onClosed: () => void = () => {};

  constructor(
    readonly localKey: Uint8Array,
    readonly remoteKey: Uint8Array,
    readonly remoteAddress: string,
    private readonly splitWrites: boolean,
  ) {}

  attach(events: Events): void {
    this.events = events;
    for (const c of this.early.splice(0)) events.data(c);
  }

  /** Frames written while partitioned wait here (a reliable stream retransmits after a heal). */
  private held: Uint8Array[] | undefined;

  write(bytes: Uint8Array): void {
    if (this.done) return;
    const copy = bytes.slice();
    const parts = this.splitWrites && copy.length > 1 ? [copy.subarray(0, copy.length >> 1), copy.subarray(copy.length >> 1)] : [copy];
    if (this.held) this.held.push(...parts);
    else for (const p of parts) queueMicrotask(() => this.other.deliver(p));
  }

  /** Stops delivery in this direction; frames are held, not lost. */
  pause(): void {
    this.held ??= [];
  }

  /** Delivers held frames in order and resumes. */
  resume(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const p of held) queueMicrotask(() => this.other.deliver(p));
  }

  close(reason: string): void {
    if (this.done) return;
    this.finish(reason);
    queueMicrotask(() => this.other.finish(`remote closed: ${reason}`));
  }

  get isClosed(): boolean {
    return this.done;
  }

  private deliver(chunk: Uint8Array): void {
    if (this.done) return;
    if (this.events) this.events.data(chunk);
    else this.early.push(chunk);
  }

  private finish(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.onClosed();
    this.events?.close(reason);
  }
}

/** A peer outside any transport: raw bytes in and out. For tests of hostile or broken peers. */
export interface RawPeer {
  readonly publicKey: Uint8Array;
  /** Every chunk received from the transport. */
  readonly received: Uint8Array[];
  write(bytes: Uint8Array): void;
  close(): void;
  /** Resolves with the reason when the transport closes the connection. */
  readonly closed: Promise<string>;
}

export interface MemoryNetworkOptions {
  /** Split every write in two chunks, to exercise frame reassembly. */
  splitWrites?: boolean;
  /** First delay before reconnecting a pair whose connection closed (not cut); doubles per failed
   * attempt up to 1 s, like Hyperswarm's client retry. Default 20 ms. */
  reconnectMs?: number;
  /** A partitioned connection closes after this long, like the real transport's dead-peer timeout.
   * Default: the smaller deadPeerTimeoutMs of its two nodes (TransportOptions, 15 s by default). */
  deadPeerMs?: number;
}

interface Member {
  core: TransportCore;
  key: Uint8Array;
  address: string;
  /** Discovery topic: only members on the same topic find each other (as on the DHT). */
  topic: string;
  started: boolean;
}

export class MemoryNetwork {
  private readonly members = new Map<NodeId, Member>();
  private readonly links = new Map<string, MemoryLink>();
  private readonly cuts = new Set<string>();
  private readonly partitions = new Map<string, { link: MemoryLink; timer: ReturnType<typeof setTimeout> }>();
  private readonly retries = new Map<string, { attempts: number; timer?: ReturnType<typeof setTimeout> }>();
  private nextAddress = 1;

  constructor(private readonly opts: MemoryNetworkOptions = {}) {}

  /** Creates a transport whose key pair derives from `seed` (32 bytes). Once started it connects to
   * every started member. */
  createTransport(seed: Uint8Array, options: TransportOptions): ClusterTransport {
    const kp = keyPairFromSeed(seed);
    const id = nodeIdOf(kp.publicKey);
    if (this.members.has(id)) throw TransportError.invalid(`node ${id.slice(0, 8)} is already on this network; close it first`);
    const core = new TransportCore(kp.publicKey, options);
    const m: Member = {
      core, key: new Uint8Array(kp.publicKey), address: `mem${this.nextAddress++}:2377`, topic: topicOf(options).toString("hex"), started: false,
    };
    this.members.set(id, m);
    core.onStart = async () => {
      m.started = true;
      for (const other of this.members.keys()) if (other !== id) this.connect(id, other);
    };
    core.onClose = async () => {
      this.members.delete(id);
      for (const [k, l] of this.links) if (k.includes(id)) l.close("node left");
      for (const [k, r] of this.retries) {
        if (!k.includes(id)) continue;
        clearTimeout(r.timer);
        this.retries.delete(k);
      }
    };
    return core;
  }

  /** Closes the connection between a and b and keeps them apart until `heal`. */
  cut(a: NodeId, b: NodeId): void {
    this.cuts.add(pairKey(a, b));
    this.links.get(pairKey(a, b))?.close("network cut");
  }

  /**
   * Silently stops traffic between a and b without closing their connection (a partition, as
   * opposed to `cut`, which is a reset): requests time out, frames are held. Healed within
   * deadPeerMs, the connection resumes with nothing lost; otherwise it closes then.
   */
  partition(a: NodeId, b: NodeId): void {
    const key = pairKey(a, b);
    this.cuts.add(key);
    const l = this.links.get(key);
    if (!l || this.partitions.has(key)) return;
    l.pause();
    l.other.pause();
    const dead = (id: NodeId) => this.members.get(id)?.core.deadPeerTimeoutMs ?? 15_000;
    const timer = setTimeout(() => l.close("dead peer timeout (partition)"), this.opts.deadPeerMs ?? Math.min(dead(a), dead(b)));
    this.partitions.set(key, { link: l, timer });
  }

  /** Ends a cut or partition between a and b: a partitioned connection resumes, a cut pair
   * reconnects at once (as discovery would). */
  heal(a: NodeId, b: NodeId): void {
    const key = pairKey(a, b);
    this.cuts.delete(key);
    this.retries.delete(key);
    const p = this.partitions.get(key);
    if (p) {
      this.partitions.delete(key);
      clearTimeout(p.timer);
      p.link.resume();
      p.link.other.resume();
    }
    this.connect(a, b);
  }

  isolate(a: NodeId): void {
    for (const b of this.members.keys()) if (b !== a) this.cut(a, b);
  }

  rejoin(a: NodeId): void {
    for (const b of this.members.keys()) if (b !== a) this.heal(a, b);
  }

  /** Connects a raw peer with key `publicKey` to `target`, appearing to come from `address`
   * (default "raw:1"; the handshake caps count connections per host, the part before the last ":"). */
  rawConnect(target: NodeId, publicKey: Uint8Array, address = "raw:1"): RawPeer {
    const m = this.members.get(target);
    if (!m?.started) throw TransportError.peerGone(target, "rawConnect");
    const ours = new MemoryLink(publicKey, m.key, m.address, false);
    const theirs = new MemoryLink(m.key, publicKey, address, false);
    ours.other = theirs;
    theirs.other = ours;
    const received: Uint8Array[] = [];
    let resolveClosed!: (r: string) => void;
    const closed = new Promise<string>((r) => (resolveClosed = r));
    ours.attach({ data: (c) => received.push(c), close: (r) => resolveClosed(r) });
    m.core.accept(theirs);
    return { publicKey, received, closed, write: (b) => ours.write(b), close: () => ours.close("raw peer closed") };
  }

  private connect(a: NodeId, b: NodeId): void {
    const key = pairKey(a, b);
    const ma = this.members.get(a);
    const mb = this.members.get(b);
    if (!ma?.started || !mb?.started || ma.topic !== mb.topic || this.cuts.has(key) || this.links.has(key)) return;
    const la = new MemoryLink(ma.key, mb.key, mb.address, this.opts.splitWrites ?? false);
    const lb = new MemoryLink(mb.key, ma.key, ma.address, this.opts.splitWrites ?? false);
    la.other = lb;
    lb.other = la;
    this.links.set(key, la);
    const openedAt = Date.now();
    la.onClosed = () => {
      if (this.links.get(key) === la) this.links.delete(key);
      const p = this.partitions.get(key);
      if (p?.link === la) {
        clearTimeout(p.timer);
        this.partitions.delete(key);
      }
      this.scheduleReconnect(a, b, Date.now() - openedAt > 1000);
    };
    ma.core.accept(la);
    mb.core.accept(lb);
  }

  private scheduleReconnect(a: NodeId, b: NodeId, lastWasHealthy: boolean): void {
    const key = pairKey(a, b);
    if (this.cuts.has(key) || !this.members.has(a) || !this.members.has(b)) return;
    const r = this.retries.get(key) ?? { attempts: 0 };
    if (lastWasHealthy) r.attempts = 0;
    clearTimeout(r.timer);
    const delay = Math.min(1000, (this.opts.reconnectMs ?? 20) * 2 ** r.attempts++);
    r.timer = setTimeout(() => this.connect(a, b), delay);
    this.retries.set(key, r);
  }
}

function pairKey(a: NodeId, b: NodeId): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
