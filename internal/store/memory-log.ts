/** In-memory twin of LocalLog: same contract, nothing survives the process. */
import { SwarmError } from "../api/index.ts";
import type { LogEntry, Recovered, ReplicatedLog, Snapshot } from "./log.ts";

/** What a MemoryLog keeps: pass the same object to a new MemoryLog to simulate a restart. */
export interface MemoryDisk {
  entries: LogEntry[];
  snapshot?: Snapshot;
}

export class MemoryLog implements ReplicatedLog {
  private lastIndex = 0;
  private listeners = new Set<(e: LogEntry) => void>();
  private closed = false;

  constructor(private readonly disk: MemoryDisk = { entries: [] }) {}

  recover(): Recovered {
    const out: Recovered = { entries: [...this.disk.entries], discarded: 0 };
    if (this.disk.snapshot) out.snapshot = this.disk.snapshot;
    this.lastIndex = this.disk.entries.at(-1)?.index ?? this.disk.snapshot?.index ?? 0;
    return out;
  }

  async propose(data: Uint8Array): Promise<number> {
    if (this.closed) throw SwarmError.unavailable("the store is closed; restart the agent");
    const entry: LogEntry = { index: ++this.lastIndex, term: 1, data: data.slice() };
    this.disk.entries.push(entry);
    for (const fn of [...this.listeners]) fn(entry);
    return entry.index;
  }

  onCommitted(fn: (entry: LogEntry) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  compact(snapshot: Snapshot): void {
    if (this.closed || (this.disk.snapshot && this.disk.snapshot.index >= snapshot.index)) return;
    this.disk.snapshot = { ...snapshot, data: snapshot.data.slice() };
    this.disk.entries = this.disk.entries.filter((e) => e.index > snapshot.index);
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
  }
}
