/**
 * A secret reaches only the node that runs a task using it, over the real transport: a manager (h1)
 * and a worker (h2) on the test bed, compiled binary, each host its own dockerd. The task is placed on
 * the worker; it reads the secret at /run/secrets/NAME; the manager's node never writes it; neither
 * data dir (Raft log and snapshots on the manager, the worker's node state, both agent logs) holds the
 * plaintext; once the service is removed the worker's files are gone.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitUntil } from "../harness/index.ts";
import { runBinary, swarmBinary, type RunResult } from "../cli/fixture.ts";
import { Testbed, unsupportedReason, type TestbedHost } from "../testbed/index.ts";

const why = unsupportedReason();
if (why) console.warn(`SKIPPING the two-host secret delivery test on the test bed: ${why}`);

function filesContaining(dir: string, needle: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && readFileSync(p).includes(needle)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

describe.skipIf(why !== null)("secret delivery on two hosts (test bed, compiled binary)", () => {
  let bed: Testbed;
  let bin: string;
  let h1: TestbedHost;
  let h2: TestbedHost;
  const sock = (h: TestbedHost) => join(h.dir, "swarm.sock");
  const data = (h: TestbedHost) => join(h.dir, "swarm-state");
  const swarm = (h: TestbedHost, args: string[]): Promise<RunResult> => runBinary(bin, ["-H", `unix://${sock(h)}`, ...args], {}, 60_000);
  const ok = async (h: TestbedHost, args: string[]): Promise<string> => {
    const r = await swarm(h, args);
    if (r.code !== 0) throw new Error(`${h.name}: swarm ${args.join(" ")} exited ${r.code}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const inHost = (h: TestbedHost, args: string[]) => h.exec([bin, ...args, "--data-dir", data(h), "--socket", sock(h), "--advertise-addr", h.ip]);

  beforeAll(async () => {
    bin = await swarmBinary();
    bed = await Testbed.up({ name: "updates-sec2", hosts: 2 });
    [h1, h2] = bed.hosts as [TestbedHost, TestbedHost];
  }, 120_000);
  afterAll(async () => {
    for (const h of [h1, h2]) if (h && existsSync(sock(h))) await swarm(h, ["leave", "--force"]).catch(() => undefined);
    await bed?.down();
  }, 120_000);

  test("only the worker running the task gets the secret, in memory; no data dir holds it", async () => {
    const plaintext = `pw-${randomBytes(12).toString("hex")}`;
    expect((await inHost(h1, ["init"])).code).toBe(0);
    const token = (await ok(h1, ["join-token", "-q", "worker"])).trim();
    expect((await inHost(h2, ["join", "--token", token, h1.ip])).stdout).toContain("joined a swarm as a worker");
    await waitUntil("2 nodes Ready", async () => ((await ok(h1, ["node", "ls"])).match(/Ready/g) ?? []).length === 2, 20_000, 200);
    const ids = Object.fromEntries(await Promise.all([h1, h2].map(async (h) => [h.name, JSON.parse(await ok(h1, ["node", "inspect", h.name]))[0].ID as string])));
    const filesDir = (h: TestbedHost) => `/dev/shm/swarm-files-${ids[h.name]!.slice(0, 16)}`;

    const file = join(h1.dir, "pw.txt");
    writeFileSync(file, plaintext);
    await ok(h1, ["secret", "create", "db_pw", file]);
    writeFileSync(file, "");
    await ok(h1, ["service", "create", "--name", "db", "--secret", "db_pw", "--constraint", "node.role==worker", "--stop-grace-period", "1s", "swarm-busybox:latest", "sleep", "1000"]);
    const [cid] = (await h2.dockerOk(["ps", "-q", "--filter", "label=com.swarm.service.name=db"])).split("\n").filter(Boolean);
    expect(cid).toBeDefined();
    expect((await h2.dockerOk(["exec", cid!, "cat", "/run/secrets/db_pw"]))).toBe(plaintext);

    expect(filesContaining(filesDir(h2), plaintext).length).toBe(1);
    expect(filesContaining(filesDir(h1), plaintext)).toEqual([]);
    expect(filesContaining(data(h1), plaintext)).toEqual([]);
    expect(filesContaining(data(h2), plaintext)).toEqual([]);

    await ok(h1, ["service", "rm", "db"]);
    await waitUntil("the worker's copy is deleted with the task", () => filesContaining(filesDir(h2), plaintext).length === 0, 30_000, 200);
    await ok(h1, ["secret", "rm", "db_pw"]);
  }, 120_000);
});
