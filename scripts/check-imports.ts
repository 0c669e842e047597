#!/usr/bin/env bun
/**
 * Checks the import rules of DESIGN.md ("Import rules that keep it honest") and HOUSE-STYLE.md 10/14 on
 * every static import under internal/ and cmd/ of the repository (or of the directory given as the
 * first argument). Prints each violation as `file: rule` and exits 1 if
 * there is any. Run by .ci/run; `node_modules/.bin/bun scripts/check-imports.ts` by hand.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const root = resolve(process.argv[2] ?? resolve(import.meta.dir, ".."));

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Static imports and re-exports (`import … from "x"`, `export … from "x"`, `import "x"`), not `import()`. */
function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"|^\s*import\s+"([^"]+)"/gm)) out.push((m[1] ?? m[2])!);
  return out;
}

/** internal/<component>/… → component, else undefined. */
function componentOf(path: string): string | undefined {
  const rel = relative(join(root, "internal"), path);
  return rel.startsWith("..") ? undefined : rel.split("/")[0];
}

const PURE = new Set(["api", "store", "orchestrator", "scheduler", "lookup"]);
const IO_MODULES = /^(node:(fs|net|dgram|child_process|http|https|os|dns)|fs|net|dgram|bun:sqlite|dockerode|pino|hyperswarm|hyperdht|udx-native)(\/|$)/;
/** Who may not import whom (DESIGN.md "The cluster": the layout and its import rules). */
const FORBIDDEN: Record<string, string[]> = {
  // The orchestrator and scheduler are manager-side too: what clients share with them lives in api.
  cli: ["manager", "store", "daemon", "agent", "node", "orchestrator", "scheduler"],
  node: ["manager", "agent", "daemon", "store"],
  manager: ["node", "agent", "daemon"],
  // The agent is the composition root of a host (transport + manager + node): it alone may know both
  // sides, and loads the manager's code lazily (type imports and `import()` only).
  agent: ["daemon"],
  store: ["manager", "node", "agent", "daemon", "raft", "transport"],
  orchestrator: ["manager", "node", "agent", "daemon"],
  scheduler: ["manager", "node", "agent", "daemon"],
  raft: ["manager", "node", "agent", "daemon", "store"],
  transport: ["manager", "node", "agent", "daemon", "store", "raft"],
};

const violations: string[] = [];
for (const file of [...files(join(root, "internal")), ...files(join(root, "cmd"))]) {
  const rel = relative(root, file);
  const text = readFileSync(file, "utf8");
  const from = rel.startsWith("cmd/") ? "cli" : componentOf(file)!;
  for (const spec of importsOf(text)) {
    if (spec.startsWith(".")) {
      const target = resolve(file, "..", spec);
      const trel = relative(root, target);
      if (trel.startsWith("test/") || trel.startsWith("scripts/")) violations.push(`${rel}: imports ${spec} (internal code never imports tests or scripts)`);
      const to = componentOf(target);
      if (!to || to === componentOf(file)) continue;
      if (!target.endsWith("/index.ts")) violations.push(`${rel}: imports ${spec}: another component is entered through its index.ts only`);
      if ((FORBIDDEN[from] ?? []).includes(to)) violations.push(`${rel}: ${from} code imports ${to} (${spec})`);
    } else if (PURE.has(from) && IO_MODULES.test(spec)) {
      violations.push(`${rel}: the pure component ${from} imports the I/O module ${spec}`);
    }
  }
  if (/\bBun\.serve\s*\(/.test(text) && from !== "daemon") violations.push(`${rel}: serves HTTP (Bun.serve): only internal/daemon knows HTTP`);
}

for (const v of violations) console.log(v);
console.log(violations.length === 0 ? "import rules: ok" : `import rules: ${violations.length} violation(s)`);
process.exit(violations.length === 0 ? 0 : 1);
