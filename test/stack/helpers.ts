/** Loads compose texts with an in-memory file system and environment (the pure core's seams). */
import { isSwarmError } from "../../internal/api/index.ts";
import { loadStack, type LoadedStack } from "../../internal/stack/index.ts";

export interface Opts {
  env?: Record<string, string>;
  /** Absolute path → contents (env files, .env). */
  fs?: Record<string, string>;
  projectDir?: string;
}

/** `files`: [name, text] pairs, in -c order. */
export function load(files: [string, string][] | string, o: Opts = {}, namespace = "app"): LoadedStack {
  const list: [string, string][] = typeof files === "string" ? [["compose.yml", files]] : files;
  return loadStack(namespace, {
    files: list.map(([path, text]) => ({ path, text })),
    env: o.env ?? {},
    projectDir: o.projectDir ?? "/srv/app",
    readFile: (p) => o.fs?.[p],
  });
}

/** The error message of a load that must fail (fails the test if it succeeds). */
export function loadError(files: [string, string][] | string, o: Opts = {}, namespace = "app"): string {
  try {
    load(files, o, namespace);
  } catch (e) {
    if (!isSwarmError(e) || e.code !== "INVALID_ARGUMENT") throw e;
    return e.message;
  }
  throw new Error("expected the load to fail");
}

/** The one spec of service `name`. */
export function spec(s: LoadedStack, name: string) {
  const found = s.services.find((x) => x.name === name);
  if (!found) throw new Error(`no service ${name} in ${s.services.map((x) => x.name).join(", ")}`);
  return found.spec;
}

/** Lines joined, with the leading indentation of a template literal removed. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ""), "");
  const lines = text.replace(/^\n/, "").split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join("\n");
}
