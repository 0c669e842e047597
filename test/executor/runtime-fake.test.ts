import { createFakeRuntime } from "../../internal/executor/index.ts";
import { runtimeSuite } from "./runtime-suite.ts";

const runtime = createFakeRuntime({ images: ["swarm-busybox:latest"] });
runtimeSuite("fake", () => ({ runtime, image: "swarm-busybox:latest", absent: "127.0.0.1:1/absent:latest" }));
