/** The import-rule checker (scripts/check-imports.ts): it passes on this repository and catches each kind of violation. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const script = resolve(import.meta.dir, "../../scripts/check-imports.ts");
const tmp = mkdtempSync(join(tmpdir(), "swarm-imports-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function check(root: string): Promise<{ code: number; out: string }> {
  const p = Bun.spawn([process.execPath, script, root], { stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  return { code, out };
}

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmp, "t-"));
  mkdirSync(join(root, "internal"), { recursive: true });
  mkdirSync(join(root, "cmd"), { recursive: true });
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

describe("import rules", () => {
  test("this repository follows them", async () => {
    const r = await check(resolve(import.meta.dir, "../.."));
    expect(r.out).toContain("import rules: ok");
    expect(r.code).toBe(0);
  });

  test.each([
    ["node imports manager", { "internal/node/a.ts": 'import { x } from "../manager/index.ts";', "internal/manager/index.ts": "" }, /node code imports manager/],
    ["a component entered past its index.ts", { "internal/node/a.ts": 'import { x } from "../api/types.ts";', "internal/api/types.ts": "" }, /through its index.ts only/],
    ["the CLI imports the store", { "cmd/swarm/c.ts": 'import { x } from "../../internal/store/index.ts";', "internal/store/index.ts": "" }, /cli code imports store/],
    ["a pure component does I/O", { "internal/store/a.ts": 'import { readFileSync } from "node:fs";' }, /pure component store imports the I\/O module node:fs/],
    ["HTTP served outside the daemon", { "internal/node/a.ts": "Bun.serve({ fetch() {} });" }, /only internal\/daemon knows HTTP/],
    ["internal code imports a test", { "internal/node/a.ts": 'import { x } from "../../test/harness/index.ts";' }, /never imports tests/],
  ])("%s is reported", async (_name, files, want) => {
    const r = await check(tree(files as Record<string, string>));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(want);
  });
});
