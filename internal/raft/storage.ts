// Durable state of one Raft node, behind a small interface with an in-memory twin (MemoryStorage) and
// the real thing on bun:sqlite (SqliteStorage). Both pass test/raft/storage.test.ts.
import { EntryType } from "./types.ts";
import type { Entry, HardState, Snapshot } from "./types.ts";

export interface StoredState {
  hardState: HardState;
  snapshot: Snapshot | null;
  /** Entries after the snapshot, contiguous. */
  entries: Entry[];
  /** If a torn or corrupt tail was found on load: the first index dropped (entries from there on were
   * deleted, never handed to Raft). Null when the log was intact. */
  truncatedFrom: number | null;
}

/** What start-up needs besides the entries themselves (which it then pages through with entries()). */
export interface StoredMeta {
  hardState: HardState;
  snapshot: Snapshot | null;
  /** Index of the last stored entry (the snapshot's index if there is none; 0 if empty). */
  lastIndex: number;
  /** Every Conf entry after the snapshot, in order (membership is rebuilt from them without reading the
   * whole log). */
  confs: Entry[];
  truncatedFrom: number | null;
}

/** Reads of stored log entries; the core's log falls back to it for entries it no longer keeps in
 * memory (entries the state machine has applied). */
export interface LogReader {
  /** The term of stored entry i; undefined if it is not stored. */
  term(i: number): number | undefined;
  /** Stored entries lo..hi (inclusive, contiguous from lo), at most maxCount of them and, after the
   * first, at most maxBytes of data. Fewer (or none) if the log does not reach that far. */
  entries(lo: number, hi: number, maxCount: number, maxBytes?: number): Entry[];
}

/** One atomic write, in the order of a Ready: snapshot, then entries, then hard state. */
export interface StorageWrite {
  hardState: HardState | null;
  snapshot: Snapshot | null;
  entries: readonly Entry[];
}

/** Contract:
 * - save() is atomic and durable when it returns (the caller sends messages only afterwards). A save
 *   that only advances hardState.commit may skip the flush: commit is relearned from the leader.
 * - snapshot: replaces the stored snapshot and deletes entries up to its index; if the stored entry at
 *   its index does not have its term (an installed snapshot), deletes every entry.
 * - entries: entries[0].index..: deletes stored entries from entries[0].index on, then stores these.
 * - load() returns exactly what was saved (minus a corrupt tail, reported in truncatedFrom);
 *   loadMeta() is the same without the entries (it checks them all, holding a page at a time), and
 *   entries()/term() read them (LogReader). */
export interface RaftStorage extends LogReader {
  load(): StoredState;
  loadMeta(): StoredMeta;
  save(w: StorageWrite): void;
  close(): void;
}

const EMPTY_HARD: HardState = { term: 0, vote: null, commit: 0 };

/** In-memory twin: same contract, nothing survives the process. Also what the simulator uses (it keeps
 * the object across simulated crashes). */
export class MemoryStorage implements RaftStorage {
  private hard: HardState = EMPTY_HARD;
  private snap: Snapshot | null = null;
  private ents: Entry[] = [];

  load(): StoredState {
    return { hardState: this.hard, snapshot: this.snap, entries: [...this.ents], truncatedFrom: null };
  }

  loadMeta(): StoredMeta {
    const lastIndex = this.ents.length > 0 ? this.ents[this.ents.length - 1]!.index : (this.snap?.index ?? 0);
    return { hardState: this.hard, snapshot: this.snap, lastIndex, confs: this.ents.filter((e) => e.type === EntryType.Conf), truncatedFrom: null };
  }

  private at(i: number): number {
    const first = this.ents.length > 0 ? this.ents[0]!.index : 0;
    return i - first;
  }

  term(i: number): number | undefined {
    return this.ents[this.at(i)]?.term;
  }

  entries(lo: number, hi: number, maxCount: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    for (let k = Math.max(0, this.at(lo)); k < this.ents.length && out.length < maxCount; k++) {
      const e = this.ents[k]!;
      if (e.index > hi) break;
      bytes += e.data.length;
      if (bytes > maxBytes && out.length > 0) break;
      out.push(e);
    }
    return out.length > 0 && out[0]!.index === lo ? out : [];
  }

  save(w: StorageWrite): void {
    if (w.snapshot) this.saveSnapshot(w.snapshot);
    if (w.entries.length > 0) this.saveEntries(w.entries);
    if (w.hardState) this.hard = w.hardState;
  }

  /** Parts of save(), exposed so the simulator can tear a write in the middle. */
  saveSnapshot(s: Snapshot): void {
    const at = this.ents.find((e) => e.index === s.index);
    this.snap = s;
    this.ents = at && at.term === s.term ? this.ents.filter((e) => e.index > s.index) : [];
  }

  saveEntries(entries: readonly Entry[]): void {
    const first = entries[0]!.index;
    this.ents = this.ents.filter((e) => e.index < first);
    const last = this.ents.length > 0 ? this.ents[this.ents.length - 1]!.index : (this.snap?.index ?? 0);
    if (first !== last + 1) throw new Error(`storage: entries start at ${first} but the log ends at ${last}`);
    this.ents.push(...entries);
  }

  saveHardState(h: HardState): void {
    this.hard = h;
  }

  close(): void {}
}
