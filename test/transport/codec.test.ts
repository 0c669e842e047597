import { describe, expect, test } from "bun:test";
import { checkProof, joinMac, makeProof } from "../../internal/transport/admission.ts";
import { FrameDecoder, encodeFrame } from "../../internal/transport/frame.ts";
import { Kind, decodeMessage, encodeMessage, type Message } from "../../internal/transport/messages.ts";
import { generateClusterKey, issueCertificate, keyPairFromSeed, nodeIdOf, verifyCertificate } from "../../internal/transport/index.ts";
import { SECRET, WRONG_SECRET, seedOf } from "./helpers.ts";

const all: Message[] = [
  { k: Kind.Hello, proof: { v: 1, mac: new Uint8Array(32).fill(7) } },
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
      [new Uint8Array([0x92, 0x04]), "not msgpack"],
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
  const policy = { clusterId: "c1", joinSecret: SECRET };
  const never = () => false;

  test("a join-secret MAC is bound to both keys, the direction, the cluster and the secret", () => {
    const proof = makeProof(policy, a, b);
    expect(checkProof(policy, proof, b, a, never)).toEqual({ ok: true, via: "secret" });
    expect(checkProof(policy, proof, a, b, never).ok).toBe(false); // reflected back
    expect(checkProof({ ...policy, clusterId: "c2" }, proof, b, a, never).ok).toBe(false);
    expect(checkProof({ ...policy, joinSecret: WRONG_SECRET }, proof, b, a, never).ok).toBe(false);
    expect(checkProof(policy, proof, b, a, () => true)).toMatchObject({ ok: false, reason: expect.stringContaining("revoked") });
    expect(joinMac(SECRET, "c1", a, b)).not.toEqual(joinMac(SECRET, "c1", b, a));
  });

  test("keyPairFromSeed matches the sodium layout (secretKey = seed ‖ publicKey)", () => {
    const kp = keyPairFromSeed(seedOf("a"));
    expect(kp.secretKey.subarray(0, 32)).toEqual(Buffer.from(seedOf("a")));
    expect(kp.secretKey.subarray(32)).toEqual(kp.publicKey);
  });

  test("certificates verify only under the cluster key and unmodified", () => {
    const ck = generateClusterKey();
    const cert = { clusterId: "c1", nodeId: nodeIdOf(a), role: "worker" as const, issuedAtMs: 5 };
    const signed = issueCertificate(ck, cert);
    expect(verifyCertificate(ck.publicKey, signed)).toEqual(cert);
    expect(verifyCertificate(generateClusterKey().publicKey, signed)).toBeUndefined();
    const tampered = { ...signed, cert: signed.cert.slice() };
    tampered.cert[tampered.cert.length - 1] ^= 1;
    expect(verifyCertificate(ck.publicKey, tampered)).toBeUndefined();
    const p = { clusterId: "c1", clusterPublicKey: ck.publicKey, certificate: signed };
    expect(checkProof(p, makeProof(p, a, b), b, a, never)).toMatchObject({ ok: true, via: "certificate" });
    expect(checkProof(p, makeProof(p, b, a), a, b, never).ok).toBe(false); // b presenting a's certificate
  });
});
