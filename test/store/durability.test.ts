/** The sqlite store on disk: kill -9 durability, corrupt or torn log tails, snapshots. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isSwarmError } from "../../internal/api/index.ts";
import { openStore, type Store } from "../../internal/store/index.ts";
import { cmd, serviceSpec } from "./fixtures/objects.ts";

let dir = "";
let path = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "swarm-durable-"));
  path = join(dir, "state.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function fill(n: number, opts: { snapshotEvery?: number } = {}): Promise<void> {
  const s = await openStore({ path, ...opts });
  for (let i = 1; i <= n; i++) await s.propose([cmd.createService(`id${i}`, serviceSpec(`svc${i}`))]);
  s.close();
}

function raw<T>(fn: (db: Database) => T): T {
  const db = new Database(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

async function reopen(warnings: string[] = []): Promise<Store> {
  return openStore({ path, onWarning: (m) => warnings.push(m) });
}

describe("sqlite store durability", () => {
  test("every proposal the store acknowledged survives kill -9 of the process", async () => {
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures/proposer.ts"), path], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const committed: string[] = [];
    try {
      const reader = child.stdout.getReader();
      const dec = new TextDecoder();
      let buf = "";
      const deadline = Date.now() + 30_000;
      while (committed.length < 40 && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        const lines = buf.split("\n");
        buf = lines.pop() ?? "";
        for (const l of lines) if (l.startsWith("committed ")) committed.push(l.slice(10));
      }
      child.kill("SIGKILL");
      await child.exited;
      // Lines still in the pipe were acknowledged too.
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
      }
      for (const l of buf.split("\n")) if (l.startsWith("committed ")) committed.push(l.slice(10));
    } finally {
      child.kill("SIGKILL");
      await child.exited;
    }
    expect(child.signalCode).toBe("SIGKILL");
    expect(committed.length).toBeGreaterThanOrEqual(40);
    const s = await reopen();
    try {
      const names = new Set(Object.values(s.state.services).map((x) => x.Spec.Name));
      for (const n of committed) expect(names.has(n)).toBe(true);
      // Nothing beyond what was proposed, and nothing with a gap: svc1..svcK.
      for (let i = 1; i <= names.size; i++) expect(names.has(`svc${i}`)).toBe(true);
    } finally {
      s.close();
    }
  });

  test("a corrupt last entry is detected by its checksum and dropped; the log continues from there", async () => {
    await fill(5);
    raw((db) => db.run("UPDATE entries SET data = x'c0' WHERE idx = 5"));
    const warnings: string[] = [];
    const s = await reopen(warnings);
    expect(warnings).toEqual(["dropped 1 corrupt log entry at the tail"]);
    expect(Object.keys(s.state.services).sort()).toEqual(["id1", "id2", "id3", "id4"]);
    await s.propose([cmd.createService("id9", serviceSpec("svc9"))]);
    s.close();
    expect(raw((db) => db.query("SELECT max(idx) AS m FROM entries").get())).toEqual({ m: 5 });
    const again = await reopen();
    expect(Object.keys(again.state.services).sort()).toEqual(["id1", "id2", "id3", "id4", "id9"]);
    again.close();
  });

  test("a corrupt entry in the middle drops it and everything after (no gaps in the log)", async () => {
    await fill(6);
    raw((db) => db.run("UPDATE entries SET crc = crc + 1 WHERE idx = 3"));
    const warnings: string[] = [];
    const s = await reopen(warnings);
    expect(warnings).toEqual(["dropped 4 corrupt log entries at the tail"]);
    expect(Object.keys(s.state.services).sort()).toEqual(["id1", "id2"]);
    s.close();
  });

  test("a missing entry (torn write) truncates the tail at the gap", async () => {
    await fill(4);
    raw((db) => db.run("DELETE FROM entries WHERE idx = 3"));
    const s = await reopen();
    expect(Object.keys(s.state.services).sort()).toEqual(["id1", "id2"]);
    s.close();
  });

  test("every N entries the state is snapshotted and the covered entries are compacted away", async () => {
    await fill(25, { snapshotEvery: 10 });
    const rows = raw((db) => ({
      snap: db.query("SELECT idx FROM snapshot").all(),
      entries: db.query("SELECT idx FROM entries ORDER BY idx").all(),
      mode: db.query("PRAGMA journal_mode").get(),
    }));
    expect(rows.snap).toEqual([{ idx: 20 }]);
    expect(rows.entries).toEqual([21, 22, 23, 24, 25].map((idx) => ({ idx })));
    expect(rows.mode).toEqual({ journal_mode: "wal" });
    const s = await reopen();
    expect(Object.keys(s.state.services)).toHaveLength(25);
    expect(s.state.index).toBe(25);
    s.close();
  });

  test("a corrupt snapshot refuses to open with an INTERNAL error that says what to do", async () => {
    await fill(12, { snapshotEvery: 10 });
    raw((db) => db.run("UPDATE snapshot SET crc = crc + 1"));
    const err = await reopen().then(
      (s) => (s.close(), undefined),
      (e: unknown) => e,
    );
    expect(isSwarmError(err) && err.code).toBe("INTERNAL");
    expect((err as Error).message).toContain("snapshot");
    expect((err as Error).message).toContain("backup");
  });

  test("a second store on the same database is refused while the first is open", async () => {
    const first = await openStore({ path });
    const err = await openStore({ path }).then(
      (s) => (s.close(), undefined),
      (e: unknown) => e,
    );
    expect(isSwarmError(err) && err.code).toBe("UNAVAILABLE");
    expect((err as Error).message).toContain("is another swarm agent running with this data directory?");
    first.close();
    (await openStore({ path })).close();
  });

  test("an unwritable path fails with UNAVAILABLE", async () => {
    const err = await openStore({ path: "/proc/swarm-nope/state.db" }).then(
      (s) => (s.close(), undefined),
      (e: unknown) => e,
    );
    expect(isSwarmError(err) && err.code).toBe("UNAVAILABLE");
  });
});
