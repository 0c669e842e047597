/**
 * The scripts run right after the README's setup, from a fresh shell: Bun is in node_modules/.bin, not
 * on PATH (issue 12). Every executable script without a `.ts` extension must find the repository's Bun
 * itself; one of them is run with a PATH that has no bun.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const root = resolve(import.meta.dir, "../..");

function executables(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...executables(p));
    else if (!name.endsWith(".ts") && (st.mode & 0o111) !== 0) out.push(p);
  }
  return out;
}

describe("scripts from a fresh shell", () => {
  test("no executable script needs bun on PATH", () => {
    const bad = executables(join(root, "scripts")).filter((p) => readFileSync(p, "utf8").startsWith("#!/usr/bin/env bun"));
    expect(bad.map((p) => relative(root, p))).toEqual([]);
  });

  test("scripts/raft-sim runs with a PATH without bun", () => {
    const r = Bun.spawnSync([join(root, "scripts/raft-sim"), "--seeds", "1"], { cwd: "/", env: { PATH: "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toContain("0 failing");
  }, 60_000);
});
