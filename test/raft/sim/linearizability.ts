// A linearizability checker for a history of register operations (Wing & Gong's search with Lowe's
// just-in-time linearization and memoized (linearized-set, state) pairs, as in Porcupine). Keys are
// independent (linearizability is local), so each key's sub-history is checked on its own.

export interface Op {
  kind: "put" | "get";
  key: string;
  /** put: the value written; get: the value observed (null = key absent). */
  value: string | null;
  /** Invocation and response instants; unique, increasing. ret = Infinity: outcome unknown (the
   * operation may have taken effect at any point after call, or never). */
  call: number;
  ret: number;
}

interface Node {
  op: number;
  isCall: boolean;
  match: Node | null;
  prev: Node | null;
  next: Node | null;
}

export interface LinResult {
  ok: boolean;
  /** When not ok: the key whose history has no linearization, and that history. */
  key?: string;
  history?: Op[];
}

export function checkLinearizable(ops: Op[]): LinResult {
  const byKey = new Map<string, Op[]>();
  for (const o of ops) {
    const l = byKey.get(o.key);
    if (l) l.push(o);
    else byKey.set(o.key, [o]);
  }
  for (const [key, h] of byKey) {
    if (!checkRegister(h)) return { ok: false, key, history: h };
  }
  return { ok: true };
}

/** One register, initially absent (null). */
export function checkRegister(ops: Op[]): boolean {
  const events: { t: number; node: Node }[] = [];
  ops.forEach((o, i) => {
    const call: Node = { op: i, isCall: true, match: null, prev: null, next: null };
    const ret: Node = { op: i, isCall: false, match: null, prev: null, next: null };
    call.match = ret;
    events.push({ t: o.call, node: call }, { t: o.ret, node: ret });
  });
  events.sort((a, b) => a.t - b.t || (a.node.isCall === b.node.isCall ? 0 : a.node.isCall ? -1 : 1));
  const head: Node = { op: -1, isCall: false, match: null, prev: null, next: null };
  let prev = head;
  for (const e of events) {
    prev.next = e.node;
    e.node.prev = prev;
    prev = e.node;
  }
  const lift = (n: Node) => {
    n.prev!.next = n.next;
    if (n.next) n.next.prev = n.prev;
    const m = n.match!;
    m.prev!.next = m.next;
    if (m.next) m.next.prev = m.prev;
  };
  const unlift = (n: Node) => {
    const m = n.match!;
    m.prev!.next = m;
    if (m.next) m.next.prev = m;
    n.prev!.next = n;
    if (n.next) n.next.prev = n;
  };
  const cache = new Set<string>();
  const stack: { node: Node; state: string | null }[] = [];
  let linearized = 0n;
  let state: string | null = null;
  let entry = head.next;
  while (head.next !== null) {
    if (entry === null) return false; // defensive: cannot happen with matched call/return pairs
    if (entry.isCall) {
      const o = ops[entry.op]!;
      const ok = o.kind === "put" || o.value === state;
      if (ok) {
        const next: string | null = o.kind === "put" ? o.value : state;
        const bits = linearized | (1n << BigInt(entry.op));
        const k = `${bits.toString(36)}|${next}`;
        if (!cache.has(k)) {
          cache.add(k);
          stack.push({ node: entry, state });
          state = next;
          linearized = bits;
          lift(entry);
          entry = head.next;
          continue;
        }
      }
      entry = entry.next;
    } else {
      const top = stack.pop();
      if (!top) return false;
      state = top.state;
      linearized &= ~(1n << BigInt(top.node.op));
      unlift(top.node);
      entry = top.node.next;
    }
  }
  return true;
}
