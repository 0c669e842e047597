/**
 * The shared transport test suite. Run against the in-memory twin (memory.test.ts) and the real
 * Hyperswarm transport (hyperswarm.test.ts), so both keep the same behaviour.
 */
import { describe, expect, test } from "bun:test";
import { joinMac } from "../../internal/transport/admission.ts";
import { FrameDecoder, encodeFrame } from "../../internal/transport/frame.ts";
import { Kind, decodeMessage, encodeMessage, type HelloProof } from "../../internal/transport/messages.ts";
import {
  TransportError, clusterFingerprint, generateClusterKey, issueCertificate, keyPairFromSeed, nodeIdOf,
  type ClusterTransport, type PeerInfo, type RawPeer, type TransportOptions,
} from "../../internal/transport/index.ts";
import { SECRET, WRONG_SECRET, recordingLogger, seedOf, testCluster, waitFor, type LogLine, type TestCluster } from "./helpers.ts";

export interface NodeSpec {
  seed: Uint8Array;
  options: TransportOptions;
}

/** Runs nodes that find each other (same network / same private DHT). */
export interface Harness {
  start(spec: NodeSpec): Promise<ClusterTransport>;
  /** Connects a raw peer (key from `seed`) to `target`, outside any transport. */
  rawConnect(target: ClusterTransport, seed: Uint8Array): Promise<RawPeer>;
  /** Makes `t` silent on the network (nothing in or out) without closing anything, as a powered-off
   * or partitioned host; `false` ends it. */
  silence(t: ClusterTransport, on: boolean): void;
  /** Closes every node and raw peer this harness started. */
  close(): Promise<void>;
}

export interface SuiteOptions {
  /** How long nodes may take to find and admit each other. */
  connectMs: number;
  /** handshakeTimeoutMs of the nodes: long enough for a real handshake on a loaded host, short
   * enough that the silent-peer test stays quick. */
  handshakeMs: number;
}

const codeOf = (p: Promise<unknown>) => p.then(() => "resolved", (e: TransportError) => `${e.code}/${e.remoteCode ?? ""}`);

/** Every HELLO proof found in what a raw peer received. */
function hellos(raw: RawPeer): HelloProof[] {
  const d = new FrameDecoder(1 << 20);
  const out: HelloProof[] = [];
  for (const c of raw.received) for (const p of d.push(c)) {
    const m = decodeMessage(p);
    if (m.k === Kind.Hello) out.push(m.proof);
  }
  return out;
}

