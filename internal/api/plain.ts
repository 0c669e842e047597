/**
 * Plain-data checks for bodies that arrive from other nodes or clients: only objects, arrays, strings,
 * finite numbers, booleans, null and byte arrays, within depth and size limits. Anything else (a
 * cyclic structure, a Map, a huge string) is refused before it reaches a handler or Raft.
 */
import { SwarmError } from "./errors.ts";

export interface PlainLimits {
  maxDepth: number;
  maxStringLength: number;
  maxKeys: number;
  maxItems: number;
}

export const DEFAULT_PLAIN_LIMITS: PlainLimits = { maxDepth: 32, maxStringLength: 1 << 20, maxKeys: 4096, maxItems: 100_000 };

/** Throws INVALID_ARGUMENT naming the path of the first value that is not plain data. */
export function assertPlain(value: unknown, what: string, limits: PlainLimits = DEFAULT_PLAIN_LIMITS): void {
  let items = 0;
  const walk = (v: unknown, path: string, depth: number): void => {
    if (depth > limits.maxDepth) throw SwarmError.invalid(`${what}: ${path} is nested deeper than ${limits.maxDepth}`);
    if (++items > limits.maxItems) throw SwarmError.invalid(`${what}: more than ${limits.maxItems} values`);
    if (v === null || typeof v === "boolean") return;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw SwarmError.invalid(`${what}: ${path} is not a finite number`);
      return;
    }
    if (typeof v === "string") {
      if (v.length > limits.maxStringLength) throw SwarmError.invalid(`${what}: ${path} is longer than ${limits.maxStringLength} characters`);
      return;
    }
    if (v instanceof Uint8Array) return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${path}[${i}]`, depth + 1));
      return;
    }
    if (typeof v === "object") {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) throw SwarmError.invalid(`${what}: ${path} is not a plain object`);
      const keys = Object.keys(v as object);
      if (keys.length > limits.maxKeys) throw SwarmError.invalid(`${what}: ${path} has more than ${limits.maxKeys} keys`);
      for (const k of keys) {
        if (k === "__proto__" || k === "constructor" || k === "prototype") throw SwarmError.invalid(`${what}: ${path} has a forbidden key ${k}`);
        walk((v as Record<string, unknown>)[k], `${path}.${k}`, depth + 1);
      }
      return;
    }
    throw SwarmError.invalid(`${what}: ${path} is a ${typeof v}, not plain data`);
  };
  walk(value, "body", 0);
}
