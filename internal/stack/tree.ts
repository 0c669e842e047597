/**
 * A compose file as a tree that remembers where every value came from (file, line, column), so that
 * merging several `-c` files, interpolation and validation can all point at the exact place in the
 * exact file. Built from `yaml`'s document (eemeli/yaml with a LineCounter); anchors, aliases and
 * `<<` merge keys are resolved here, so nothing downstream sees them. Pure.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YNode } from "yaml";
import { StackIssues, type Pos } from "./issues.ts";

export interface Entry {
  keyPos: Pos;
  value: Node;
}

export type Node =
  | { kind: "map"; pos: Pos; entries: Map<string, Entry> }
  | { kind: "seq"; pos: Pos; items: Node[] }
  /** `text` is the scalar as written for plain numbers and booleans (`1.10` stays "1.10"), else the value as a string. */
  | { kind: "scalar"; pos: Pos; value: string | number | boolean | null; text: string };

export type MapNode = Extract<Node, { kind: "map" }>;
export type SeqNode = Extract<Node, { kind: "seq" }>;
export type ScalarNode = Extract<Node, { kind: "scalar" }>;

/** Aliases nested deeper than this are refused. */
const MAX_ALIAS_DEPTH = 32;
/** Values after expanding aliases: a "billion laughs" file would otherwise expand without end. */
const MAX_NODES = 200_000;

/**
 * Parses one compose text. YAML syntax errors are added to `issues` (with their position) and the
 * result is undefined; an empty file is an empty map.
 */
export function parseTree(file: string, text: string, issues: StackIssues): MapNode | undefined {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, merge: true, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors.slice(0, 5)) {
      const lp = e.linePos?.[0] ?? { line: 1, col: 1 };
      issues.error({ file, line: lp.line, col: lp.col }, `invalid YAML: ${e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`);
    }
    return undefined;
  }
  const pos = (n: YNode | null | undefined): Pos => {
    const off = n?.range?.[0] ?? 0;
    const lp = lc.linePos(off);
    return { file, line: lp.line, col: lp.col };
  };
  let count = 0;
  const conv = (n: unknown, depth: number): Node => {
    if (depth > MAX_ALIAS_DEPTH) throw new Error("aliases nested too deeply");
    if (++count > MAX_NODES) throw new Error(`more than ${MAX_NODES} values once aliases are expanded`);
    if (isAlias(n)) {
      const target = n.resolve(doc as Document);
      return conv(target, depth + 1);
    }
    if (isMap(n)) {
      const entries = new Map<string, Entry>();
      const merged: MapNode[] = [];
      for (const pair of n.items) {
        const k = pair.key;
        if (isScalar(k) && typeof k.value === "symbol") {
          // `<<: *base` or `<<: [*a, *b]`: explicit keys win, then the first listed source.
          const v = conv(pair.value, depth);
          const sources = v.kind === "seq" ? v.items : [v];
          for (const s of sources) {
            if (s.kind !== "map") issues.error(s.pos, "a << merge key takes a mapping or a list of mappings");
            else merged.push(s);
          }
          continue;
        }
        const key = isScalar(k) ? String(k.value) : "";
        if (!isScalar(k) || k.value === null || typeof k.value === "object") {
          issues.error(pos(k as YNode), "a mapping key must be a plain value such as a name");
          continue;
        }
        entries.set(key, { keyPos: pos(k), value: conv(pair.value, depth) });
      }
      for (const m of merged) for (const [key, e] of m.entries) if (!entries.has(key)) entries.set(key, e);
      return { kind: "map", pos: pos(n), entries };
    }
    if (isSeq(n)) return { kind: "seq", pos: pos(n), items: n.items.map((i) => conv(i, depth)) };
    if (isScalar(n)) {
      const v = n.value;
      const value = v === null || v === undefined ? null : typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? v : String(v);
      const text = typeof value === "string" ? value : value === null ? "" : (n.source ?? String(value));
      return { kind: "scalar", pos: pos(n), value, text };
    }
    // An empty value (`key:` with nothing after it) parses as null.
    return { kind: "scalar", pos: pos(n as YNode), value: null, text: "" };
  };
  let root: Node;
  try {
    root = conv(doc.contents, 0);
  } catch (e) {
    issues.error({ file, line: 1, col: 1 }, `invalid YAML: ${(e as Error).message}`);
    return undefined;
  }
  if (root.kind === "scalar" && root.value === null) return { kind: "map", pos: root.pos, entries: new Map() };
  if (root.kind !== "map") {
    issues.error(root.pos, "a compose file must be a mapping with a services: key at the top");
    return undefined;
  }
  return root;
}

/** A short name of a node's kind for messages. */
export function kindText(n: Node): string {
  if (n.kind === "map") return "a mapping";
  if (n.kind === "seq") return "a list";
  if (n.value === null) return "empty";
  return typeof n.value === "string" ? `the string "${n.value.slice(0, 40)}"` : `${typeof n.value} ${n.text}`;
}
