// RaftNode end to end: three (or four) nodes in one process over the in-memory network, with real
// sqlite storage in a temp dir and a real (fast) clock. Conditions are polled with deadlines.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryNetwork, RaftErrorCode, RaftNode, SqliteStorage } from "../../internal/raft/index.ts";
import type { AppliedEntry, NodeId, StateMachine } from "../../internal/raft/index.ts";
import { waitUntil as pollUntil } from "../harness/wait.ts";

const dir = mkdtempSync(join(tmpdir(), "raft-runner-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const enc = new TextEncoder();
const dec = new TextDecoder();

class Kv implements StateMachine {
  data = new Map<string, string>();
  apply(e: AppliedEntry): void {
    if (e.kind !== "normal") return;
    const [k, v] = dec.decode(e.data).split("=") as [string, string];
    this.data.set(k, v);
  }
  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify([...this.data]));
  }
  restore(d: Uint8Array): void {
    this.data = new Map(JSON.parse(dec.decode(d)) as [string, string][]);
  }
}

interface Member {
  node: RaftNode;
  kv: Kv;
  storage: SqliteStorage;
}

let net: MemoryNetwork;
let members = new Map<NodeId, Member>();
let run = 0;

async function startMember(id: NodeId, bootstrap?: NodeId[]): Promise<Member> {
  const storage = new SqliteStorage(join(dir, `r${run}-${id}.db`));
  const kv = new Kv();
  const node = await RaftNode.start({
    id, storage, transport: net.connect(id), stateMachine: kv, ...(bootstrap ? { bootstrap } : {}),
    config: { tickMs: 10, requestTimeoutMs: 3000, snapshotEntries: 5 }, seed: id.charCodeAt(1) * 31 + run,
  });
  const m = { node, kv, storage };
  members.set(id, m);
  return m;
}

function stopMember(id: NodeId): void {
  const m = members.get(id)!;
  m.node.stop();
  m.storage.close();
  members.delete(id);
}

async function startCluster(ids: NodeId[]): Promise<void> {
  run++;
  net = new MemoryNetwork();
  members = new Map();
  for (const id of ids) await startMember(id, ids);
}

afterEach(() => {
  for (const id of [...members.keys()]) stopMember(id);
});

const waitUntil = <T>(f: () => T | null | undefined | false, ms = 5000): Promise<T> =>
  pollUntil("a raft condition", () => f() ?? undefined, ms, 5);

const leader = () => waitUntil(() => [...members.values()].find((m) => m.node.isLeader));
const put = (m: Member, k: string, v: string) => m.node.propose(enc.encode(`${k}=${v}`));

