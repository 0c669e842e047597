// The core's view of its log: the latest snapshot plus the entries after it, the commit and applied
// indexes, and which entries/snapshot still have to be handed to storage. Pure; owned by the core.
//
// Memory: without a reader, every entry after the snapshot stays in memory. With a reader (the node's
// storage), entries the state machine has applied — which are persisted and can never change again,
// since conflicts are only ever above the commit index — are dropped from memory except for the last
// RETAIN_APPLIED of them, and read back from storage when needed (a lagging follower, an old term).
import { decodeConfEntry, EMPTY_CONF, EMPTY_DATA, EntryType } from "./types.ts";
import type { ConfState, Entry, Snapshot } from "./types.ts";
import type { LogReader } from "./storage.ts";

/** Applied entries kept in memory behind the applied index (so replication to up-to-date followers and
 * term lookups near the end never touch storage). */
export const RETAIN_APPLIED = 64;

/** Entries in storage the log may rely on instead of holding them. */
export interface StoredLog {
  reader: LogReader;
  /** Every Conf entry stored after the snapshot and before the entries given to the log. */
  confs: readonly Entry[];
  /** The last stored index (used when no entry is given to the log). */
  lastIndex: number;
  /** Applied entries to keep in memory (default RETAIN_APPLIED; the simulator uses 0-2 to read storage
   * as often as possible). */
  retain?: number;
}

export class RaftLog {
  snapshot: Snapshot;
  /** Entries in memory: entries[k].index === base + 1 + k. Entries in (snapshot.index, base] are in
   * storage (only with a reader; otherwise base === snapshot.index). */
  private entries: Entry[];
  private base: number;
  private readonly reader: LogReader | null;
  private readonly retain: number;
  /** Conf entries in (snapshot.index, lastIndex], in order. */
  private confs: Entry[];
  committed: number;
  /** Highest index handed out for applying (in a Ready). */
  applied: number;
  /** First index not yet handed to storage. */
  unstableFrom: number;
  /** A snapshot to hand to storage (installed from the leader, or made by compact()). */
  pendingSnapshot: Snapshot | null = null;
  pendingInstall = false;
  /** Membership in force: from the last Conf entry in the log, else from the snapshot. */
  conf: ConfState = EMPTY_CONF;
  confIndex = 0;
  /** Membership before the last Conf entry (equal to conf when that entry is in the snapshot). */
  prevConf: ConfState = EMPTY_CONF;

  /** `entries`: contiguous, after the snapshot. Without `stored` they must be every entry after it; with
   * it they may start later (the earlier ones are in storage), but not after `applied` + 1.
   * `applied`: how far the state machine already is (at least the snapshot, at most the commit index). */
  constructor(snapshot: Snapshot | null, entries: Entry[], commit: number, applied = 0, stored?: StoredLog) {
    this.snapshot = snapshot ?? { index: 0, term: 0, conf: EMPTY_CONF, data: EMPTY_DATA };
    this.reader = stored?.reader ?? null;
    this.retain = stored?.retain ?? RETAIN_APPLIED;
    this.entries = entries.filter((e) => e.index > this.snapshot.index);
    if (stored) this.base = this.entries.length > 0 ? this.entries[0]!.index - 1 : Math.max(stored.lastIndex, this.snapshot.index);
    else this.base = this.snapshot.index;
    for (let k = 0; k < this.entries.length; k++) {
      if (this.entries[k]!.index !== this.base + 1 + k) throw new Error("raft log: entries are not contiguous");
    }
    this.committed = Math.max(Math.min(commit, this.lastIndex()), this.snapshot.index);
    this.applied = Math.min(Math.max(applied, this.snapshot.index), this.committed);
    if (this.base > this.applied) throw new Error(`raft log: entries from ${this.base + 1} given but only ${this.applied} applied`);
    this.unstableFrom = this.lastIndex() + 1;
    this.confs = [...(stored?.confs ?? []).filter((e) => e.index > this.snapshot.index && e.index <= this.base), ...this.entries.filter(isConf)];
    this.recomputeConf();
  }

  firstIndex(): number {
    return this.snapshot.index + 1;
  }
  lastIndex(): number {
    return this.base + this.entries.length;
  }
  lastTerm(): number {
    return this.term(this.lastIndex())!;
  }

  /** Term of the entry at i; undefined if compacted away or beyond the end. */
  term(i: number): number | undefined {
    if (i === this.snapshot.index) return this.snapshot.term;
    if (i < this.snapshot.index || i > this.lastIndex()) return undefined;
    if (i > this.base) return this.entries[i - this.base - 1]!.term;
    const t = this.reader!.term(i);
    if (t === undefined) throw new Error(`raft log: storage lost entry ${i} (log ${this.snapshot.index + 1}..${this.lastIndex()})`);
    return t;
  }

  entry(i: number): Entry | undefined {
    if (i <= this.snapshot.index || i > this.lastIndex()) return undefined;
    if (i > this.base) return this.entries[i - this.base - 1];
    return this.stored(i, i, 1)[0];
  }

