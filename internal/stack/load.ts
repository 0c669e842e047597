/**
 * `stack deploy -c a.yml -c b.yml NAME`, the pure part: compose texts → validated service specs and
 * warnings, or one SwarmError INVALID_ARGUMENT listing every problem as `file:line:column: …`.
 *
 * Order (Docker's): each file is parsed and interpolated on its own (`${VAR}` from the environment,
 * then the `.env` file beside the first compose file), the files are merged in order (merge.ts), then
 * the merged project is validated and converted as a whole. Nothing is returned unless everything is
 * valid, and every spec has passed the API's own schema: the caller can deploy without surprises.
 * File access comes in through `readFile` (env files, `.env`), so this stays pure and testable.
 */
import { posix } from "node:path";
import { SwarmError, type ServiceSpec } from "../api/index.ts";
import { parseDotenv } from "./dotenv.ts";
import { interpolate } from "./interpolate.ts";
import { StackIssues, type Pos } from "./issues.ts";
import { scopedName } from "./labels.ts";
import { mergeFiles } from "./merge.ts";
import { Reader } from "./read.ts";
import { checkSpec } from "./spec-check.ts";
import { declaredFiles, type StackFile } from "./files.ts";
import { convertService } from "./service.ts";
import { parseTree, type Entry, type MapNode, type Node } from "./tree.ts";

export interface ComposeFile {
  /** As the user named it: used in messages. */
  path: string;
  text: string;
}

export interface LoadOptions {
  files: ComposeFile[];
  /** The process environment (wins over `.env`). */
  env: Record<string, string | undefined>;
  /** Absolute directory of the first compose file: relative paths and `.env` resolve against it. */
  projectDir: string;
  /** Reads a file by absolute path; undefined when it does not exist. */
  readFile: (absPath: string) => string | undefined;
}

export interface StackService {
  /** The name in the compose file (`web`); the spec's Name is `NAME_web`. */
  name: string;
  spec: ServiceSpec;
  /** Where the service is declared (in the last file that mentions it). */
  pos: Pos;
}

export interface LoadedStack {
  namespace: string;
  services: StackService[];
  /** Keys ignored (named with their service), unset variables: print them, deploy anyway. */
  warnings: string[];
  /**
   * Top-level secrets and configs, sorted by kind and key: the deploy creates those that are not
   * external (and do not exist yet) before the services, and checks that the external ones exist.
   */
  files: StackFile[];
}

const TOP_KEYS = ["version", "name", "services", "volumes", "networks", "secrets", "configs", "include"];

export function validateStackName(name: string): string | undefined {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) return `invalid stack name "${name}": use letters, digits, '-', '_' or '.', starting with a letter or digit`;
  if (name.length > 40) return `invalid stack name "${name}": at most 40 characters (service names NAME_service are at most 63)`;
  return undefined;
}

export function loadStack(namespace: string, o: LoadOptions): LoadedStack {
  const issues = new StackIssues(o.files.map((f) => f.path));
  const nameError = validateStackName(namespace);
  if (nameError) throw issuesToError(nameError);
  if (o.files.length === 0) throw issuesToError("no compose file: give one with -c FILE");

  const dotenvPath = posix.join(o.projectDir, ".env");
  const dotenvText = o.readFile(dotenvPath);
  const dotenv = new Map<string, string>();
  if (dotenvText !== undefined) {
    const r = parseDotenv(dotenvText, (k) => o.env[k]);
    if (!r.ok) issues.error({ file: dotenvPath, line: r.line, col: 1 }, r.error);
    else for (const [k, v] of r.vars) dotenv.set(k, v);
  }
  const lookup = (k: string) => o.env[k] ?? dotenv.get(k);

  const trees: MapNode[] = [];
  for (const f of o.files) {
    const t = parseTree(f.path, f.text, issues);
    if (t) trees.push(interpolateTree(t, lookup, issues) as MapNode);
  }
  issues.throwIfAny(); // YAML syntax errors: nothing below would make sense
  const project = mergeFiles(trees)!;
  const r = new Reader(issues);

  r.known(project, "top level", TOP_KEYS);
  const top = (k: string) => project.entries.get(k);
  if (top("name")) issues.warn(`top-level name: is ignored: the stack's name is "${namespace}", given on the command line`);
  if (top("include")) issues.warn("top-level include: is not supported: merge files with several -c flags instead");
  const hostNetworks = hostNetworksOf(top("networks")?.value);
  if (top("networks")) {
    const nets = top("networks")!.value;
    const others = nets.kind === "map" ? [...nets.entries.keys()].filter((k) => !hostNetworks.has(k)) : [];
    if (nets.kind !== "map" || others.length) {
      issues.warn(`Ignoring unsupported top-level networks${others.length ? ` (${others.join(", ")})` : ""}: this cluster has no overlay networks; services reach each other through their published ports`);
    }
  }
  const volumeName = volumes(r, top("volumes"), namespace);
  const secrets = declaredFiles(r, "secret", top("secrets"), { namespace, projectDir: o.projectDir, lookup });
  const configs = declaredFiles(r, "config", top("configs"), { namespace, projectDir: o.projectDir, lookup });
  const servicesEntry = top("services");
  const out: StackService[] = [];
  if (!servicesEntry) issues.error({ file: o.files[0]!.path, line: 1, col: 1 }, "no services: a stack needs a top-level services: mapping");
  else {
    const services = r.map(servicesEntry.value, "services");
    if (services && services.entries.size === 0) issues.error(servicesEntry.keyPos, "services: is empty: declare at least one service");
    for (const [name, e] of services?.entries ?? []) {
      if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
        issues.error(e.keyPos, `services: invalid service name "${name}": use letters, digits, '-', '_' or '.'`);
        continue;
      }
      const before = issues.errors.length;
      const raw = convertService(r, name, e.value, {
        namespace, projectDir: o.projectDir, home: o.env.HOME, lookup, readFile: o.readFile, volumeName, hostNetworks, secrets, configs,
      });
      if (raw === undefined || issues.errors.length > before || e.value.kind !== "map") continue;
      const spec = checkSpec(raw, name, e.value, e.keyPos, issues);
      if (spec) out.push({ name, spec, pos: e.keyPos });
    }
    const scoped = new Map<string, string>();
    for (const s of out) {
      const prev = scoped.get(s.spec.Name.toLowerCase());
      if (prev) issues.error(s.pos, `services.${s.name}: its service name ${s.spec.Name} clashes with that of ${prev}`);
      scoped.set(s.spec.Name.toLowerCase(), s.name);
    }
  }
  issues.throwIfAny();
  const files = [...secrets.values(), ...configs.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.key.localeCompare(b.key));
  return { namespace, services: out.sort((a, b) => a.name.localeCompare(b.name)), warnings: issues.warnings, files };
}

