#!/usr/bin/env bun
/**
 * Runs `bun test` (all of test/, or the paths given) with the JUnit reporter and prints one plain
 * closing line from its counts: `N passed, N failed[, N skipped]`. Exit status: bun test's, or 1 if the
 * report is missing or counts a failure.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const dir = mkdtempSync(join(tmpdir(), "swarm-tests-"));
const report = join(dir, "junit.xml");
const args = process.argv.slice(2);
const proc = Bun.spawn(
  [process.execPath, "test", "--timeout=120000", "--reporter=junit", `--reporter-outfile=${report}`, ...(args.length ? args : ["test/"])],
  { cwd: root, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, SWARM_BIN: process.env.SWARM_BIN ?? join(root, "dist/swarm") } },
);
const code = await proc.exited;

let passed = 0, failed = 0, skipped = 0;
try {
  const xml = readFileSync(report, "utf8");
  for (const m of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = m[2] ?? "";
    if (/<(failure|error)\b/.test(body)) failed++;
    else if (/<skipped\b/.test(body)) skipped++;
    else passed++;
  }
} catch {
  console.error("no JUnit report was written: bun test did not finish");
  failed = Math.max(failed, 1);
}
rmSync(dir, { recursive: true, force: true });
if (code !== 0 && failed === 0) failed = 1; // a crash outside any test still fails the run
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);
