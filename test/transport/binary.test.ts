import { describe } from "bun:test";
import { binaryNodeCommand } from "../fixtures/transport/procs.ts";
import { processScenarios } from "./scenarios.ts";

// The compiled binary is built by CI, not here: point SWARM_BIN at it.
const bin = process.env.SWARM_BIN;
if (!bin) console.warn("SKIP transport binary tests: SWARM_BIN is not set (path of the compiled swarm binary)");

describe("transport processes (compiled binary)", () => {
  processScenarios("binary", () => (bin ? binaryNodeCommand(bin) : undefined));
});
