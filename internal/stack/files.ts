/**
 * Secrets and configs of a stack, as `docker stack deploy` maps them (cli/compose/convert):
 * - top level: `secrets:` / `configs:` declare objects. One with `file:` (or `environment:`, or a
 *   config's inline `content:`) is created by the deploy as `<stack>_<key>` (or its `name:`), labelled
 *   with the stack's namespace, before the services; `external: true` names an object that exists
 *   already (its `name:` or the key) and is referenced as is.
 * - per service: `secrets: [key]` (short: target = the key under /run/secrets; configs: /<key>) or the
 *   long form `{source, target, uid, gid, mode}`; uid/gid default "0", mode 0444. A reference to a key
 *   the top level does not declare is an error.
 * Pure: the file is only named here (an absolute path); the CLI reads it.
 */
import { posix } from "node:path";
import { SwarmError, type ConfigReference, type SecretReference, type ServiceSpec } from "../api/index.ts";
import { labelMap } from "./deploy.ts";
import { scopedName, STACK_LABEL } from "./labels.ts";
import type { Reader } from "./read.ts";
import type { Entry, Node } from "./tree.ts";

export type FileKind = "secret" | "config";

/** A top-level secret or config the deploy creates (or, external, expects). */
export interface StackFile {
  kind: FileKind;
  /** The key in the compose file. */
  key: string;
  /** The object's name in the cluster. */
  name: string;
  external: boolean;
  /** Absolute path of `file:` (resolved against the project directory). */
  file?: string;
  /** The data itself (`environment:` from the environment, or a config's `content:`). */
  data?: string;
  /** With the stack's namespace label (not for external ones). */
  labels: Record<string, string>;
}

/** Top-level `secrets:` or `configs:` → what each key names (keys that failed are left out). */
export function declaredFiles(
  r: Reader, kind: FileKind, e: Entry | undefined, c: { namespace: string; projectDir: string; lookup: (k: string) => string | undefined },
): Map<string, StackFile> {
  const out = new Map<string, StackFile>();
  if (!e) return out;
  const top = `${kind}s`;
  const m = e.value.kind === "scalar" && e.value.value === null ? undefined : r.map(e.value, top);
  for (const [key, v] of m?.entries ?? []) {
    const path = `${top}.${key}`;
    const d = r.map(v.value, path);
    if (!d) continue;
    r.known(d, path, ["file", "external", "name", "labels", "environment", "content", "driver", "driver_opts", "template_driver"]);
    const get = (k: string) => d.entries.get(k)?.value;
    const extNode = get("external");
    const external = extNode ? (extNode.kind === "map" ? true : (r.bool(extNode, `${path}.external`) ?? false)) : false;
    const nameNode = get("name");
    const explicit = nameNode ? r.str(nameNode, `${path}.name`) : undefined;
    const f: StackFile = { kind, key, name: explicit ?? (external ? key : scopedName(c.namespace, key)), external, labels: {} };
    const ignored = ["driver", "driver_opts", "template_driver"].filter((k) => d.entries.has(k));
    if (ignored.length) r.issues.warn(`Ignoring unsupported options for ${kind} "${key}": ${ignored.join(", ")} (swarm stores the data itself)`);
    const sources = ["file", "environment", "content"].filter((k) => d.entries.has(k));
    if (external) {
      if (sources.length) r.fail(d, path, `an external ${kind} cannot have ${sources.join(", ")}: it exists already; remove external: or the source`);
      out.set(key, f);
      continue;
    }
    if (sources.length !== 1) {
      r.fail(d, path, sources.length ? `give one of file:, environment:${kind === "config" ? " or content:" : ""}, not ${sources.join(" and ")}` : `needs file: (a path to the ${kind}'s data) or external: true`);
      continue;
    }
    const src = sources[0]!;
    const node = get(src)!;
    const text = r.str(node, `${path}.${src}`);
    if (text === undefined) continue;
    if (src === "file") f.file = posix.resolve(c.projectDir, text);
    else if (src === "environment") {
      const value = c.lookup(text);
      if (value === undefined) {
        r.fail(node, `${path}.environment`, `the variable ${text} is not set`);
        continue;
      }
      f.data = value;
    } else if (kind === "config") f.data = text;
    else {
      r.fail(node, `${path}.content`, "secrets take file: or environment:, not content: (that would keep the secret in the compose file)");
      continue;
    }
    const labels = get("labels");
    f.labels = { ...(labels ? labelMap(r, labels, `${path}.labels`) : {}), [STACK_LABEL.namespace]: c.namespace };
    out.set(key, f);
  }
  return out;
}

/** YAML 1.1 file modes as Docker's loader reads them: `0440` is octal, `0o440` too, `288` decimal. */
function fileMode(r: Reader, n: Node, path: string): number | undefined {
  const s = r.str(n, path)?.trim();
  if (s === undefined) return undefined;
  let v: number;
  if (/^0o?[0-7]+$/i.test(s)) v = parseInt(s.replace(/^0o?/i, "") || "0", 8);
  else if (/^\d+$/.test(s)) v = Number(s);
  else return r.fail(n, path, `must be a file mode such as 0440, not "${s}"`);
  if (v > 0o777) return r.fail(n, path, `must be a file mode between 0 and 0777, not ${s}`);
  return v;
}

