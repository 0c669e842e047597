import { describe, expect, test } from "bun:test";
import { checkProof, joinMac, makeProof } from "../../internal/transport/admission.ts";
import { FrameDecoder, encodeFrame } from "../../internal/transport/frame.ts";
import { Kind, decodeMessage, encodeMessage, type Message } from "../../internal/transport/messages.ts";
import {
  CLOCK_SKEW_MS, clusterFingerprint, clusterKeyFromSeed, generateClusterKey, issueCertificate, keyPairFromSeed, nodeIdOf, verifyCertificate,
  type NodeCertificate,
} from "../../internal/transport/index.ts";
import { createPrivateKey, sign } from "node:crypto";
import { TransportError } from "../../internal/transport/errors.ts";
import { LogLimiter, clip } from "../../internal/transport/log-limit.ts";
import { checkPlain } from "../../internal/transport/plain.ts";
import { Packr } from "msgpackr";
import { SECRET, WRONG_SECRET, seedOf } from "./helpers.ts";

const all: Message[] = [
  { k: Kind.Hello, proof: { v: 2, mac: new Uint8Array(32).fill(7) } },
  { k: Kind.Hello, proof: { v: 2, cert: new Uint8Array(90).fill(1), sig: new Uint8Array(64).fill(2), ca: new Uint8Array(32).fill(3) } },
  { k: Kind.Welcome },
  { k: Kind.Reject, code: "ADMISSION_REFUSED", message: "no" },
  { k: Kind.Send, channel: "raft", body: { term: 3, entries: [new Uint8Array([1, 2])] } },
  { k: Kind.Request, id: 9, channel: "leader", body: null },
  { k: Kind.Response, id: 9, ok: true, body: [1, "x"] },
  { k: Kind.Response, id: 10, ok: false, code: "REMOTE_ERROR", message: "bad", remoteCode: "NOT_FOUND" },
  { k: Kind.StreamOpen, sid: 3, channel: "logs", body: { follow: true }, credit: 64 },
  { k: Kind.StreamData, sid: 3, body: "line" },
  { k: Kind.StreamEnd, sid: 3 },
  { k: Kind.StreamError, sid: 3, code: "REMOTE_ERROR", message: "gone", remoteCode: undefined },
  { k: Kind.StreamCancel, sid: 3 },
  { k: Kind.StreamCredit, sid: 3, n: 32 },
];

describe("frames and messages", () => {
  test("every message kind round-trips through frames split at every byte boundary", () => {
    const wire = Buffer.concat(all.map((m) => encodeFrame(encodeMessage(m))));
    for (const step of [1, 2, 3, 7, 64, wire.length]) {
      const d = new FrameDecoder(1024);
      const got: Message[] = [];
      for (let i = 0; i < wire.length; i += step) for (const p of d.push(wire.subarray(i, i + step))) got.push(decodeMessage(p));
      expect(got).toEqual(all);
      expect(d.pendingBytes).toBe(0);
    }
  });

  test("bad frames are MALFORMED with a reason", () => {
    const bad: [Uint8Array, string][] = [
      [new Uint8Array([0x92, 0x04]), "not plain msgpack"],
      [new Uint8Array([0x01]), "not a non-empty array"],
      [new Uint8Array([0x91, 0x63]), "unknown message kind 99"],
      [new Uint8Array([0x92, 0x04, 0xa1, 0x78]), "needs 4 elements"],
      [new Uint8Array([0x94, 0x04, 0xff, 0xa1, 0x78, 0xc0]), "id is not a non-negative integer"],
      [new Uint8Array([0x92, 0x00, 0x80]), "hello proof version"],
    ];
    for (const [bytes, reason] of bad) {
      expect(() => decodeMessage(bytes)).toThrow(reason);
      try {
        decodeMessage(bytes);
      } catch (e) {
        expect((e as { code: string }).code).toBe("MALFORMED");
      }
    }
    expect(() => new FrameDecoder(10).push(new Uint8Array([0, 0, 0, 11]))).toThrow("exceeds the 10-byte limit");
  });
});

