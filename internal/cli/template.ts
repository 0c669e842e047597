/**
 * `--format` templates as Docker's CLI takes them: Go's text/template language over JSON-shaped
 * values, with Docker's functions (json, join, split, lower, upper, title, pad, truncate) and Go's
 * builtins (and, or, not, len, index, eq, ne, lt, le, gt, ge, print, printf, println, slice).
 * Supported: text, `{{pipeline}}` with `|`, fields (`.A.B`), variables (`$`, `$x := …`,
 * `{{range $k, $v := …}}`), literals, parentheses, `if`/`else if`/`else`, `range` (with `else`),
 * `with`, `end`, comments, and the `{{-`/`-}}` trim markers. Values print as Go's `%v` does (lists as
 * `[a b]`, objects as `map[k:v]`, a missing field as `<no value>`). Pure.
 *
 * Errors (a bad template, a field missing from a command's row) are SwarmError INVALID_ARGUMENT with
 * Go's wording, so scripts see what Docker would say.
 */
import { SwarmError } from "../api/index.ts";

type Node =
  | { t: "text"; text: string }
  | { t: "out"; pipe: Pipe }
  | { t: "if"; branches: { pipe: Pipe; body: Node[] }[]; els: Node[] }
  | { t: "range"; pipe: Pipe; vars: string[]; body: Node[]; els: Node[] }
  | { t: "with"; pipe: Pipe; body: Node[]; els: Node[] };

type Term =
  | { k: "dot"; chain: string[] }
  | { k: "var"; name: string; chain: string[] }
  | { k: "lit"; v: unknown }
  | { k: "fn"; name: string }
  | { k: "paren"; pipe: Pipe; chain: string[] };

interface Pipe {
  decl?: string[];
  cmds: Term[][];
}

const bad = (msg: string) => SwarmError.invalid(`template: ${msg}`);

// ---- lexing actions --------------------------------------------------------------------------------

function splitActions(src: string): { text: string; action?: string }[] {
  const out: { text: string; action?: string }[] = [];
  let i = 0;
  while (i <= src.length) {
    const open = src.indexOf("{{", i);
    if (open < 0) {
      out.push({ text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src[start] === "-" && /\s/.test(src[start + 1] ?? "")) {
      text = text.replace(/\s+$/, "");
      start += 2;
    }
    // find the closing }} outside string literals
    let j = start;
    let quote: string | undefined;
    for (; j < src.length; j++) {
      const ch = src[j]!;
      if (quote) {
        if (ch === "\\" && quote === '"') j++;
        else if (ch === quote) quote = undefined;
      } else if (ch === '"' || ch === "`") quote = ch;
      else if (ch === "}" && src[j + 1] === "}") break;
    }
    if (j >= src.length) throw bad(`unclosed action`);
    let action = src.slice(start, j);
    let next = j + 2;
    if (/\s-$/.test(action)) {
      action = action.slice(0, -2);
      const m = /^\s*/.exec(src.slice(next))!;
      next += m[0].length;
    }
    out.push({ text, action: action.trim() });
    i = next;
  }
  return out;
}

function tokenize(s: string): string[] {
  const toks: string[] = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === "\\" ? 2 : 1;
      toks.push(s.slice(i, j + 1));
      i = j + 1;
    } else if (ch === "`") {
      const j = s.indexOf("`", i + 1);
      if (j < 0) throw bad("unterminated raw string");
      toks.push(s.slice(i, j + 1));
      i = j + 1;
    } else if ("|(),".includes(ch)) {
      toks.push(ch);
      i++;
    } else if (ch === ":" && s[i + 1] === "=") {
      toks.push(":=");
      i += 2;
    } else if (ch === "=") {
      toks.push("=");
      i++;
    } else {
      let j = i;
      while (j < s.length && !/\s/.test(s[j]!) && !"|(),\"`".includes(s[j]!) && !(s[j] === ":" && s[j + 1] === "=")) j++;
      // a term right after ")" such as ").Field" stays one token with the paren handled by the parser
      toks.push(s.slice(i, j));
      i = j;
    }
  }
  return toks;
}

// ---- parsing -----------------------------------------------------------------------------------------

function fieldChain(tok: string): string[] {
  return tok.split(".").slice(1).filter((x) => x !== "");
}