/**
 * The top-level networks that are the host's network: `external: true` with `name: host` (or the key
 * `host`), Docker's way to host networking in a stack. A service attached to one runs with
 * `network_mode: host`.
 */
function hostNetworksOf(n: Node | undefined): Set<string> {
  const out = new Set<string>();
  if (n?.kind !== "map") return out;
  for (const [key, e] of n.entries) {
    const v = e.value;
    if (v.kind !== "map") continue;
    const ext = v.entries.get("external")?.value;
    const name = v.entries.get("name")?.value;
    const external = ext !== undefined && (ext.kind === "map" || (ext.kind === "scalar" && ext.value === true));
    const named = name?.kind === "scalar" ? name.value : key;
    if (external && named === "host") out.add(key);
  }
  return out;
}

/** A problem with the command line rather than with a file: no position to give. */
function issuesToError(message: string): SwarmError {
  return SwarmError.invalid(message);
}

/** Top-level `volumes:` → a resolver from a volume's key to the engine's volume name. */
function volumes(r: Reader, e: Entry | undefined, namespace: string): (name: string) => string | undefined {
  const names = new Map<string, string>();
  if (!e) return () => undefined;
  const m = e.value.kind === "scalar" && e.value.value === null ? undefined : r.map(e.value, "volumes");
  for (const [key, v] of m?.entries ?? []) {
    let name = scopedName(namespace, key);
    if (v.value.kind === "map") {
      r.known(v.value, `volumes.${key}`, ["driver", "driver_opts", "external", "labels", "name"]);
      const ext = v.value.entries.get("external")?.value;
      const explicit = v.value.entries.get("name")?.value;
      if (explicit) name = r.str(explicit, `volumes.${key}.name`) ?? name;
      else if (ext && (ext.kind === "map" || r.bool(ext, `volumes.${key}.external`))) name = key;
      const ignored = ["driver", "driver_opts", "labels"].filter((k) => v.value.kind === "map" && v.value.entries.has(k));
      if (ignored.length) r.issues.warn(`Ignoring unsupported options for volume "${key}": ${ignored.join(", ")} (volumes are the engine's local volumes)`);
    } else if (!(v.value.kind === "scalar" && v.value.value === null)) {
      r.fail(v.value, `volumes.${key}`, "must be a mapping or empty");
    }
    names.set(key, name);
  }
  return (n) => names.get(n);
}

/** Every string scalar interpolated; `${VAR:?…}` and malformed `${` are errors at the value's position. */
function interpolateTree(n: Node, lookup: (k: string) => string | undefined, issues: StackIssues): Node {
  if (n.kind === "map") {
    const entries = new Map<string, Entry>();
    for (const [k, e] of n.entries) entries.set(k, { keyPos: e.keyPos, value: interpolateTree(e.value, lookup, issues) });
    return { ...n, entries };
  }
  if (n.kind === "seq") return { ...n, items: n.items.map((i) => interpolateTree(i, lookup, issues)) };
  if (typeof n.value !== "string" || !n.value.includes("$")) return n;
  const r = interpolate(n.value, lookup);
  if (!r.ok) {
    issues.error(n.pos, r.error);
    return n;
  }
  for (const v of r.unset) issues.warn(`The "${v}" variable is not set. Defaulting to a blank string.`);
  return { ...n, value: r.value, text: r.value };
}