describe("admission proofs", () => {
  const a = keyPairFromSeed(seedOf("a")).publicKey;
  const b = keyPairFromSeed(seedOf("b")).publicKey;
  const ck = clusterKeyFromSeed(seedOf("ck"));
  const clusterId = clusterFingerprint(ck.publicKey);
  const now = 1_700_000_000_000;
  const certOf = (key: Uint8Array, role: "manager" | "worker", w = { notBeforeMs: now - 1000, notAfterMs: now + 90 * 86_400_000 }, by = ck) =>
    issueCertificate(by, { v: 2, clusterId, nodeId: nodeIdOf(key), role, serial: 7, ...w });
  const manager = { clusterId, joinSecrets: [{ role: "worker" as const, secret: SECRET }], clusterPublicKey: ck.publicKey, certificate: certOf(b, "manager") };
  const joiner = { clusterId, joinSecrets: [], proveSecret: SECRET };
  const never = () => false;

  test("the cluster id is 25 base36 characters of the key's fingerprint", () => {
    expect(clusterId).toMatch(/^[0-9a-z]{25}$/);
    expect(clusterFingerprint(ck.publicKey)).toBe(clusterId);
    expect(clusterFingerprint(generateClusterKey().publicKey)).not.toBe(clusterId);
  });

  test("a join-secret MAC is bound to both keys, the direction, the cluster and the secret; it makes a joiner", () => {
    const proof = makeProof(joiner, a, b);
    expect(proof.cert).toBeUndefined();
    expect(checkProof(manager, proof, b, a, never, now)).toMatchObject({ ok: true, class: "joiner", via: "secret", joinSecret: { role: "worker" } });
    expect(checkProof(manager, proof, a, b, never, now).ok).toBe(false); // reflected back
    expect(checkProof({ ...manager, clusterId: "c2" }, proof, b, a, never, now).ok).toBe(false);
    expect(checkProof({ ...manager, joinSecrets: [{ role: "worker", secret: WRONG_SECRET }] }, proof, b, a, never, now).ok).toBe(false);
    expect(checkProof(manager, proof, b, a, () => true, now)).toMatchObject({ ok: false, reason: expect.stringContaining("revoked") });
    expect(joinMac(SECRET, "c1", a, b)).not.toEqual(joinMac(SECRET, "c1", b, a));
  });

  test("a joiner admits only a manager certificate chained to the key its cluster id fingerprints, never a secret", () => {
    const proof = makeProof(manager, b, a);
    expect(proof).toMatchObject({ v: 2, ca: ck.publicKey });
    expect(proof.mac).toBeUndefined();
    const ok = checkProof(joiner, proof, a, b, never, now);
    expect(ok).toMatchObject({ ok: true, class: "manager", via: "certificate", ca: ck.publicKey });
    // A worker of the right cluster; a manager of a key with another fingerprint; a MAC.
    const worker = makeProof({ ...manager, certificate: certOf(b, "worker") }, b, a);
    expect(checkProof(joiner, worker, a, b, never, now)).toMatchObject({ ok: false, reason: expect.stringContaining("managers only") });
    const other = generateClusterKey();
    const impostor = { ...proof, ca: other.publicKey, ...certOf(b, "manager", undefined, other) };
    expect(checkProof(joiner, impostor, a, b, never, now)).toMatchObject({ ok: false, reason: expect.stringContaining("cluster id") });
    expect(checkProof(joiner, { ...impostor, ca: ck.publicKey }, a, b, never, now)).toMatchObject({ ok: false, reason: expect.stringContaining("not signed") });
    expect(checkProof(joiner, makeProof(joiner, b, a), a, b, never, now)).toMatchObject({ ok: false, reason: expect.stringContaining("managers only") });
  });

  test("an invalid certificate is refused even beside a valid MAC", () => {
    const proof = { ...makeProof(joiner, a, b), ...certOf(a, "manager", undefined, generateClusterKey()) };
    expect(checkProof(manager, proof, b, a, never, now)).toMatchObject({ ok: false, reason: expect.stringContaining("not signed") });
  });

  test("keyPairFromSeed matches the sodium layout (secretKey = seed ‖ publicKey)", () => {
    const kp = keyPairFromSeed(seedOf("a"));
    expect(kp.secretKey.subarray(0, 32)).toEqual(Buffer.from(seedOf("a")));
    expect(kp.secretKey.subarray(32)).toEqual(kp.publicKey);
  });

  test("certificates verify only under the cluster key, unmodified, and inside their window (± 5 min)", () => {
    const w = { notBeforeMs: now, notAfterMs: now + 1000 };
    const signed = certOf(a, "worker", w);
    const cert = { v: 2, clusterId, nodeId: nodeIdOf(a), role: "worker", serial: 7, ...w };
    expect(verifyCertificate(ck.publicKey, signed, now)).toEqual(cert as NodeCertificate);
    expect(verifyCertificate(ck.publicKey, signed, now - CLOCK_SKEW_MS)).toBeDefined();
    expect(verifyCertificate(ck.publicKey, signed, now - CLOCK_SKEW_MS - 1)).toBeUndefined();
    expect(verifyCertificate(ck.publicKey, signed, now + 1000 + CLOCK_SKEW_MS)).toBeDefined();
    expect(verifyCertificate(ck.publicKey, signed, now + 1001 + CLOCK_SKEW_MS)).toBeUndefined();
    expect(verifyCertificate(generateClusterKey().publicKey, signed, now)).toBeUndefined();
    const tampered = { ...signed, cert: signed.cert.slice() };
    tampered.cert[tampered.cert.length - 1] ^= 1;
    expect(verifyCertificate(ck.publicKey, tampered, now)).toBeUndefined();
    const p = { clusterId, joinSecrets: [], clusterPublicKey: ck.publicKey, certificate: certOf(a, "worker") };
    expect(checkProof(p, makeProof(p, a, b), b, a, never, now)).toMatchObject({ ok: true, class: "worker", via: "certificate" });
    expect(checkProof(p, makeProof(p, b, a), a, b, never, now).ok).toBe(false); // b presenting a's certificate
  });

  test("v1 certificates (the old format) are not accepted", () => {
    const v1 = new Packr({ useRecords: false }).pack([1, clusterId, nodeIdOf(a), "worker", now]);
    const sig = sign(null, Buffer.concat([Buffer.from("swarm-cert-v1\0"), v1]), createPrivateKey({
      key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), ck.seed]), format: "der", type: "pkcs8",
    }));
    expect(verifyCertificate(ck.publicKey, { cert: v1, sig }, now)).toBeUndefined();
    expect(() => issueCertificate(ck, { v: 1 } as unknown as NodeCertificate)).toThrow("v2");
  });
});