export function transportSuite(name: string, makeHarness: () => Promise<Harness>, so: SuiteOptions): void {
  let run = 0;

  interface Ctx {
    h: Harness;
    c: TestCluster;
    lines: LogLine[];
    /** Member options: node i of withNodes is `c.member(seedOf(`${label}-${i}`), i === 0 ? "manager" : "worker")`. */
    label: string;
    base: Partial<TransportOptions>;
  }

  async function withNodes(n: number, body: (ts: ClusterTransport[], ctx: Ctx) => Promise<void>, connect = true): Promise<void> {
    const h = await makeHarness();
    const label = `suite-${name}-${process.pid}-${++run}`;
    const { log, lines } = recordingLogger();
    const base = { handshakeTimeoutMs: so.handshakeMs, log };
    const c = testCluster(label, base);
    try {
      const ts: ClusterTransport[] = [];
      for (let i = 0; i < n; i++) {
        const seed = seedOf(`${label}-${i}`);
        ts.push(await h.start({ seed, options: c.member(seed, i === 0 ? "manager" : "worker") }));
      }
      if (connect) await waitFor(`${n} nodes fully connected`, () => ts.every((t) => t.peers().length === n - 1), so.connectMs);
      await body(ts, { h, c, lines, label, base });
    } finally {
      await h.close();
    }
  }

  const refused = (lines: LogLine[], t: ClusterTransport | string, why?: string) =>
    lines.some((l) => l.msg === "refusing peer" && l.obj.peer === (typeof t === "string" ? t : t.self).slice(0, 8) && (!why || String(l.obj.reason).includes(why)));

  describe(`transport suite: ${name}`, () => {
    test("certified nodes admit each other; PeerInfo carries class, certificate and the observed address", async () => {
      await withNodes(2, async ([a, b], { c }) => {
        expect(a!.peers().map((p) => p.id)).toEqual([b!.self]);
        const ofB = a!.peers()[0]!;
        expect(ofB).toMatchObject({ class: "worker", via: "certificate", certificate: { v: 2, role: "worker", nodeId: b!.self, clusterId: c.clusterId } });
        expect(ofB.address).toBeString();
        expect(b!.peers()[0]).toMatchObject({ class: "manager", certificate: { role: "manager" } });
        expect(ofB.clusterPublicKey).toEqual(c.ck.publicKey);
        expect(a!.isConnected(b!.self)).toBe(true);
      });
    });

    test("request/response, one-way send, and typed errors; handlers see the verified peer", async () => {
      await withNodes(2, async ([a, b]) => {
        b!.handle("echo", (msg, from, peer) => ({ msg, from, cls: peer.class }));
        b!.handle("fail", () => {
          throw Object.assign(new Error("no such service"), { code: "NOT_FOUND" });
        });
        b!.handle("never", () => new Promise(() => {}));
        const got: unknown[] = [];
        b!.handle("note", (msg) => void got.push(msg));

        expect(await a!.request(b!.self, "echo", { x: [1, "two", new Uint8Array([3])] })).toEqual({
          msg: { x: [1, "two", new Uint8Array([3])] },
          from: a!.self,
          cls: "manager",
        });
        expect(a!.send(b!.self, "note", 1)).toBe(true);
        expect(a!.send(b!.self, "note", 2)).toBe(true);
        await waitFor("two notes", () => got.length === 2);
        expect(got).toEqual([1, 2]);

        expect(await codeOf(a!.request(b!.self, "fail", null))).toBe("REMOTE_ERROR/NOT_FOUND");
        expect(await codeOf(a!.request(b!.self, "nobody", null))).toBe("NO_HANDLER/");
        expect(await codeOf(a!.request(b!.self, "never", null, { timeoutMs: 100 }))).toBe("TIMEOUT/");
        expect(await codeOf(a!.request(nodeIdOf(keyPairFromSeed(seedOf("stranger")).publicKey), "echo", null))).toBe("PEER_GONE/");
        expect(a!.send("00".repeat(32), "note", 3)).toBe(false);
        expect(() => a!.handle("_transport.px", () => 1)).toThrow("reserved");
      });
    });

    test("channel access: accept lists and maxBytes are enforced before the handler runs", async () => {
      await withNodes(2, async ([m, w], { lines }) => {
        let ran = 0;
        m!.handle("managers-only", () => ++ran, { accept: ["manager"] });
        m!.handle("small", () => ++ran, { maxBytes: 100 });
        m!.onStream("managers-stream", async (_msg, sink) => void (ran++, sink.end()), { accept: ["manager"] });
        w!.handle("managers-only", (_m, _f, peer: PeerInfo) => peer.class, { accept: ["manager"] });

        expect(await codeOf(w!.request(m!.self, "managers-only", null))).toBe("FORBIDDEN/");
        expect(w!.send(m!.self, "managers-only", null)).toBe(true); // dropped at the receiver
        expect(await codeOf(w!.request(m!.self, "small", new Uint8Array(200)))).toBe("TOO_LARGE/");
        expect(await w!.request(m!.self, "small", new Uint8Array(10))).toBe(1);
        const stream = w!.openStream(m!.self, "managers-stream", null);
        expect(await codeOf((async () => { for await (const _ of stream); })())).toBe("FORBIDDEN/");
        expect(await m!.request(w!.self, "managers-only", null)).toBe("manager");
        await waitFor("forbidden logged", () => lines.some((l) => l.msg.startsWith("refusing a call on a channel")));
        expect(ran).toBe(1);
      });
    });

    test("large messages (3 MiB) cross intact", async () => {
      await withNodes(2, async ([a, b]) => {
        b!.handle("sum", (msg) => {
          const buf = msg as Uint8Array;
          let sum = 0;
          for (let i = 0; i < buf.length; i += 4096) sum += buf[i]!;
          return { len: buf.length, sum, back: buf.subarray(0, 1024) };
        });
        const big = new Uint8Array(3 * 1024 * 1024);
        for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
        let sum = 0;
        for (let i = 0; i < big.length; i += 4096) sum += big[i]!;
        expect(await a!.request(b!.self, "sum", big, { timeoutMs: 30_000 })).toEqual({ len: big.length, sum, back: big.subarray(0, 1024) });
      });
    }, 60_000);

    test("a pending request fails with PEER_GONE when the peer goes away", async () => {
      await withNodes(2, async ([a, b]) => {
        b!.handle("never", () => new Promise(() => {}));
        const p = a!.request(b!.self, "never", null, { timeoutMs: 20_000 }).catch((e: TransportError) => e.code);
        const down: string[] = [];
        a!.on("peer-down", (id) => down.push(id));
        await b!.close();
        expect(await p).toBe("PEER_GONE");
        await waitFor("peer-down", () => down.includes(b!.self), so.connectMs);
        expect(a!.peers()).toEqual([]);
      });
    });

    test("a silent peer (powered off, partitioned) goes down within deadPeerTimeoutMs", async () => {
      await withNodes(0, async (_ts, { h, c, label }) => {
        const dead = 3000;
        const [sa, sb] = [seedOf(`${label}-dead-a`), seedOf(`${label}-dead-b`)];
        const a = await h.start({ seed: sa, options: c.member(sa, "manager", { deadPeerTimeoutMs: dead }) });
        const b = await h.start({ seed: sb, options: c.member(sb, "worker", { deadPeerTimeoutMs: dead }) });
        await waitFor("connected", () => a.isConnected(b.self) && b.isConnected(a.self), so.connectMs);
        const downAt: number[] = [];
        a.on("peer-down", () => downAt.push(performance.now()));
        const t0 = performance.now();
        h.silence(b, true);
        await waitFor("silent peer down", () => downAt.length > 0, dead + 4000);
        expect(downAt[0]! - t0).toBeGreaterThan(dead * 0.5);
        h.silence(b, false);
      });
    }, 30_000);

    test("streams deliver in order with bounded buffering, and cancel reaches the writer", async () => {
      await withNodes(2, async ([a, b]) => {
        let written = 0;
        let aborted = false;
        let writeError = "";
        b!.onStream("count", async (msg, sink) => {
          const { n } = msg as { n: number };
          sink.signal.addEventListener("abort", () => (aborted = true));
          try {
            for (let i = 0; i < n; i++) {
              await sink.write(i);
              written++;
            }
          } catch (e) {
            writeError = (e as TransportError).code;
          }
        });
        const got: unknown[] = [];
        let maxAhead = 0;
        for await (const m of a!.openStream(b!.self, "count", { n: 300 }, { credit: 8 })) {
          got.push(m);
          maxAhead = Math.max(maxAhead, written - got.length);
          if (got.length % 50 === 0) await new Promise((r) => setTimeout(r, 5)); // a slow reader
        }
        expect(got).toEqual([...Array(300).keys()]);
        expect(maxAhead).toBeLessThanOrEqual(8);

        written = 0;
        const s = a!.openStream(b!.self, "count", { n: 1_000_000 }, { credit: 4 });
        let seen = 0;
        for await (const _ of s) if (++seen === 3) break; // break cancels
        await waitFor("writer sees the cancel", () => aborted && writeError === "STREAM_CANCELLED");
        expect(written).toBeLessThan(20);
      });
    });

    test("stream errors: NO_HANDLER, a failing handler, and PEER_GONE", async () => {
      await withNodes(2, async ([a, b]) => {
        b!.onStream("boom", async (_m, sink) => {
          await sink.write("first");
          throw Object.assign(new Error("container gone"), { code: "NOT_FOUND" });
        });
        b!.onStream("forever", async (_m, sink) => {
          await sink.write("hello");
          await new Promise((r) => sink.signal.addEventListener("abort", r));
        });
        const drain = async (s: AsyncIterable<unknown>) => {
          const got: unknown[] = [];
          try {
            for await (const m of s) got.push(m);
            return { got, code: "ended" };
          } catch (e) {
            return { got, code: `${(e as TransportError).code}/${(e as TransportError).remoteCode ?? ""}` };
          }
        };
        expect(await drain(a!.openStream(b!.self, "nobody", null))).toEqual({ got: [], code: "NO_HANDLER/" });
        expect(await drain(a!.openStream(b!.self, "boom", null))).toEqual({ got: ["first"], code: "REMOTE_ERROR/NOT_FOUND" });
        const s = a!.openStream(b!.self, "forever", null);
        const first = await s[Symbol.asyncIterator]().next();
        expect(first.value).toBe("hello");
        const rest = drain(s);
        await b!.close();
        expect((await rest).code).toBe("PEER_GONE/");
      });
    });

    test("a node certified by another cluster key is refused, with a logged reason, and not banned", async () => {
      await withNodes(1, async ([a], { h, c, lines, label, base }) => {
        const other = testCluster(`${label}-other`, base);
        const seed = seedOf(`${label}-intruder`);
        // Same discovery key (it finds us), its own cluster key and id.
        const intruder = await h.start({ seed, options: other.member(seed, "manager", { discoveryKey: c.discoveryKey }) });
        await waitFor("refusal logged", () => refused(lines, intruder), so.connectMs);
        expect(a!.peers()).toEqual([]);
        expect(intruder.peers()).toEqual([]);
        // Not banned: the same key with a certificate of this cluster is admitted.
        await intruder.close();
        const fixed = await h.start({ seed, options: c.member(seed, "worker") });
        await waitFor("reformed intruder admitted", () => a!.isConnected(fixed.self), so.connectMs);
      }, false);
    });

    test("a certificate proves only for its own node, only while valid; revocation closes and refuses", async () => {
      await withNodes(2, async ([a, b], { h, c, lines, label }) => {
        // A certificate for another node's key is no proof, and cannot even be configured.
        const thiefSeed = seedOf(`${label}-thief`);
        const stolen = c.certFor(seedOf(`${label}-1`), "worker");
        const thief = await h.rawConnect(a!, thiefSeed);
        thief.write(encodeFrame(encodeMessage({ k: Kind.Hello, proof: { v: 2, cert: stolen.cert, sig: stolen.sig, ca: c.ck.publicKey } })));
        await thief.closed;
        await waitFor("thief refused", () => refused(lines, nodeIdOf(keyPairFromSeed(thiefSeed).publicKey), "issued to another node"), so.connectMs);
        expect(() => b!.updateAdmission({ certificate: c.certFor(thiefSeed, "worker") })).toThrow("issued to another node");

        // Expired (beyond the 5 min skew) and not-yet-valid certificates are refused.
        const now = Date.now();
        for (const [tag, w] of [["expired", { notBeforeMs: now - 2 * 86_400_000, notAfterMs: now - 600_000 }], ["future", { notBeforeMs: now + 600_000, notAfterMs: now + 86_400_000 }]] as const) {
          const seed = seedOf(`${label}-${tag}`);
          const t = await h.start({ seed, options: c.member(seed, "worker", { certificate: c.certFor(seed, "worker", w) }) });
          await waitFor(`${tag} refused`, () => refused(lines, t, "expired or not yet valid"), so.connectMs);
          expect(a!.isConnected(t.self)).toBe(false);
          await t.close();
        }

        a!.revoke(b!.self);
        await waitFor("revoked peer dropped", () => !a!.isConnected(b!.self) && !b!.isConnected(a!.self), so.connectMs);
        await waitFor("revoked peer refused on reconnect", () => refused(lines, b!, "revoked"), so.connectMs);
        expect(a!.isConnected(b!.self)).toBe(false);
        a!.setRevoked([]); // the list replaced: b is welcome again
        await waitFor("unrevoked peer back", () => a!.isConnected(b!.self), so.connectMs);
        a!.setRevoked([b!.self]);
        await waitFor("revoked again by setRevoked", () => !a!.isConnected(b!.self), so.connectMs);
      });
    }, 60_000);

    test("joining: a joiner admits only certified managers of its cluster id, reaches only joiner channels, then becomes a member", async () => {
      await withNodes(0, async (_ts, { h, c, lines, label, base }) => {
        const [ms, ws, js] = ["m", "w", "j"].map((x) => seedOf(`${label}-${x}`)) as [Uint8Array, Uint8Array, Uint8Array];
        const m = await h.start({ seed: ms, options: c.member(ms, "manager", { joinSecrets: [{ role: "worker", secret: SECRET }, { role: "manager", secret: WRONG_SECRET }] }) });
        const w = await h.start({ seed: ws, options: c.member(ws, "worker") });
        await waitFor("members connected", () => m.isConnected(w.self), so.connectMs);
        let notes = 0;
        m.handle("note", () => void notes++);
        m.handle("echo", (x) => x);
        m.onStream("logs", async (_x, sink) => sink.end());
        m.handle("cluster.join", (_msg, from, peer) => {
          if (peer.class !== "joiner") throw new Error("already a member");
          return { certificate: c.certFor(js, peer.joinRole!), clusterPublicKey: c.ck.publicKey, from };
        }, { accept: ["joiner"] });

        // An impostor "manager" with its own cluster key (its fingerprint is not our cluster id).
        const fake = testCluster(`${label}-fake`, base);
        const fs = seedOf(`${label}-fake-m`);
        const impostor = await h.start({
          seed: fs, options: { ...fake.member(fs, "manager", { discoveryKey: c.discoveryKey }), joinSecrets: [{ role: "worker", secret: SECRET }] },
        });

        const j = await h.start({ seed: js, options: c.joiner(SECRET) });
        await waitFor("joiner admitted by the manager", () => j.isConnected(m.self) && m.isConnected(j.self), so.connectMs);
        expect(m.peers().find((p) => p.id === j.self)).toMatchObject({ class: "joiner", via: "secret", joinRole: "worker" });
        const ofM = j.peers().find((p) => p.id === m.self)!;
        expect(ofM).toMatchObject({ class: "manager", certificate: { role: "manager" } });
        expect(clusterFingerprint(ofM.clusterPublicKey!)).toBe(c.clusterId);
        await waitFor("joiner refuses the impostor and the worker", () => refused(lines, impostor, "cluster id") && refused(lines, w, "managers only"), so.connectMs);
        expect(j.isConnected(w.self) || j.isConnected(impostor.self)).toBe(false);

        // A joiner reaches only the channels that list "joiner".
        expect(await codeOf(j.request(m.self, "echo", 1))).toBe("FORBIDDEN/");
        const s = j.openStream(m.self, "logs", null);
        expect(await codeOf((async () => { for await (const _ of s); })())).toBe("FORBIDDEN/");
        j.send(m.self, "note", 1);
        const joined = (await j.request(m.self, "cluster.join", { hostname: "j" })) as { certificate: { cert: Uint8Array; sig: Uint8Array }; clusterPublicKey: Uint8Array };
        expect(await codeOf(w.request(m.self, "cluster.join", {}))).toBe("FORBIDDEN/"); // members may not "join"
        expect(notes).toBe(0);

        // Pin the key, present the certificate, drop the secret; the manager drops the joiner session.
        j.updateAdmission({ certificate: joined.certificate, clusterPublicKey: joined.clusterPublicKey, proveSecret: null });
        m.disconnect(j.self, "joined");
        await waitFor("member now", () => m.peers().some((p) => p.id === j.self && p.class === "worker"), so.connectMs);
        await waitFor("and meshed with the worker", () => j.isConnected(w.self), so.connectMs);
        // Both ends redial after the disconnect; a duplicate connection may replace the first one.
        await waitFor("the member answers", async () => (await j.request(m.self, "echo", 2).catch(() => undefined)) === 2, so.connectMs);
      });
    }, 60_000);

    test("reprove: a new proof on an open connection re-admits the peer under its new class, without reconnecting", async () => {
      await withNodes(0, async (_ts, { h, c, label }) => {
        const [ms, js] = ["m", "j"].map((x) => seedOf(`${label}-${x}`)) as [Uint8Array, Uint8Array];
        const m = await h.start({ seed: ms, options: c.member(ms, "manager", { joinSecrets: [{ role: "manager", secret: SECRET }] }) });
        m.handle("echo", (x) => x);
        const ups: string[] = [];
        m.on("peer-up", (p) => p.id !== m.self && ups.push(p.class));
        const j = await h.start({ seed: js, options: c.joiner(SECRET) });
        await waitFor("joiner in", () => m.peers().some((p) => p.id === j.self && p.class === "joiner"), so.connectMs);
        const since = m.peers().find((p) => p.id === j.self)!.connectedAtMs;
        expect(await codeOf(j.request(m.self, "echo", 1))).toBe("FORBIDDEN/");
        // Joined as a manager: present the certificate on the same connection.
        j.updateAdmission({ certificate: c.certFor(js, "manager"), clusterPublicKey: c.ck.publicKey, proveSecret: null });
        j.reprove();
        await waitFor("re-admitted as a manager", () => m.peers().some((p) => p.id === j.self && p.class === "manager"), so.connectMs);
        expect(m.peers().find((p) => p.id === j.self)!.connectedAtMs).toBe(since); // the same connection
        expect(ups).toEqual(["joiner", "manager"]);
        expect(await j.request(m.self, "echo", 2)).toBe(2);
      });
    }, 60_000);

    test("rotating the join secrets closes joiners admitted by the old one and refuses it from then on", async () => {
      await withNodes(0, async (_ts, { h, c, lines, label }) => {
        const ms = seedOf(`${label}-m`);
        const m = await h.start({ seed: ms, options: c.member(ms, "manager", { joinSecrets: [{ role: "worker", secret: SECRET }] }) });
        const j = await h.start({ seed: seedOf(`${label}-j`), options: c.joiner(SECRET) });
        await waitFor("joiner in", () => m.isConnected(j.self), so.connectMs);
        m.updateAdmission({ joinSecrets: [{ role: "worker", secret: WRONG_SECRET }] });
        await waitFor("old joiner closed", () => !m.isConnected(j.self), so.connectMs);
        await waitFor("old secret refused", () => refused(lines, j, "join-secret"), so.connectMs);
        const j2 = await h.start({ seed: seedOf(`${label}-j2`), options: c.joiner(WRONG_SECRET) });
        await waitFor("new secret admitted", () => m.isConnected(j2.self), so.connectMs);
        expect(m.isConnected(j.self)).toBe(false);
      });
    });

    test("a node with a certificate proves with it alone; an invalid certificate is refused even beside a valid MAC", async () => {
      await withNodes(1, async ([a], { h, c, lines, label }) => {
        a!.updateAdmission({ joinSecrets: [{ role: "worker", secret: SECRET }] });
        const rs = seedOf(`${label}-raw`);
        const rawKey = keyPairFromSeed(rs).publicKey;
        const raw = await h.rawConnect(a!, rs);
        await waitFor("a's hello", () => hellos(raw).length > 0, so.connectMs);
        const proof = hellos(raw)[0]!;
        expect(proof.mac).toBeUndefined();
        expect(proof.cert).toBeInstanceOf(Uint8Array);
        expect(proof.ca).toEqual(c.ck.publicKey);

        const aKey = Buffer.from(a!.self, "hex");
        const forged = issueCertificate(generateClusterKey(), { v: 2, clusterId: c.clusterId, nodeId: nodeIdOf(rawKey), role: "manager", serial: 1, notBeforeMs: 0, notAfterMs: Date.now() + 1e9 });
        raw.write(encodeFrame(encodeMessage({ k: Kind.Hello, proof: { v: 2, mac: joinMac(SECRET, c.clusterId, rawKey, aKey), cert: forged.cert, sig: forged.sig, ca: c.ck.publicKey } })));
        await raw.closed;
        await waitFor("refused for the certificate", () => refused(lines, nodeIdOf(rawKey), "not signed"), so.connectMs);
        expect(a!.peers()).toEqual([]);
      });
    });

    test("silent and malformed peers are closed with a logged reason; the node keeps working", async () => {
      await withNodes(2, async ([a, b], { h, c, lines, label }) => {
        a!.handle("ping", () => "pong");
        const silent = await h.rawConnect(a!, seedOf(`${label}-silent`));
        expect(await silent.closed).toBeString();

        const garbage = await h.rawConnect(a!, seedOf(`${label}-garbage`));
        garbage.write(new Uint8Array([0, 0, 0, 3, 0xc1, 0xc1, 0xc1])); // 0xc1 is never valid msgpack
        await garbage.closed;
        await waitFor("malformed logged", () => lines.some((l) => l.msg === "closing connection: bad frame" && String(l.obj.reason).includes("not plain msgpack")));

        const huge = await h.rawConnect(a!, seedOf(`${label}-huge`));
        huge.write(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
        await huge.closed;
        await waitFor("oversize logged", () => lines.some((l) => String(l.obj.reason).includes("exceeds")));

        // An admitted peer (it has a certificate) that then breaks the protocol.
        const rawSeed = seedOf(`${label}-admitted`);
        const rogue = await h.rawConnect(a!, rawSeed);
        const cert = c.certFor(rawSeed, "worker");
        rogue.write(encodeFrame(encodeMessage({ k: Kind.Hello, proof: { v: 2, cert: cert.cert, sig: cert.sig, ca: c.ck.publicKey } })));
        rogue.write(encodeFrame(encodeMessage({ k: Kind.Welcome })));
        rogue.write(encodeFrame(encodeMessage({ k: Kind.StreamCredit, sid: 1, n: 1 }))); // harmless: unknown stream
        rogue.write(encodeFrame(new Uint8Array([0x92, 0x04, 0xa1, 0x78]))); // [4, "x"] — a request without id
        await rogue.closed;
        await waitFor("rogue logged", () => lines.some((l) => String(l.obj.reason).includes("needs 4 elements")));

        expect(await b!.request(a!.self, "ping", null)).toBe("pong");
        expect(a!.peers().map((p) => p.id)).toEqual([b!.self]);
      });
    });

    test("a restarted node (same key) is reconnected", async () => {
      await withNodes(3, async (ts, { h, c, label }) => {
        const [a, b, cc] = ts as [ClusterTransport, ClusterTransport, ClusterTransport];
        const downs: string[] = [];
        a.on("peer-down", (id) => downs.push(id));
        await cc.close();
        await waitFor("c seen down", () => downs.includes(cc.self), so.connectMs);
        const seed = seedOf(`${label}-2`);
        const c2 = await h.start({ seed, options: c.member(seed, "worker") });
        expect(c2.self).toBe(cc.self);
        await waitFor("c2 reconnected to both", () => a.isConnected(c2.self) && b.isConnected(c2.self) && c2.peers().length === 2, so.connectMs);
        c2.handle("who", () => "c2");
        expect(await a.request(c2.self, "who", null)).toBe("c2");
      });
    });
  });
}
