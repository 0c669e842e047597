/**
 * The endpoint table as the dispatcher sends it (docs/cluster.md "Endpoint tables"): one table per
 * state, deltas per session, and the holds that keep a task that left the table running until every
 * node's mesh holds a table without it.
 *
 * Contract: `observe(state, nowMs)` after every state change (cheap when the index did not change).
 * `delta(sent)` gives the message that brings a session from what it was sent to the current table.
 * `held(taskId, acked, nowMs)` is true while some session with a live mesh has not acknowledged a
 * version without the task, for at most `holdMaxMs` after the task left (a node that does not
 * acknowledge within that time is failing its heartbeats too: it is about to be recorded down).
 */
import { endpointTable, type ClusterState, type EndpointService, type Id, type SessionMessage } from "../../api/index.ts";

/** What a session was sent: key → the entry's encoding. */
export type TableSent = Map<string, string>;

interface Left {
  version: number;
  atMs: number;
}

export class EndpointTracker {
  version = 0;
  private table: EndpointService[] = [];
  private texts = new Map<string, string>();
  private tasks = new Set<Id>();
  private readonly left = new Map<Id, Left>();
  private index = -1;

  constructor(private readonly holdMaxMs: number) {}

  /** Recomputes the table when the state changed. Returns true when the table changed. */
  observe(state: ClusterState, nowMs: number): boolean {
    if (state.index === this.index) return false;
    this.index = state.index;
    const table = endpointTable(state);
    const texts = new Map(table.map((s) => [s.key, JSON.stringify(s)]));
    if (sameTexts(texts, this.texts)) return false;
    const tasks = new Set<Id>();
    for (const s of table) for (const e of s.endpoints) tasks.add(e.task);
    for (const id of this.tasks) {
      if (tasks.has(id)) continue;
      // Its node is down: nobody can be told to stop it, and it is out of every table already.
      const t = state.tasks[id];
      const node = t?.NodeID ? state.nodes[t.NodeID] : undefined;
      if (node && node.Status.State === "ready") this.left.set(id, { version: state.index, atMs: nowMs });
    }
    for (const id of tasks) this.left.delete(id);
    this.table = table;
    this.texts = texts;
    this.tasks = tasks;
    this.version = state.index;
    return true;
  }

  /** The message bringing a session from `sent` (null: nothing yet) to the current table, or null. */
  delta(sent: TableSent | null): { msg: Extract<SessionMessage, { t: "endpoints" }> | null; sent: TableSent } {
    if (sent === null) {
      return { msg: { t: "endpoints", version: this.version, full: true, services: this.table, removed: [] }, sent: new Map(this.texts) };
    }
    const services = this.table.filter((s) => sent.get(s.key) !== this.texts.get(s.key));
    const removed = [...sent.keys()].filter((k) => !this.texts.has(k));
    if (services.length === 0 && removed.length === 0) return { msg: null, sent };
    return { msg: { t: "endpoints", version: this.version, full: false, services, removed }, sent: new Map(this.texts) };
  }

  /**
   * Whether stopping `taskId` must wait: some acknowledged version in `acked` (one per session) is
   * older than the table the task left. Releases holds that are satisfied or expired.
   */
  held(taskId: Id, acked: Iterable<number>, nowMs: number): boolean {
    const l = this.left.get(taskId);
    if (!l) return false;
    if (nowMs - l.atMs >= this.holdMaxMs) {
      this.left.delete(taskId);
      return false;
    }
    for (const v of acked) if (v < l.version) return true;
    this.left.delete(taskId);
    return false;
  }

  /** Whether any task is waiting (the dispatcher re-pumps on acknowledgements then). */
  get holding(): boolean {
    return this.left.size > 0;
  }

  /** When the oldest hold expires (ms since epoch), or undefined. */
  nextExpiryMs(): number | undefined {
    let min: number | undefined;
    for (const l of this.left.values()) min = min === undefined ? l.atMs : Math.min(min, l.atMs);
    return min === undefined ? undefined : min + this.holdMaxMs;
  }
}

function sameTexts(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
