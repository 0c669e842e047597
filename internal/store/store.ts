/**
 * The Store: the cluster state as applied by this node's state machine, and the door for writes.
 * Writers `propose` commands; everyone reads `state` (an immutable value, replaced on every applied
 * entry) or `subscribe`s to changes.
 *
 * The store does not order writes itself: a `Consensus` does (Raft on managers, `DirectConsensus` in
 * unit tests), and applies committed entries to the store's `machine`. The store wraps each proposal
 * with a request ID, so the consensus layer may retry an entry whose outcome it does not know: the
 * machine applies it once and the store reports each command's outcome.
 */
import { SwarmError, type ClusterState, type Command, type Outcome } from "../api/index.ts";
import { encodeProposal } from "./codec.ts";
import { ClusterStateMachine, type Listener } from "./machine.ts";

/**
 * Orders and commits proposals. `propose` resolves with the entry's log index once it is committed and
 * applied to the store's machine on this node; it may retry internally (same bytes) when an attempt's
 * outcome is unknown. Rejections are SwarmErrors: NO_LEADER and UNAVAILABLE mean nothing was applied
 * (or, for UNAVAILABLE after a timeout, say so in the message).
 */
export interface Consensus {
  propose(data: Uint8Array): Promise<number>;
}

export interface Applied {
  /** The state index right after the entry (so `state.index >= index` means the change is visible). */
  index: number;
  /** One per command, in order. */
  outcomes: Outcome[];
}

export interface Store {
  readonly state: ClusterState;
  readonly machine: ClusterStateMachine;
  /**
   * Appends the commands as one log entry, applied atomically, and resolves once it is applied here
   * with each command's outcome (a refused command changed nothing). An empty list appends nothing.
   */
  propose(cmds: Command[]): Promise<Applied>;
  /** Called after every applied entry (own or replicated) and after a restore, with the new state. */
  subscribe(fn: Listener): () => void;
}

let incarnation = 0;

/** Wires a machine to its consensus. `ridPrefix` names the proposer (the node ID) in request IDs. */
export function createStore(machine: ClusterStateMachine, consensus: Consensus, ridPrefix = "node"): Store {
  // Request IDs never repeat: a random part per store instance (per process start), then a counter.
  const prefix = `${ridPrefix.slice(0, 16)}.${(++incarnation).toString(36)}${crypto.getRandomValues(new Uint32Array(2)).join("")}`;
  let seq = 0;
  return {
    get state() {
      return machine.state;
    },
    machine,
    async propose(cmds: Command[]): Promise<Applied> {
      if (cmds.length === 0) return { index: machine.state.index, outcomes: [] };
      const rid = `${prefix}.${++seq}`;
      await consensus.propose(encodeProposal({ rid, cmds }));
      const r = machine.requestOf(rid);
      if (!r) {
        throw SwarmError.unavailable("the write committed but its outcome was forgotten (more than 4096 writes since); read the state back to see it");
      }
      return { index: r.index, outcomes: r.outcomes };
    },
    subscribe(fn) {
      return machine.subscribe(fn);
    },
  };
}

/** The first refused command of an entry as a SwarmError (for the API), or undefined if all applied. */
export function refusal(outcomes: readonly Outcome[]): SwarmError | undefined {
  for (const o of outcomes) if (!o.ok) return new SwarmError(o.code, o.message);
  return undefined;
}

/** Proposes and throws the first refusal: for writes a user asked for. */
export async function proposeOrThrow(store: Store, cmds: Command[]): Promise<Applied> {
  const r = await store.propose(cmds);
  const err = refusal(r.outcomes);
  if (err) throw err;
  return r;
}

/**
 * The in-memory twin of a one-voter Raft: every proposal commits at once (applied in a microtask, as
 * the runner applies after its own turn). Same contract; nothing survives the process. Unit tests of
 * code above the store use it; the store suite runs on it and on a real one-voter RaftNode.
 */
export class DirectConsensus implements Consensus {
  private index = 0;
  private closed = false;
  constructor(private readonly machine: ClusterStateMachine) {
    this.index = machine.appliedIndex;
  }
  async propose(data: Uint8Array): Promise<number> {
    if (this.closed) throw SwarmError.unavailable("the store is closed; restart the agent");
    await Promise.resolve();
    const index = ++this.index;
    this.machine.apply({ index, term: 1, kind: "normal", data: data.slice() });
    return index;
  }
  close(): void {
    this.closed = true;
  }
}

/** A store on DirectConsensus: for unit tests and tools that need no replication. */
export function memoryStore(): Store & { close(): void } {
  const machine = new ClusterStateMachine();
  const consensus = new DirectConsensus(machine);
  return Object.assign(createStore(machine, consensus), { close: () => consensus.close() });
}
