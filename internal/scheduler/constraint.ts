/**
 * Placement constraints, as in Docker's `--constraint`: `<key>==<value>` or `<key>!=<value>` with keys
 * node.id, node.hostname, node.role, node.platform.os, node.platform.arch and node.labels.<name>.
 * Values match case-insensitively (like Docker). A `!=` on a label the node does not have matches.
 */
import { type Node, SwarmError } from "../api/index.ts";

export type ConstraintOp = "==" | "!=";

export interface Constraint {
  /** Lower-cased key, with the label name kept as written: `node.labels.Zone`. */
  key: string;
  op: ConstraintOp;
  value: string;
  /** The text it was parsed from, trimmed (for messages). */
  text: string;
}

const KEYS = ["node.id", "node.hostname", "node.role", "node.platform.os", "node.platform.arch"];
const LABEL_PREFIX = "node.labels.";
const LABEL_NAME = /^[A-Za-z0-9_.\-/]+$/;
const VALUE = /^[A-Za-z0-9:\-_\s.*()?+[\]\\^$|/]+$/;

function invalid(s: string, why: string): SwarmError {
  return SwarmError.invalid(
    `invalid constraint "${s}": ${why}; use KEY==VALUE or KEY!=VALUE with KEY one of ${KEYS.join(", ")}, node.labels.NAME`,
  );
}

/** Parses one constraint; throws SwarmError INVALID_ARGUMENT with what is wrong and the expected form. */
export function parseConstraint(s: string): Constraint {
  const text = s.trim();
  let op: ConstraintOp | undefined;
  let at = text.indexOf("==");
  if (at >= 0) op = "==";
  else {
    at = text.indexOf("!=");
    if (at >= 0) op = "!=";
  }
  if (op === undefined) throw invalid(s, "missing operator == or !=");
  const rawKey = text.slice(0, at).trim();
  const value = text.slice(at + 2).trim();
  if (rawKey === "") throw invalid(s, "missing key");
  if (value === "") throw invalid(s, "missing value");
  if (value.includes("==") || value.includes("!=")) throw invalid(s, "more than one operator");
  if (!VALUE.test(value)) throw invalid(s, `value "${value}" contains characters that are not allowed`);
  const lower = rawKey.toLowerCase();
  if (lower.startsWith(LABEL_PREFIX)) {
    const name = rawKey.slice(LABEL_PREFIX.length);
    if (name === "" || !LABEL_NAME.test(name)) throw invalid(s, `label name "${name}" is not valid`);
    return { key: LABEL_PREFIX + name, op, value, text };
  }
  if (lower.startsWith("engine.labels.")) throw invalid(s, "engine.labels constraints are not supported");
  if (!KEYS.includes(lower)) throw invalid(s, `unknown key "${rawKey}"`);
  return { key: lower, op, value, text };
}

/** Parses a list; the first bad one throws. */
export function parseConstraints(list: readonly string[] | undefined): Constraint[] {
  return (list ?? []).map(parseConstraint);
}

function nodeValue(node: Node, key: string): string | undefined {
  switch (key) {
    case "node.id":
      return node.ID;
    case "node.hostname":
      return node.Description.Hostname;
    case "node.role":
      return node.Spec.Role;
    case "node.platform.os":
      return node.Description.Platform.OS;
    case "node.platform.arch":
      return node.Description.Platform.Architecture;
  }
  const labels = node.Spec.Labels ?? {};
  const name = key.slice(LABEL_PREFIX.length);
  return Object.hasOwn(labels, name) ? labels[name] : undefined;
}

export function matchConstraint(node: Node, c: Constraint): boolean {
  const have = nodeValue(node, c.key);
  const equal = have !== undefined && have.toLowerCase() === c.value.toLowerCase();
  return c.op === "==" ? equal : !equal;
}

/** The first constraint the node does not satisfy, or undefined if all match. */
export function firstUnmet(node: Node, cs: readonly Constraint[]): Constraint | undefined {
  return cs.find((c) => !matchConstraint(node, c));
}

/**
 * Whether a node satisfies a spec's constraint strings. A constraint that does not parse matches no
 * node (the CLI rejects those before they reach the state; this keeps old state safe).
 */
export function nodeMatches(node: Node, constraints: readonly string[] | undefined): boolean {
  try {
    return firstUnmet(node, parseConstraints(constraints)) === undefined;
  } catch {
    return false;
  }
}