function unquote(tok: string): string {
  if (tok.startsWith("`")) return tok.slice(1, -1);
  try {
    return JSON.parse(tok.replace(/\\'/g, "'")) as string;
  } catch {
    throw bad(`bad string ${tok}`);
  }
}

function parsePipe(toks: string[], pos = { i: 0 }, stop: string[] = []): Pipe {
  const pipe: Pipe = { cmds: [] };
  // declarations: `$x :=` or `$k, $v :=`
  const save = pos.i;
  const names: string[] = [];
  while (toks[pos.i]?.startsWith("$")) {
    names.push(toks[pos.i]!);
    if (toks[pos.i + 1] === ",") pos.i += 2;
    else {
      pos.i++;
      break;
    }
  }
  if (names.length && (toks[pos.i] === ":=" || toks[pos.i] === "=")) {
    pipe.decl = names;
    pos.i++;
  } else pos.i = save;
  let cmd: Term[] = [];
  while (pos.i < toks.length && !stop.includes(toks[pos.i]!)) {
    const tok = toks[pos.i++]!;
    if (tok === "|") {
      if (!cmd.length) throw bad("missing command before |");
      pipe.cmds.push(cmd);
      cmd = [];
      continue;
    }
    if (tok === "(") {
      const inner = parsePipe(toks, pos, [")"]);
      if (toks[pos.i] !== ")") throw bad("unclosed (");
      pos.i++;
      let chain: string[] = [];
      if (toks[pos.i]?.startsWith(".") && toks[pos.i] !== ".") chain = fieldChain(toks[pos.i++]!);
      cmd.push({ k: "paren", pipe: inner, chain });
      continue;
    }
    cmd.push(term(tok));
  }
  if (cmd.length) pipe.cmds.push(cmd);
  if (!pipe.cmds.length) throw bad("missing value for command");
  return pipe;
}

function term(tok: string): Term {
  if (tok === ".") return { k: "dot", chain: [] };
  if (tok.startsWith(".")) return { k: "dot", chain: fieldChain(tok) };
  if (tok.startsWith("$")) {
    const [name, ...rest] = tok.split(".");
    return { k: "var", name: name!, chain: rest };
  }
  if (tok.startsWith('"') || tok.startsWith("`")) return { k: "lit", v: unquote(tok) };
  if (tok === "true" || tok === "false") return { k: "lit", v: tok === "true" };
  if (tok === "nil") return { k: "lit", v: null };
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(tok)) return { k: "lit", v: Number(tok) };
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(tok)) return { k: "fn", name: tok };
  throw bad(`unexpected "${tok}" in command`);
}

function parse(src: string): Node[] {
  const parts = splitActions(src);
  let idx = 0;
  const block = (ends: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (idx < parts.length) {
      const p = parts[idx++]!;
      if (p.text) nodes.push({ t: "text", text: p.text });
      if (p.action === undefined) continue;
      const a = p.action;
      if (a.startsWith("/*")) continue;
      const word = a.split(/\s+/, 1)[0]!;
      const rest = a.slice(word.length).trim();
      if (word === "end" || word === "else") {
        if (!ends.includes(word)) throw bad(`unexpected {{${word}}}`);
        if (word === "else") return { nodes, end: rest ? `else ${rest}` : "else" };
        return { nodes, end: "end" };
      }
      if (word === "if") {
        const branches = [{ pipe: parsePipe(tokenize(rest)), body: [] as Node[] }];
        let els: Node[] = [];
        for (;;) {
          const b = block(["end", "else"]);
          branches[branches.length - 1]!.body = b.nodes;
          if (b.end === "end") break;
          if (b.end.startsWith("else if ")) {
            branches.push({ pipe: parsePipe(tokenize(b.end.slice(8))), body: [] });
            continue;
          }
          els = block(["end"]).nodes;
          break;
        }
        nodes.push({ t: "if", branches, els });
      } else if (word === "range" || word === "with") {
        const pipe = parsePipe(tokenize(rest));
        const b = block(["end", "else"]);
        const els = b.end === "end" ? [] : block(["end"]).nodes;
        if (word === "range") nodes.push({ t: "range", pipe, vars: pipe.decl ?? [], body: b.nodes, els });
        else nodes.push({ t: "with", pipe, body: b.nodes, els });
      } else {
        nodes.push({ t: "out", pipe: parsePipe(tokenize(a)) });
      }
    }
    if (ends.length) throw bad("unexpected EOF (missing {{end}})");
    return { nodes, end: "" };
  };
  return block([]).nodes;
}

// ---- evaluation ----------------------------------------------------------------------------------------

const MISSING = Symbol("no value");

