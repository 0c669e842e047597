import { describe } from "bun:test";
import { bunNodeCommand } from "../fixtures/transport/procs.ts";
import { processScenarios } from "./scenarios.ts";

describe("transport processes (bun)", () => {
  processScenarios("bun", () => bunNodeCommand());
});