describe("bounds against hostile input (issue 10)", () => {
  test("finding 2: the frame decoder is linear: 16 MiB arriving in 1 KiB chunks decodes at once (it re-copied the buffer per chunk)", () => {
    const payload = new Uint8Array(16 * 1024 * 1024).fill(3);
    const wire = encodeFrame(payload);
    const d = new FrameDecoder(16 * 1024 * 1024);
    const t0 = performance.now();
    let got: Uint8Array[] = [];
    for (let i = 0; i < wire.length; i += 1024) got = got.concat(d.push(wire.subarray(i, i + 1024)));
    const ms = performance.now() - t0;
    expect(got.length).toBe(1);
    expect(got[0]!.length).toBe(payload.length);
    // Quadratic copying of 16,384 chunks moves ~128 GiB (minutes); linear is tens of ms.
    expect(ms).toBeLessThan(3000);
  });

  test("finding 5: the log limiter lets a burst through per message, then one line with the suppressed count per refill", () => {
    let now = 0;
    const seen: { obj: Record<string, unknown>; msg: string }[] = [];
    const log = { debug() {}, info() {}, error() {}, warn: (obj: object, msg: string) => void seen.push({ obj: obj as Record<string, unknown>, msg }) };
    const l = new LogLimiter(log, { burst: 5, intervalMs: 10_000, now: () => now });
    for (let i = 0; i < 1000; i++) l.warn({ i }, "refusing peer");
    l.warn({}, "another message");
    expect(seen.filter((s) => s.msg === "refusing peer").length).toBe(5);
    expect(seen.some((s) => s.msg === "another message")).toBe(true);
    now += 2000; // one token back
    l.warn({ i: 1000 }, "refusing peer");
    expect(seen.at(-1)).toEqual({ obj: { i: 1000, suppressed: 995 }, msg: "refusing peer" });
    expect(clip("x".repeat(10_000)).length).toBeLessThan(250);
    expect(TransportError.malformed("y".repeat(100_000)).message.length).toBeLessThan(500);
  });

  test("finding 6: only plain msgpack passes the byte check", () => {
    const ok = [null, true, 1, -1, 1.5, 2 ** 40, "s", new Uint8Array([1]), [1, [2]], { a: { b: [undefined] } }, { 1: "int key" }];
    for (const v of ok) expect(() => checkPlain(new Packr({ useRecords: false, moreTypes: false }).pack(v))).not.toThrow();
    const bad: [number[], string][] = [
      [[0xd6, 0xff, 0, 0, 0, 0], "0xd6"], // Date
      [[0xd3, 0, 0, 0, 0, 0, 0, 0, 1], "BigInt"],
      [[0xcf, 0, 0, 0, 0, 0, 0, 0, 1], "BigInt"],
      [[0xc7, 1, 0x73, 0], "0xc7"], // ext8
      [[0x81, 0x91, 0x01, 0x01], "map keys"],
      [[0xdd, 0xff, 0xff, 0xff, 0xff], "truncated"], // array32 claiming 4 billion elements
      [[0xc0, 0xc0], "trailing"],
      [[...Array(65).fill(0x91), 0xc0], "nested deeper"],
    ];
    for (const [bytes, why] of bad) expect(() => checkPlain(new Uint8Array(bytes))).toThrow(why);
  });
});

describe("frame inspection (per-channel limits before buffering)", () => {
  test("a large frame the inspector refuses is dropped as it arrives; the next frame decodes", () => {
    const seen: number[] = [];
    const d = new FrameDecoder(16 * 1024 * 1024, (len, head) => (seen.push(len, head.length), true));
    const big = encodeFrame(new Uint8Array(8 * 1024 * 1024).fill(1));
    const small = encodeFrame(new Uint8Array([0x91, 0x01]));
    let maxHeld = 0;
    const out: Uint8Array[] = [];
    const wire = Buffer.concat([big, small]);
    for (let i = 0; i < wire.length; i += 64 * 1024) {
      out.push(...d.push(wire.subarray(i, i + 64 * 1024)));
      maxHeld = Math.max(maxHeld, d.pendingBytes);
    }
    expect(seen).toEqual([8 * 1024 * 1024, 512]);
    expect(maxHeld).toBeLessThanOrEqual(64 * 1024 + 4);
    expect(d.dropped).toBe(8 * 1024 * 1024);
    expect(out).toEqual([new Uint8Array([0x91, 0x01])]);
  });
});
