/**
 * Compose interpolation of one string, as Docker's CLI does it: `$VAR`, `${VAR}`, `${VAR:-default}`
 * (unset or empty), `${VAR-default}` (unset), `${VAR:?message}` (error when unset or empty),
 * `${VAR?message}` (error when unset), `$$` for a literal `$`. Defaults may themselves contain
 * `${…}`. An unset variable without a default becomes "" (and the caller warns, as Docker does). Pure.
 */

export type Lookup = (name: string) => string | undefined;

export type InterpolationResult =
  | { ok: true; value: string; unset: string[] }
  | { ok: false; error: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function interpolate(input: string, lookup: Lookup): InterpolationResult {
  const unset: string[] = [];
  let out = "";
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (next === "{") {
      const end = closingBrace(input, i + 2);
      if (end < 0) return { ok: false, error: `invalid interpolation format in "${input}": a \${ is not closed by a }` };
      const body = input.slice(i + 2, end);
      const r = substitute(body, lookup, unset);
      if (!r.ok) return r;
      out += r.value;
      i = end + 1;
      continue;
    }
    const m = NAME.exec(input.slice(i + 1));
    if (m) {
      const v = lookup(m[0]);
      if (v === undefined) unset.push(m[0]);
      out += v ?? "";
      i += 1 + m[0].length;
      continue;
    }
    return { ok: false, error: `invalid interpolation format in "${input}": write $$ for a literal $` };
  }
  return { ok: true, value: out, unset };
}

/** Index of the } that closes a ${ whose body starts at `from` (nested ${…} inside defaults). */
function closingBrace(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    if (s[i] === "$" && s[i + 1] === "{") {
      depth++;
      i++;
    } else if (s[i] === "}") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function substitute(body: string, lookup: Lookup, unset: string[]): InterpolationResult {
  const m = NAME.exec(body);
  if (!m) return { ok: false, error: `invalid interpolation format: "\${${body}}" does not start with a variable name` };
  const name = m[0];
  const rest = body.slice(name.length);
  const value = lookup(name);
  if (rest === "") {
    if (value === undefined) unset.push(name);
    return { ok: true, value: value ?? "", unset };
  }
  const op = /^(:?[-?+])/.exec(rest);
  if (!op) return { ok: false, error: `invalid interpolation format: "\${${body}}" (use \${VAR}, \${VAR:-default} or \${VAR:?message})` };
  const arg = rest.slice(op[1]!.length);
  const colon = op[1]!.startsWith(":");
  const missing = value === undefined || (colon && value === "");
  const kind = op[1]!.slice(-1);
  const nested = (): InterpolationResult => {
    const r = interpolate(arg, lookup);
    if (r.ok) unset.push(...r.unset);
    return r.ok ? { ok: true, value: r.value, unset } : r;
  };
  if (kind === "-") return missing ? nested() : { ok: true, value: value!, unset };
  if (kind === "+") return missing ? { ok: true, value: "", unset } : nested();
  // "?": required
  if (!missing) return { ok: true, value: value!, unset };
  const msg = nested();
  const text = msg.ok && msg.value !== "" ? msg.value : `${name} is ${value === undefined ? "not set" : "empty"}`;
  return { ok: false, error: `required variable ${name} is missing a value: ${text}` };
}
