/** Seeded random scenarios (test/cluster/random-run.ts); scripts/cluster-sim runs many more. */
import { describe, test } from "bun:test";
import { randomRun } from "./random-run.ts";

const SEEDS = (process.env.SWARM_CLUSTER_SEEDS ?? "1,2,3,4").split(",").map(Number);

describe("random cluster scenarios", () => {
  for (const seed of SEEDS) {
    test(`seed ${seed}: invariants hold after every step, and the healed cluster converges`, async () => {
      await randomRun(seed, 14);
    }, 120_000);
  }
});