/** Go's `%v` of a JSON-shaped value. */
export function goString(v: unknown): string {
  if (v === MISSING) return "<no value>";
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "number") return Number.isInteger(v) && Math.abs(v) < 1e21 ? BigInt(v).toString() : String(v);
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(goString).join(" ")}]`;
  if (typeof v === "object") return `map[${Object.keys(v).sort().map((k) => `${k}:${goString((v as Record<string, unknown>)[k])}`).join(" ")}]`;
  return String(v);
}

/**
 * `json` as Docker's CLI prints it: Go's encoder writes a struct's fields in their order and a map's
 * keys sorted. JSON alone cannot tell them apart; objects whose keys all look like Go field names
 * (an upper-case first letter) keep their order, others (labels, options) are sorted. A command's row
 * is marshalled by Docker with HTML escaping (<, >, & as \u003c…), as Go's json.Marshal does.
 */
function goJson(v: unknown): string {
  const sortMaps = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sortMaps);
    if (x === null || typeof x !== "object") return x;
    const keys = Object.keys(x);
    const struct = keys.length > 0 && keys.every((k) => /^[A-Z]/.test(k));
    return Object.fromEntries((struct ? keys : [...keys].sort()).map((k) => [k, sortMaps((x as Record<string, unknown>)[k])]));
  };
  const text = JSON.stringify(v === MISSING ? null : sortMaps(v)) ?? "null";
  const row = v !== null && typeof v === "object" && (v as { [ROW]?: string })[ROW];
  return row ? text.replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026") : text;
}

function truthy(v: unknown): boolean {
  if (v === MISSING || v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

function str(v: unknown, fn: string): string {
  if (typeof v !== "string") throw bad(`${fn}: expected a string, got ${goString(v)}`);
  return v;
}

function printf(format: string, args: unknown[]): string {
  let i = 0;
  return format.replace(/%([-+ 0#]*)(\d*)(?:\.(\d+))?([sdvqtfx%])/g, (_m, flags: string, width: string, prec: string, verb: string) => {
    if (verb === "%") return "%";
    const a = args[i++];
    let s: string;
    switch (verb) {
      case "d": s = typeof a === "number" ? String(Math.trunc(a)) : `%!d(${goString(a)})`; break;
      case "f": s = typeof a === "number" ? a.toFixed(prec ? Number(prec) : 6) : `%!f(${goString(a)})`; break;
      case "q": s = JSON.stringify(goString(a)); break;
      case "x": s = typeof a === "number" ? a.toString(16) : Buffer.from(goString(a)).toString("hex"); break;
      default: s = goString(a);
    }
    if (prec && verb === "s") s = s.slice(0, Number(prec));
    const w = Number(width || 0);
    return flags.includes("-") ? s.padEnd(w) : s.padStart(w, flags.includes("0") && verb !== "s" ? "0" : " ");
  });
}

function compare(a: unknown, b: unknown, fn: string): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  throw bad(`${fn}: incompatible types for comparison`);
}

const FUNCS: Record<string, (...a: unknown[]) => unknown> = {
  // Docker's (cli/templates): json without HTML escaping, and string helpers.
  json: (v) => goJson(v),
  split: (s, sep) => str(s, "split").split(str(sep, "split")),
  join: (list, sep) => {
    if (!Array.isArray(list)) throw bad(`join: expected a list, got ${goString(list)}`);
    return list.map(goString).join(str(sep, "join"));
  },
  title: (s) => str(s, "title").replace(/(^|[^\p{L}\p{N}'])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase()),
  lower: (s) => str(s, "lower").toLowerCase(),
  upper: (s) => str(s, "upper").toUpperCase(),
  pad: (s, pre, post) => " ".repeat(Number(pre)) + goString(s) + " ".repeat(Number(post)),
  truncate: (s, n) => {
    const t = goString(s);
    return t.length > Number(n) ? t.slice(0, Number(n)) : t;
  },
  // Go's builtins.
  len: (v) => (typeof v === "string" || Array.isArray(v) ? v.length : v && typeof v === "object" ? Object.keys(v).length : (() => { throw bad(`len of ${goString(v)}`); })()),
  // A key missing from a map gives the map's zero value: "" for the string maps templates index (labels).
  index: (v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (Array.isArray(cur)) {
        if (typeof k !== "number" || k < 0 || k >= cur.length) throw bad(`index out of range: ${goString(k)}`);
        cur = cur[k];
      } else cur = cur !== null && typeof cur === "object" ? ((cur as Record<string, unknown>)[String(k)] ?? "") : MISSING;
    }
    return cur;
  },
  slice: (v, a, b) => (typeof v === "string" || Array.isArray(v) ? v.slice(Number(a ?? 0), b === undefined ? undefined : Number(b)) : v),
  not: (v) => !truthy(v),
  // and/or: the first falsy/truthy argument, else the last (evaluated in evalCmd).
  and: (...a) => a.find((v) => !truthy(v)) ?? a.at(-1),
  or: (...a) => a.find((v) => truthy(v)) ?? a.at(-1),
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  lt: (a, b) => compare(a, b, "lt") < 0,
  le: (a, b) => compare(a, b, "le") <= 0,
  gt: (a, b) => compare(a, b, "gt") > 0,
  ge: (a, b) => compare(a, b, "ge") >= 0,
  print: (...a) => a.map(goString).join(""),
  println: (...a) => a.map(goString).join(" ") + "\n",
  printf: (f, ...a) => printf(str(f, "printf"), a),
};

type Scope = Map<string, unknown>;

function field(v: unknown, chain: string[], strictTop: boolean): unknown {
  let cur = v;
  for (const [i, k] of chain.entries()) {
    if (cur === MISSING) return MISSING;
    if (cur === null || cur === undefined) throw bad(`nil pointer evaluating .${chain.slice(0, i + 1).join(".")}`);
    if (typeof cur !== "object" || Array.isArray(cur)) throw bad(`can't evaluate field ${k} in type ${Array.isArray(cur) ? "list" : typeof cur}`);
    if (!(k in (cur as object))) {
      if (strictTop && i === 0 && (cur as { [ROW]?: string })[ROW]) throw bad(`can't evaluate field ${k} in type ${(cur as { [ROW]?: string })[ROW]}`);
      return MISSING;
    }
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** Marks a command's row object: a field missing from it is an error (a typo), like a Go struct's. */
export const ROW = Symbol("template row");