/** A service's `secrets:` / `configs:` → references by name (the manager fills in the IDs). */
export function fileReferences(
  r: Reader, kind: "secret", n: Node, path: string, declared: Map<string, StackFile>,
): SecretReference[];
export function fileReferences(
  r: Reader, kind: "config", n: Node, path: string, declared: Map<string, StackFile>,
): ConfigReference[];
export function fileReferences(r: Reader, kind: FileKind, n: Node, path: string, declared: Map<string, StackFile>): (SecretReference | ConfigReference)[] {
  if (n.kind !== "seq") return r.fail(n, path, `must be a list of ${kind} names or {source, target, uid, gid, mode} mappings`) ?? [];
  const out: (SecretReference | ConfigReference)[] = [];
  n.items.forEach((it, i) => {
    const at = `${path}[${i}]`;
    let source: string | undefined;
    let target: string | undefined;
    let uid = "0";
    let gid = "0";
    let mode = 0o444;
    if (it.kind === "map") {
      r.known(it, at, ["source", "target", "uid", "gid", "mode"]);
      const get = (k: string) => it.entries.get(k)?.value;
      source = get("source") ? r.str(get("source")!, `${at}.source`) : r.fail(it, at, "needs source: (the name under the top-level " + kind + "s:)");
      if (get("target")) target = r.str(get("target")!, `${at}.target`);
      if (get("uid")) uid = r.str(get("uid")!, `${at}.uid`) ?? uid;
      if (get("gid")) gid = r.str(get("gid")!, `${at}.gid`) ?? gid;
      if (get("mode")) mode = fileMode(r, get("mode")!, `${at}.mode`) ?? mode;
    } else source = r.str(it, at);
    if (source === undefined) return;
    const decl = declared.get(source);
    if (!decl) {
      r.fail(it, at, `refers to undefined ${kind} ${source}: declare it under the top-level ${kind}s: (file: or external: true)`);
      return;
    }
    const File = { Name: target || (kind === "secret" ? source : `/${source}`), UID: uid, GID: gid, Mode: mode };
    out.push(kind === "secret" ? { File, SecretID: "", SecretName: decl.name } : { File, ConfigID: "", ConfigName: decl.name });
  });
  return out;
}

/** What the deploy does with the stack's secrets and configs. */
export interface FilePlan {
  /** Not external and not in the cluster yet: created before the services. */
  create: StackFile[];
  /**
   * Already in the cluster under that name: kept as they are (swarm never changes a secret's or a
   * config's data; to change one, give it a new name, as with Docker).
   */
  kept: StackFile[];
}

type Named = { Spec: { Name: string; Labels?: Record<string, string> } };

/**
 * `existing`: the cluster's secrets and configs. An external one that does not exist is an error
 * (NOT_FOUND, listing them all) before anything changes.
 */
export function planFiles(files: readonly StackFile[], existing: { secrets: readonly Named[]; configs: readonly Named[] }): FilePlan {
  const plan: FilePlan = { create: [], kept: [] };
  const missing: string[] = [];
  for (const f of files) {
    const have = (f.kind === "secret" ? existing.secrets : existing.configs).some((x) => x.Spec.Name === f.name);
    if (have) plan.kept.push(f);
    else if (f.external) missing.push(`external ${f.kind} ${f.name} (${f.kind}s.${f.key}) not found: create it first with \`swarm ${f.kind} create ${f.name} FILE\``);
    else plan.create.push(f);
  }
  if (missing.length) throw new SwarmError("NOT_FOUND", `cannot deploy the stack; nothing was changed:\n  ${missing.join("\n  ")}`);
  return plan;
}

/** The secrets or configs a stack created (its namespace label): what `stack rm` removes after the services. */
export function stackFiles<T extends Named>(namespace: string, objects: readonly T[]): T[] {
  return objects.filter((x) => x.Spec.Labels?.[STACK_LABEL.namespace] === namespace);
}

/**
 * Fills in the IDs of references to secrets and configs that exist (by name), as the manager would:
 * the stored spec holds them, so a redeploy that changes nothing compares equal. References to
 * objects the deploy has yet to create keep ID "" (the manager resolves them when the spec arrives).
 */
export function withFileIds(spec: ServiceSpec, existing: { secrets: readonly (Named & { ID: string })[]; configs: readonly (Named & { ID: string })[] }): ServiceSpec {
  const cs = spec.TaskTemplate.ContainerSpec;
  if (!cs.Secrets && !cs.Configs) return spec;
  const id = (all: readonly (Named & { ID: string })[], name: string) => all.find((x) => x.Spec.Name === name)?.ID ?? "";
  return {
    ...spec,
    TaskTemplate: {
      ...spec.TaskTemplate,
      ContainerSpec: {
        ...cs,
        ...(cs.Secrets ? { Secrets: cs.Secrets.map((r) => ({ ...r, SecretID: r.SecretID || id(existing.secrets, r.SecretName) })) } : {}),
        ...(cs.Configs ? { Configs: cs.Configs.map((r) => ({ ...r, ConfigID: r.ConfigID || id(existing.configs, r.ConfigName) })) } : {}),
      },
    },
  };
}
