// The core's in-memory view of its log: the latest snapshot plus the entries after it, the commit and
// applied indexes, and which entries/snapshot still have to be handed to storage. Pure; owned by the core.
import { decodeConfEntry, EMPTY_CONF, EMPTY_DATA, EntryType } from "./types.ts";
import type { ConfState, Entry, Snapshot } from "./types.ts";

export class RaftLog {
  snapshot: Snapshot;
  /** entries[k].index === snapshot.index + 1 + k */
  entries: Entry[];
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

  /** `applied`: how far the state machine already is (at least the snapshot, at most the commit index). */
  constructor(snapshot: Snapshot | null, entries: Entry[], commit: number, applied = 0) {
    this.snapshot = snapshot ?? { index: 0, term: 0, conf: EMPTY_CONF, data: EMPTY_DATA };
    this.entries = entries.filter((e) => e.index > this.snapshot.index);
    for (let k = 0; k < this.entries.length; k++) {
      if (this.entries[k]!.index !== this.snapshot.index + 1 + k) throw new Error("raft log: entries are not contiguous");
    }
    this.committed = Math.max(Math.min(commit, this.lastIndex()), this.snapshot.index);
    this.applied = Math.min(Math.max(applied, this.snapshot.index), this.committed);
    this.unstableFrom = this.lastIndex() + 1;
    this.recomputeConf();
  }

  firstIndex(): number {
    return this.snapshot.index + 1;
  }
  lastIndex(): number {
    return this.snapshot.index + this.entries.length;
  }
  lastTerm(): number {
    return this.term(this.lastIndex())!;
  }

  /** Term of the entry at i; undefined if compacted away or beyond the end. */
  term(i: number): number | undefined {
    if (i === this.snapshot.index) return this.snapshot.term;
    if (i < this.snapshot.index || i > this.lastIndex()) return undefined;
    return this.entries[i - this.snapshot.index - 1]!.term;
  }

  entry(i: number): Entry | undefined {
    if (i <= this.snapshot.index || i > this.lastIndex()) return undefined;
    return this.entries[i - this.snapshot.index - 1];
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
    let end = Math.min(hi, lo + max - 1);
    if (end < lo) return [];
    if (maxBytes !== Number.POSITIVE_INFINITY) {
      let bytes = 0;
      for (let i = lo; i <= end; i++) {
        bytes += this.entries[i - this.snapshot.index - 1]!.data.length;
        if (bytes > maxBytes && i > lo) {
          end = i - 1;
          break;
        }
      }
    }
    return this.entries.slice(lo - this.snapshot.index - 1, end - this.snapshot.index);
  }

  /** Leader: append fresh entries at the end. */
  append(ents: Entry[]): void {
    if (ents.length === 0) return;
    this.entries.push(...ents);
    if (ents.some((e) => e.type === EntryType.Conf)) this.recomputeConf();
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
      this.entries.push(...ents.slice(k));
      if (ents.slice(k).some((e) => e.type === EntryType.Conf) || this.confIndex >= from) this.recomputeConf();
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  private truncateFrom(from: number): void {
    if (from <= this.lastIndex()) {
      this.entries.length = from - this.snapshot.index - 1;
      this.unstableFrom = Math.min(this.unstableFrom, from);
      if (this.confIndex >= from) this.recomputeConf();
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
    const conf = this.confAt(index);
    const s: Snapshot = { index, term: this.term(index)!, conf, data };
    this.entries = this.entries.slice(index - this.snapshot.index);
    this.snapshot = s;
    if (!this.pendingInstall) this.pendingSnapshot = s;
    return s;
  }

  private confAt(index: number): ConfState {
    for (let i = index; i > this.snapshot.index; i--) {
      const e = this.entry(i)!;
      if (e.type === EntryType.Conf) return decodeConfEntry(e.data).conf;
    }
    return this.snapshot.conf;
  }

  private recomputeConf(): void {
    for (let i = this.lastIndex(); i > this.snapshot.index; i--) {
      const e = this.entry(i)!;
      if (e.type === EntryType.Conf) {
        this.conf = decodeConfEntry(e.data).conf;
        this.confIndex = i;
        this.prevConf = this.confAt(i - 1);
        return;
      }
    }
    this.conf = this.prevConf = this.snapshot.conf;
    this.confIndex = this.snapshot.index;
  }

  /** Hand out entries to persist. */
  takeUnstable(): Entry[] {
    const from = Math.max(this.unstableFrom, this.firstIndex());
    const out = from <= this.lastIndex() ? this.entries.slice(from - this.snapshot.index - 1) : [];
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
