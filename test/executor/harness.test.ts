import { afterAll, beforeAll, expect, test } from "bun:test";
import { loadTestImage, skipUnlessDocker, startDockerd, type PrivateDockerd } from "../harness/index.ts";
import { existsSync, readFileSync } from "node:fs";

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

test.skipIf(skip)("two private dockerds run side by side; stop() removes containers, mounts and the temp dir", async () => {
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

  const running = await a!.docker.createContainer({ Image: ref, Cmd: ["sleep", "1000"] });
  await running.start();
  await a!.stop();
  await a!.stop(); // idempotent
  expect(existsSync(a!.dataDir)).toBe(false);
  expect(readFileSync("/proc/mounts", "utf8").includes(a!.dataDir)).toBe(false);
  expect(Bun.spawnSync(["pgrep", "-f", a!.dataDir]).stdout.toString().trim()).toBe("");
}, 60_000);

test.skipIf(skip)("stop() after dockerd was killed leaves no shim or container process behind", async () => {
  const d = await startDockerd({ name: "harness-k" });
  await loadTestImage(d.docker);
  const c = await d.docker.createContainer({ Image: "swarm-busybox:latest", Cmd: ["sleep", "1000"] });
  await c.start();
  const containerPid = (await c.inspect()).State.Pid;
  const containerdPid = Number((await Bun.file(`${d.dataDir}/exec/containerd/containerd.pid`).text()).trim());
  process.kill(containerdPid, "SIGKILL"); // a crash: the shim and the container survive it
  process.kill(d.pid, "SIGKILL");
  await d.stop();
  // dead, or a zombie waiting for init to reap it
  const alive = (pid: number) => {
    try {
      return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
      return false;
    }
  };
  expect(alive(containerPid)).toBe(false);
  const leftovers = Bun.spawnSync(["pgrep", "-f", d.dataDir]).stdout.toString().trim();
  expect(leftovers).toBe("");
  expect(existsSync(d.dataDir)).toBe(false);
}, 60_000);
