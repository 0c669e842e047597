// Raft's safety properties, checked continuously while a simulation runs (Raft paper, figure 3):
// election safety, log matching, leader completeness and state-machine safety.
import { Role } from "../../../internal/raft/index.ts";
import type { Entry, NodeId, Snapshot } from "../../../internal/raft/index.ts";
import type { SimNode } from "./sim-node.ts";

const dec = new TextDecoder();
const sig = (e: Entry): string => `${e.term}/${e.type}/${dec.decode(e.data)}`;

export class SafetyChecker {
  readonly violations: string[] = [];
  private readonly leaders = new Map<number, NodeId>();
  /** Every entry any node applied (hence committed), by index. */
  private readonly committed: (string | undefined)[] = [];
  private readonly committedTerm: number[] = [];
  /** For each committed index, a term by which it was certainly committed: the lowest current term of a
   * node seen applying it (a node applies an entry only after hearing of its commit from a leader of that
   * term or a later one). Leader completeness only binds leaders of later terms than the commit's. */
  private readonly committedBy: number[] = [];
  /** State-machine digest after applying each index. */
  private readonly stateAt: (string | undefined)[] = [];
  private readonly wasLeader = new Map<NodeId, number>();
  maxCommitted = 0;

  constructor(private readonly now: () => number) {}

  private fail(msg: string): void {
    if (this.violations.length < 20) this.violations.push(`t=${this.now()} ${msg}`);
  }

  applied(n: SimNode, e: Entry): void {
    const s = sig(e);
    const by = n.core?.term ?? Number.POSITIVE_INFINITY; // replaying at start-up: no core yet, no bound
    this.committedBy[e.index] = Math.min(this.committedBy[e.index] ?? Number.POSITIVE_INFINITY, by);
    const prev = this.committed[e.index];
    if (prev === undefined) {
      this.committed[e.index] = s;
      this.committedTerm[e.index] = e.term;
      this.maxCommitted = Math.max(this.maxCommitted, e.index);
    } else if (prev !== s) {
      this.fail(`state-machine safety: ${n.id} applied ${s} at ${e.index}, another node applied ${prev}`);
    }
    this.checkState(n, e.index);
  }

  restored(n: SimNode, snap: Snapshot): void {
    this.checkState(n, snap.index);
  }

  private checkState(n: SimNode, index: number): void {
    const d = n.kv.digest();
    const prev = this.stateAt[index];
    if (prev === undefined) this.stateAt[index] = d;
    else if (prev !== d) this.fail(`state-machine safety: ${n.id} state at ${index} is ${d}, expected ${prev}`);
  }

  /** After each Ready: election safety, and leader completeness when a node has just become leader. */
  processed(n: SimNode): void {
    const c = n.core!;
    if (c.role !== Role.Leader) return;
    const other = this.leaders.get(c.term);
    if (other === undefined) this.leaders.set(c.term, n.id);
    else if (other !== n.id) this.fail(`election safety: ${other} and ${n.id} are both leaders of term ${c.term}`);
    if (this.wasLeader.get(n.id) === c.term) return;
    this.wasLeader.set(n.id, c.term);
    for (let i = c.log.snapshot.index + 1; i <= this.maxCommitted; i++) {
      const t = this.committedTerm[i];
      // an entry committed in this term or a later one need not be in this leader's log (a leader of
      // term 5 can be elected after a sole voter already leads and commits in term 6)
      if (t === undefined || !(this.committedBy[i]! < c.term)) continue;
      if (c.log.term(i) !== t) {
        this.fail(`leader completeness: ${n.id} leads term ${c.term} without committed entry ${i} (term ${t}); has ${c.log.term(i)}`);
        return;
      }
    }
  }

  /** Log matching across every pair of running nodes: if two logs hold an entry with the same index and
   * term, they are identical up to it. */
  logMatching(nodes: SimNode[]): void {
    const up = nodes.filter((n) => n.core);
    for (let a = 0; a < up.length; a++) {
      for (let b = a + 1; b < up.length; b++) {
        const la = up[a]!.core!.log, lb = up[b]!.core!.log;
        const lo = Math.max(la.snapshot.index, lb.snapshot.index) + 1;
        const hi = Math.min(la.lastIndex(), lb.lastIndex());
        let matched = false;
        for (let i = hi; i >= lo; i--) {
          const ea = la.entry(i)!, eb = lb.entry(i)!;
          if (ea.term === eb.term) {
            if (sig(ea) !== sig(eb)) return this.fail(`log matching: ${up[a]!.id} and ${up[b]!.id} differ at ${i} with the same term`);
            matched = true;
          } else if (matched) {
            return this.fail(`log matching: ${up[a]!.id} and ${up[b]!.id} agree above ${i} but differ at ${i}`);
          }
        }
      }
    }
  }
}
