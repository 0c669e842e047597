/** The compiled binary runs alone: copied into an empty directory, without node_modules. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBinary, swarmBinary } from "./fixture.ts";

describe("the one binary", () => {
  let dir: string;
  let bin: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "swarm-alone-"));
    bin = join(dir, "swarm");
    copyFileSync(await swarmBinary(), bin);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]) => runBinary(bin, args, { SWARM_HOST: `unix://${dir}/none.sock` });

  test("runs from an empty directory: --version and --help", async () => {
    expect(readdirSync(dir)).toEqual(["swarm"]);
    const v = await run("--version");
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^swarm version \d+\.\d+\.\d+/);
    const h = await run("--help");
    expect(h.stdout).toContain("Management Commands:");
    expect(h.stdout).toMatch(/service\s+Manage services/);
  });

  test("every command has --help", async () => {
    const commands = [
      ["agent"], ["init"], ["join"], ["leave"], ["info"], ["version"],
      ["service", "create"], ["service", "ls"], ["service", "ps"], ["service", "inspect"], ["service", "logs"],
      ["service", "update"], ["service", "scale"], ["service", "rm"], ["node", "ls"], ["node", "inspect"],
    ];
    for (const c of commands) {
      const r = await run(...c, "--help");
      expect({ c, code: r.code }).toEqual({ c, code: 0 });
      expect(r.stdout).toMatch(new RegExp(`^Usage:\\s+swarm ${c.join(" ")}`));
    }
  });

  test("embeds its native addon: sodium works without node_modules", async () => {
    const r = await run("__selfcheck");
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/sodium ok [0-9a-f]{64}/);
  });
});
