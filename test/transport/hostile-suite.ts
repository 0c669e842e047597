/**
 * Rogue peers against the transport (issue 10), run on the in-memory twin and on Hyperswarm like the
 * main suite: strangers that flood handshakes, declare huge frames or stuff peer-controlled strings
 * into what we log, and admitted peers that send non-plain msgpack. Each test states the bound the
 * transport enforces. (UDX-level forgery: test/udx/hostile.test.ts; peer-exchange flooding and
 * discovery: hyperswarm.test.ts.)
 */
import { describe, expect, test } from "bun:test";
import { encodeFrame } from "../../internal/transport/frame.ts";
import { Kind, encodeMessage } from "../../internal/transport/messages.ts";
import type { TransportCore } from "../../internal/transport/core.ts";
import type { ClusterTransport, RawPeer, TransportError, TransportOptions } from "../../internal/transport/index.ts";
import { SECRET, recordingLogger, seedOf, testCluster, waitFor, type LogLine, type TestCluster } from "./helpers.ts";
import type { Harness, SuiteOptions } from "./suite.ts";

const codeOf = (p: Promise<unknown>) => p.then(() => "resolved", (e: TransportError) => `${e.code}/${e.remoteCode ?? ""}`);
const core = (t: ClusterTransport) => t as unknown as TransportCore;

/** msgpack bytes: [kind=Request, id, channel, body] with `body` given raw. */
function rawRequest(id: number, channel: string, body: number[]): Uint8Array {
  const ch = [...Buffer.from(channel)];
  return encodeFrame(new Uint8Array([0x94, Kind.Request, id, 0xa0 | ch.length, ...ch, ...body]));
}

