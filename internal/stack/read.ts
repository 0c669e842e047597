/**
 * Typed readers over the located tree: each returns the value, or records an error at the node's
 * position (naming the key path the user wrote) and returns undefined. Numbers and booleans may be
 * strings, as after interpolation (`replicas: ${N}`), like Docker's loader casts them.
 */
import { parseBytes, parseCpus, parseDuration } from "../spec/index.ts";
import type { StackIssues } from "./issues.ts";
import { kindText, type MapNode, type Node } from "./tree.ts";

export class Reader {
  constructor(readonly issues: StackIssues) {}

  fail(n: Node, path: string, message: string): undefined {
    this.issues.error(n.pos, `${path}: ${message}`);
    return undefined;
  }

  map(n: Node, path: string): MapNode | undefined {
    return n.kind === "map" ? n : this.fail(n, path, `must be a mapping, not ${kindText(n)}`);
  }

  str(n: Node, path: string): string | undefined {
    if (n.kind === "scalar" && n.value !== null) return n.text;
    return this.fail(n, path, `must be a string, not ${kindText(n)}`);
  }

  int(n: Node, path: string, min: number, max: number): number | undefined {
    const s = this.str(n, path);
    if (s === undefined) return undefined;
    if (!/^-?\d+$/.test(s.trim())) return this.fail(n, path, `must be an integer, not "${s}"`);
    const v = Number(s);
    if (v < min || v > max) return this.fail(n, path, `must be between ${min} and ${max}, not ${v}`);
    return v;
  }

  bool(n: Node, path: string): boolean | undefined {
    if (n.kind === "scalar" && typeof n.value === "boolean") return n.value;
    const s = n.kind === "scalar" ? n.text.toLowerCase() : "";
    if (s === "true") return true;
    if (s === "false") return false;
    return this.fail(n, path, `must be true or false, not ${kindText(n)}`);
  }

  /** Go durations (`10s`, `1m30s`), in nanoseconds. */
  duration(n: Node, path: string): number | undefined {
    const s = this.str(n, path);
    if (s === undefined) return undefined;
    try {
      return parseDuration(path, s);
    } catch {
      return this.fail(n, path, `invalid duration "${s}": use e.g. 10s, 1m30s or 500ms`);
    }
  }

  bytes(n: Node, path: string): number | undefined {
    const s = this.str(n, path);
    if (s === undefined) return undefined;
    try {
      return parseBytes(path, s);
    } catch {
      return this.fail(n, path, `invalid size "${s}": use e.g. 512M or 1G`);
    }
  }

  cpus(n: Node, path: string): number | undefined {
    const s = this.str(n, path);
    if (s === undefined) return undefined;
    try {
      return parseCpus(path, s.startsWith(".") ? `0${s}` : s);
    } catch {
      return this.fail(n, path, `invalid number of CPUs "${s}": use e.g. 0.5 or 2 (at least 0.01)`);
    }
  }

  /** A list of strings. */
  strings(n: Node, path: string): string[] | undefined {
    if (n.kind !== "seq") return this.fail(n, path, `must be a list, not ${kindText(n)}`);
    const out: string[] = [];
    n.items.forEach((it, i) => {
      const s = this.str(it, `${path}[${i}]`);
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  /** `command: echo hi` (split like a shell) or `command: [echo, hi]`. */
  command(n: Node, path: string): string[] | undefined {
    if (n.kind === "seq") return this.strings(n, path);
    const s = this.str(n, path);
    if (s === undefined) return undefined;
    const r = shellSplit(s);
    return typeof r === "string" ? this.fail(n, path, r) : r;
  }

  /** Records an error for each key of `m` not in `known` (x- extensions are allowed). */
  known(m: MapNode, path: string, known: readonly string[]): void {
    for (const [k, e] of m.entries) {
      if (k.startsWith("x-") || known.includes(k)) continue;
      const near = known.find((c) => editDistance(c, k) <= 2);
      const hint = near ? `did you mean "${near}"?` : known.length <= 12 ? `expected one of ${known.join(", ")}` : "not a compose key";
      this.issues.error(e.keyPos, `${path}: unknown key "${k}" (${hint})`);
    }
  }
}

/** Levenshtein distance, for "did you mean" hints. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** Splits a command line as a POSIX shell would split words: quotes and backslashes, nothing else. */
export function shellSplit(s: string): string[] | string {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) return `unterminated single quote in "${s}"`;
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === "\\" && j + 1 < s.length && '"\\$`'.includes(s[j + 1]!)) j++;
        cur += s[j];
      }
      if (j >= s.length) return `unterminated double quote in "${s}"`;
      i = j;
      inWord = true;
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}
