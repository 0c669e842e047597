// Randomized simulation: a few hundred seeds across clusters of 1, 3 and 5, every one checked for
// election safety, log matching, leader completeness, state-machine safety, linearizability and
// progress after healing. scripts/raft-sim runs any number of seeds with the same code.
import { describe, expect, test } from "bun:test";
import { runSimulation } from "./sim/random-run.ts";

const SEEDS = 100; // per cluster size; ~300 runs in total

describe("randomized simulation", () => {
  for (const nodes of [1, 3, 5]) {
    test(`${SEEDS} seeds with ${nodes} voter(s) find no violation`, () => {
      const failures: string[] = [];
      let okOps = 0;
      for (let seed = 1; seed <= SEEDS; seed++) {
        const r = runSimulation({ seed: seed * 7919 + nodes, nodes, membership: seed % 4 === 0 });
        okOps += r.okOps;
        if (r.violations.length > 0) failures.push(`seed=${r.seed} nodes=${nodes}: ${r.violations.join("; ")}`);
      }
      expect(failures).toEqual([]);
      expect(okOps).toBeGreaterThan(SEEDS * 20); // the clients really did work
    }, 60_000);
  }
});

test("a run is reproducible from its seed", () => {
  const a = runSimulation({ seed: 4242, nodes: 5, membership: true });
  const b = runSimulation({ seed: 4242, nodes: 5, membership: true });
  const c = runSimulation({ seed: 4243, nodes: 5, membership: true });
  expect(b).toEqual(a);
  expect(c).not.toEqual(a);
});

describe("the checkers catch what they claim to", () => {
  test("a stale read is not linearizable", async () => {
    const { checkLinearizable } = await import("./sim/linearizability.ts");
    const ok = checkLinearizable([
      { kind: "put", key: "k", value: "1", call: 1, ret: 2 },
      { kind: "put", key: "k", value: "2", call: 3, ret: 4 },
      { kind: "get", key: "k", value: "2", call: 5, ret: 6 },
    ]);
    expect(ok.ok).toBe(true);
    const stale = checkLinearizable([
      { kind: "put", key: "k", value: "1", call: 1, ret: 2 },
      { kind: "put", key: "k", value: "2", call: 3, ret: 4 },
      { kind: "get", key: "k", value: "1", call: 5, ret: 6 },
    ]);
    expect(stale.ok).toBe(false);
  });

  test("a write of unknown outcome may take effect late, or never", async () => {
    const { checkLinearizable } = await import("./sim/linearizability.ts");
    const base = [
      { kind: "put" as const, key: "k", value: "1", call: 1, ret: 2 },
      { kind: "put" as const, key: "k", value: "2", call: 3, ret: Infinity },
    ];
    expect(checkLinearizable([...base, { kind: "get", key: "k", value: "1", call: 5, ret: 6 }, { kind: "get", key: "k", value: "2", call: 7, ret: 8 }]).ok).toBe(true);
    expect(checkLinearizable([...base, { kind: "get", key: "k", value: "2", call: 5, ret: 6 }, { kind: "get", key: "k", value: "1", call: 7, ret: 8 }]).ok).toBe(false);
    expect(checkLinearizable([...base, { kind: "get", key: "k", value: null, call: 5, ret: 6 }]).ok).toBe(false);
  });

  test("concurrent operations may linearize in either order", async () => {
    const { checkLinearizable } = await import("./sim/linearizability.ts");
    expect(checkLinearizable([
      { kind: "put", key: "k", value: "1", call: 1, ret: 10 },
      { kind: "get", key: "k", value: "1", call: 2, ret: 3 },
      { kind: "get", key: "k", value: null, call: 4, ret: 11 },
    ]).ok).toBe(false);
    expect(checkLinearizable([
      { kind: "put", key: "k", value: "1", call: 1, ret: 10 },
      { kind: "get", key: "k", value: null, call: 2, ret: 3 },
      { kind: "get", key: "k", value: "1", call: 4, ret: 11 },
    ]).ok).toBe(true);
  });
});
