// Issue 8 on the real RaftNode (runner and core, real timers, in-memory network): the stale read after a
// restart, forwarded reads failing promptly, replay inside start(), the state machine's view of entries,
// and snapshots sent in chunks over the Transport.
import { afterEach, describe, expect, test } from "bun:test";
import {
  bootstrapState, ConfChangeType, EntryType, MemoryNetwork, MemoryStorage, MsgType, RaftErrorCode, RaftNode,
} from "../../internal/raft/index.ts";
import type { AppliedEntry, ConfState, Entry, Message, NodeId, RaftStorage, StateMachine, Transport } from "../../internal/raft/index.ts";
import { waitUntil } from "../harness/wait.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

class Kv implements StateMachine {
  data = new Map<string, string>();
  seen: AppliedEntry[] = [];
  restored: { index: number; term: number; conf: ConfState }[] = [];
  constructor(private readonly already: number | null = null) {}
  apply(e: AppliedEntry): void | Promise<void> {
    this.seen.push(e);
    if (e.kind !== "normal") return;
    const t = dec.decode(e.data);
    const i = t.indexOf("=");
    this.data.set(t.slice(0, i), t.slice(i + 1));
  }
  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify([...this.data]));
  }
  restore(d: Uint8Array, meta: { index: number; term: number; conf: ConfState }): void {
    this.restored.push(meta);
    this.data = new Map(JSON.parse(dec.decode(d)) as [string, string][]);
  }
  appliedIndex?(): number;
}

/** The in-memory network with a rule deciding, per message, to pass, drop or hold it (held messages are
 * sent later by release()). Records what each node received. */
class Switchboard {
  readonly net = new MemoryNetwork();
  rule: (m: Message) => "pass" | "drop" | "hold" = () => "pass";
  readonly held: { t: Transport; m: Message }[] = [];
  readonly received: Message[] = [];
  biggest = 0;

  connect(id: NodeId): Transport {
    const t = this.net.connect(id);
    return {
      send: (to, m) => {
        this.biggest = Math.max(this.biggest, size(m));
        const r = this.rule(m);
        if (r === "hold") this.held.push({ t, m });
        else if (r === "pass") t.send(to, m);
      },
      onMessage: (h) => t.onMessage((m) => (this.received.push(m), h(m))),
      close: () => t.close(),
    };
  }

  release(which: (m: Message) => boolean): Message[] {
    const out = this.held.filter((h) => which(h.m));
    for (const h of out) this.held.splice(this.held.indexOf(h), 1), h.t.send(h.m.to, h.m);
    return out.map((h) => h.m);
  }
}

/** Payload bytes of a message (entries and snapshot data). */
const size = (m: Message) => (m.entries ?? []).reduce((a, e) => a + e.data.length, 0) + (m.snapshot?.data.length ?? 0);

interface Member {
  node: RaftNode;
  kv: Kv;
  storage: RaftStorage;
}
let sb: Switchboard;
const members = new Map<NodeId, Member>();
const cfg = { tickMs: 10, requestTimeoutMs: 3000, snapshotEntries: 1000 };

async function start(id: NodeId, opts: { bootstrap?: NodeId[]; storage?: RaftStorage; kv?: Kv; config?: object; core?: object } = {}): Promise<Member> {
  const storage = opts.storage ?? new MemoryStorage();
  const kv = opts.kv ?? new Kv();
  const node = await RaftNode.start({
    id, storage, transport: sb.connect(id), stateMachine: kv, ...(opts.bootstrap ? { bootstrap: opts.bootstrap } : {}),
    config: { ...cfg, ...opts.config }, core: opts.core ?? {}, seed: id.charCodeAt(1) * 7 + 1,
  });
  const m = { node, kv, storage };
  members.set(id, m);
  return m;
}
async function cluster(ids: NodeId[], core: object = {}): Promise<Member> {
  sb = new Switchboard();
  for (const id of ids) await start(id, { bootstrap: ids, core });
  return waitUntil("a leader", () => [...members.values()].find((m) => m.node.isLeader), 5000, 5);
}
afterEach(() => {
  for (const m of members.values()) m.node.stop();
  members.clear();
});
const put = (m: Member, k: string, v: string) => m.node.propose(enc.encode(`${k}=${v}`));

