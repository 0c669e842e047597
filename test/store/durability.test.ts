/** The store on a one-voter Raft on disk: every acknowledged write survives kill -9 of the process. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStorage } from "../../internal/raft/index.ts";
import { waitUntil } from "../harness/index.ts";
import { openRaftStore } from "./fixtures/raft-store.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "swarm-durable-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("store durability", () => {
  test("every proposal the store acknowledged survives kill -9 of the process (snapshots every 7 entries)", async () => {
    const path = join(dir, "raft.db");
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures/proposer.ts"), path], { stdio: ["ignore", "pipe", "inherit"] });
    const acked: string[] = [];
    const reader = (async () => {
      const dec = new TextDecoder();
      let buf = "";
      for await (const chunk of child.stdout) {
        buf += dec.decode(chunk);
        const lines = buf.split("\n");
        buf = lines.pop()!;
        for (const l of lines) if (l.startsWith("committed ")) acked.push(l.slice(10));
      }
    })();
    await waitUntil("40 acknowledged writes", () => acked.length >= 40, 30_000);
    child.kill("SIGKILL");
    await child.exited;
    await reader;
    const storage = new SqliteStorage(path);
    const { store, close } = await openRaftStore(storage);
    try {
      const names = new Set(Object.values(store.state.services).map((s) => s.Spec.Name));
      const missing = acked.filter((n) => !names.has(n));
      expect(missing).toEqual([]);
      expect(acked.length).toBeGreaterThanOrEqual(40);
    } finally {
      close();
      storage.close();
    }
  }, 60_000);
});
