/**
 * The Store contract, run against every consensus behind it (the in-memory DirectConsensus and a
 * one-voter Raft on Raft's in-memory and sqlite storage), so the twin stays honest. A harness opens a
 * store over the same "disk" each time (to test restarts) when it has one.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Command } from "../../internal/api/index.ts";
import type { Store } from "../../internal/store/index.ts";
import { AT, cmd, serviceSpec } from "./fixtures/objects.ts";

export interface StoreHarness {
  /** Opens a store over this harness's disk (the same disk on every call). */
  open(opts?: { snapshotEntries?: number }): Promise<Store & { close(): void }>;
  /** Whether a second `open` sees what the first one stored. */
  persistent: boolean;
  cleanup(): void;
}

const init: Command = {
  kind: "cluster.init",
  cluster: { ID: "c1", CreatedAt: AT, Spec: { Name: "default" }, PublicKey: "", Secrets: { KeySeed: "", DiscoveryKey: "", TokenGeneration: { worker: 1, manager: 1 } }, Revoked: [] },
};
const create = (i: number): Command => cmd.createService(`s${i}`, serviceSpec(`svc${i}`));

export function storeSuite(name: string, makeHarness: () => StoreHarness): void {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness | undefined;
    const open: { close(): void }[] = [];
    async function openStore(opts?: { snapshotEntries?: number }): Promise<Store & { close(): void }> {
      h ??= makeHarness();
      const s = await h.open(opts);
      open.push(s);
      return s;
    }
    afterEach(() => {
      for (const s of open.splice(0)) s.close();
      h?.cleanup();
      h = undefined;
    });

    // Indexes below are relative to the fresh store's: Raft's own bootstrap membership entry counts as
    // one change (it sets the managers' ManagerStatus), the in-memory twin starts at 0.
    test("a fresh store is empty", async () => {
      const s = await openStore();
      expect({ ...s.state, index: 0 }).toEqual({ index: 0, nodes: {}, services: {}, tasks: {} });
      expect(s.state.index).toBeLessThanOrEqual(1);
    });

    test("propose resolves once applied, with the state index right after the entry and each command's outcome", async () => {
      const s = await openStore();
      const base = s.state.index;
      await s.propose([init]);
      const r = await s.propose([create(1), create(2)]);
      expect(r.index).toBe(base + 3);
      expect(s.state.index).toBe(base + 3);
      expect(r.outcomes).toEqual([{ ok: true, value: "s1" }, { ok: true, value: "s2" }]);
      expect(Object.keys(s.state.services).sort()).toEqual(["s1", "s2"]);
      expect((await s.propose([])).index).toBe(base + 3);
    });

    test("a refused command changes nothing and says why; the others of the entry apply", async () => {
      const s = await openStore();
      await s.propose([init, create(1)]);
      const dup = cmd.createService("other", serviceSpec("svc1"));
      const r = await s.propose([dup, create(2)]);
      expect(r.outcomes[0]).toEqual({ ok: false, code: "CONFLICT", message: expect.stringContaining(`service "svc1" already exists`) });
      expect(r.outcomes[1]!.ok).toBe(true);
      expect(Object.keys(s.state.services).sort()).toEqual(["s1", "s2"]);
    });

    test("concurrent proposals apply in order and each resolves with its own outcome", async () => {
      const s = await openStore();
      await s.propose([init]);
      const got = await Promise.all([1, 2, 3, 4, 5].map((i) => s.propose([create(i), create(100 + i)])));
      expect(got.map((r) => r.outcomes.every((o) => o.ok))).toEqual([true, true, true, true, true]);
      expect(new Set(got.map((r) => r.index)).size).toBe(5);
      expect(Object.keys(s.state.services)).toHaveLength(10);
    });

    test("subscribers see each entry's state and commands, until they unsubscribe", async () => {
      const s = await openStore();
      await s.propose([init]);
      const base = s.state.index;
      const seen: [number, string[]][] = [];
      const off = s.subscribe((st, cmds) => seen.push([st.index - base, cmds.map((c) => c.kind)]));
      await s.propose([create(1)]);
      await s.propose([create(2), { kind: "service.remove", id: "s1", at: "x" }]);
      off();
      await s.propose([create(3)]);
      expect(seen).toEqual([
        [1, ["service.create"]],
        [3, ["service.create", "service.remove"]],
      ]);
    });

    test("a subscriber that throws does not fail the proposal nor stop the others", async () => {
      const s = await openStore();
      const errors: unknown[] = [];
      s.machine.onListenerError = (e) => errors.push(e);
      s.subscribe(() => {
        throw new Error("boom");
      });
      const other: number[] = [];
      s.subscribe((st) => other.push(st.index));
      const base = s.state.index;
      expect((await s.propose([init])).outcomes).toEqual([{ ok: true }]);
      expect(errors).toHaveLength(1);
      expect(other).toEqual([base + 1]);
    });

    test("a subscriber that proposes (like the leader loop) sees every entry once, in order", async () => {
      const s = await openStore();
      await s.propose([init]);
      const base = s.state.index;
      const seen: number[] = [];
      const nested: Promise<unknown>[] = [];
      s.subscribe((st, cmds) => {
        const i = st.index - base;
        seen.push(i);
        if (cmds[0]?.kind === "service.create" && i < 3) nested.push(s.propose([create(11 + i)]));
      });
      await s.propose([create(1)]);
      await nested[0];
      await nested[1];
      expect(nested).toHaveLength(2);
      expect(seen).toEqual([1, 2, 3]);
      expect(Object.keys(s.state.services).sort()).toEqual(["s1", "s12", "s13"]);
    });

    test("the state survives a restart, across snapshots and compaction", async () => {
      if (!h) h = makeHarness();
      if (!h.persistent) return; // nothing to survive: the in-memory twin has no disk
      const s = await openStore({ snapshotEntries: 4 });
      await s.propose([init]);
      for (let i = 1; i <= 10; i++) await s.propose([create(i)]);
      await s.propose([{ kind: "service.remove", id: "s3", at: "x" }]);
      const before = s.state;
      s.close();
      const again = await openStore({ snapshotEntries: 4 });
      expect(again.state).toEqual(before);
      expect((await again.propose([create(11)])).outcomes[0]!.ok).toBe(true);
      again.close();
      const third = await openStore();
      expect(Object.keys(third.state.services)).toHaveLength(10);
    });
  });
}
