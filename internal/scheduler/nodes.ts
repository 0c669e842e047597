/**
 * The cluster's nodes, sorted by ID, with the nodes each constraint list selects cached: a scheduling
 * pass (or a global service's slots) asks "which nodes match these constraints" once per distinct
 * constraint list instead of once per task and node.
 *
 * A NodeTable is a snapshot: build a new one whenever any node changes (nodes change rarely; tasks
 * often).
 */
import type { Id, Node } from "../api/index.ts";
import { type Constraint, firstUnmet, parseConstraints } from "./constraint.ts";
import { isAvailable } from "./filters.ts";

function byId(a: Node, b: Node): number {
  return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
}

/** A stable key for a constraint list (values may hold any character, so JSON rather than a join). */
export function constraintKey(constraints: readonly string[] | undefined): string {
  return constraints === undefined || constraints.length === 0 ? "" : JSON.stringify(constraints);
}

export class NodeTable {
  /** Every node, by ID. */
  readonly sorted: readonly Node[];
  private readonly parsed = new Map<string, readonly Constraint[] | Error>();
  private readonly matchingCache = new Map<string, readonly Node[]>();
  private readonly eligibleCache = new Map<string, readonly Node[]>();

  constructor(private readonly nodes: Readonly<Record<Id, Node>>) {
    this.sorted = Object.values(nodes).sort(byId);
  }

  node(id: Id): Node | undefined {
    return Object.hasOwn(this.nodes, id) ? this.nodes[id] : undefined;
  }

  /** The constraints parsed, or the parse error (a constraint that does not parse matches no node). */
  parse(constraints: readonly string[] | undefined): readonly Constraint[] | Error {
    const key = constraintKey(constraints);
    let p = this.parsed.get(key);
    if (p === undefined) {
      try {
        p = parseConstraints(constraints);
      } catch (e) {
        p = e as Error;
      }
      this.parsed.set(key, p);
    }
    return p;
  }

  /** Whether the node satisfies the constraints (false for every node if they do not parse). */
  matches(node: Node, constraints: readonly string[] | undefined): boolean {
    const p = this.parse(constraints);
    return !(p instanceof Error) && firstUnmet(node, p) === undefined;
  }

  /** Nodes, by ID, that satisfy the constraints, whatever their status and availability. */
  matching(constraints: readonly string[] | undefined): readonly Node[] {
    const key = constraintKey(constraints);
    let out = this.matchingCache.get(key);
    if (out === undefined) {
      const p = this.parse(constraints);
      out = p instanceof Error ? [] : p.length === 0 ? this.sorted : this.sorted.filter((n) => firstUnmet(n, p) === undefined);
      this.matchingCache.set(key, out);
    }
    return out;
  }

  /** Nodes, by ID, that take new tasks with these constraints: ready, active and matching. */
  eligible(constraints: readonly string[] | undefined): readonly Node[] {
    const key = constraintKey(constraints);
    let out = this.eligibleCache.get(key);
    if (out === undefined) {
      out = this.matching(constraints).filter(isAvailable);
      this.eligibleCache.set(key, out);
    }
    return out;
  }
}
