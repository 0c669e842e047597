import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createStore,
  type LogEntry,
  type MemoryDisk,
  MemoryLog,
  memoryStore,
  openStore,
  type ReplicatedLog,
} from "../../internal/store/index.ts";
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

/**
 * A log that acknowledges a proposal before delivering it (as Raft may: committed, applied later):
 * the store must still resolve `propose` only once the entry is applied.
 */
class AckFirstLog implements ReplicatedLog {
  private fns = new Set<(e: LogEntry) => void>();
  private off: () => void;
  constructor(private readonly inner: MemoryLog) {
    this.off = inner.onCommitted((e) => setTimeout(() => this.fns.forEach((fn) => fn(e)), 1));
  }
  recover = () => this.inner.recover();
  propose = (data: Uint8Array) => this.inner.propose(data);
  onCommitted(fn: (e: LogEntry) => void) {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
  compact = (s: Parameters<ReplicatedLog["compact"]>[0]) => this.inner.compact(s);
  close() {
    this.off();
    this.fns.clear();
    this.inner.close();
  }
}

storeSuite("createStore over a log that acknowledges before it applies", () => {
  const disk: MemoryDisk = { entries: [] };
  return { open: async (opts) => createStore(new AckFirstLog(new MemoryLog(disk)), opts), cleanup: () => {} };
});
