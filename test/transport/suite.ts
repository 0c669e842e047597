/**
 * The shared transport test suite. Run against the in-memory twin (memory.test.ts) and the real
 * Hyperswarm transport (hyperswarm.test.ts), so both keep the same behaviour.
 */
import { describe, expect, test } from "bun:test";
import { joinMac } from "../../internal/transport/admission.ts";
import { encodeFrame } from "../../internal/transport/frame.ts";
import { Kind, encodeMessage } from "../../internal/transport/messages.ts";
import {
  TransportError, generateClusterKey, issueCertificate, keyPairFromSeed, nodeIdOf,
  type ClusterTransport, type RawPeer, type TransportOptions,
} from "../../internal/transport/index.ts";
import { SECRET, WRONG_SECRET, recordingLogger, seedOf, waitFor, type LogLine } from "./helpers.ts";

export interface NodeSpec {
  seed: Uint8Array;
  options: TransportOptions;
}

/** Runs nodes that find each other (same network / same private DHT). */
export interface Harness {
  start(spec: NodeSpec): Promise<ClusterTransport>;
  /** Connects a raw peer (key from `seed`) to `target`, outside any transport. */
  rawConnect(target: ClusterTransport, seed: Uint8Array): Promise<RawPeer>;
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

export function transportSuite(name: string, makeHarness: () => Promise<Harness>, so: SuiteOptions): void {
  let run = 0;
  const cluster = () => `suite-${name}-${process.pid}-${++run}`;

  async function withNodes(
    n: number,
    body: (ts: ClusterTransport[], ctx: { h: Harness; clusterId: string; lines: LogLine[]; opts: (o?: Partial<TransportOptions>) => TransportOptions }) => Promise<void>,
    connect = true,
  ): Promise<void> {
    const h = await makeHarness();
    const clusterId = cluster();
    const { log, lines } = recordingLogger();
    const opts = (o: Partial<TransportOptions> = {}): TransportOptions => ({ clusterId, joinSecret: SECRET, handshakeTimeoutMs: so.handshakeMs, log, ...o });
    try {
      const ts: ClusterTransport[] = [];
      for (let i = 0; i < n; i++) ts.push(await h.start({ seed: seedOf(`${clusterId}-${i}`), options: opts() }));
      if (connect) await waitFor(`${n} nodes fully connected`, () => ts.every((t) => t.peers().length === n - 1), so.connectMs);
      await body(ts, { h, clusterId, lines, opts });
    } finally {
      await h.close();
    }
  }

  describe(`transport suite: ${name}`, () => {
    test("two nodes with the join secret admit each other", async () => {
      await withNodes(2, async ([a, b]) => {
        expect(a!.peers().map((p) => p.id)).toEqual([b!.self]);
        expect(b!.peers()[0]!.via).toBe("secret");
        expect(b!.peers()[0]!.address).toBeString();
        expect(a!.isConnected(b!.self)).toBe(true);
      });
    });

    test("request/response, one-way send, and typed errors", async () => {
      await withNodes(2, async ([a, b]) => {
        b!.handle("echo", (msg, from) => ({ msg, from }));
        b!.handle("fail", () => {
          throw Object.assign(new Error("no such service"), { code: "NOT_FOUND" });
        });
        b!.handle("never", () => new Promise(() => {}));
        const got: unknown[] = [];
        b!.handle("note", (msg) => void got.push(msg));

        expect(await a!.request(b!.self, "echo", { x: [1, "two", new Uint8Array([3])] })).toEqual({
          msg: { x: [1, "two", new Uint8Array([3])] },
          from: a!.self,
        });
        expect(a!.send(b!.self, "note", 1)).toBe(true);
        expect(a!.send(b!.self, "note", 2)).toBe(true);
        await waitFor("two notes", () => got.length === 2);
        expect(got).toEqual([1, 2]);

        const codeOf = (p: Promise<unknown>) => p.then(() => "resolved", (e: TransportError) => `${e.code}/${e.remoteCode ?? ""}`);
        expect(await codeOf(a!.request(b!.self, "fail", null))).toBe("REMOTE_ERROR/NOT_FOUND");
        expect(await codeOf(a!.request(b!.self, "nobody", null))).toBe("NO_HANDLER/");
        expect(await codeOf(a!.request(b!.self, "never", null, { timeoutMs: 100 }))).toBe("TIMEOUT/");
        expect(await codeOf(a!.request(nodeIdOf(keyPairFromSeed(seedOf("stranger")).publicKey), "echo", null))).toBe("PEER_GONE/");
        expect(a!.send("00".repeat(32), "note", 3)).toBe(false);
        expect(() => a!.handle("_transport.px", () => 1)).toThrow("reserved");
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
      await withNodes(2, async ([a, b], { h }) => {
        b!.handle("never", () => new Promise(() => {}));
        const p = a!.request(b!.self, "never", null, { timeoutMs: 20_000 }).catch((e: TransportError) => e.code);
        const down: string[] = [];
        a!.on("peer-down", (id) => down.push(id));
        await b!.close();
        expect(await p).toBe("PEER_GONE");
        await waitFor("peer-down", () => down.includes(b!.self), so.connectMs);
        expect(a!.peers()).toEqual([]);
        void h;
      });
    });

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

    test("a peer with the wrong join secret is refused, with a logged reason, and not banned", async () => {
      await withNodes(1, async ([a], { h, opts, lines }) => {
        const intruder = await h.start({ seed: seedOf(`intruder-${run}`), options: opts({ joinSecret: WRONG_SECRET }) });
        await waitFor("refusal logged", () => lines.some((l) => l.msg === "refusing peer" && l.obj.peer === intruder.self.slice(0, 8)), so.connectMs);
        expect(a!.peers()).toEqual([]);
        expect(intruder.peers()).toEqual([]);
        // Not banned: the same key with the right secret is admitted.
        await intruder.close();
        const fixed = await h.start({ seed: seedOf(`intruder-${run}`), options: opts() });
        await waitFor("reformed intruder admitted", () => a!.isConnected(fixed.self), so.connectMs);
      }, false);
    });

    test("certificates signed by the cluster key admit nodes without the secret; revocation closes and refuses", async () => {
      await withNodes(0, async (_ts, { h, clusterId, opts, lines }) => {
        const ck = generateClusterKey();
        const cert = (label: string, role: "manager" | "worker") => {
          const seed = seedOf(`${clusterId}-${label}`);
          return { seed, certificate: issueCertificate(ck, { clusterId, nodeId: nodeIdOf(keyPairFromSeed(seed).publicKey), role, issuedAtMs: 1 }) };
        };
        const m = cert("m", "manager");
        const w = cert("w", "worker");
        const a = await h.start({ seed: m.seed, options: opts({ joinSecret: undefined, certificate: m.certificate, clusterPublicKey: ck.publicKey }) });
        const b = await h.start({ seed: w.seed, options: opts({ joinSecret: undefined, certificate: w.certificate, clusterPublicKey: ck.publicKey }) });
        await waitFor("cert peers connected", () => a.isConnected(b.self) && b.isConnected(a.self), so.connectMs);
        expect(a.peers()[0]).toMatchObject({ id: b.self, via: "certificate", role: "worker" });
        expect(b.peers()[0]).toMatchObject({ via: "certificate", role: "manager" });

        // A certificate for another node's key is no proof.
        const thief = await h.start({ seed: seedOf(`${clusterId}-thief`), options: opts({ joinSecret: undefined, certificate: w.certificate, clusterPublicKey: ck.publicKey }) });
        await waitFor("thief refused", () => lines.some((l) => l.msg === "refusing peer" && l.obj.peer === thief.self.slice(0, 8)), so.connectMs);
        expect(a.isConnected(thief.self)).toBe(false);

        a.revoke(b.self);
        await waitFor("revoked peer dropped", () => !a.isConnected(b.self) && !b.isConnected(a.self), so.connectMs);
        await waitFor("revoked peer refused on reconnect", () => lines.some((l) => l.msg === "refusing peer" && String(l.obj.reason).includes("revoked")), so.connectMs);
        expect(a.isConnected(b.self)).toBe(false);
      });
    });

    test("updateAdmission: a rotated join secret, and a certificate received after joining", async () => {
      await withNodes(1, async ([a], { h, clusterId, opts }) => {
        a!.updateAdmission({ joinSecret: WRONG_SECRET }); // rotation: the old secret no longer admits
        const late = await h.start({ seed: seedOf(`${clusterId}-rotated`), options: opts({ joinSecret: WRONG_SECRET }) });
        await waitFor("admitted with the rotated secret", () => a!.isConnected(late.self), so.connectMs);

        const ck = generateClusterKey();
        const certFor = (t: ClusterTransport, role: "manager" | "worker") => issueCertificate(ck, { clusterId, nodeId: t.self, role, issuedAtMs: 2 });
        late.updateAdmission({ certificate: certFor(late, "worker"), clusterPublicKey: ck.publicKey, joinSecret: null });
        const seed = seedOf(`${clusterId}-certified`);
        const id = nodeIdOf(keyPairFromSeed(seed).publicKey);
        const certified = await h.start({
          seed,
          options: opts({ joinSecret: undefined, clusterPublicKey: ck.publicKey, certificate: issueCertificate(ck, { clusterId, nodeId: id, role: "manager", issuedAtMs: 2 }) }),
        });
        await waitFor("certificate peers connected", () => late.isConnected(certified.self), so.connectMs);
        expect(late.peers().find((p) => p.id === certified.self)).toMatchObject({ via: "certificate", role: "manager" });
        expect(() => late.updateAdmission({ certificate: null })).toThrow("needs a join secret or a certificate");
      });
    });

    test("silent and malformed peers are closed with a logged reason; the node keeps working", async () => {
      await withNodes(2, async ([a, b], { h, clusterId, lines }) => {
        a!.handle("ping", () => "pong");
        const silent = await h.rawConnect(a!, seedOf(`${clusterId}-silent`));
        expect(await silent.closed).toBeString();

        const garbage = await h.rawConnect(a!, seedOf(`${clusterId}-garbage`));
        garbage.write(new Uint8Array([0, 0, 0, 3, 0xc1, 0xc1, 0xc1])); // 0xc1 is never valid msgpack
        await garbage.closed;
        await waitFor("malformed logged", () => lines.some((l) => l.msg === "closing connection: bad frame" && String(l.obj.reason).includes("not msgpack")));

        const huge = await h.rawConnect(a!, seedOf(`${clusterId}-huge`));
        huge.write(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
        await huge.closed;
        await waitFor("oversize logged", () => lines.some((l) => String(l.obj.reason).includes("exceeds")));

        // An admitted peer (it knows the secret) that then breaks the protocol.
        const rawSeed = seedOf(`${clusterId}-admitted`);
        const rawKey = keyPairFromSeed(rawSeed).publicKey;
        const rogue = await h.rawConnect(a!, rawSeed);
        const aKey = Buffer.from(a!.self, "hex");
        rogue.write(encodeFrame(encodeMessage({ k: Kind.Hello, proof: { v: 1, mac: joinMac(SECRET, clusterId, rawKey, aKey) } })));
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
      await withNodes(3, async (ts, { h, clusterId, opts }) => {
        const [a, b, c] = ts as [ClusterTransport, ClusterTransport, ClusterTransport];
        const downs: string[] = [];
        a.on("peer-down", (id) => downs.push(id));
        await c.close();
        await waitFor("c seen down", () => downs.includes(c.self), so.connectMs);
        const c2 = await h.start({ seed: seedOf(`${clusterId}-2`), options: opts() });
        expect(c2.self).toBe(c.self);
        await waitFor("c2 reconnected to both", () => a.isConnected(c2.self) && b.isConnected(c2.self) && c2.peers().length === 2, so.connectMs);
        c2.handle("who", () => "c2");
        expect(await a.request(c2.self, "who", null)).toBe("c2");
      });
    });
  });
}
