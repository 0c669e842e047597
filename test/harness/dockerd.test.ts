// The private dockerd must not touch the machine's own networking: a dockerd started with
// `--bridge=none` deletes the interface named docker0 in its network namespace, which in the host's
// namespace is the machine's Docker default bridge. So each runs in a namespace of its own.
import { expect, test } from "bun:test";
import { readlinkSync } from "node:fs";
import { skipUnlessDocker, startDockerd } from "./index.ts";

const skip = skipUnlessDocker("private dockerd isolation test");

test.skipIf(skip)("a private dockerd runs outside the test's network namespace, and its namespace goes with it", async () => {
  const d = await startDockerd({ name: "isolation" });
  let ns = "";
  try {
    ns = readlinkSync(`/proc/${d.pid}/ns/net`);
    expect(ns).not.toBe(readlinkSync("/proc/self/ns/net"));
    expect((await d.docker.ping()).toString()).toBe("OK");
  } finally {
    await d.stop();
  }
  const list = Bun.spawnSync(["ip", "netns", "list"]).stdout.toString();
  expect(list).not.toContain(`swd-${d.dataDir.slice(d.dataDir.lastIndexOf("-") + 1)}`);
}, 60_000);
