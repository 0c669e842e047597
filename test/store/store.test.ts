/** The Store contract on every consensus behind it, and the state machine's request de-duplication. */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStorage, SqliteStorage } from "../../internal/raft/index.ts";
import { ClusterStateMachine, encodeProposal, memoryStore } from "../../internal/store/index.ts";
import { AT, cmd, serviceSpec } from "./fixtures/objects.ts";
import { openRaftStore } from "./fixtures/raft-store.ts";
import { storeSuite } from "./store-suite.ts";

storeSuite("DirectConsensus (in-memory twin)", () => ({ open: async () => memoryStore(), persistent: false, cleanup: () => {} }));

storeSuite("one-voter Raft on MemoryStorage", () => {
  const storage = new MemoryStorage();
  return {
    persistent: true,
    open: async (o) => {
      const r = await openRaftStore(storage, o);
      return Object.assign(r.store, { close: r.close });
    },
    cleanup: () => {},
  };
});

storeSuite("one-voter Raft on bun:sqlite", () => {
  const dir = mkdtempSync(join(tmpdir(), "swarm-store-"));
  const storages: SqliteStorage[] = [];
  return {
    persistent: true,
    open: async (o) => {
      const storage = new SqliteStorage(join(dir, "raft.db"));
      storages.push(storage);
      const r = await openRaftStore(storage, o);
      return Object.assign(r.store, {
        close: () => {
          r.close();
          storage.close();
        },
      });
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe("request IDs", () => {
  const init = encodeProposal({
    rid: "a.1",
    cmds: [{ kind: "cluster.init", cluster: { ID: "c", CreatedAt: AT, Spec: { Name: "d" }, PublicKey: "", Secrets: { KeySeed: "", DiscoveryKey: "", TokenGeneration: { worker: 1, manager: 1 } }, Revoked: [] } }],
  });

  test("an entry retried with the same request ID (an unknown outcome) applies once, with the first outcome", () => {
    const m = new ClusterStateMachine();
    m.apply({ index: 1, term: 1, kind: "normal", data: init });
    const create = encodeProposal({ rid: "a.2", cmds: [cmd.createService("s1", serviceSpec("web"))] });
    m.apply({ index: 2, term: 1, kind: "normal", data: create });
    const after = m.state;
    m.apply({ index: 3, term: 2, kind: "normal", data: create }); // the retry, committed again by a new leader
    expect(m.state).toBe(after);
    expect(m.outcomeOf("a.2")).toEqual([{ ok: true, value: "s1" }]);
  });

  test("the table of request IDs travels in snapshots", () => {
    const m = new ClusterStateMachine();
    m.apply({ index: 1, term: 1, kind: "normal", data: init });
    const n = new ClusterStateMachine();
    n.restore(m.snapshot());
    const before = n.state;
    n.apply({ index: 2, term: 1, kind: "normal", data: init });
    expect(n.state).toBe(before);
    expect(n.outcomeOf("a.1")).toEqual([{ ok: true }]);
  });

  test("a malformed entry applies as nothing", () => {
    const m = new ClusterStateMachine();
    m.apply({ index: 1, term: 1, kind: "normal", data: new Uint8Array([0xc1, 0xff, 0x00]) });
    expect(m.state.index).toBe(0);
    expect(m.appliedIndex).toBe(1);
  });
});
