/**
 * The Store contract, run against every implementation (sqlite LocalLog and the in-memory twin) so the
 * twin stays honest. A harness opens a store over the same "disk" each time (to test restarts).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { type Command, isSwarmError } from "../../internal/api/index.ts";
import type { Store, StoreOptions } from "../../internal/store/index.ts";
import { cmd, serviceSpec } from "./fixtures/objects.ts";

export interface StoreHarness {
  open(opts?: StoreOptions): Promise<Store>;
  cleanup(): void;
}

const create = (i: number): Command => cmd.createService(`s${i}`, serviceSpec(`svc${i}`));

export function storeSuite(name: string, makeHarness: () => StoreHarness): void {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    const open: Store[] = [];
    async function openStore(opts?: StoreOptions): Promise<Store> {
      h ??= makeHarness();
      const s = await h.open(opts);
      open.push(s);
      return s;
    }
    afterEach(() => {
      for (const s of open.splice(0)) s.close();
      h?.cleanup();
      h = undefined as unknown as StoreHarness;
    });

    test("a fresh store is empty", async () => {
      const s = await openStore();
      expect(s.state).toEqual({ index: 0, nodes: {}, services: {}, tasks: {} });
    });

    test("propose resolves once applied, with the state index right after the entry", async () => {
      const s = await openStore();
      const n = await s.propose([create(1), create(2)]);
      expect(n).toBe(2);
      expect(s.state.index).toBe(2);
      expect(Object.keys(s.state.services).sort()).toEqual(["s1", "s2"]);
      expect(await s.propose([])).toBe(2);
    });

    test("concurrent proposals apply in order and each resolves with its own index", async () => {
      const s = await openStore();
      const got = await Promise.all([1, 2, 3, 4, 5].map((i) => s.propose([create(i), create(100 + i)])));
      expect(got).toEqual([2, 4, 6, 8, 10]);
      expect(Object.keys(s.state.services)).toHaveLength(10);
    });

    test("subscribers see each entry's state and commands, until they unsubscribe", async () => {
      const s = await openStore();
      const seen: [number, string[]][] = [];
      const off = s.subscribe((st, cmds) => seen.push([st.index, cmds.map((c) => c.kind)]));
      await s.propose([create(1)]);
      await s.propose([create(2), { kind: "service.remove", id: "s1", at: "x" }]);
      off();
      await s.propose([create(3)]);
      expect(seen).toEqual([
        [1, ["service.create"]],
        [3, ["service.create", "service.remove"]],
      ]);
    });

    test("a subscriber that throws is reported and does not fail the proposal", async () => {
      const warnings: string[] = [];
      const s = await openStore({ onWarning: (m) => warnings.push(m) });
      s.subscribe(() => {
        throw new Error("boom");
      });
      expect(await s.propose([create(1)])).toBe(1);
      expect(warnings).toEqual(["a subscriber threw"]);
    });

    test("the state survives a restart, across snapshots and compaction", async () => {
      const s = await openStore({ snapshotEvery: 4 });
      for (let i = 1; i <= 10; i++) await s.propose([create(i)]);
      await s.propose([{ kind: "service.remove", id: "s3", at: "x" }]);
      const before = s.state;
      s.close();
      const again = await openStore({ snapshotEvery: 4 });
      expect(again.state).toEqual(before);
      expect(await again.propose([create(11)])).toBe(12);
      again.close();
      const third = await openStore();
      expect(Object.keys(third.state.services)).toHaveLength(10);
      expect(third.state.index).toBe(12);
    });

    test("a subscriber that proposes (like the agent reconciling) sees every entry once, in order", async () => {
      const s = await openStore();
      const seen: number[] = [];
      const nested: Promise<number>[] = [];
      s.subscribe((st, cmds) => {
        seen.push(st.index);
        // React to each service.create with a rename of the next one, like a reconcile loop would.
        if (cmds[0]?.kind === "service.create" && st.index < 3) nested.push(s.propose([create(10 + st.index)]));
      });
      const other: number[] = [];
      s.subscribe((st) => other.push(st.index));
      expect(await s.propose([create(1)])).toBe(1);
      // Each nested proposal is made when the previous entry is applied: await them one by one.
      expect(await nested[0]).toBe(2);
      expect(await nested[1]).toBe(3);
      expect(nested).toHaveLength(2);
      expect(seen).toEqual([1, 2, 3]);
      expect(other).toEqual([1, 2, 3]);
      expect(Object.keys(s.state.services).sort()).toEqual(["s1", "s11", "s12"]);
    });

    test("proposing to a closed store rejects with UNAVAILABLE", async () => {
      const s = await openStore();
      s.close();
      const err = await s.propose([create(1)]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isSwarmError(err) && err.code).toBe("UNAVAILABLE");
    });
  });
}