export function hostileSuite(name: string, makeHarness: () => Promise<Harness>, so: SuiteOptions): void {
  let run = 0;

  async function withNode(
    extra: Partial<TransportOptions>,
    body: (a: ClusterTransport, ctx: { h: Harness; c: TestCluster; lines: LogLine[]; label: string }) => Promise<void>,
  ): Promise<void> {
    const h = await makeHarness();
    const label = `hostile-${name}-${process.pid}-${++run}`;
    const { log, lines } = recordingLogger();
    const c = testCluster(label, { handshakeTimeoutMs: so.handshakeMs, log });
    try {
      const seed = seedOf(`${label}-a`);
      const a = await h.start({ seed, options: c.member(seed, "manager", { joinSecrets: [{ role: "worker", secret: SECRET }], ...extra }) });
      await body(a, { h, c, lines, label });
    } finally {
      await h.close();
    }
  }

  /** Makes `rogue` an admitted worker of `c` on its connection to `a`. */
  function admit(rogue: RawPeer, c: TestCluster, seed: Uint8Array): void {
    const cert = c.certFor(seed, "worker");
    rogue.write(encodeFrame(encodeMessage({ k: Kind.Hello, proof: { v: 2, cert: cert.cert, sig: cert.sig, ca: c.ck.publicKey } })));
    rogue.write(encodeFrame(encodeMessage({ k: Kind.Welcome })));
  }

  describe(`transport against rogue peers: ${name}`, () => {
    test("finding 2: before admission a frame may declare at most 64 KiB; a larger one is refused at its header", async () => {
      await withNode({}, async (a, { h, lines, label }) => {
        const raw = await h.rawConnect(a, seedOf(`${label}-big`));
        raw.write(new Uint8Array([0x00, 0x01, 0x00, 0x01])); // 65,537 bytes declared
        raw.write(new Uint8Array(32 * 1024)); // and some of them: never buffered
        await raw.closed;
        await waitFor("refusal logged", () => lines.some((l) => String(l.obj.reason).includes("exceeds the 65536-byte limit")));
        expect(core(a).handshakeCounts().total).toBe(0);
      });
    });

    test("finding 2: a joiner stays under the 64 KiB limit after admission; members are not", async () => {
      await withNode({}, async (a, { h, c, label }) => {
        let bytes = 0;
        a.handle("cluster.join", (m) => (bytes = (m as Uint8Array).length), { accept: ["joiner"] });
        const j = await h.start({ seed: seedOf(`${label}-j`), options: c.joiner(SECRET) });
        await waitFor("joiner admitted", () => a.isConnected(j.self), so.connectMs);
        expect(await j.request(a.self, "cluster.join", new Uint8Array(1000))).toBe(1000);
        const big = codeOf(j.request(a.self, "cluster.join", new Uint8Array(100_000)));
        expect(await big).toBe("PEER_GONE/"); // the manager closed the connection: MALFORMED on its side
        expect(bytes).toBe(1000);
      });
    });

    test("finding 2: after admission, a large call over its channel's limit is refused from its first bytes; the connection stays", async () => {
      await withNode({}, async (a, { h, c, label }) => {
        const seed = seedOf(`${label}-b`);
        const b = await h.start({ seed, options: c.member(seed, "worker") });
        await waitFor("connected", () => b.isConnected(a.self), so.connectMs);
        let ran = 0;
        a.handle("small", () => ++ran, { maxBytes: 1000 });
        a.handle("managers", () => ++ran, { accept: ["manager"] });
        expect(await codeOf(b.request(a.self, "small", new Uint8Array(2 * 1024 * 1024)))).toBe("TOO_LARGE/");
        expect(await codeOf(b.request(a.self, "managers", new Uint8Array(2 * 1024 * 1024)))).toBe("FORBIDDEN/");
        expect(await b.request(a.self, "small", new Uint8Array(10))).toBe(1);
        expect(ran).toBe(1);
        expect(b.isConnected(a.self)).toBe(true);
      });
    }, 30_000);

    test("an admitted peer that keeps making refused calls is closed past a budget (64, then 16/s), not banned", async () => {
      await withNode({}, async (a, { h, c, lines, label }) => {
        const seed = seedOf(`${label}-b`);
        const b = await h.start({ seed, options: c.member(seed, "worker") });
        await waitFor("connected", () => a.isConnected(b.self), so.connectMs);
        a.handle("managers", () => 1, { accept: ["manager"] });
        const downs: string[] = [];
        a.on("peer-down", (_id, reason) => downs.push(reason));
        for (let i = 0; i < 100; i++) b.send(a.self, "managers", i);
        await waitFor("closed for refused calls", () => downs.includes("too many refused calls"), so.connectMs);
        expect(lines.some((l) => l.msg === "closing connection: too many refused calls")).toBe(true);
        await waitFor("back (not banned)", () => a.isConnected(b.self), so.connectMs);
      });
    });

    test("finding 3: handshakes in progress are capped per host; extra strangers are closed at once, not banned", async () => {
      await withNode({ maxHandshakesPerHost: 3 }, async (a, { h, c, lines, label }) => {
        const raws: RawPeer[] = [];
        const closedAt: number[] = [];
        const t0 = performance.now();
        for (let i = 0; i < 7; i++) {
          const r = await h.rawConnect(a, seedOf(`${label}-silent-${i}`));
          void r.closed.then(() => closedAt.push(performance.now() - t0));
          raws.push(r);
        }
        await waitFor("4 refused at once", () => closedAt.length >= 4, so.connectMs);
        expect(core(a).handshakeCounts().total).toBeLessThanOrEqual(3);
        expect(Math.max(...closedAt.slice(0, 4))).toBeLessThan(so.handshakeMs);
        expect(lines.some((l) => l.msg.startsWith("refusing connection: too many admission handshakes"))).toBe(true);
        // Once the silent ones time out, a real member from the same host gets in.
        await waitFor("silent peers timed out", () => closedAt.length === 7, so.handshakeMs + so.connectMs);
        const seed = seedOf(`${label}-member`);
        const m = await h.start({ seed, options: c.member(seed, "worker") });
        await waitFor("member admitted", () => a.isConnected(m.self), so.connectMs);
      });
    }, 30_000);

    test("finding 5: what a stranger sends is clipped in logs and reasons", async () => {
      await withNode({}, async (a, { h, lines, label }) => {
        const raw = await h.rawConnect(a, seedOf(`${label}-long`));
        // HELLO {v: <60,000 characters>}: the version is quoted in the MALFORMED reason.
        const v = "v".repeat(60_000);
        raw.write(encodeFrame(new Uint8Array([0x92, Kind.Hello, 0x81, 0xa1, 0x76, 0xda, v.length >> 8, v.length & 0xff, ...Buffer.from(v)])));
        await raw.closed;
        await waitFor("bad hello logged", () => lines.some((l) => String(l.obj.reason).includes("hello proof version")));
        const longest = Math.max(...lines.map((l) => JSON.stringify(l.obj).length + l.msg.length));
        expect(longest).toBeLessThan(1000);
      });
    });

    test("finding 6: an admitted peer's non-plain msgpack (extensions, BigInt, deep nesting) closes its connection; no handler sees it", async () => {
      await withNode({}, async (a, { h, c, lines, label }) => {
        let seen = 0;
        a.handle("echo", () => ++seen);
        const bodies: [string, number[]][] = [
          ["date", [0xd6, 0xff, 0, 0, 0, 0]], // timestamp extension -> Date
          ["set", [0xd4, 0x73, 0x00]], // msgpackr's Set/structured-clone extensions
          ["bigint", [0xd3, 0, 0, 0, 0, 0, 0, 0, 2]],
          ["deep", [...Array(100).fill(0x91), 0xc0]], // 100 nested arrays
          ["cycle", [0xd6, 0x70, 0, 0, 0, 0]], // structured-clone back-reference
        ];
        for (const [tag, body] of bodies) {
          const seed = seedOf(`${label}-${tag}`);
          const rogue = await h.rawConnect(a, seed);
          admit(rogue, c, seed);
          await waitFor(`${tag}: admitted`, () => a.isConnected(Buffer.from(rogue.publicKey).toString("hex")), so.connectMs);
          rogue.write(rawRequest(1, "echo", body));
          await rogue.closed;
        }
        expect(seen).toBe(0);
        const refusals = () => lines.filter((l) => l.msg === "closing connection: bad frame" && String(l.obj.reason).includes("not plain msgpack"));
        await waitFor("reasons logged", () => refusals().length === bodies.length);
      });
    }, 30_000);

    test("finding 6: our side refuses to send non-plain data, with INVALID_ARGUMENT, and keeps the connection", async () => {
      await withNode({}, async (a, { h, c, label }) => {
        const seed = seedOf(`${label}-b`);
        const b = await h.start({ seed, options: c.member(seed, "worker") });
        await waitFor("connected", () => b.isConnected(a.self), so.connectMs);
        a.handle("echo", (m) => m);
        a.handle("date", () => new Date(0));
        a.onStream("dates", async (_m, sink) => {
          await sink.write(new Date(0)).catch((e: TransportError) => sink.write(e.code));
        });
        const cyc: Record<string, unknown> = {};
        cyc.self = cyc;
        for (const bad of [new Date(0), 2n ** 70n, 5n, cyc, { deep: JSON.parse("[".repeat(70) + "]".repeat(70)) }]) expect(await codeOf(b.request(a.self, "echo", bad))).toBe("INVALID_ARGUMENT/");
        expect(() => b.send(a.self, "echo", new Date(0))).toThrow("plain data");
        expect(await codeOf(b.request(a.self, "date", null))).toBe("REMOTE_ERROR/INVALID_ARGUMENT");
        const got: unknown[] = [];
        for await (const m of b.openStream(a.self, "dates", null)) got.push(m);
        expect(got).toEqual(["INVALID_ARGUMENT"]);
        expect(await b.request(a.self, "echo", { ok: [1, "x", null, true, new Uint8Array([1])], u: undefined })).toEqual({ ok: [1, "x", null, true, new Uint8Array([1])], u: undefined });
        expect(b.isConnected(a.self)).toBe(true);
      });
    });
  });
}
