/**
 * dist/swarm-linux-arm64 (the same sources built for Raspberry Pi and most edge boxes) under Debian's
 * qemu-user-static: `--version`, its self-check (the embedded arm64 sodium addon loads), and a
 * transport handshake with an x64 node — the arm64 binary and dist/swarm mesh over Hyperswarm on our
 * UDX, admit each other by certificate, and answer each other's requests. Needs `qemu-user-static`,
 * `libc6:arm64` and `libstdc++6:arm64` (scripts/install-deps); without them the test fails saying so.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { ProcCluster } from "../fixtures/transport/procs.ts";
import { meshed } from "../transport/scenarios.ts";
import { freeUdpPort } from "../transport/helpers.ts";
import { runBinary, swarmBinary } from "../cli/fixture.ts";

const root = resolve(import.meta.dir, "../..");
const QEMU = "/usr/bin/qemu-aarch64-static";
const arm64 = process.env.SWARM_BIN_ARM64 ?? join(root, "dist/swarm-linux-arm64");

let x64 = "";
let cluster: ProcCluster | undefined;

beforeAll(async () => {
  x64 = await swarmBinary(); // builds dist/ (both targets) when missing
  const missing = [QEMU, arm64, "/lib/ld-linux-aarch64.so.1"].filter((f) => !existsSync(f));
  if (missing.length) throw new Error(`missing ${missing.join(", ")}: run scripts/install-deps and scripts/build.ts`);
}, 120_000);

afterAll(async () => {
  await cluster?.close();
});

test("the arm64 binary is an aarch64 executable and runs under qemu: --version and the self-check", async () => {
  const head = new Uint8Array(await Bun.file(arm64).slice(0, 20).arrayBuffer());
  expect([...head.slice(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]); // ELF
  expect(head[18]! | (head[19]! << 8)).toBe(183); // e_machine EM_AARCH64
  const version = await runBinary(QEMU, [arm64, "--version"], {}, 60_000);
  expect(version.code).toBe(0);
  expect(version.stdout).toBe((await runBinary(x64, ["--version"], {})).stdout);
  const check = await runBinary(QEMU, [arm64, "__selfcheck"], {}, 60_000);
  expect(check.stderr).toBe("");
  expect(check.stdout).toBe((await runBinary(x64, ["__selfcheck"], {})).stdout); // the same BLAKE2b digest
}, 120_000);

test("an arm64 node and an x64 node mesh over the cluster transport and answer each other", async () => {
  const port = await freeUdpPort("127.0.0.1");
  const c = (cluster = new ProcCluster([x64, "__transport-node"], [`127.0.0.1:${port}`]));
  const t0 = performance.now();
  // The x64 node is the bootstrap; the arm64 node (emulated: slower to start) joins through it.
  const a = c.spawn("x64", { host: "127.0.0.1", port, dataDir: c.dataDir("x64"), expect: 1, deadPeerMs: 15_000 });
  const b = c.spawn("arm64", { host: "127.0.0.2", dataDir: c.dataDir("arm64"), expect: 1, deadPeerMs: 15_000, wrap: (argv) => [QEMU, arm64, ...argv.slice(1)] });
  await Promise.all([meshed(a, 1), meshed(b, 1)]);
  console.log(`x64 <-> arm64 (qemu) meshed and exchanged requests in ${(performance.now() - t0).toFixed(0)} ms`);
  expect(a.events.some((e) => e.event === "peer-up" && e.peer === b.id)).toBe(true);
  expect(b.events.some((e) => e.event === "peer-up" && e.peer === a.id)).toBe(true);
  expect(b.events.filter((e) => e.event === "refused" || e.event === "refused-by-peer")).toEqual([]);
}, 120_000);
