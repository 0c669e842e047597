/**
 * Single-node ReplicatedLog on bun:sqlite: every proposal is committed as soon as it is durable on
 * this machine's disk. Tables: `entries` (the log, one row per proposal, with a CRC-32), `snapshot`
 * (at most one row) and `meta` (schema version; Raft's hard state later).
 *
 * Durability: WAL journal with synchronous=FULL by default, so an entry whose `propose` resolved
 * survives kill -9 of the process and a power cut. `synchronous: "normal"` survives kill -9 only.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Database } from "bun:sqlite";
import { SwarmError } from "../api/index.ts";
import { entryChecksum } from "./codec.ts";
import type { LogEntry, Recovered, ReplicatedLog, Snapshot } from "./log.ts";

export interface LocalLogOptions {
  /** SQLite file; its directory is created if missing. */
  path: string;
  /** "full" (default): durable on power loss. "normal": durable on process crash only, faster. */
  synchronous?: "full" | "normal";
}

const SCHEMA_VERSION = "1";
const TERM = 1; // a single node never changes term

interface EntryRow {
  idx: number;
  term: number;
  data: Uint8Array;
  crc: number;
}

export class LocalLog implements ReplicatedLog {
  private readonly db: Database;
  private lastIndex = 0;
  private listeners = new Set<(e: LogEntry) => void>();
  private closed = false;

  constructor(readonly opts: LocalLogOptions) {
    this.db = openDatabase(opts);
  }

  recover(): Recovered {
    const snapRow = this.db.query<EntryRow, []>("SELECT idx, term, data, crc FROM snapshot WHERE id = 1").get();
    let snapshot: Snapshot | undefined;
    if (snapRow !== null) {
      const data = new Uint8Array(snapRow.data);
      if (entryChecksum(snapRow.idx, snapRow.term, data) !== snapRow.crc) {
        throw new SwarmError(
          "INTERNAL",
          `the snapshot in ${this.opts.path} is corrupt (checksum mismatch); restore the data directory from a backup or run \`swarm leave --force\` and init again`,
        );
      }
      snapshot = { index: snapRow.idx, term: snapRow.term, data };
    }
    const base = snapshot?.index ?? 0;
    // Leftovers at or below the snapshot are covered by it.
    this.db.query("DELETE FROM entries WHERE idx <= ?").run(base);
    const rows = this.db.query<EntryRow, [number]>("SELECT idx, term, data, crc FROM entries WHERE idx > ? ORDER BY idx").all(base);
    const entries: LogEntry[] = [];
    let expected = base + 1;
    let discarded = 0;
    for (const r of rows) {
      const data = new Uint8Array(r.data);
      if (r.idx !== expected || entryChecksum(r.idx, r.term, data) !== r.crc) {
        // Everything from the first bad entry on is an unusable tail: drop it so the log has no gap.
        discarded = rows.length - entries.length;
        this.db.query("DELETE FROM entries WHERE idx >= ?").run(r.idx);
        break;
      }
      entries.push({ index: r.idx, term: r.term, data });
      expected += 1;
    }
    this.lastIndex = expected - 1;
    const out: Recovered = { entries, discarded };
    if (snapshot) out.snapshot = snapshot;
    return out;
  }

  async propose(data: Uint8Array): Promise<number> {
    if (this.closed) throw SwarmError.unavailable("the store is closed; restart the agent");
    const index = this.lastIndex + 1;
    const copy = data.slice();
    try {
      this.db
        .query("INSERT INTO entries (idx, term, data, crc) VALUES (?, ?, ?, ?)")
        .run(index, TERM, copy, entryChecksum(index, TERM, copy));
    } catch (e) {
      throw SwarmError.unavailable(
        `cannot write to the state database ${this.opts.path}: ${(e as Error).message}; check free space and permissions`,
      );
    }
    this.lastIndex = index;
    const entry: LogEntry = { index, term: TERM, data: copy };
    for (const fn of [...this.listeners]) fn(entry);
    return index;
  }

  onCommitted(fn: (entry: LogEntry) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  compact(s: Snapshot): void {
    if (this.closed) return;
    const cur = this.db.query<{ idx: number }, []>("SELECT idx FROM snapshot WHERE id = 1").get();
    if (cur !== null && cur.idx >= s.index) return;
    this.db.transaction(() => {
      this.db
        .query("INSERT OR REPLACE INTO snapshot (id, idx, term, data, crc) VALUES (1, ?, ?, ?, ?)")
        .run(s.index, s.term, s.data, entryChecksum(s.index, s.term, s.data));
      this.db.query("DELETE FROM entries WHERE idx <= ?").run(s.index);
    })();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.db.close();
  }
}

/** Opens (creating if needed) and checks the database; closes it again on any failure. */
function openDatabase(opts: LocalLogOptions): Database {
  let db: Database | undefined;
  try {
    mkdirSync(dirname(opts.path), { recursive: true });
    db = new Database(opts.path, { create: true, strict: true });
    // One agent per data directory: the lock is held until close (or until the process dies).
    db.exec("PRAGMA locking_mode = EXCLUSIVE");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(`PRAGMA synchronous = ${opts.synchronous === "normal" ? "NORMAL" : "FULL"}`);
    db.exec(`
      CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, data BLOB NOT NULL, crc INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), idx INTEGER NOT NULL, term INTEGER NOT NULL, data BLOB NOT NULL, crc INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    const v = db.query<{ value: string }, []>("SELECT value FROM meta WHERE key = 'schema'").get();
    if (v === null) db.query("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
    else if (v.value !== SCHEMA_VERSION) {
      throw new SwarmError(
        "INTERNAL",
        `the state database ${opts.path} has schema ${v.value}, this binary reads ${SCHEMA_VERSION}; use a matching swarm binary`,
      );
    }
    return db;
  } catch (e) {
    db?.close();
    if (e instanceof SwarmError) throw e;
    const msg = (e as Error).message;
    if (/locked|busy/i.test(msg)) {
      throw SwarmError.unavailable(
        `the state database ${opts.path} is in use by another process; is another swarm agent running with this data directory?`,
      );
    }
    throw SwarmError.unavailable(
      `cannot open the state database ${opts.path}: ${msg}; check the data directory's permissions and free space`,
    );
  }
}