function evalPipe(p: Pipe, dot: unknown, scope: Scope): unknown {
  let val: unknown;
  let piped = false;
  for (const cmd of p.cmds) {
    val = evalCmd(cmd, dot, scope, piped ? [val] : []);
    piped = true;
  }
  if (p.decl) for (const n of p.decl) scope.set(n, val);
  return val;
}

function evalTerm(t: Term, dot: unknown, scope: Scope): unknown {
  switch (t.k) {
    case "dot": return field(dot, t.chain, true);
    case "var": {
      if (!scope.has(t.name)) throw bad(`undefined variable: ${t.name}`);
      return field(scope.get(t.name), t.chain, false);
    }
    case "lit": return t.v;
    case "paren": return field(evalPipe(t.pipe, dot, scope), t.chain, false);
    case "fn": throw bad(`${t.name} is a function, not a value`);
  }
}

function evalCmd(cmd: Term[], dot: unknown, scope: Scope, piped: unknown[]): unknown {
  const [head, ...args] = cmd;
  if (head!.k === "fn") {
    const f = FUNCS[head!.name];
    if (!f) throw bad(`function "${head!.name}" not defined`);
    const values = [...args.map((a) => evalTerm(a, dot, scope)), ...piped];
    return f(...values);
  }
  if (args.length || piped.length) throw bad(`can't give argument to non-function ${goString(evalTerm(head!, dot, scope))}`);
  return evalTerm(head!, dot, scope);
}

function run(nodes: Node[], dot: unknown, scope: Scope, out: string[]): void {
  for (const n of nodes) {
    switch (n.t) {
      case "text": out.push(n.text); break;
      case "out": {
        const v = evalPipe(n.pipe, dot, scope);
        if (!n.pipe.decl) out.push(goString(v));
        break;
      }
      case "if": {
        const b = n.branches.find((br) => truthy(evalPipe(br.pipe, dot, new Map(scope))));
        run(b ? b.body : n.els, dot, new Map(scope), out);
        break;
      }
      case "with": {
        const v = evalPipe(n.pipe, dot, new Map(scope));
        if (truthy(v)) run(n.body, v, new Map(scope), out);
        else run(n.els, dot, new Map(scope), out);
        break;
      }
      case "range": {
        const v = evalPipe({ cmds: n.pipe.cmds }, dot, scope);
        const entries: [unknown, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : v !== MISSING && v && typeof v === "object" ? Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]) : [];
        if (!entries.length) run(n.els, dot, new Map(scope), out);
        for (const [k, x] of entries) {
          const s = new Map(scope);
          if (n.vars.length === 1) s.set(n.vars[0]!, x);
          if (n.vars.length === 2) {
            s.set(n.vars[0]!, k);
            s.set(n.vars[1]!, x);
          }
          run(n.body, x, s, out);
        }
        break;
      }
    }
  }
}

export interface Template {
  execute(data: unknown): string;
}

/** Compiles a template once; `execute` runs it on one value. */
export function compileTemplate(src: string): Template {
  const nodes = parse(src);
  return {
    execute(data: unknown): string {
      const out: string[] = [];
      run(nodes, data, new Map([["$", data]]), out);
      return out.join("");
    },
  };
}
