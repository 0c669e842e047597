import { afterAll, beforeAll } from "bun:test";
import { dockerRuntime, type ContainerRuntime } from "../../internal/executor/index.ts";
import { loadTestImage, skipUnlessDocker, startDockerd, type PrivateDockerd } from "../harness/index.ts";
import { runtimeSuite } from "./runtime-suite.ts";

const skip = skipUnlessDocker("executor runtime suite against a real dockerd");
let d: PrivateDockerd | undefined;
let runtime: ContainerRuntime | undefined;
let image = "";

beforeAll(async () => {
  if (skip) return;
  d = await startDockerd({ name: "rt-suite" });
  image = await loadTestImage(d.docker);
  runtime = dockerRuntime(d.docker);
}, 60_000);
afterAll(async () => {
  await d?.stop();
});

// 127.0.0.1:1 refuses at once: the failing pull never leaves loopback.
runtimeSuite("docker", () => ({ runtime: runtime!, image, absent: "127.0.0.1:1/absent:latest" }), skip);
