/**
 * Merges the `-c` files in order, as Docker does (the compose specification's merge rules): mappings
 * merge key by key, the later file winning for scalars; lists are appended, except `command`,
 * `entrypoint` and `healthcheck.test`, which the later file replaces; `ports`, `volumes`, `secrets`
 * and `configs` are unique resources: an entry of the later file replaces the earlier entry with the
 * same key (the port's published/target/protocol, the mount's target, the secret's target);
 * `environment`, `labels` (service and deploy), `extra_hosts` and `sysctls` merge by key whichever form
 * (list or mapping) each file uses. Positions stay those of the file each winning value came from. Pure.
 */
import type { MapNode, Node, ScalarNode } from "./tree.ts";

const REPLACED = new Set(["services.*.command", "services.*.entrypoint", "services.*.healthcheck.test"]);
const KEYED_MAPS = new Set(["services.*.environment", "services.*.labels", "services.*.deploy.labels", "services.*.extra_hosts", "services.*.sysctls"]);
const UNIQUE = new Set(["services.*.ports", "services.*.volumes", "services.*.secrets", "services.*.configs"]);

/** `services.web.ports` → `services.*.ports` (the service name does not matter to the rules). */
function pattern(path: string[]): string {
  return path.map((p, i) => (i === 1 && path[0] === "services" ? "*" : p)).join(".");
}

export function mergeFiles(files: MapNode[]): MapNode | undefined {
  if (files.length === 0) return undefined;
  return files.slice(1).reduce((base, over) => mergeNode(base, over, []) as MapNode, files[0]!);
}

function mergeNode(base: Node, over: Node, path: string[]): Node {
  const pat = pattern(path);
  if (REPLACED.has(pat)) return over;
  if (KEYED_MAPS.has(pat)) {
    const b = asKeyedMap(base);
    const o = asKeyedMap(over);
    if (b && o) return mergeMaps(b, o, path);
    return over;
  }
  if (UNIQUE.has(pat) && base.kind === "seq" && over.kind === "seq") {
    const items = [...base.items];
    for (const it of over.items) {
      const k = uniqueKey(path[path.length - 1]!, it);
      const at = k === undefined ? -1 : items.findIndex((x) => uniqueKey(path[path.length - 1]!, x) === k);
      if (at >= 0) items[at] = it;
      else items.push(it);
    }
    return { kind: "seq", pos: base.pos, items };
  }
  if (base.kind === "map" && over.kind === "map") return mergeMaps(base, over, path);
  if (base.kind === "seq" && over.kind === "seq") return { kind: "seq", pos: base.pos, items: [...base.items, ...over.items] };
  return over;
}

function mergeMaps(base: MapNode, over: MapNode, path: string[]): MapNode {
  const entries = new Map(base.entries);
  for (const [k, e] of over.entries) {
    const b = entries.get(k);
    entries.set(k, b ? { keyPos: e.keyPos, value: mergeNode(b.value, e.value, [...path, k]) } : e);
  }
  return { kind: "map", pos: base.pos, entries };
}

/**
 * `environment: [A=1, B]` as the mapping `{A: "1", B: null}` (labels alike), positions kept; a mapping
 * is returned as is; anything else (a type error, reported later) is undefined.
 */
export function asKeyedMap(n: Node): MapNode | undefined {
  if (n.kind === "map") return n;
  if (n.kind !== "seq") return undefined;
  const entries: MapNode["entries"] = new Map();
  for (const it of n.items) {
    if (it.kind !== "scalar" || it.value === null) return undefined;
    const s = it.text;
    const eq = s.indexOf("=");
    const key = eq < 0 ? s : s.slice(0, eq);
    const value: ScalarNode = eq < 0 ? { kind: "scalar", pos: it.pos, value: null, text: "" } : { kind: "scalar", pos: it.pos, value: s.slice(eq + 1), text: s.slice(eq + 1) };
    entries.set(key, { keyPos: it.pos, value });
  }
  return { kind: "map", pos: n.pos, entries };
}

function scalarAt(n: Node, key: string): string | undefined {
  if (n.kind !== "map") return undefined;
  const v = n.entries.get(key)?.value;
  return v?.kind === "scalar" && v.value !== null ? v.text : undefined;
}

/** The identity of one entry of a unique-resource list (undefined: never replaces anything). */
function uniqueKey(list: string, n: Node): string | undefined {
  if (list === "volumes") {
    if (n.kind === "scalar") {
      const parts = n.text.split(":");
      return parts.length === 1 ? parts[0] : parts[1];
    }
    return scalarAt(n, "target");
  }
  if (list === "ports") {
    if (n.kind === "scalar") {
      // Short and long forms of the same port share a key: "8080:80" and {published: 8080, target: 80}.
      const m = /^(?:(\d+):)?(\d+)(?:\/(tcp|udp))?$/.exec(n.text);
      return m ? `${m[1] ?? ""}:${m[2]}/${m[3] ?? "tcp"}` : n.text;
    }
    return `${scalarAt(n, "published") ?? ""}:${scalarAt(n, "target") ?? ""}/${scalarAt(n, "protocol") ?? "tcp"}`;
  }
  // secrets, configs: by target, else source
  if (n.kind === "scalar") return n.text;
  return scalarAt(n, "target") ?? scalarAt(n, "source");
}