describe("RaftNode over the in-memory network with sqlite storage", () => {
  test("a proposal resolves once committed and applied; followers apply it too; a follower says who leads", async () => {
    await startCluster(["n1", "n2", "n3"]);
    const l = await leader();
    const index = await put(l, "a", "1");
    expect(index).toBeGreaterThan(1);
    expect(l.kv.data.get("a")).toBe("1");
    for (const m of members.values()) await waitUntil(() => m.kv.data.get("a") === "1");

    const f = [...members.values()].find((m) => m !== l)!;
    const err = await put(f, "a", "2").catch((e) => e);
    expect(err.code).toBe(RaftErrorCode.NotLeader);
    expect(err.leaderId).toBe(l.node.id);
  });

  test("readIndex on a follower waits until the follower reflects every committed write", async () => {
    await startCluster(["n1", "n2", "n3"]);
    const l = await leader();
    const f = [...members.values()].find((m) => m !== l)!;
    for (let i = 0; i < 20; i++) void put(l, "x", String(i));
    await put(l, "x", "last");
    await f.node.readIndex();
    expect(f.kv.data.get("x")).toBe("last");
  });

  test("when the leader dies the others elect a new one; proposals on the cut-off leader fail", async () => {
    await startCluster(["n1", "n2", "n3"]);
    const old = await leader();
    await put(old, "k", "before");
    net.isolate(old.node.id);
    const stranded = put(old, "k", "stranded").catch((e) => e);
    const next = await waitUntil(() => [...members.values()].find((m) => m !== old && m.node.isLeader));
    await put(next, "k", "after");
    const err = await stranded;
    expect([RaftErrorCode.LeadershipLost, RaftErrorCode.Timeout]).toContain(err.code);
    net.heal();
    await waitUntil(() => old.kv.data.get("k") === "after");
  });

  test("a restarted node recovers its state exactly from sqlite (snapshot plus log)", async () => {
    await startCluster(["n1", "n2", "n3"]);
    const l = await leader();
    for (let i = 0; i < 23; i++) await put(l, `k${i % 4}`, `v${i}`);
    const f = [...members.values()].find((m) => m !== l)!;
    const id = f.node.id;
    await waitUntil(() => f.kv.data.get("k2") === "v22");
    const before = JSON.stringify([...f.kv.data].sort());
    const status = f.node.status();
    expect(status.snapshotIndex).toBeGreaterThan(0);
    stopMember(id);
    const again = await startMember(id);
    expect(again.node.status().lastIndex).toBe(status.lastIndex);
    await waitUntil(() => JSON.stringify([...again.kv.data].sort()) === before);
  });

  test("membership: add a learner, promote it once caught up, remove a voter", async () => {
    await startCluster(["n1", "n2", "n3"]);
    const l = await leader();
    for (let i = 0; i < 12; i++) await put(l, "k", `v${i}`);
    const n4 = await startMember("n4"); // empty: waits to be added
    await l.node.addLearner("n4");
    await waitUntil(() => n4.kv.data.get("k") === "v11");
    await l.node.promote("n4");
    const victim = [...members.keys()].find((id) => id !== l.node.id && id !== "n4")!;
    await l.node.removeVoter(victim);
    expect([...l.node.status().conf.voters].sort()).toEqual([...members.keys()].filter((id) => id !== victim).sort());
    stopMember(victim);
    await put(l, "k", "after");
    await waitUntil(() => n4.kv.data.get("k") === "after");
    const err = await l.node.promote("n9").catch((e) => e);
    expect(err.code).toBe(RaftErrorCode.ConfChangeInvalid);
  });

  test("leadership transfer moves the leader to the chosen node", async () => {
    await startCluster(["n1", "n2", "n3"]);
    const l = await leader();
    await put(l, "k", "v");
    const target = [...members.values()].find((m) => m !== l)!;
    await l.node.transferLeadership(target.node.id);
    await waitUntil(() => target.node.isLeader);
    await put(target, "k", "w");
    const err = await put(l, "k", "x").catch((e) => e);
    expect(err.code).toBe(RaftErrorCode.NotLeader);
  });

  test("a storage failure stops the node and fails pending requests with that error", async () => {
    run++;
    net = new MemoryNetwork();
    class BrokenDisk extends SqliteStorage {
      broken = false;
      override save(w: Parameters<SqliteStorage["save"]>[0]): void {
        if (this.broken) throw new Error("disk full");
        super.save(w);
      }
    }
    const storage = new BrokenDisk(join(dir, `r${run}-solo.db`));
    let fatal: Error | null = null;
    const node = await RaftNode.start({
      id: "solo", storage, transport: net.connect("solo"), stateMachine: new Kv(), bootstrap: ["solo"],
      config: { tickMs: 10 }, onFatal: (e) => (fatal = e),
    });
    try {
      await waitUntil(() => node.isLeader);
      storage.broken = true;
      const err = await node.propose(enc.encode("a=1")).catch((e) => e);
      expect(err.message).toBe("disk full");
      expect(fatal).not.toBeNull();
      expect((await node.propose(enc.encode("a=2")).catch((e) => e)).code).toBe(RaftErrorCode.Stopped);
    } finally {
      node.stop();
      storage.close();
    }
  });

  test("a stopped node rejects requests with Stopped", async () => {
    await startCluster(["n1"]);
    const m = members.get("n1")!;
    await leader();
    await put(m, "k", "v");
    m.node.stop();
    const err = await put(m, "k", "w").catch((e) => e);
    expect(err.code).toBe(RaftErrorCode.Stopped);
  });
});
