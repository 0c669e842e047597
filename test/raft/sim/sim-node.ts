// One simulated Raft node: a RaftCore driven exactly as the real runner drives it (persist, send, apply),
// over MemoryStorage that survives simulated crashes. A crash may tear the write in progress.
import { MemoryStorage, RaftCore, ReadIds, seededRand } from "../../../internal/raft/index.ts";
import type { CoreConfig, Entry, Message, NodeId, Rand, Ready, Snapshot } from "../../../internal/raft/index.ts";
import { KvStore } from "./kv.ts";

/** What a node reports to the world it lives in (the simulator). */
export interface NodeHost {
  readonly rand: Rand;
  readonly coreConfig: Partial<CoreConfig>;
  send(m: Message): void;
  applied(n: SimNode, e: Entry): void;
  restored(n: SimNode, s: Snapshot): void;
  processed(n: SimNode): void;
  readReady(n: SimNode, id: number, index: number): void;
  readDropped(n: SimNode, id: number): void;
  crashed(n: SimNode): void;
  /** A fresh read-id source for each incarnation. */
  readIdsFactory(): { next(): number };
}

export class SimNode {
  readonly storage = new MemoryStorage();
  core: RaftCore | null = null;
  kv = new KvStore();
  /** Read ids of this incarnation, as the runner allocates them (unique across incarnations). */
  readIds: { next(): number } = { next: () => 0 };
  /** Crash during the next Ready, after persisting a random part of it. */
  tearNext = false;
  /** Removed from the cluster for good (never restarted). */
  retired = false;
  compactEvery: number;
  /** Applied entries the core keeps in memory (few, so it reads storage often). */
  retain: number;

  constructor(readonly id: NodeId, private readonly host: NodeHost) {
    this.compactEvery = host.rand.int(5, 40);
    this.retain = host.rand.int(0, 3);
  }

  get up(): boolean {
    return this.core !== null;
  }

  /** Start (or restart) from storage the way RaftNode.start() does: restore the snapshot, replay the
   * committed log a page at a time, then create the core holding only the entries not applied yet (the
   * rest it reads back from storage). */
  start(): void {
    const st = this.storage.loadMeta();
    this.kv = new KvStore();
    this.readIds = this.host.readIdsFactory();
    if (st.snapshot) {
      this.kv.restore(st.snapshot.index, st.snapshot.data);
      this.host.restored(this, st.snapshot);
    }
    let applied = st.snapshot?.index ?? 0;
    const commit = Math.min(st.hardState.commit, st.lastIndex);
    while (applied < commit) {
      for (const e of this.storage.entries(applied + 1, commit, 7)) {
        this.kv.apply(e);
        this.host.applied(this, e);
        applied = e.index;
      }
    }
    this.core = new RaftCore({
      id: this.id,
      rand: seededRand(this.host.rand.int(0, 2 ** 31)),
      config: this.host.coreConfig,
      hardState: st.hardState,
      snapshot: st.snapshot,
      entries: this.storage.entries(applied + 1, st.lastIndex, Number.MAX_SAFE_INTEGER),
      applied,
      stored: { reader: this.storage, confs: st.confs, lastIndex: st.lastIndex, retain: this.retain },
    });
    this.process();
  }

  crash(): void {
    if (!this.core) return;
    this.core = null;
    this.tearNext = false;
    this.host.crashed(this);
  }

  /** Drive the core until it has nothing more to do. */
  process(): void {
    while (this.core && this.core.hasReady()) {
      const rd = this.core.ready();
      if (this.tearNext) return this.tear(rd);
      this.storage.save(rd);
      for (const m of rd.messages) this.host.send(m);
      if (rd.snapshot && rd.installSnapshot) {
        this.kv.restore(rd.snapshot.index, rd.snapshot.data);
        this.host.restored(this, rd.snapshot);
      }
      for (const e of rd.committed) {
        this.kv.apply(e);
        this.host.applied(this, e);
      }
      for (const r of rd.readStates) this.host.readReady(this, r.id, r.index);
      for (const id of rd.droppedReads) this.host.readDropped(this, id);
      this.maybeCompact();
      this.host.processed(this);
    }
  }

  private maybeCompact(): void {
    const c = this.core!;
    if (this.kv.applied !== c.log.applied) throw new Error(`sim: kv applied ${this.kv.applied} != raft applied ${c.log.applied}`);
    if (c.log.applied - c.log.snapshot.index >= this.compactEvery) c.compact(this.kv.snapshot());
  }

  /** Crash in the middle of persisting `rd`: a random prefix of it reaches storage, nothing is sent. */
  private tear(rd: Ready): void {
    const r = this.host.rand;
    let ok = true;
    if (rd.snapshot) {
      ok = r.next() < 0.5;
      if (ok) this.storage.saveSnapshot(rd.snapshot);
    }
    if (ok && rd.entries.length > 0) {
      const k = r.int(0, rd.entries.length + 1);
      if (k > 0) this.storage.saveEntries(rd.entries.slice(0, k));
      ok = k === rd.entries.length;
    }
    if (ok && rd.hardState && r.next() < 0.5) this.storage.saveHardState(rd.hardState);
    this.crash();
  }

  step(m: Message): void {
    if (!this.core) return;
    this.core.step(m);
    this.process();
  }

  tick(): void {
    if (!this.core) return;
    this.core.tick();
    this.process();
  }
}
