/**
 * `volumes:` (short `src:dst[:ro]` and long `{type, source, target, read_only}`) and `tmpfs:` of a
 * service → mounts. A source starting with `/`, `.` or `~` is a bind (relative to the project
 * directory, the first compose file's); any other source is a named volume, which must be declared
 * under the top-level `volumes:` and is scoped to the stack (`NAME_data`) unless it is `external` or
 * has a `name:`, as Docker does.
 */
import { posix } from "node:path";
import type { Mount } from "../api/index.ts";
import type { Reader } from "./read.ts";
import type { Node } from "./tree.ts";

export interface VolumeContext {
  /** Absolute directory relative bind sources resolve against. */
  projectDir: string;
  /** Home directory for `~` (from the environment); undefined: `~` is an error. */
  home?: string;
  /** Top-level volume name → the engine's volume name; undefined: not declared. */
  volumeName: (name: string) => string | undefined;
  service: string;
}

const LONG_KEYS = ["type", "source", "target", "read_only", "bind", "volume", "tmpfs", "consistency", "image"] as const;

function bindSource(src: string, c: VolumeContext): string | string[] {
  if (src.startsWith("~")) {
    if (!c.home) return ["~ cannot be expanded: HOME is not set"];
    src = c.home + src.slice(1);
  }
  return posix.resolve(c.projectDir, src);
}

function isPathLike(src: string): boolean {
  return src.startsWith("/") || src.startsWith(".") || src.startsWith("~");
}

export function convertVolumes(r: Reader, n: Node, path: string, c: VolumeContext): Mount[] {
  if (n.kind !== "seq") return r.fail(n, path, 'must be a list such as ["./data:/data"]') ?? [];
  const out: Mount[] = [];
  n.items.forEach((it, i) => {
    const at = `${path}[${i}]`;
    const m = it.kind === "map" ? longVolume(r, it, at, c) : shortVolume(r, it, at, c);
    if (m) out.push(m);
  });
  return out;
}

function named(r: Reader, n: Node, at: string, c: VolumeContext, src: string): string | undefined {
  const v = c.volumeName(src);
  if (v === undefined) return r.fail(n, at, `volume "${src}" is not declared: add it under the top-level volumes: key (or use a path such as ./${src} for a bind mount)`);
  return v;
}

function shortVolume(r: Reader, n: Node, at: string, c: VolumeContext): Mount | undefined {
  const s = r.str(n, at);
  if (s === undefined) return undefined;
  const parts = s.split(":");
  if (parts.length > 3 || parts.some((p) => p === "")) return r.fail(n, at, `invalid volume "${s}": expected [source:]target[:ro|rw]`);
  if (parts.length === 1) return { Type: "volume", Target: parts[0]! };
  const [src, target, mode] = parts as [string, string, string | undefined];
  let readOnly = false;
  if (mode !== undefined) {
    for (const opt of mode.split(",")) {
      if (opt === "ro") readOnly = true;
      else if (opt === "rw") readOnly = false;
      else r.issues.warn(`service "${c.service}": ignoring unsupported volume option "${opt}" of ${at}`);
    }
  }
  const m = mountOf(r, n, at, c, isPathLike(src) ? "bind" : "volume", src, target);
  if (m && readOnly) m.ReadOnly = true;
  return m;
}

function mountOf(r: Reader, n: Node, at: string, c: VolumeContext, type: Mount["Type"], src: string | undefined, target: string): Mount | undefined {
  if (type === "bind") {
    if (!src) return r.fail(n, at, "a bind mount needs a source (a path on the host)");
    const s = bindSource(src, c);
    if (typeof s !== "string") return r.fail(n, at, s[0]!);
    return { Type: "bind", Source: s, Target: target };
  }
  if (type === "volume") {
    if (src === undefined || src === "") return { Type: "volume", Target: target };
    const v = named(r, n, at, c, src);
    return v === undefined ? undefined : { Type: "volume", Source: v, Target: target };
  }
  if (src) return r.fail(n, at, "a tmpfs mount takes no source");
  return { Type: "tmpfs", Target: target };
}

function longVolume(r: Reader, n: Extract<Node, { kind: "map" }>, at: string, c: VolumeContext): Mount | undefined {
  r.known(n, at, LONG_KEYS);
  const get = (k: string) => n.entries.get(k)?.value;
  const typeNode = get("type");
  const type = typeNode ? r.str(typeNode, `${at}.type`) : "volume";
  if (type === undefined) return undefined;
  if (type !== "bind" && type !== "volume" && type !== "tmpfs") {
    return r.fail(typeNode!, `${at}.type`, `"${type}" is not supported: use bind, volume or tmpfs`);
  }
  const targetNode = get("target");
  if (!targetNode) return r.fail(n, at, "a volume needs target: (the path inside the container)");
  const target = r.str(targetNode, `${at}.target`);
  const src = get("source") ? r.str(get("source")!, `${at}.source`) : undefined;
  const ro = get("read_only") ? r.bool(get("read_only")!, `${at}.read_only`) : false;
  for (const k of ["bind", "volume", "tmpfs", "consistency", "image"]) {
    if (n.entries.has(k)) r.issues.warn(`service "${c.service}": ignoring unsupported option ${at}.${k}`);
  }
  if (target === undefined) return undefined;
  const m = mountOf(r, n, at, c, type, src, target);
  if (m && ro) m.ReadOnly = true;
  return m;
}

/** `tmpfs: /run` or `tmpfs: [/run, /tmp]`. Options after a colon (`/run:size=64m`) are warned about. */
export function convertTmpfs(r: Reader, n: Node, path: string, service: string): Mount[] {
  const list = n.kind === "seq" ? r.strings(n, path) : (() => {
    const s = r.str(n, path);
    return s === undefined ? undefined : [s];
  })();
  return (list ?? []).map((s) => {
    const [target, opts] = s.split(/:(.*)/s, 2) as [string, string | undefined];
    if (opts) r.issues.warn(`service "${service}": ignoring unsupported tmpfs options "${opts}" of ${path}`);
    return { Type: "tmpfs", Target: target };
  });
}
