import { afterAll, beforeAll, expect, test } from "bun:test";
import { loadTestImage, skipUnlessDocker, startDockerd, type PrivateDockerd } from "../harness/index.ts";
import { existsSync } from "node:fs";

const skip = skipUnlessDocker("test harness: private dockerd");
let a: PrivateDockerd | undefined;
let b: PrivateDockerd | undefined;

beforeAll(async () => {
  if (skip) return;
  [a, b] = await Promise.all([startDockerd({ name: "harness-a" }), startDockerd({ name: "harness-b" })]);
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

test.skipIf(skip)("two private dockerds run side by side, load the test image and run a container", async () => {
  const ref = await loadTestImage(a!.docker);
  expect(ref).toBe("swarm-busybox:latest");
  expect(await loadTestImage(a!.docker)).toBe(ref); // idempotent
  await loadTestImage(b!.docker);
  const info = [await a!.docker.info(), await b!.docker.info()];
  expect(info[0].ID).not.toBe(info[1].ID);
  const c = await a!.docker.createContainer({ Image: ref, Cmd: ["ping", "-c", "1", "127.0.0.1"] });
  await c.start();
  const res = await c.wait();
  expect(res.StatusCode).toBe(0);
  expect((await b!.docker.listContainers({ all: true })).length).toBe(0);
}, 30_000);

test.skipIf(skip)("stop() removes containers, mounts and the temp dir", async () => {
  const d = await startDockerd({ name: "harness-c" });
  await loadTestImage(d.docker);
  const c = await d.docker.createContainer({ Image: "swarm-busybox:latest", Cmd: ["sleep", "1000"] });
  await c.start();
  await d.stop();
  await d.stop(); // idempotent
  expect(existsSync(d.dataDir)).toBe(false);
  const mounts = await Bun.file("/proc/mounts").text();
  expect(mounts.includes(d.dataDir)).toBe(false);
}, 60_000);