describe("issue 8: reads", () => {
  test("a read after a restart is not completed by the answer to the previous incarnation's read", async () => {
    const l = await cluster(["n1", "n2", "n3"]);
    const f = [...members.values()].find((m) => m !== l)!;
    const fid = f.node.id;
    await put(l, "x", "old");
    await waitUntil("the follower has x=old", () => f.kv.data.get("x") === "old", 3000, 5);

    // (1) the follower reads; the leader's answer is held up
    sb.rule = (m) => (m.to === fid && m.type === MsgType.ReadIndexResp ? "hold" : "pass");
    const first = f.node.readIndex().catch((e) => e);
    await waitUntil("the leader's answer", () => sb.held.length === 1, 3000, 5);
    // (2) the follower restarts at once, in the same term, and hears of the leader
    const term = l.node.status().term;
    f.node.stop();
    expect((await first).code).toBe(RaftErrorCode.Stopped);
    sb.rule = (m) => (m.to === fid && (m.type === MsgType.ReadIndexResp || m.type === MsgType.App) ? "hold" : "pass");
    const f2 = await start(fid, { storage: f.storage });
    await waitUntil("the restarted follower knows the leader", () => f2.node.leaderId === l.node.id, 3000, 5);
    expect(f2.node.status().term).toBe(term);
    // (3) a write is acknowledged (without the follower)
    await put(l, "x", "new");
    // (4) the follower reads again; (5) the old answer arrives
    const seen = f2.node.readIndex().then(() => f2.kv.data.get("x"));
    const old = sb.release((m) => m.type === MsgType.ReadIndexResp && sb.held[0]!.m === m)[0]!;
    await waitUntil("the old answer delivered", () => sb.received.includes(old), 3000, 5);
    sb.rule = () => "pass";
    sb.release(() => true);
    expect(await seen).toBe("new");
  });

  test("a read forwarded to a leader that disappears fails within about an election timeout", async () => {
    const l = await cluster(["n1", "n2", "n3"]);
    const f = [...members.values()].find((m) => m !== l)!;
    sb.rule = (m) => (m.type === MsgType.ReadIndex ? "drop" : "pass");
    const t0 = Date.now();
    const read = f.node.readIndex(5000).catch((e) => e);
    l.node.stop(); // the leader dies
    const err = await read;
    expect([RaftErrorCode.NotLeader, RaftErrorCode.LeadershipLost]).toContain(err.code);
    expect(Date.now() - t0).toBeLessThan(1000); // election timeout: 100-190 ms here; request timeout: 5 s
  });

  test("a read forwarded to a leader that hands over leadership fails promptly, naming the new leader", async () => {
    const l = await cluster(["n1", "n2", "n3"], { electionTicks: 50 }); // no answer-timeout before the change
    const [f, g] = [...members.values()].filter((m) => m !== l) as [Member, Member];
    await put(l, "k", "v");
    sb.rule = (m) => (m.type === MsgType.ReadIndex ? "drop" : "pass");
    const t0 = Date.now();
    const read = f.node.readIndex(5000).catch((e) => e);
    await l.node.transferLeadership(g.node.id);
    const err = await read;
    expect(err.code).toBe(RaftErrorCode.NotLeader);
    expect(Date.now() - t0).toBeLessThan(1000);
    await waitUntil("the follower hears of the new leader", () => f.node.leaderId === g.node.id, 3000, 5);
    sb.rule = () => "pass";
    expect(await f.node.readIndex()).toBeGreaterThan(0);
  });
});

/** Storage holding a one-voter log: the bootstrap entry, then `n` committed puts (k=v<i>), optionally
 * compacted into a snapshot at `snapAt`. */
function storedLog(n: number, snapAt = 0): MemoryStorage {
  const s = new MemoryStorage();
  const b = bootstrapState(["solo"]);
  const entries: Entry[] = [...b.entries];
  for (let i = 2; i <= n + 1; i++) entries.push({ index: i, term: 1, type: EntryType.Normal, data: enc.encode(`k${i % 3}=v${i}`) });
  s.save({ hardState: { term: 1, vote: "solo", commit: n + 1 }, snapshot: null, entries });
  if (snapAt > 0) {
    const kv = new Map<string, string>();
    for (const e of entries.slice(1, snapAt)) {
      const [k, v] = dec.decode(e.data).split("=") as [string, string];
      kv.set(k, v);
    }
    s.save({ hardState: null, snapshot: { index: snapAt, term: 1, conf: { voters: ["solo"], learners: [] }, data: enc.encode(JSON.stringify([...kv])) }, entries: [] });
  }
  return s;
}

