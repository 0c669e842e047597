// RaftStorage on bun:sqlite. WAL with synchronous=FULL: save() is one transaction, durable on return.
// One exception: a save that only advances the commit index is not fsynced (WAL keeps it ordered before
// the next synced write; after a power loss the commit index is simply relearned from the leader).
// Every row carries a CRC32 over its fields; load() verifies them, and a torn or corrupt tail of the log
// (bad checksum or a gap) is deleted and reported, never handed to Raft. A corrupt hard state or snapshot
// cannot be repaired locally and throws RaftError(StorageCorrupt).
import { Database } from "bun:sqlite";
import { RaftError } from "./errors.ts";
import type { RaftStorage, StorageWrite, StoredMeta, StoredState } from "./storage.ts";
import { EntryType } from "./types.ts";
import type { ConfState, Entry, HardState, Snapshot } from "./types.ts";

/** Rows read at a time when checking the whole log at start-up. */
const PAGE = 1000;

const enc = new TextEncoder();

function crc(index: number, term: number, type: number, data: Uint8Array): number {
  const head = enc.encode(`${index}:${term}:${type}:${data.length}:`);
  const buf = new Uint8Array(head.length + data.length);
  buf.set(head, 0);
  buf.set(data, head.length);
  return Bun.hash.crc32(buf);
}

interface EntryRow {
  idx: number;
  term: number;
  type: number;
  data: Uint8Array;
  crc: number;
}
interface SnapRow {
  idx: number;
  term: number;
  conf: string;
  data: Uint8Array;
  crc: number;
}

export class SqliteStorage implements RaftStorage {
  private readonly db: Database;
  private readonly q;
  private readonly txn: (w: StorageWrite) => void;
  private synced: HardState = { term: 0, vote: null, commit: 0 };
  private fullSync = true;

  /** `path`: the database file (created if missing). */
  constructor(path: string) {
    this.db = new Database(path, { create: true, strict: true });
    this.db.exec("PRAGMA journal_mode = WAL");
    this.db.exec("PRAGMA synchronous = FULL");
    this.db.exec(`CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL,
      type INTEGER NOT NULL, data BLOB NOT NULL, crc INTEGER NOT NULL)`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS hard_state (id INTEGER PRIMARY KEY CHECK (id = 1),
      value TEXT NOT NULL, crc INTEGER NOT NULL)`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), idx INTEGER NOT NULL,
      term INTEGER NOT NULL, conf TEXT NOT NULL, data BLOB NOT NULL, crc INTEGER NOT NULL)`);
    this.q = {
      insEntry: this.db.prepare("INSERT INTO entries (idx, term, type, data, crc) VALUES (?, ?, ?, ?, ?)"),
      delFrom: this.db.prepare("DELETE FROM entries WHERE idx >= ?"),
      delUpTo: this.db.prepare("DELETE FROM entries WHERE idx <= ?"),
      delAll: this.db.prepare("DELETE FROM entries"),
      termAt: this.db.prepare<{ term: number }, [number]>("SELECT term FROM entries WHERE idx = ?"),
      range: this.db.prepare<EntryRow, [number, number, number]>(
        "SELECT idx, term, type, data, crc FROM entries WHERE idx >= ? AND idx <= ? ORDER BY idx LIMIT ?",
      ),
      putHard: this.db.prepare("INSERT OR REPLACE INTO hard_state (id, value, crc) VALUES (1, ?, ?)"),
      putSnap: this.db.prepare("INSERT OR REPLACE INTO snapshot (id, idx, term, conf, data, crc) VALUES (1, ?, ?, ?, ?, ?)"),
    };
    this.txn = this.db.transaction((w: StorageWrite) => this.write(w));
  }

  private write(w: StorageWrite): void {
    if (w.snapshot) {
      const s = w.snapshot;
      const at = this.q.termAt.get(s.index);
      if (at && at.term === s.term) this.q.delUpTo.run(s.index);
      else this.q.delAll.run();
      const conf = JSON.stringify(s.conf);
      this.q.putSnap.run(s.index, s.term, conf, s.data, crc(s.index, s.term, 0, concat(enc.encode(conf), s.data)));
    }
    if (w.entries.length > 0) {
      this.q.delFrom.run(w.entries[0]!.index);
      for (const e of w.entries) this.q.insEntry.run(e.index, e.term, e.type, e.data, crc(e.index, e.term, e.type, e.data));
    }
    if (w.hardState) {
      const v = JSON.stringify(w.hardState);
      this.q.putHard.run(v, Bun.hash.crc32(v));
    }
  }

