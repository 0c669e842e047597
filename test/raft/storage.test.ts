// One suite for both RaftStorage implementations (the in-memory twin must behave like sqlite), plus
// sqlite-only checks: durability across reopen and detection of a corrupt or torn tail.
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EntryType, MemoryStorage, RaftErrorCode, SqliteStorage } from "../../internal/raft/index.ts";
import type { Entry, RaftStorage, Snapshot } from "../../internal/raft/index.ts";

const dir = mkdtempSync(join(tmpdir(), "raft-storage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dbPath = () => join(dir, `s${++n}.db`);

const enc = new TextEncoder();
const ent = (index: number, term: number, text = `e${index}`): Entry => ({ index, term, type: EntryType.Normal, data: enc.encode(text) });
const range = (lo: number, hi: number, term: number) => Array.from({ length: hi - lo + 1 }, (_, i) => ent(lo + i, term));
const snap = (index: number, term: number): Snapshot => ({ index, term, conf: { voters: ["a", "b"], learners: ["c"] }, data: enc.encode(`state@${index}`) });
const indexes = (s: RaftStorage) => s.load().entries.map((e) => `${e.index}:${e.term}`);

const impls: [string, () => RaftStorage][] = [
  ["MemoryStorage", () => new MemoryStorage()],
  ["SqliteStorage", () => new SqliteStorage(dbPath())],
];

for (const [name, make] of impls) {
  describe(`RaftStorage contract: ${name}`, () => {
    test("a new storage is empty", () => {
      const s = make();
      expect(s.load()).toEqual({ hardState: { term: 0, vote: null, commit: 0 }, snapshot: null, entries: [], truncatedFrom: null });
      s.close();
    });

    test("saves and loads entries and hard state", () => {
      const s = make();
      s.save({ hardState: { term: 2, vote: "b", commit: 3 }, snapshot: null, entries: range(1, 5, 2) });
      const st = s.load();
      expect(st.hardState).toEqual({ term: 2, vote: "b", commit: 3 });
      expect(st.entries).toEqual(range(1, 5, 2));
      s.close();
    });

    test("appending at an earlier index replaces the conflicting suffix", () => {
      const s = make();
      s.save({ hardState: null, snapshot: null, entries: range(1, 5, 1) });
      s.save({ hardState: null, snapshot: null, entries: range(3, 4, 2) });
      expect(indexes(s)).toEqual(["1:1", "2:1", "3:2", "4:2"]);
      s.close();
    });

    test("a snapshot that matches the log compacts the prefix and keeps the suffix", () => {
      const s = make();
      s.save({ hardState: null, snapshot: null, entries: range(1, 6, 1) });
      s.save({ hardState: null, snapshot: snap(4, 1), entries: [] });
      const st = s.load();
      expect(st.snapshot).toEqual(snap(4, 1));
      expect(indexes(s)).toEqual(["5:1", "6:1"]);
      s.save({ hardState: null, snapshot: null, entries: [ent(7, 1)] });
      expect(indexes(s)).toEqual(["5:1", "6:1", "7:1"]);
      s.close();
    });

    test("an installed snapshot that does not match the log replaces the whole log", () => {
      const s = make();
      s.save({ hardState: null, snapshot: null, entries: range(1, 6, 1) });
      s.save({ hardState: { term: 3, vote: null, commit: 10 }, snapshot: snap(10, 3), entries: [ent(11, 3)] });
      const st = s.load();
      expect(st.snapshot?.index).toBe(10);
      expect(indexes(s)).toEqual(["11:3"]);
      expect(st.hardState.commit).toBe(10);
      s.close();
    });

    test("an installed snapshot at an index the log has with another term drops the stale suffix", () => {
      const s = make();
      s.save({ hardState: null, snapshot: null, entries: range(1, 8, 1) });
      s.save({ hardState: null, snapshot: snap(5, 2), entries: [] });
      expect(indexes(s)).toEqual([]);
      s.close();
    });

    test("loadMeta gives the extent of the log and its membership entries without the entries", () => {
      const s = make();
      expect(s.loadMeta()).toEqual({ hardState: { term: 0, vote: null, commit: 0 }, snapshot: null, lastIndex: 0, confs: [], truncatedFrom: null });
      const conf = (index: number): Entry => ({ index, term: 1, type: EntryType.Conf, data: enc.encode(`{"c":${index}}`) });
      s.save({ hardState: { term: 1, vote: null, commit: 4 }, snapshot: null, entries: [conf(1), ...range(2, 5, 1), conf(6), ...range(7, 2500, 1)] });
      expect(s.loadMeta()).toEqual({ hardState: { term: 1, vote: null, commit: 4 }, snapshot: null, lastIndex: 2500, confs: [conf(1), conf(6)], truncatedFrom: null });
      s.save({ hardState: null, snapshot: snap(3, 1), entries: [] });
      expect(s.loadMeta()).toMatchObject({ snapshot: snap(3, 1), lastIndex: 2500, confs: [conf(6)] });
      s.save({ hardState: null, snapshot: snap(2600, 2), entries: [] });
      expect(s.loadMeta()).toMatchObject({ lastIndex: 2600, confs: [] });
      s.close();
    });

    test("entries() and term() read ranges, capped by count and bytes (the first entry always comes)", () => {
      const s = make();
      s.save({ hardState: null, snapshot: null, entries: range(1, 20, 2) });
      s.save({ hardState: null, snapshot: snap(4, 2), entries: [] });
      expect(s.entries(5, 9, 100)).toEqual(range(5, 9, 2));
      expect(s.entries(5, 20, 3)).toEqual(range(5, 7, 2));
      expect(s.entries(10, 20, 100, 6)).toEqual(range(10, 11, 2)); // "e10" + "e11" = 6 bytes
      expect(s.entries(10, 20, 100, 5)).toEqual(range(10, 10, 2));
      expect(s.entries(10, 20, 100, 1)).toEqual(range(10, 10, 2)); // the first even if larger
      expect(s.entries(18, 30, 100)).toEqual(range(18, 20, 2));
      expect(s.entries(3, 6, 100)).toEqual([]); // compacted
      expect(s.entries(21, 30, 100)).toEqual([]);
      expect(s.term(7)).toBe(2);
      expect(s.term(4)).toBeUndefined();
      expect(s.term(21)).toBeUndefined();
      s.close();
    });
  });
}

describe("SqliteStorage durability and corruption", () => {
  test("everything saved survives closing and reopening the database", () => {
    const p = dbPath();
    const a = new SqliteStorage(p);
    a.save({ hardState: { term: 4, vote: "a", commit: 7 }, snapshot: snap(3, 2), entries: [] });
    a.save({ hardState: null, snapshot: null, entries: range(4, 9, 4) });
    const before = a.load();
    a.close();
    const b = new SqliteStorage(p);
    expect(b.load()).toEqual(before);
    b.close();
  });

  test("a corrupted entry and everything after it are dropped and reported, never returned", () => {
    const p = dbPath();
    const a = new SqliteStorage(p);
    a.save({ hardState: { term: 1, vote: null, commit: 3 }, snapshot: null, entries: range(1, 10, 1) });
    a.close();
    const raw = new Database(p);
    raw.run("UPDATE entries SET data = ? WHERE idx = 7", [enc.encode("flipped bits")]);
    raw.close();
    const b = new SqliteStorage(p);
    const st = b.load();
    expect(st.truncatedFrom).toBe(7);
    expect(st.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6]);
    b.close();
    const c = new SqliteStorage(p); // the truncation itself was persisted
    expect(c.load().truncatedFrom).toBeNull();
    expect(c.load().entries.length).toBe(6);
    c.close();
  });

  test("a torn tail (a gap in the log) is truncated at the gap", () => {
    const p = dbPath();
    const a = new SqliteStorage(p);
    a.save({ hardState: null, snapshot: null, entries: range(1, 6, 1) });
    a.close();
    const raw = new Database(p);
    raw.run("DELETE FROM entries WHERE idx = 4");
    raw.close();
    const b = new SqliteStorage(p);
    const st = b.load();
    expect(st.truncatedFrom).toBe(4);
    expect(st.entries.map((e) => e.index)).toEqual([1, 2, 3]);
    b.close();
  });

  test("a corrupt hard state is refused with StorageCorrupt", () => {
    const p = dbPath();
    const a = new SqliteStorage(p);
    a.save({ hardState: { term: 5, vote: "x", commit: 0 }, snapshot: null, entries: [] });
    a.close();
    const raw = new Database(p);
    raw.run(`UPDATE hard_state SET value = '{"term":6,"vote":"x","commit":0}'`);
    raw.close();
    const b = new SqliteStorage(p);
    try {
      b.load();
      throw new Error("load() accepted a corrupt hard state");
    } catch (e) {
      expect((e as { code?: string }).code).toBe(RaftErrorCode.StorageCorrupt);
    } finally {
      b.close();
    }
  });
});
