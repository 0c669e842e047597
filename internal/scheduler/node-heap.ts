/**
 * The spread order as a min-heap over a task group's candidate nodes: fewest tasks of the service,
 * then fewest tasks, then lowest node ID (index in ID order). Within one scheduling pass a node's usage
 * only grows, so an entry's stored key is never above the node's real key: the pass refreshes the top
 * entry until its key is current, and then it is the true minimum (every other entry's real key is at
 * least its stored key, which is at least the top's).
 */
import type { Node } from "../api/index.ts";

export interface HeapEntry {
  node: Node;
  /** Position in ID order: the last tie-break. */
  index: number;
  ofService: number;
  tasks: number;
}

function less(a: HeapEntry, b: HeapEntry): boolean {
  if (a.ofService !== b.ofService) return a.ofService < b.ofService;
  if (a.tasks !== b.tasks) return a.tasks < b.tasks;
  return a.index < b.index;
}

export class NodeHeap {
  constructor(private readonly a: HeapEntry[]) {
    for (let i = (a.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  peek(): HeapEntry | undefined {
    return this.a[0];
  }

  /** Removes the top entry. */
  pop(): void {
    const last = this.a.pop();
    if (last !== undefined && this.a.length > 0) {
      this.a[0] = last;
      this.down(0);
    }
  }

  /** The top entry's key grew: restore the order. */
  topIncreased(): void {
    this.down(0);
  }

  private down(i: number): void {
    const a = this.a;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const c = r < n && less(a[r]!, a[l]!) ? r : l;
      if (!less(a[c]!, a[i]!)) return;
      const tmp = a[i]!;
      a[i] = a[c]!;
      a[c] = tmp;
      i = c;
    }
  }
}