  /** Entries lo..hi from storage, which must hold them. */
  private stored(lo: number, hi: number, max: number, maxBytes?: number): Entry[] {
    const out = this.reader!.entries(lo, hi, max, maxBytes);
    if (out.length === 0) throw new Error(`raft log: storage lost entry ${lo} (log ${this.snapshot.index + 1}..${this.lastIndex()})`);
    return out;
  }

  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t;
  }

  /** Raft's up-to-date rule for granting votes. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Entries [lo, hi] capped at max count and, after the first entry, at maxBytes of payload. Caller
   * ensures lo > snapshot.index. */
  slice(lo: number, hi: number, max: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] {
    const end = Math.min(hi, lo + max - 1);
    if (end < lo) return [];
    const out: Entry[] = lo <= this.base ? this.stored(lo, Math.min(end, this.base), max, maxBytes) : [];
    let bytes = out.reduce((a, e) => a + e.data.length, 0);
    if (out.length > 0 && (out[out.length - 1]!.index < Math.min(end, this.base) || bytes > maxBytes)) return out;
    for (let i = Math.max(lo, this.base + 1); i <= end; i++) {
      const e = this.entries[i - this.base - 1]!;
      bytes += e.data.length;
      if (bytes > maxBytes && (out.length > 0 || i > lo)) break;
      out.push(e);
    }
    return out;
  }

  /** Leader: append fresh entries at the end. */
  append(ents: Entry[]): void {
    if (ents.length === 0) return;
    this.entries.push(...ents);
    const confs = ents.filter(isConf);
    if (confs.length > 0) this.confs.push(...confs), this.recomputeConf();
  }

  /** Follower: entries from the leader following (index, logTerm). Returns the last new index, or null
   * if the log does not contain (index, logTerm). Never truncates committed entries. */
  maybeAppend(index: number, logTerm: number, commit: number, ents: readonly Entry[]): number | null {
    if (!this.matchTerm(index, logTerm)) return null;
    const lastNew = index + ents.length;
    let k = 0;
    while (k < ents.length && this.matchTerm(ents[k]!.index, ents[k]!.term)) k++;
    if (k < ents.length) {
      const from = ents[k]!.index;
      if (from <= this.committed) throw new Error(`raft log: conflict at ${from} below commit ${this.committed}`);
      this.truncateFrom(from);
      const fresh = ents.slice(k);
      this.entries.push(...fresh);
      this.confs.push(...fresh.filter(isConf));
      this.recomputeConf();
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  /** Drop entries from `from` on (above the commit index, hence in memory). */
  private truncateFrom(from: number): void {
    if (from <= this.lastIndex()) {
      if (from <= this.base) throw new Error(`raft log: truncating ${from} at or below the stored prefix ${this.base}`);
      this.entries.length = from - this.base - 1;
      this.unstableFrom = Math.min(this.unstableFrom, from);
      this.confs = this.confs.filter((e) => e.index < from);
    }
  }

  commitTo(i: number): void {
    if (i > this.committed) {
      if (i > this.lastIndex()) throw new Error(`raft log: commit ${i} beyond last index ${this.lastIndex()}`);
      this.committed = i;
    }
  }

  /** Replace the whole log by a snapshot from the leader. */
  restore(s: Snapshot): void {
    this.snapshot = s;
    this.entries = [];
    this.base = s.index;
    this.confs = [];
    this.committed = s.index;
    this.applied = s.index;
    this.unstableFrom = s.index + 1;
    this.pendingSnapshot = s;
    this.pendingInstall = true;
    this.recomputeConf();
  }

  /** Compact up to `applied` with the application's state `data` at that index. */
  compact(data: Uint8Array): Snapshot | null {
    const index = this.applied;
    if (index <= this.snapshot.index || index >= this.unstableFrom) return null;
    const s: Snapshot = { index, term: this.term(index)!, conf: this.confAt(index), data };
    if (index > this.base) {
      this.entries = this.entries.slice(index - this.base);
      this.base = index;
    }
    this.confs = this.confs.filter((e) => e.index > index);
    this.snapshot = s;
    if (!this.pendingInstall) this.pendingSnapshot = s;
    return s;
  }

  /** With a reader: forget applied entries (persisted, immutable) but the last `retain`. Call
   * only once the entries handed out for persisting have been persisted. */
  release(): void {
    if (!this.reader) return;
    const upTo = Math.min(this.applied - this.retain, this.unstableFrom - 1);
    if (upTo <= this.base) return;
    this.entries = this.entries.slice(upTo - this.base);
    this.base = upTo;
  }

  /** Entries held in memory (for tests and status). */
  get inMemory(): number {
    return this.entries.length;
  }

  private confAt(index: number): ConfState {
    for (let k = this.confs.length - 1; k >= 0; k--) {
      const e = this.confs[k]!;
      if (e.index <= index) return decodeConfEntry(e.data).conf;
    }
    return this.snapshot.conf;
  }

  private recomputeConf(): void {
    const last = this.confs[this.confs.length - 1];
    if (last) {
      this.conf = decodeConfEntry(last.data).conf;
      this.confIndex = last.index;
      this.prevConf = this.confAt(last.index - 1);
      return;
    }
    this.conf = this.prevConf = this.snapshot.conf;
    this.confIndex = this.snapshot.index;
  }

  /** Hand out entries to persist. */
  takeUnstable(): Entry[] {
    const from = Math.max(this.unstableFrom, this.base + 1);
    const out = from <= this.lastIndex() ? this.entries.slice(from - this.base - 1) : [];
    this.unstableFrom = this.lastIndex() + 1;
    return out;
  }

  /** Hand out committed entries to apply. */
  takeCommitted(): Entry[] {
    if (this.committed <= this.applied) return [];
    const out = this.slice(this.applied + 1, this.committed, Number.MAX_SAFE_INTEGER);
    this.applied = this.committed;
    return out;
  }

  hasUnstable(): boolean {
    return this.unstableFrom <= this.lastIndex() || this.pendingSnapshot !== null;
  }
}

function isConf(e: Entry): boolean {
  return e.type === EntryType.Conf;
}
