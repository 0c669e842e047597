/**
 * The store's state machine: what the Raft runner applies on every manager (docs/cluster.md "Raft
 * drives the store"). It decodes each committed entry's proposal and folds its commands through
 * `applyWithOutcomes`; Raft's membership entries update the managers' ManagerStatus.
 *
 * Contract (the runner's): entries arrive in log order, each once per process; `restore` replaces the
 * whole state (start-up, or a snapshot from the leader) and counts as a change for subscribers.
 * Subscribers are called synchronously after every entry that changed the state.
 */
import type { ClusterState, Command, Id, Outcome } from "../api/index.ts";
import { applyRaftMembership, applyWithOutcomes, emptyState } from "./apply.ts";
import { decodeProposal, decodeSnapshot, encodeSnapshot } from "./codec.ts";

/** One committed log entry as the Raft runner hands it over. */
export interface CommittedEntry {
  index: number;
  term: number;
  /** `noop`: the empty entry a new leader appends; `conf`: a Raft membership change. */
  kind: "normal" | "noop" | "conf";
  data: Uint8Array;
  conf?: { voters: readonly Id[]; learners: readonly Id[] };
}

/** How many request IDs the machine remembers (a retried proposal older than this would apply twice). */
export const REQUEST_MEMORY = 4096;

export type Listener = (state: ClusterState, cmds: Command[]) => void;

export interface AppliedRequest {
  outcomes: Outcome[];
  index: number;
}

export class ClusterStateMachine {
  state: ClusterState = emptyState();
  appliedIndex = 0;
  appliedTerm = 0;
  /** Recent request IDs → their outcomes and the state index right after their entry. */
  private requests = new Map<string, AppliedRequest>();
  private readonly listeners = new Set<Listener>();
  /** Errors thrown by listeners go here; they never stop the machine. */
  onListenerError: (err: unknown) => void = (err) => console.error("store: a subscriber threw", err);

  apply(e: CommittedEntry): void {
    if (e.index <= this.appliedIndex) return;
    this.appliedIndex = e.index;
    this.appliedTerm = e.term;
    if (e.kind === "conf" && e.conf) {
      this.state = applyRaftMembership(this.state, e.conf);
      return this.notify([]);
    }
    if (e.kind !== "normal" || e.data.length === 0) return;
    const p = decodeProposal(e.data);
    if (p.rid !== "" && this.requests.has(p.rid)) return; // a retry of an entry already applied
    const r = applyWithOutcomes(this.state, p.cmds);
    this.state = r.state;
    if (p.rid !== "") this.remember(p.rid, { outcomes: r.outcomes, index: r.state.index });
    this.notify(p.cmds);
  }

  /** The outcomes of a request this machine applied (undefined if unknown or forgotten). */
  outcomeOf(rid: string): Outcome[] | undefined {
    return this.requests.get(rid)?.outcomes;
  }

  /** A request this machine applied: outcomes and the state index right after it. */
  requestOf(rid: string): AppliedRequest | undefined {
    return this.requests.get(rid);
  }

  snapshot(): Uint8Array {
    return encodeSnapshot({
      v: 2,
      appliedIndex: this.appliedIndex,
      appliedTerm: this.appliedTerm,
      state: this.state,
      requests: [...this.requests],
    });
  }

  restore(bytes: Uint8Array): void {
    const body = decodeSnapshot(bytes);
    this.state = body.state;
    this.appliedIndex = body.appliedIndex;
    this.appliedTerm = body.appliedTerm;
    this.requests = new Map(body.requests);
    this.notify([]);
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private remember(rid: string, r: AppliedRequest): void {
    this.requests.set(rid, r);
    // Map keeps insertion order: evict the oldest (same on every manager: deterministic).
    while (this.requests.size > REQUEST_MEMORY) this.requests.delete(this.requests.keys().next().value!);
  }

  private notify(cmds: Command[]): void {
    for (const fn of [...this.listeners]) {
      try {
        fn(this.state, cmds);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}
