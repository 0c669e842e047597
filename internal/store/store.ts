/**
 * The Store: a ReplicatedLog feeding the ClusterStateMachine. Writers `propose` commands; everyone
 * reads `state` (an immutable value, replaced on every applied entry) or `subscribe`s to changes.
 *
 * Recovery on open: restore the latest snapshot, replay the committed entries after it. Every
 * `snapshotEvery` applied entries the store snapshots the state and the log drops what it covers.
 */
import type { ClusterState, Command } from "../api/index.ts";
import { encodeCommands } from "./codec.ts";
import { LocalLog } from "./local-log.ts";
import type { LogEntry, ReplicatedLog } from "./log.ts";
import { type MemoryDisk, MemoryLog } from "./memory-log.ts";
import { ClusterStateMachine } from "./state-machine.ts";

export interface Store {
  /** The current state; never mutated, replaced after each applied entry. */
  readonly state: ClusterState;
  /**
   * Appends the commands as one log entry, applied atomically. Resolves once the entry is durable and
   * applied, with the `state.index` right after it (so `state.index >= n` means the change is
   * visible). An empty list appends nothing and resolves with the current index. Rejects with a
   * SwarmError (UNAVAILABLE) if the store is closed or the disk write fails.
   */
  propose(cmds: Command[]): Promise<number>;
  /** Called after every applied entry (own or, later, replicated) with the new state and its commands. */
  subscribe(fn: (state: ClusterState, cmds: Command[]) => void): () => void;
  close(): void;
}

export interface StoreOptions {
  /** Snapshot and compact the log every this many entries. Default 1000. */
  snapshotEvery?: number;
  /** Non-fatal problems: a dropped corrupt log tail, a subscriber that threw. Default: console.error. */
  onWarning?: (message: string, error?: unknown) => void;
}

export interface OpenStoreOptions extends StoreOptions {
  /** SQLite file for the log and snapshots, e.g. `<data-dir>/state.db`. */
  path: string;
  synchronous?: "full" | "normal";
}

const DEFAULT_SNAPSHOT_EVERY = 1000;

/** Wires a log to a fresh state machine and recovers. Used by `openStore`, `memoryStore` and Raft later. */
export function createStore(log: ReplicatedLog, opts: StoreOptions = {}): Store {
  const snapshotEvery = Math.max(1, opts.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY);
  const warn = opts.onWarning ?? ((m: string, e?: unknown) => console.error(`store: ${m}`, e ?? ""));
  const sm = new ClusterStateMachine();
  const subscribers = new Set<(s: ClusterState, c: Command[]) => void>();
  // For this store's own proposals in flight: the state index right after their entry was applied,
  // or a waiter if the log acknowledged the entry before it was applied.
  const appliedAt = new Map<number, number>();
  const waiters = new Map<number, (stateIndex: number) => void>();
  let pending = 0;
  let closed = false;

  const rec = log.recover();
  if (rec.snapshot) sm.restore(rec.snapshot.data);
  for (const e of rec.entries) sm.apply(e);
  if (rec.discarded > 0) warn(`dropped ${rec.discarded} corrupt log entr${rec.discarded === 1 ? "y" : "ies"} at the tail`);
  let lastSnapshot = rec.snapshot?.index ?? 0;

  function applyEntry(entry: LogEntry): void {
    const cmds = sm.apply(entry);
    const waiter = waiters.get(entry.index);
    if (waiter) {
      waiters.delete(entry.index);
      waiter(sm.state.index);
    } else if (pending > 0) appliedAt.set(entry.index, sm.state.index);
    if (sm.appliedIndex - lastSnapshot >= snapshotEvery) {
      try {
        log.compact({ index: sm.appliedIndex, term: sm.appliedTerm, data: sm.snapshot() });
        lastSnapshot = sm.appliedIndex;
      } catch (e) {
        warn("snapshot failed; the log keeps growing until one succeeds", e);
      }
    }
    for (const fn of [...subscribers]) {
      try {
        fn(sm.state, cmds);
      } catch (e) {
        warn("a subscriber threw", e);
      }
    }
  }

  // Entries are applied one at a time, in order: a subscriber that proposes (the agent reconciling on
  // every change) sees its own entry only after every subscriber has seen the current one.
  const queue: LogEntry[] = [];
  let draining = false;
  const unlisten = log.onCommitted((entry: LogEntry) => {
    queue.push(entry);
    if (draining) return;
    draining = true;
    try {
      for (let e = queue.shift(); e !== undefined; e = queue.shift()) applyEntry(e);
    } finally {
      draining = false;
    }
  });

  return {
    get state() {
      return sm.state;
    },
    async propose(cmds: Command[]): Promise<number> {
      if (cmds.length === 0 && !closed) return sm.state.index;
      pending += 1;
      try {
        const idx = await log.propose(encodeCommands(cmds));
        const at = appliedAt.get(idx);
        if (at !== undefined) {
          appliedAt.delete(idx);
          return at;
        }
        if (sm.appliedIndex >= idx) return sm.state.index;
        return await new Promise<number>((resolve) => waiters.set(idx, resolve));
      } finally {
        pending -= 1;
        if (pending === 0) appliedAt.clear();
      }
    },
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    close() {
      if (closed) return;
      closed = true;
      unlisten();
      subscribers.clear();
      log.close();
    },
  };
}

/** The durable store on bun:sqlite (LocalLog). */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const log = new LocalLog({ path: opts.path, synchronous: opts.synchronous });
  try {
    return createStore(log, opts);
  } catch (e) {
    log.close();
    throw e;
  }
}

/**
 * The in-memory twin: same contract, nothing persists beyond `disk` (pass the same `disk` object again
 * to simulate a restart in tests).
 */
export function memoryStore(opts: StoreOptions & { disk?: MemoryDisk } = {}): Store {
  return createStore(new MemoryLog(opts.disk), opts);
}