describe("issue 8: replay at start-up", () => {
  test("start() applies the whole committed log before it resolves, with nothing sent, received or ticked meanwhile", async () => {
    sb = new Switchboard();
    let listening = false, sent = 0, busy = 0;
    const inner = sb.connect("solo");
    const transport: Transport = {
      send: (to, m) => (sent++, inner.send(to, m)),
      onMessage: (h) => ((listening = true), inner.onMessage(h)),
      close: () => inner.close(),
    };
    class SlowKv extends Kv {
      override async apply(e: AppliedEntry): Promise<void> {
        if (listening || sent > 0) busy++;
        await new Promise((r) => setTimeout(r, 0)); // slow, asynchronous work per entry
        return super.apply(e);
      }
    }
    const kv = new SlowKv();
    const node = await RaftNode.start({ id: "solo", storage: storedLog(300), transport, stateMachine: kv, config: { tickMs: 1 }, seed: 1 });
    try {
      expect(kv.seen.length).toBe(301); // the bootstrap entry and the 300 puts, before start() resolved
      expect(kv.data.get("k0")).toBe("v300");
      expect(busy).toBe(0);
      expect(node.status().applied).toBe(301);
      await waitUntil("the node leads and commits", async () => node.isLeader && (await node.propose(enc.encode("a=b"))) > 301, 5000, 5);
    } finally {
      node.stop();
    }
  });

  test("start-up pages through storage: no whole-log load, pages of at most 1000 entries, only unapplied entries kept", async () => {
    sb = new Switchboard();
    class Watched extends MemoryStorage {
      loads = 0;
      biggestPage = 0;
      override load() {
        this.loads++;
        return super.load();
      }
      override entries(lo: number, hi: number, max: number, maxBytes?: number) {
        const out = super.entries(lo, hi, max, maxBytes);
        this.biggestPage = Math.max(this.biggestPage, out.length);
        return out;
      }
    }
    const src = storedLog(5000);
    const storage = new Watched();
    storage.save({ hardState: src.load().hardState, snapshot: null, entries: src.load().entries });
    const kv = new Kv();
    const node = await RaftNode.start({ id: "solo", storage, transport: sb.connect("solo"), stateMachine: kv, config: cfg, seed: 1 });
    try {
      expect(kv.seen.length).toBe(5001);
      expect(storage.loads).toBe(0);
      expect(storage.biggestPage).toBeLessThanOrEqual(1000);
      expect(node.status().entriesInMemory).toBe(0); // everything stored is applied
      for (let i = 0; i < 200; i++) await waitUntil("a commit", () => node.propose(enc.encode(`p=${i}`)).catch(() => false), 3000, 5);
      expect(node.status().entriesInMemory).toBeLessThanOrEqual(64 + 2); // applied entries beyond a few live in storage only
    } finally {
      node.stop();
    }
  });

  test("a persistent state machine's appliedIndex() skips what it already applied (and the snapshot before it)", async () => {
    sb = new Switchboard();
    const kv = new Kv();
    kv.appliedIndex = () => 150;
    const node = await RaftNode.start({ id: "solo", storage: storedLog(200, 100), transport: sb.connect("solo"), stateMachine: kv, config: cfg, seed: 1 });
    node.stop();
    expect(kv.restored).toEqual([]);
    expect(kv.seen.map((e) => e.index)).toEqual(Array.from({ length: 51 }, (_, i) => 151 + i));
  });

  test("a state machine behind the snapshot is restored from it, with its index, term and membership", async () => {
    sb = new Switchboard();
    const kv = new Kv();
    kv.appliedIndex = () => 50;
    const node = await RaftNode.start({ id: "solo", storage: storedLog(200, 100), transport: sb.connect("solo"), stateMachine: kv, config: cfg, seed: 1 });
    node.stop();
    expect(kv.restored).toEqual([{ index: 100, term: 1, conf: { voters: ["solo"], learners: [] } }]);
    expect(kv.seen[0]!.index).toBe(101);
    expect(kv.seen.length).toBe(101);
    expect(kv.data.get("k2")).toBe("v200");
  });

  test("a state machine ahead of the log refuses to start (the log was lost)", async () => {
    sb = new Switchboard();
    const kv = new Kv();
    kv.appliedIndex = () => 500;
    const err = await RaftNode.start({ id: "solo", storage: storedLog(20), transport: sb.connect("solo"), stateMachine: kv, config: cfg }).catch((e) => e);
    expect(err.code).toBe(RaftErrorCode.StorageCorrupt);
  });
});

