import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MemoryDisk, memoryStore, openStore } from "../../internal/store/index.ts";
import { storeSuite } from "./store-suite.ts";

storeSuite("memoryStore", () => {
  const disk: MemoryDisk = { entries: [] };
  return { open: async (opts) => memoryStore({ ...opts, disk }), cleanup: () => {} };
});

storeSuite("openStore (bun:sqlite)", () => {
  const dir = mkdtempSync(join(tmpdir(), "swarm-store-"));
  return {
    open: (opts) => openStore({ ...opts, path: join(dir, "state.db") }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
});