  save(w: StorageWrite): void {
    if (!w.snapshot && w.entries.length === 0 && !w.hardState) return;
    const h = w.hardState;
    const commitOnly = !w.snapshot && w.entries.length === 0 && h !== null && h.term === this.synced.term && h.vote === this.synced.vote;
    if (commitOnly === this.fullSync) {
      this.fullSync = !commitOnly;
      this.db.exec(`PRAGMA synchronous = ${this.fullSync ? "FULL" : "NORMAL"}`);
    }
    this.txn(w);
    if (h) this.synced = h;
  }

  /** Everything, entries included (for tools and tests; start-up uses loadMeta() and pages). */
  load(): StoredState {
    const m = this.loadMeta();
    const from = (m.snapshot?.index ?? 0) + 1;
    const entries = m.lastIndex >= from ? this.entries(from, m.lastIndex, Number.MAX_SAFE_INTEGER) : [];
    return { hardState: m.hardState, snapshot: m.snapshot, entries, truncatedFrom: m.truncatedFrom };
  }

  /** Hard state, snapshot and the log's extent. Checks every entry (checksum, contiguity) a page at a
   * time; a torn or corrupt tail is deleted and reported. */
  loadMeta(): StoredMeta {
    let hardState: HardState = { term: 0, vote: null, commit: 0 };
    const h = this.db.query<{ value: string; crc: number }, []>("SELECT value, crc FROM hard_state WHERE id = 1").get();
    if (h) {
      if (Bun.hash.crc32(h.value) !== h.crc) throw RaftError.storageCorrupt("hard state checksum mismatch");
      hardState = JSON.parse(h.value) as HardState;
      this.synced = hardState;
    }
    let snapshot: Snapshot | null = null;
    const s = this.db.query<SnapRow, []>("SELECT idx, term, conf, data, crc FROM snapshot WHERE id = 1").get();
    if (s) {
      const data = new Uint8Array(s.data);
      if (crc(s.idx, s.term, 0, concat(enc.encode(s.conf), data)) !== s.crc) throw RaftError.storageCorrupt("snapshot checksum mismatch");
      snapshot = { index: s.idx, term: s.term, conf: JSON.parse(s.conf) as ConfState, data };
    }
    const confs: Entry[] = [];
    let truncatedFrom: number | null = null;
    let expect = (snapshot?.index ?? 0) + 1;
    // rows past the snapshot, in pages; stop at the first gap or bad checksum
    const first = this.db.query<{ idx: number }, [number]>("SELECT MIN(idx) AS idx FROM entries WHERE idx > ?").get(expect - 1);
    if (first && first.idx !== null && first.idx !== expect) truncatedFrom = expect;
    scan: while (truncatedFrom === null) {
      const rows = this.q.range.all(expect, Number.MAX_SAFE_INTEGER, PAGE);
      for (const r of rows) {
        const data = new Uint8Array(r.data);
        if (r.idx !== expect || crc(r.idx, r.term, r.type, data) !== r.crc) {
          truncatedFrom = Math.min(r.idx, expect);
          break scan;
        }
        if (r.type === EntryType.Conf) confs.push({ index: r.idx, term: r.term, type: EntryType.Conf, data });
        expect++;
      }
      if (rows.length < PAGE) break;
    }
    if (truncatedFrom !== null) this.q.delFrom.run(truncatedFrom);
    return { hardState, snapshot, lastIndex: expect - 1, confs, truncatedFrom };
  }

  term(i: number): number | undefined {
    return this.q.termAt.get(i)?.term;
  }

  entries(lo: number, hi: number, maxCount: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] {
    const rows = this.q.range.all(lo, hi, Math.min(maxCount, Number.MAX_SAFE_INTEGER));
    const out: Entry[] = [];
    let bytes = 0;
    for (const r of rows) {
      if (r.idx !== lo + out.length) break;
      bytes += r.data.length;
      if (bytes > maxBytes && out.length > 0) break;
      out.push({ index: r.idx, term: r.term, type: r.type as EntryType, data: new Uint8Array(r.data) });
    }
    return out;
  }

  close(): void {
    this.db.close();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