describe("a log kept in storage rather than memory", () => {
  test("a follower that was down catches up from entries its leader no longer holds in memory (sqlite)", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { SqliteStorage } = await import("../../internal/raft/index.ts");
    const dir = mkdtempSync(join(tmpdir(), "raft-issue8-"));
    try {
      sb = new Switchboard();
      const ids = ["n1", "n2", "n3"];
      for (const id of ids) await start(id, { bootstrap: ids, storage: new SqliteStorage(join(dir, `${id}.db`)) });
      const l = await waitUntil("a leader", () => [...members.values()].find((m) => m.node.isLeader), 5000, 5);
      const f = [...members.values()].find((m) => m !== l)!;
      f.node.stop();
      members.delete(f.node.id);
      for (let i = 0; i < 300; i++) await put(l, `k${i % 10}`, `v${i}`);
      expect(l.node.status().entriesInMemory).toBeLessThan(100); // the 300 entries are in sqlite, not memory
      expect(l.node.status().snapshotIndex).toBe(0); // and not compacted: the follower gets them from the log
      const back = await start(f.node.id, { storage: f.storage });
      await waitUntil("the follower caught up", () => back.kv.data.get("k9") === "v299", 10_000, 5);
      expect(back.kv.restored).toEqual([]);
    } finally {
      for (const m of members.values()) m.node.stop(), m.storage.close();
      members.clear();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe("issue 8: what the state machine sees", () => {
  test("every entry with its term and kind: the bootstrap membership, leaders' no-ops, proposals, membership changes", async () => {
    const l = await cluster(["n1", "n2", "n3"]);
    const idx = await put(l, "a", "1");
    const term = l.node.status().term;
    await start("n4");
    const conf = await l.node.addLearner("n4");
    const seen = l.kv.seen;
    expect(seen[0]).toEqual({ index: 1, term: 1, kind: "conf", data: new Uint8Array(0), conf: { voters: ["n1", "n2", "n3"], learners: [] }, change: { type: ConfChangeType.AddVoter, nodeId: "n1" } });
    expect(seen.find((e) => e.kind === "noop" && e.term === term)).toEqual({ index: expect.any(Number), term, kind: "noop", data: new Uint8Array(0) });
    expect(seen.find((e) => e.index === idx)).toEqual({ index: idx, term, kind: "normal", data: enc.encode("a=1") });
    const c = seen.find((e) => e.index === conf)!;
    expect(c.kind).toBe("conf");
    expect(c.change).toEqual({ type: ConfChangeType.AddLearner, nodeId: "n4" });
    expect(c.conf).toEqual({ voters: ["n1", "n2", "n3"], learners: ["n4"] });
    expect(seen.map((e) => e.index)).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1)); // every index, in order
  });
});

describe("issue 8: snapshots in chunks over the transport", () => {
  test("a 3 MiB state reaches a new member without any message above 1 MiB", async () => {
    sb = new Switchboard();
    const ids = ["n1", "n2", "n3"];
    for (const id of ids) await start(id, { bootstrap: ids, config: { snapshotEntries: 10 } });
    const l = await waitUntil("a leader", () => [...members.values()].find((m) => m.node.isLeader), 5000, 5);
    const big = "x".repeat(64 * 1024);
    for (let i = 0; i < 48; i++) await put(l, `k${i}`, big); // ~3 MiB of state
    await waitUntil("the leader compacted", () => l.node.status().snapshotIndex > 40, 5000, 5);
    sb.biggest = 0;
    const n4 = await start("n4");
    await l.node.addLearner("n4");
    await waitUntil("the learner has the whole state", () => n4.kv.data.size === 48, 20_000, 5);
    expect(n4.kv.restored.length).toBeGreaterThan(0); // it came as a snapshot
    expect(n4.kv.data.get("k47")).toBe(big);
    expect(sb.biggest).toBeGreaterThan(256 * 1024); // chunks, not crumbs
    expect(sb.biggest).toBeLessThanOrEqual(1024 * 1024);
  }, 30_000);
});
